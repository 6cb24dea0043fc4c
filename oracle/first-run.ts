/**
 * The message `npm start` prints once it serves (issue 8): where everything is and what to do
 * next. Plain text for a person on stdout; the logs stay pino JSON. The mnemonic is never part of
 * it: the operator prints it on purpose with `verdict oracle backup`.
 */
import { relative, resolve } from 'node:path';
import { paths } from './data-dir.ts';

export interface FirstRunInfo {
  /** Where the service listens, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly dataDir: string;
  readonly oraclePublicKey: string;
  /** This start created the keystore. */
  readonly keystoreCreated: boolean;
  /** The keystore passphrase is the generated `<dataDir>/keystore.pass` (zero-config dev). */
  readonly passphraseInDataDir: boolean;
  /** The embedded devnet, the reason it is not running, or `off` (VERDICT_DEVNET=off). */
  readonly devnet:
    | { readonly url: string; readonly cookieFile: string }
    | { readonly unavailable: string }
    | 'off';
  /** The working directory, to show short paths and to know whether ./data is the data dir. */
  readonly cwd?: string;
}

/** The message, lines joined with `\n`, ending with a newline. */
export function firstRunMessage(info: FirstRunInfo): string {
  const cwd = info.cwd ?? process.cwd();
  const show = (p: string): string => {
    const r = relative(cwd, p);
    return r !== '' && !r.startsWith('..') ? r : p;
  };
  const p = paths(info.dataDir);
  // The CLI finds the data dir through the same variable as the server.
  const cli =
    resolve(cwd, 'data') === resolve(info.dataDir)
      ? 'npm run verdict --'
      : `VERDICT_DATA_DIR=${show(info.dataDir)} npm run verdict --`;
  const base = info.url.replace(/\/$/, '');
  const lines = [
    '',
    'Verdict is running.',
    '',
    `  API              ${base}/v1`,
    `  API docs         ${base}/docs`,
    `  Arbiter UI       ${base}/arbiter/`,
    `  Health           ${base}/healthz`,
  ];
  const d = info.devnet;
  if (d === 'off') {
    lines.push('  Devnet           off (VERDICT_DEVNET=off)');
  } else if ('unavailable' in d) {
    lines.push(`  Devnet           not started: ${d.unavailable}`);
  } else {
    lines.push(
      `  Devnet RPC       ${d.url}  (regtest, Bitcoin Core JSON-RPC)`,
      `  Devnet cookie    ${show(d.cookieFile)}`,
    );
  }
  lines.push(
    '',
    `  Data dir         ${show(info.dataDir)}`,
    `  Oracle keystore  ${show(p.keystore)}${info.keystoreCreated ? '  (created now)' : ''}`,
    `  Oracle key       ${info.oraclePublicKey}`,
  );
  if (info.passphraseInDataDir) {
    lines.push(
      `  Passphrase       ${show(p.passphrase)}  (development only: set VERDICT_KEYSTORE_PASSPHRASE_FILE in production)`,
    );
  }
  lines.push('', 'Next:');
  if (info.keystoreCreated) {
    lines.push(
      `  Back up the oracle key's 24-word mnemonic NOW, offline (without it a lost data dir`,
      `  means the oracle can never attest its open events):`,
      `      ${cli} oracle backup`,
    );
  } else {
    lines.push(`  Back up the oracle key's mnemonic (offline):  ${cli} oracle backup`);
  }
  lines.push(
    `  Create an admin token:   ${cli} oracle admin-token`,
    `  Invite an arbiter:       ${cli} arbiter invite <id> --name "<display name>"${base === 'http://127.0.0.1:8080' ? '' : ` --url ${base}`}`,
  );
  if (d !== 'off' && !('unavailable' in d)) {
    lines.push(
      `  Parties' wallets use the devnet (or VERDICT_BITCOIN_RPC pointed at your own Bitcoin Core):`,
      `      export VERDICT_BITCOIN_RPC=${d.url} VERDICT_BITCOIN_RPC_COOKIE=${show(d.cookieFile)}`,
      '      npm run verdict -- dlc --help',
      `      VERDICT_ORACLE_URL=${base} npm run verdict -- app --party <name>   (the parties' app)`,
    );
  }
  lines.push('  Try the whole story:     npm run demo', '  Stop:                    Ctrl-C', '');
  return lines.join('\n') + '\n';
}
