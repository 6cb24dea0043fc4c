/**
 * `npm start`: the server entry. Loads the config, starts the service, and stops it gracefully on
 * SIGTERM/SIGINT. Exit codes: 0 clean stop, 1 failure at start, 2 invalid configuration.
 */
import { ConfigError, loadConfig } from './config.ts';
import { DataDirLockedError } from './data-dir.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      say(e.message);
      return 2;
    }
    throw e;
  }
  const logger = createLogger(config);
  let running;
  try {
    running = await startServer(config, { logger });
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      say(`verdict: ${e.message}`);
      return 1;
    }
    logger.fatal({ err: e }, 'could not start');
    return 1;
  }
  if (running.keystoreCreated) {
    say(
      [
        '',
        '  A new oracle key was created in ' + config.dataDir + '/oracle.keystore.json.',
        '  Back up its 24-word mnemonic NOW, offline:  npm run verdict -- oracle backup',
        '  Without it, a lost data dir means the oracle can never attest its open events.',
        '',
      ].join('\n'),
    );
  }
  const r = running;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      r.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(`verdict: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
