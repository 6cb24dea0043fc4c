import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { NonBlockingDestination } from './log-destination.ts';

/** Paths pino blanks out wherever they appear: secrets never reach a log line. */
export const REDACT_PATHS = [
  'passphrase',
  'mnemonic',
  'jwtSecret',
  'secret',
  'token',
  'tokens',
  'authorization',
  '*.passphrase',
  '*.mnemonic',
  '*.jwtSecret',
  '*.secret',
  '*.token',
  '*.tokens',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'config.keystorePassphrase',
  'keystorePassphrase',
];

/**
 * The service's logger: JSON lines on `fd` (stdout by default) through a destination that never
 * blocks the event loop and drops lines it cannot write (issue 19 §4: a full disk must not hang
 * the service). `destination` is exposed for its drop counter and its `flush`.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  fd = 1,
): Logger & { readonly destination: NonBlockingDestination } {
  const destination = new NonBlockingDestination(fd);
  const logger = pino(
    {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'verdict-oracle' },
    },
    destination,
  );
  return Object.assign(logger, { destination });
}
