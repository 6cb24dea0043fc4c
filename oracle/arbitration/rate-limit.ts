/**
 * Login throttling per account and per client address: a fixed window of failures. In memory: a
 * restart forgets the counts, which only costs an attacker's budget a reset per restart.
 */

export interface RateLimitPolicy {
  readonly maxFailures: number;
  readonly windowSec: number;
}

export const LOGIN_LIMITS = {
  perAccount: { maxFailures: 5, windowSec: 15 * 60 },
  perAddress: { maxFailures: 20, windowSec: 15 * 60 },
} as const satisfies Record<string, RateLimitPolicy>;

export class FailureLimiter {
  readonly #entries = new Map<string, { count: number; windowStartSec: number }>();

  constructor(readonly policy: RateLimitPolicy) {}

  /** Seconds until `key` may try again, or 0 if it may now. */
  retryAfterSec(key: string, nowSec: number): number {
    const e = this.#entries.get(key);
    if (!e) return 0;
    const end = e.windowStartSec + this.policy.windowSec;
    if (nowSec >= end) {
      this.#entries.delete(key);
      return 0;
    }
    return e.count >= this.policy.maxFailures ? end - nowSec : 0;
  }

  recordFailure(key: string, nowSec: number): void {
    const e = this.#entries.get(key);
    if (!e || nowSec >= e.windowStartSec + this.policy.windowSec) {
      this.#entries.set(key, { count: 1, windowStartSec: nowSec });
    } else {
      e.count += 1;
    }
    if (this.#entries.size > 100_000) this.#prune(nowSec);
  }

  /** A success clears the account's failures (not the address's: one good password must not launder many guesses). */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  #prune(nowSec: number): void {
    for (const [k, e] of this.#entries) {
      if (nowSec >= e.windowStartSec + this.policy.windowSec) this.#entries.delete(k);
    }
  }
}
