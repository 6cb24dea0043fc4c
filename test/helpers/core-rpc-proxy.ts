/**
 * A JSON-RPC proxy in front of a node that lets through only Bitcoin Core's own methods (those
 * below) and records every call: put it in front of devnet and whatever runs through it is shown
 * to need nothing but Core's RPC (no `devnet_*`). Anything else is answered as Core answers an
 * unknown method (HTTP 404, `-32601 Method not found`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Bitcoin Core RPCs (non-wallet) that Verdict may call. */
export const CORE_METHODS: ReadonlySet<string> = new Set([
  'getblockchaininfo',
  'getblockcount',
  'getblockhash',
  'getblock',
  'getrawtransaction',
  'gettxout',
  'sendrawtransaction',
  'testmempoolaccept',
  'estimatesmartfee',
  'getmempoolentry',
  'getrawmempool',
  'scantxoutset',
  'generatetoaddress',
  'setmocktime',
]);

export interface CoreOnlyProxy {
  readonly url: string;
  /** Every method called, with its count. */
  readonly calls: Map<string, number>;
  /** Methods refused (not Core's). */
  readonly refused: string[];
  close(): Promise<void>;
}

export async function startCoreOnlyProxy(target: string): Promise<CoreOnlyProxy> {
  const calls = new Map<string, number>();
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let requests: { method?: unknown; id?: unknown }[] = [];
        try {
          const parsed = JSON.parse(body) as unknown;
          requests = (Array.isArray(parsed) ? parsed : [parsed]) as typeof requests;
        } catch {
          requests = [];
        }
        const methods = requests.map((r) => String(r.method));
        for (const m of methods) calls.set(m, (calls.get(m) ?? 0) + 1);
        const bad = methods.filter((m) => !CORE_METHODS.has(m));
        if (bad.length > 0) {
          refused.push(...bad);
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              result: null,
              error: { code: -32601, message: 'Method not found' },
              id: requests[0]?.id ?? null,
            }),
          );
          return;
        }
        try {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (req.headers.authorization !== undefined)
            headers['authorization'] = req.headers.authorization;
          const r = await fetch(target, { method: 'POST', headers, body });
          res.writeHead(r.status, {
            'content-type': r.headers.get('content-type') ?? 'text/plain',
          });
          res.end(Buffer.from(await r.arrayBuffer()));
        } catch (e) {
          res.writeHead(502);
          res.end(e instanceof Error ? e.message : String(e));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    calls,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
