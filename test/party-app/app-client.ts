/**
 * A test's view of one parties' app: raw HTTP (a test sets Host and Origin, as a browser on the
 * app's own page sends them) with the session cookie the app set.
 */
import { request } from 'node:http';
import { expect } from 'vitest';
import type { RunningPartyApp } from '../../party-app/server.ts';

export interface Reply {
  status: number;
  type: string;
  text: string;
  body: unknown;
}

export interface ApiError {
  error: { code: string; message: string };
}

/** One app as a browser holding its session cookie would call it (Host and Origin its own). */
export class AppClient {
  cookie = '';
  constructor(readonly app: RunningPartyApp) {}

  send(method: string, path: string, body?: unknown, withCookie = true): Promise<Reply> {
    const url = new URL(path, this.app.origin);
    const headers: Record<string, string> = { host: url.host, origin: this.app.origin };
    if (withCookie && this.cookie !== '') headers['cookie'] = this.cookie;
    const data = body === undefined ? undefined : JSON.stringify(body);
    if (data !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const type = String(res.headers['content-type'] ?? '');
          const setCookie = res.headers['set-cookie']?.[0];
          if (setCookie !== undefined) this.cookie = setCookie.split(';')[0] ?? '';
          resolve({
            status: res.statusCode ?? 0,
            type,
            text,
            body: type.includes('json') && text !== '' ? JSON.parse(text) : undefined,
          });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.send(method, path, body);
    expect(r.status, `${method} ${path}: ${r.text.slice(0, 400)}`).toBe(200);
    return r.body as T;
  }

  async refused(method: string, path: string, body: unknown, status: number, code: string) {
    const r = await this.send(method, path, body);
    const e = (r.body as ApiError | undefined)?.error;
    expect({ status: r.status, code: e?.code }, r.text).toEqual({ status, code });
    expect(typeof e?.message).toBe('string');
    return e?.message ?? '';
  }
}
