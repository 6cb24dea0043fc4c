/**
 * A local OIDC issuer for tests: RSA keys generated here, a JWKS served over loopback HTTP, and
 * GitHub-Actions-shaped ID tokens signed with the current key.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

export interface IssuerKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newRsaKey(kid: string = randomUUID()): IssuerKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

export class LocalOidcIssuer {
  /** Keys listed in the JWKS. */
  published: IssuerKey[];
  /** The key new tokens are signed with. */
  current: IssuerKey;
  jwksRequests = 0;
  private server: Server | null = null;
  issuer = '';
  jwksUrl = '';

  constructor() {
    this.current = newRsaKey();
    this.published = [this.current];
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks') {
        this.jwksRequests += 1;
        const keys = this.published.map((k) => ({
          ...(k.publicKey.export({ format: 'jwk' }) as Record<string, unknown>),
          kid: k.kid,
          use: 'sig',
          alg: 'RS256',
        }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.issuer = `http://127.0.0.1:${port}`;
    this.jwksUrl = `${this.issuer}/.well-known/jwks`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.server?.close((err) => (err ? reject(err) : resolve())),
    );
  }

  /** Publishes a new key and signs with it from now on; the old key stays published if asked. */
  rotate(keepOld: boolean): IssuerKey {
    const next = newRsaKey();
    this.published = keepOld ? [...this.published, next] : [next];
    this.current = next;
    return next;
  }

  /** A GitHub-Actions-shaped token; `claims` overrides any field, `undefined` removes it. */
  token(
    claims: Record<string, unknown>,
    opts: { nowSec: number; key?: IssuerKey; ttlSec?: number } = {
      nowSec: Math.floor(Date.now() / 1000),
    },
  ): string {
    const key = opts.key ?? this.current;
    const now = opts.nowSec;
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: 'verdict-test',
      sub: 'repo:octo/app:ref:refs/heads/main',
      jti: randomUUID(),
      iat: now,
      nbf: now,
      exp: now + (opts.ttlSec ?? 300),
      repository: 'octo/app',
      repository_owner: 'octo',
      job_workflow_ref: 'octo/app/.github/workflows/ci.yml@refs/heads/main',
      ref: 'refs/heads/main',
      sha: 'a'.repeat(40),
      runner_environment: 'github-hosted',
      run_id: '1234',
      run_attempt: '1',
      ...claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return jwt.sign(payload, key.privateKey, {
      algorithm: 'RS256',
      keyid: key.kid,
    });
  }
}

/** A compact JWS with an arbitrary header, signed (or not) by the caller. */
export function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
