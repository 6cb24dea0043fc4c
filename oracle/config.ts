import { resolve } from 'node:path';
import { z } from 'zod';

/** One year: the default lifetime of a party capability token. */
const ONE_YEAR_SEC = 365 * 24 * 3600;

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const intFromEnv = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, c) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        c.addIssue({ code: 'custom', message: `must be an integer in ${min}..${max}` });
        return z.NEVER;
      }
      return n;
    });

/**
 * Every environment variable the service reads. The README's configuration table mirrors this
 * schema; nothing else in `oracle/` reads `process.env`.
 */
const envSchema = z.object({
  VERDICT_DATA_DIR: z.string().default('./data'),
  VERDICT_HOST: z.string().min(1).default('127.0.0.1'),
  VERDICT_PORT: intFromEnv(0, 65535, 8080),
  VERDICT_PUBLIC_URL: z.url().optional(),
  VERDICT_ORACLE_NAME: z.string().min(1).max(64).default('verdict'),
  VERDICT_CONTRACT_CREATION: z.enum(['open', 'admin']).default('open'),
  VERDICT_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  VERDICT_KEYSTORE_PASSPHRASE: optionalNonEmpty,
  VERDICT_KEYSTORE_PASSPHRASE_FILE: optionalNonEmpty,
  // scrypt cost of a newly sealed keystore; tests use a small one. Must be a power of two.
  VERDICT_SCRYPT_N: intFromEnv(2 ** 10, 2 ** 20, 2 ** 17).refine((n) => (n & (n - 1)) === 0, {
    message: 'must be a power of two',
  }),
  VERDICT_TOKEN_TTL_SEC: intFromEnv(60, 10 * ONE_YEAR_SEC, ONE_YEAR_SEC),
  VERDICT_SCHEDULER_TICK_SEC: intFromEnv(1, 59, 5),
  VERDICT_DLC_MESSAGE_MAX_BYTES: intFromEnv(1024, 16 * 1024 * 1024, 1024 * 1024),
  // Issue 9: state-changing requests per minute per client address (0: no limit).
  VERDICT_WRITE_RATE_PER_MIN: intFromEnv(0, 1_000_000, 600),
  // Issue 19 §4: request bytes per minute per client address for state-changing requests, in
  // MiB (0: no limit); below VERDICT_MIN_FREE_DISK_MB free on the data dir's file system, bulky
  // writes (contracts, DLC relay, evidence, CI statements) get `507 insufficient_storage` (0: off).
  VERDICT_WRITE_MB_PER_MIN: intFromEnv(0, 100_000, 16),
  VERDICT_MIN_FREE_DISK_MB: intFromEnv(0, 10_000_000, 256),
  // Issue 19 §5: open connections in all and per client socket address (0: no cap), and the
  // seconds a request's body may take to arrive after its headers.
  VERDICT_MAX_CONNECTIONS: intFromEnv(0, 1_000_000, 1024),
  VERDICT_MAX_CONNECTIONS_PER_ADDRESS: intFromEnv(0, 1_000_000, 64),
  VERDICT_BODY_TIMEOUT_SEC: intFromEnv(1, 600, 20),
  // Issue 19 §6: contract creation cost (one unit per milestone) per minute per client address
  // (0: no limit).
  VERDICT_CREATE_MILESTONES_PER_MIN: intFromEnv(0, 1_000_000, 120),
  // Issue 7 (CI attestation): the OIDC issuer whose ID tokens may speak for a milestone's CI,
  // its JWKS (default: <issuer>/.well-known/jwks) and the audience the tokens must carry.
  VERDICT_CI_OIDC_ISSUER: z.url().default('https://token.actions.githubusercontent.com'),
  VERDICT_CI_OIDC_JWKS_URL: z.url().optional(),
  VERDICT_CI_OIDC_AUDIENCE: z.string().min(1).max(200).default('verdict'),
  // Issue 9: the reverse proxies whose X-Forwarded-For/-Proto to believe (Express `trust proxy`):
  // a hop count or a comma-separated list of addresses, subnets or `loopback`/`linklocal`/
  // `uniquelocal`. Unset: none (the socket is the client). `true` (believe anyone) is refused.
  VERDICT_TRUST_PROXY: optionalNonEmpty.transform((v, c) => {
    if (v === undefined) return undefined;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    if (!/^[A-Za-z0-9.:/, ]+$/.test(v) || /^(true|false)$/i.test(v.trim())) {
      c.addIssue({
        code: 'custom',
        message:
          'a hop count or a list of proxy addresses, subnets or loopback/linklocal/uniquelocal',
      });
      return z.NEVER;
    }
    return v;
  }),
  // Issue 8 (first run): `npm start` runs an embedded devnet chain on loopback for the parties
  // (oracle/devnet.ts); the service's tower broadcasts to it unless VERDICT_BITCOIN_RPC is set. A block is mined every
  // VERDICT_DEVNET_BLOCK_SEC seconds while the mempool holds transactions.
  // Issue 19: a directory on storage outside the data dir's backups and snapshots that receives a
  // copy of every attestation before it is answered (SECURITY.md "Restores, copies and
  // snapshots"). `none` declares that the operator runs without one; required off loopback.
  VERDICT_WITNESS_DIR: optionalNonEmpty,
  VERDICT_DEVNET: z.enum(['on', 'off']).default('on'),
  VERDICT_DEVNET_PORT: intFromEnv(0, 65535, 18443),
  VERDICT_DEVNET_BLOCK_SEC: intFromEnv(1, 3600, 5),
  // Issue 16 (watchtower): the chain the tower broadcasts to. Unset: the embedded devnet when it
  // runs (`npm start`), else none (uploads are taken, nothing is sent until a chain is set).
  // http://user:pass@host:port, or the cookie file of Core's -rpccookiefile.
  VERDICT_BITCOIN_RPC: z.url().optional(),
  VERDICT_BITCOIN_RPC_COOKIE: optionalNonEmpty,
  VERDICT_TOWER: z.enum(['on', 'off']).default('on'),
  // Blocks after its first broadcast before an unconfirmed closing is reported "bump needed".
  VERDICT_TOWER_BUMP_AFTER_BLOCKS: intFromEnv(1, 1000, 6),
  // Test-only: the tower process SIGKILLs itself at this point (test/tower/crash.test.ts).
  VERDICT_TOWER_FAILPOINT: z.enum(['after_choose', 'after_send']).optional(),
});

export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string | undefined;
  readonly oracleName: string;
  readonly contractCreation: 'open' | 'admin';
  readonly logLevel: z.infer<typeof envSchema>['VERDICT_LOG_LEVEL'];
  readonly keystorePassphrase: string | undefined;
  readonly keystorePassphraseFile: string | undefined;
  readonly scryptN: number;
  readonly tokenTtlSec: number;
  readonly schedulerTickSec: number;
  readonly dlcMessageMaxBytes: number;
  readonly writeRatePerMin: number;
  readonly writeBytesPerMin: number;
  readonly minFreeDiskBytes: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly bodyTimeoutMs: number;
  readonly createMilestonesPerMin: number;
  readonly ciOidcIssuer: string;
  readonly ciOidcJwksUrl: string;
  readonly ciOidcAudience: string;
  readonly trustProxy: number | string | undefined;
  /** A witness dir (absolute), `none` (declared by the operator), or undefined (not set). */
  readonly witnessDir: string | undefined;
  readonly devnet: boolean;
  readonly devnetPort: number;
  readonly devnetBlockSec: number;
  readonly bitcoinRpc: string | undefined;
  readonly bitcoinRpcCookie: string | undefined;
  readonly tower: boolean;
  readonly towerBumpAfterBlocks: number;
  readonly towerFailpoint: 'after_choose' | 'after_send' | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once, reporting every problem together, and returns a frozen config.
 * Secrets (the keystore passphrase) are kept here only to hand them to the keystore opener.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  // Cross-field rules, collected with the field errors so every problem is reported at once.
  const set = (k: string) => (env[k] ?? '').trim() !== '';
  if (set('VERDICT_KEYSTORE_PASSPHRASE') && set('VERDICT_KEYSTORE_PASSPHRASE_FILE')) {
    problems.push(
      'VERDICT_KEYSTORE_PASSPHRASE_FILE: VERDICT_KEYSTORE_PASSPHRASE is set too; choose one',
    );
  }
  const host = (env['VERDICT_HOST'] ?? '127.0.0.1').trim();
  if (!isLoopbackHost(host) && !set('VERDICT_WITNESS_DIR')) {
    problems.push(
      'VERDICT_WITNESS_DIR: required when listening off loopback: a directory on storage outside the data dir\'s backups and snapshots (SECURITY.md "Restores, copies and snapshots"), or `none` to run knowingly without one',
    );
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return Object.freeze({
    dataDir: resolve(e.VERDICT_DATA_DIR),
    host: e.VERDICT_HOST,
    port: e.VERDICT_PORT,
    publicUrl: e.VERDICT_PUBLIC_URL,
    oracleName: e.VERDICT_ORACLE_NAME,
    contractCreation: e.VERDICT_CONTRACT_CREATION,
    logLevel: e.VERDICT_LOG_LEVEL,
    keystorePassphrase: e.VERDICT_KEYSTORE_PASSPHRASE,
    keystorePassphraseFile: e.VERDICT_KEYSTORE_PASSPHRASE_FILE,
    scryptN: e.VERDICT_SCRYPT_N,
    tokenTtlSec: e.VERDICT_TOKEN_TTL_SEC,
    schedulerTickSec: e.VERDICT_SCHEDULER_TICK_SEC,
    dlcMessageMaxBytes: e.VERDICT_DLC_MESSAGE_MAX_BYTES,
    writeRatePerMin: e.VERDICT_WRITE_RATE_PER_MIN,
    writeBytesPerMin: e.VERDICT_WRITE_MB_PER_MIN * 1024 * 1024,
    minFreeDiskBytes: e.VERDICT_MIN_FREE_DISK_MB * 1024 * 1024,
    maxConnections: e.VERDICT_MAX_CONNECTIONS,
    maxConnectionsPerAddress: e.VERDICT_MAX_CONNECTIONS_PER_ADDRESS,
    bodyTimeoutMs: e.VERDICT_BODY_TIMEOUT_SEC * 1000,
    createMilestonesPerMin: e.VERDICT_CREATE_MILESTONES_PER_MIN,
    ciOidcIssuer: e.VERDICT_CI_OIDC_ISSUER,
    ciOidcJwksUrl:
      e.VERDICT_CI_OIDC_JWKS_URL ??
      `${e.VERDICT_CI_OIDC_ISSUER.replace(/\/$/, '')}/.well-known/jwks`,
    ciOidcAudience: e.VERDICT_CI_OIDC_AUDIENCE,
    trustProxy: e.VERDICT_TRUST_PROXY,
    witnessDir:
      e.VERDICT_WITNESS_DIR === undefined || e.VERDICT_WITNESS_DIR === 'none'
        ? e.VERDICT_WITNESS_DIR
        : resolve(e.VERDICT_WITNESS_DIR),
    devnet: e.VERDICT_DEVNET === 'on',
    devnetPort: e.VERDICT_DEVNET_PORT,
    devnetBlockSec: e.VERDICT_DEVNET_BLOCK_SEC,
    bitcoinRpc: e.VERDICT_BITCOIN_RPC,
    bitcoinRpcCookie: e.VERDICT_BITCOIN_RPC_COOKIE,
    tower: e.VERDICT_TOWER === 'on',
    towerBumpAfterBlocks: e.VERDICT_TOWER_BUMP_AFTER_BLOCKS,
    towerFailpoint: e.VERDICT_TOWER_FAILPOINT,
  });
}

/** `localhost`, `::1` or an address in 127.0.0.0/8. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
