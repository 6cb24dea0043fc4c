/** The demo's HTTP calls to the oracle: JSON in and out, bearer tokens or an arbiter's session. */

/** A step of the story did not go as the terms and the API say it must. */
export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

export interface ArbiterSession {
  readonly id: string;
  readonly cookie: string;
  readonly csrf: string;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** A same-origin browser call of the arbiter UI: Origin header, session cookie and CSRF token. */
  readonly ui?: { readonly origin: string; readonly session?: ArbiterSession };
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

export async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.ui !== undefined) {
    headers['origin'] = opts.ui.origin;
    if (opts.ui.session !== undefined) {
      headers['cookie'] = opts.ui.session.cookie;
      if (method !== 'GET') headers['x-csrf-token'] = opts.ui.session.csrf;
    }
  }
  const res = await fetch(base + path, {
    method,
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
    body = JSON.parse(text) as unknown;
  }
  return { status: res.status, body, headers: res.headers };
}

/** The reply's body when its status is `status`; otherwise a {@link DemoError} naming the step. */
export function expectStatus<T>(what: string, r: Reply, status = 200): T {
  if (r.status !== status) {
    throw new DemoError(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
  return r.body as T;
}
