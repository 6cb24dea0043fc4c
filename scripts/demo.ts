/**
 * `npm run demo [-- --keep] [-- --rpc URL [--rpc-cookie FILE]]`: the whole story of one contract
 * on a private chain (see scripts/demo/story.ts): the embedded devnet, or with `--rpc` any
 * Core-compatible regtest node (`http://user:pass@host:port` or a cookie file; also
 * VERDICT_DEMO_BITCOIN_RPC / VERDICT_DEMO_BITCOIN_RPC_COOKIE). Exit status: 0 when every
 * milestone settled as the terms say, 1 otherwise (the reason is printed last), 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { runDemo, type DemoOptions } from './demo/story.ts';

let values: { keep?: boolean; rpc?: string; 'rpc-cookie'?: string };
try {
  ({ values } = parseArgs({
    options: {
      keep: { type: 'boolean' },
      rpc: { type: 'string' },
      'rpc-cookie': { type: 'string' },
    },
  }));
} catch (e) {
  console.error(`${e instanceof Error ? e.message : String(e)}
usage: npm run demo -- [--keep] [--rpc URL [--rpc-cookie FILE]]`);
  process.exit(2);
}
const url = values.rpc ?? process.env['VERDICT_DEMO_BITCOIN_RPC'];
const cookieFile = values['rpc-cookie'] ?? process.env['VERDICT_DEMO_BITCOIN_RPC_COOKIE'];
const opts: DemoOptions = {
  keep: values.keep === true,
  ...(url === undefined || url === ''
    ? {}
    : { node: cookieFile === undefined || cookieFile === '' ? { url } : { url, cookieFile } }),
};
const result = await runDemo({ line: (text) => console.log(text) }, opts);
if (!result.ok) {
  console.error(`demo failed: ${result.problems.join('; ')}`);
  process.exitCode = 1;
}
