/**
 * Login throttling (issue 19 §7): fixed windows of attempts. An attempt is counted **before** the
 * password is checked, so parallel guesses cannot all slip in while the scrypt work is in flight;
 * a successful login gives its attempt back. In memory: a restart forgets the counts, which only
 * costs an attacker's budget a reset per restart.
 *
 * The keys (see `login` in accounts.ts):
 * - a known device (a browser holding this account's device cookie from an earlier login) counts
 *   only against itself, so nobody else's failures can lock the arbiter out on that device;
 * - any other attempt counts per address-and-account, per address, and per account across all
 *   addresses (the bound on a distributed guesser, which can only delay logins from new devices).
 */

export interface RateLimitPolicy {
  readonly maxFailures: number;
  readonly windowSec: number;
}

export const LOGIN_LIMITS = {
  /** One address guessing one account. */
  perAddressAccount: { maxFailures: 5, windowSec: 15 * 60 },
  /** One address guessing many accounts. */
  perAddress: { maxFailures: 20, windowSec: 15 * 60 },
  /** Every address together guessing one account from devices it has never logged in from. */
  perAccount: { maxFailures: 100, windowSec: 15 * 60 },
  /** A device that logged in before, for its account: exempt from the three limits above. */
  perKnownDevice: { maxFailures: 10, windowSec: 15 * 60 },
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

  /** Counts one attempt (or failure) against `key`. */
  recordFailure(key: string, nowSec: number): void {
    const e = this.#entries.get(key);
    if (!e || nowSec >= e.windowStartSec + this.policy.windowSec) {
      this.#entries.set(key, { count: 1, windowStartSec: nowSec });
    } else {
      e.count += 1;
    }
    if (this.#entries.size > 100_000) this.#prune(nowSec);
  }

  /** Gives one counted attempt back (a login that succeeded). */
  forgive(key: string): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    if (e.count <= 1) this.#entries.delete(key);
    else e.count -= 1;
  }

  /** Clears `key` (a success on the narrowest key: its earlier failures were the user's typos). */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  #prune(nowSec: number): void {
    for (const [k, e] of this.#entries) {
      if (nowSec >= e.windowStartSec + this.policy.windowSec) this.#entries.delete(k);
    }
  }
}
