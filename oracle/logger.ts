import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

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

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'verdict-oracle' },
  });
}
