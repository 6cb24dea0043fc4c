/**
 * The page's one way to the app's API: JSON over fetch with the session cookie, errors as
 * {@link ApiError} carrying the API's code and its message in words, and the one EventSource on
 * `/api/events` that tells the screen on show what changed.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  let json: (T & { error?: { code?: string; message?: string } }) | undefined;
  try {
    json = (await res.json()) as T & { error?: { code?: string; message?: string } };
  } catch {
    json = undefined;
  }
  if (!res.ok || json === undefined)
    throw new ApiError(
      res.status,
      json?.error?.code ?? 'error',
      json?.error?.message ?? `${res.status} ${res.statusText}`,
    );
  return json;
}

/** The words to show for a failure: the API's message, never a stack. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What `GET /api/events` carries (party-app/context.ts `AppEvent`). */
export interface AppEvent {
  readonly kind: 'wallet' | 'contracts' | 'contract' | 'funding' | 'activity';
  readonly contractId?: string;
  readonly milestone?: number;
  readonly text?: string;
  readonly data?: Record<string, unknown>;
}

let source: EventSource | undefined;
let listener: ((e: AppEvent) => void) | undefined;

/**
 * The screen on show takes the live events (one at a time: the last call wins). The stream is
 * opened once, after the session exists, and reconnects by itself (`retry:` from the server).
 */
export function onLive(fn: ((e: AppEvent) => void) | undefined): void {
  listener = fn;
  if (source !== undefined) return;
  source = new EventSource('/api/events');
  source.addEventListener('message', (m: MessageEvent<string>) => {
    let e: AppEvent;
    try {
      e = JSON.parse(m.data) as AppEvent;
    } catch {
      return;
    }
    listener?.(e);
  });
}

/** No screen listens (the events keep coming; nothing is done with them). */
export function stopLive(): void {
  listener = undefined;
}

/** Coalesces bursts of events into one refetch (a funding job emits many). */
export function debounce(fn: () => void, ms = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
