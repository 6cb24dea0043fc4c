/**
 * `npm start`: the server entry. Loads the config, starts the service, and stops it gracefully on
 * SIGTERM/SIGINT. Exit codes: 0 clean stop, 1 failure at start, 2 invalid configuration.
 */
import { BitcoinRpcClient } from '../src/chain/bitcoin-rpc-client.ts';
import { ConfigError, loadConfig } from './config.ts';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DataDirLockedError, DataDirModeError } from './data-dir.ts';
import { DevnetUnavailableError, startEmbeddedDevnet, type EmbeddedDevnet } from './devnet.ts';
import { firstRunMessage, type FirstRunInfo } from './first-run.ts';
import { createLogger } from './logger.ts';
import { plainHttpExposureWarning, startServer } from './server.ts';

// Issue 19 §4: a write error on stdout/stderr (a full disk, a closed pipe) loses that output; it
// must not crash or stop the service.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

let logger: ReturnType<typeof createLogger> | undefined;

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
  const log = createLogger(config);
  logger = log;
  // Issue 19 §12e: on stderr as well as in the log, where an operator starting it will see it.
  const exposure = plainHttpExposureWarning(config);
  if (exposure !== undefined) say(`verdict: WARNING: ${exposure}`);
  let running;
  try {
    running = await startServer(config, { logger: log });
  } catch (e) {
    if (e instanceof DataDirLockedError || e instanceof DataDirModeError) {
      say(`verdict: ${e.message}`);
      return 1;
    }
    log.fatal({ err: e }, 'could not start');
    return 1;
  }
  // Issue 8: the embedded devnet for the parties (a port in use leaves the service running
  // without it), then the first-run message on stdout.
  let devnet: EmbeddedDevnet | undefined;
  let devnetInfo: FirstRunInfo['devnet'] = 'off';
  if (config.devnet) {
    try {
      devnet = await startEmbeddedDevnet(config, log);
      devnetInfo = { url: devnet.url, cookieFile: devnet.cookieFile };
      // Issue 16: with no VERDICT_BITCOIN_RPC, the tower broadcasts to the embedded devnet.
      if (config.bitcoinRpc === undefined) {
        running.setTowerChain(
          new BitcoinRpcClient({ url: devnet.url, cookieFile: devnet.cookieFile }),
        );
      }
    } catch (e) {
      if (!(e instanceof DevnetUnavailableError)) {
        log.fatal({ err: e }, 'could not start the devnet');
        await running.close();
        return 1;
      }
      log.warn({ err: e }, 'devnet not started');
      devnetInfo = { unavailable: e.message };
    }
  }
  const r = running;
  // The handlers are in place before the message: whoever reads it may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      Promise.all([r.close(), devnet?.stop()]).then(
        () => resolve(),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve();
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.stdout.write(
    firstRunMessage({
      url: running.url,
      dataDir: config.dataDir,
      oraclePublicKey: bytesToHex(running.ctx.engine.publicKey),
      keystoreCreated: running.keystoreCreated,
      passphraseInDataDir:
        config.keystorePassphrase === undefined && config.keystorePassphraseFile === undefined,
      devnet: devnetInfo,
    }),
  );
  if (running.continuity.heldEvents > 0) {
    say(
      `verdict: QUARANTINE: ${running.continuity.heldEvents} event(s) are held and will not be decided: ${running.continuity.quarantineReason ?? 'held by an earlier start'}. Stop the service and run "verdict oracle quarantine" to see what to do.`,
    );
  }
  await stopped;
  return 0;
}

// Exit explicitly once the logs are flushed (at most a second): a log write stuck on a full disk
// or a reader-less pipe must not keep a stopped service alive (issue 19 §4).
const exit = (code: number) => {
  void (logger?.destination.flush(1000) ?? Promise.resolve()).then(() => process.exit(code));
};
main().then(exit, (err: unknown) => {
  say(`verdict: ${err instanceof Error ? err.message : String(err)}`);
  exit(1);
});
