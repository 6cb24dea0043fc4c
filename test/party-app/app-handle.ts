/**
 * The raw-HTTP handle on a running parties' app that the funding tests share: the app, its data
 * dir, its session cookie, and JSON calls carrying it; a wallet made through the app.
 */
import { request } from 'node:http';
import { expect } from 'vitest';
import type { RunningPartyApp } from '../../party-app/server.ts';

export const PASSPHRASE = 'a good passphrase';
export interface AppHandle {
  app: RunningPartyApp;
  readonly dataDir: string;
  cookie: string;
  api<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
}

export function rawJson(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        headers: {
          ...headers,
          ...(text === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: data === '' ? null : (JSON.parse(data) as unknown),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

export async function ok<T = Record<string, unknown>>(
  p: Promise<{ status: number; body: T }>,
): Promise<T> {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** A new wallet through the app: the 24 words, three asked back. */
export async function createWallet(a: AppHandle): Promise<void> {
  const made = await ok<{ words: string[]; confirm: number[] }>(
    a.api('POST', '/api/wallet/create', { passphrase: PASSPHRASE }),
  );
  await ok(
    a.api('POST', '/api/wallet/confirm', {
      words: made.confirm.map((n) => made.words[n - 1]),
    }),
  );
}
