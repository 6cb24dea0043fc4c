import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { startDevnet } from '../../src/chain/devnet/index.ts';
import type { Devnet } from '../../src/chain/devnet/index.ts';
import {
  FeeEstimateError,
  RpcAuthError,
  RpcError,
  RpcProtocolError,
  RpcRejectedError,
  RpcTransportError,
} from '../../src/chain/errors.ts';

interface Scripted {
  status: number;
  body: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A loopback HTTP server answering each request with the next scripted reply (the last repeats). */
async function scriptedServer(
  replies: Scripted[],
): Promise<{ url: string; requests: { method: string }[] }> {
  const requests: { method: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { method: string };
      requests.push({ method: parsed.method });
      const reply = replies[Math.min(requests.length - 1, replies.length - 1)]!;
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
  });
  const url = await listen(server);
  return { url, requests };
}

async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const ok = (result: string): Scripted => ({
  status: 200,
  body: `{"result":${result},"error":null,"id":1}`,
});
const rpcError = (code: number, message: string): Scripted => ({
  status: 500,
  body: JSON.stringify({ result: null, error: { code, message }, id: 1 }),
});

function client(
  url: string,
  extra: Partial<ConstructorParameters<typeof BitcoinRpcClient>[0]> = {},
): BitcoinRpcClient {
  return new BitcoinRpcClient({
    url,
    username: 'u',
    password: 'p',
    retries: 3,
    retryDelayMs: 5,
    ...extra,
  });
}

describe('BitcoinRpcClient: retries and errors', () => {
  it('retries "Work queue depth exceeded" (503) and a 5xx without a JSON-RPC body', async () => {
    const server = await scriptedServer([
      { status: 503, body: 'Work queue depth exceeded' },
      { status: 502, body: '<html>bad gateway</html>' },
      ok('101'),
    ]);
    expect(await client(server.url).getBlockCount()).toBe(101);
    expect(server.requests).toHaveLength(3);
  });

  it('retries while the node warms up (-28)', async () => {
    const server = await scriptedServer([rpcError(-28, 'Loading block index…'), ok('7')]);
    expect(await client(server.url).getBlockCount()).toBe(7);
    expect(server.requests).toHaveLength(2);
  });

  it('never retries a rejection, and carries the node code and reason', async () => {
    const server = await scriptedServer([rpcError(-26, 'min relay fee not met, 0 < 110')]);
    const error: unknown = await client(server.url)
      .sendRawTransaction('00')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcRejectedError);
    expect(error).toMatchObject({
      rpcCode: -26,
      reason: 'min relay fee not met',
      message: 'min relay fee not met, 0 < 110',
      code: 'chain_tx_rejected',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry other node errors either', async () => {
    const server = await scriptedServer([rpcError(-8, 'Block height out of range')]);
    const error: unknown = await client(server.url)
      .getBlockHash(5)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).not.toBeInstanceOf(RpcRejectedError);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the configured retries with RpcTransportError', async () => {
    const server = await scriptedServer([{ status: 503, body: 'Work queue depth exceeded' }]);
    await expect(client(server.url, { retries: 2 }).getBlockCount()).rejects.toBeInstanceOf(
      RpcTransportError,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('retries a reset connection for reads, but not for generatetoaddress', async () => {
    const upstream = await scriptedServer([ok('42'), ok(`["${'ab'.repeat(32)}"]`)]);
    const upstreamPort = Number(new URL(upstream.url).port);
    // A TCP proxy in front of the JSON-RPC server that resets the connection carrying the 1st
    // and the 3rd request and forwards the others.
    let requests = 0;
    const sockets = new Set<Socket>();
    const proxy = createTcpServer((socket: Socket) => {
      sockets.add(socket);
      const forward = connect(upstreamPort, '127.0.0.1');
      sockets.add(forward);
      forward.pipe(socket);
      socket.on('data', (chunk: Buffer) => {
        requests++;
        if (requests === 1 || requests === 3) {
          socket.resetAndDestroy();
          forward.destroy();
        } else {
          forward.write(chunk);
        }
      });
      socket.on('error', () => forward.destroy());
      forward.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          proxy.close(() => resolve());
        }),
    );
    const rpc = client(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`);
    expect(await rpc.getBlockCount()).toBe(42);
    expect(upstream.requests).toHaveLength(1);
    await expect(rpc.generateToAddress(1, 'bcrt1qexample')).rejects.toBeInstanceOf(
      RpcTransportError,
    );
    expect(requests).toBe(3);
    expect(upstream.requests).toHaveLength(1);
  });

  it('retries a refused connection until the node is up', async () => {
    const probe = createServer();
    const port = Number(new URL(await listen(probe)).port);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const rpc = new BitcoinRpcClient({
      url: `http://u:p@127.0.0.1:${port}/`,
      retries: 8,
      retryDelayMs: 20,
    });
    const pending = rpc.getBlockCount();
    const late = createServer((_req, res) => {
      res.writeHead(200).end('{"result":3,"error":null,"id":1}');
    });
    await listen(late, port);
    expect(await pending).toBe(3);
  });

  it('times out a silent node and reports a transport error', async () => {
    const silent = createServer(() => {
      /* never answers */
    });
    const url = await listen(silent);
    const error: unknown = await client(url, { timeoutMs: 50, retries: 1 })
      .getBlockCount()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcTransportError);
    expect((error as Error).message).toMatch(/timed out after 50 ms/);
  });

  it('refuses a reply that is not JSON-RPC', async () => {
    const server = await scriptedServer([{ status: 200, body: 'hello' }]);
    await expect(client(server.url).getBlockCount()).rejects.toBeInstanceOf(RpcProtocolError);
  });

  it('converts BTC amounts to satoshis exactly, never through a float', async () => {
    const server = await scriptedServer([
      ok(
        '{"bestblock":"' +
          '00'.repeat(32) +
          '","confirmations":3,"value":20999999.99999999,"scriptPubKey":{"hex":"0014' +
          '11'.repeat(20) +
          '","type":"witness_v0_keyhash"},"coinbase":false}',
      ),
      ok(
        '{"bestblock":"' +
          '00'.repeat(32) +
          '","confirmations":0,"value":0.00001,"scriptPubKey":{"hex":"51"},"coinbase":true}',
      ),
      ok('{"feerate":0.00001234,"blocks":2}'),
      ok('{"errors":["Insufficient data or no feerate found"],"blocks":0}'),
    ]);
    const rpc = client(server.url);
    expect((await rpc.getTxOut('aa'.repeat(32), 0))?.valueSat).toBe(2_099_999_999_999_999n);
    expect((await rpc.getTxOut('aa'.repeat(32), 1))?.valueSat).toBe(1_000n);
    // 1234 sat/kvB is 1.234 sat/vB, rounded up.
    expect(await rpc.estimateFeeRateSatPerVb(2)).toBe(2n);
    expect(await rpc.estimateFeeRateSatPerVb(2)).toBeNull();
  });
});

describe('BitcoinRpcClient: amounts in any JSON number form, fee rates checked', () => {
  const txOut = (value: string): Scripted =>
    ok(
      `{"bestblock":"${'00'.repeat(32)}","confirmations":1,"value":${value},` +
        `"scriptPubKey":{"hex":"51"},"coinbase":false}`,
    );

  it.each([
    ['5e-7', 50n],
    ['1E-8', 1n],
    ['0.00000001', 1n],
    ['21000000', 2_100_000_000_000_000n],
    ['2.1e7', 2_100_000_000_000_000n],
    ['1.2345E-3', 123_450n],
  ])('gettxout value %s is %d sat', async (value, sats) => {
    const server = await scriptedServer([txOut(value)]);
    expect((await client(server.url).getTxOut('aa'.repeat(32), 0))?.valueSat).toBe(sats);
  });

  it('a value finer than a satoshi is a protocol error, not a rounded amount', async () => {
    const server = await scriptedServer([txOut('1e-9')]);
    const error = await client(server.url)
      .getTxOut('aa'.repeat(32), 0)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcProtocolError);
    expect((error as Error).message).toMatch(/finer than a satoshi/);
  });

  it.each([
    ['0.00001', 1n],
    ['1e-5', 1n],
    ['2.5E-5', 3n],
    ['0.1', 10_000n],
  ])('estimatesmartfee %s BTC/kvB is %d sat/vB', async (feerate, satPerVb) => {
    const server = await scriptedServer([ok(`{"feerate":${feerate},"blocks":2}`)]);
    expect(await client(server.url).estimateFeeRateSatPerVb(2)).toBe(satPerVb);
  });

  it.each([
    ['-0.0001', /not above zero/],
    ['0', /not above zero/],
    ['0e-8', /not above zero/],
    ['-1e-5', /not above zero/],
    ['0.10000001', /above 10000 sat\/vB/],
    ['1', /above 10000 sat\/vB/],
    ['21000000', /above 10000 sat\/vB/],
    ['1e300', /not an amount/],
    ['1e-9', /not an amount/],
  ])('estimatesmartfee %s BTC/kvB is refused', async (feerate, why) => {
    const server = await scriptedServer([ok(`{"feerate":${feerate},"blocks":2}`)]);
    const error = await client(server.url)
      .estimateFeeRateSatPerVb(2)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeeEstimateError);
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toContain(`feerate ${feerate} BTC/kvB: refused`);
  });

  it.each(['NaN', '"0.0001"', 'null', '-Infinity'])(
    'estimatesmartfee feerate %s (not a JSON number) is refused',
    async (feerate) => {
      const server = await scriptedServer([ok(`{"feerate":${feerate},"blocks":2}`)]);
      await expect(client(server.url).estimateFeeRateSatPerVb(2)).rejects.toBeInstanceOf(
        RpcProtocolError,
      );
    },
  );
});

describe('BitcoinRpcClient: authentication against devnet', () => {
  let dataDir: string;
  let devnet: Devnet;

  async function start(port = 0): Promise<Devnet> {
    devnet = await startDevnet({
      dataDir,
      port,
      rpcUser: 'verdict',
      rpcPassword: 's3cret:with@odd/chars',
    });
    return devnet;
  }

  afterEach(async () => {
    await devnet.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('authenticates with the cookie file, and re-reads it after the node restarts', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'verdict-rpc-auth-'));
    await start();
    const rpc = new BitcoinRpcClient({
      url: devnet.url,
      cookieFile: devnet.cookieFile!,
      retryDelayMs: 5,
    });
    expect(await rpc.getBlockCount()).toBe(0);
    const port = Number(new URL(devnet.url).port);
    await devnet.stop();
    await start(port);
    // A new cookie was written; the client's first try gets 401 and reads the file again.
    expect(await rpc.getBlockCount()).toBe(0);
  });

  it('authenticates with user and password, in the URL or as options', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'verdict-rpc-auth-'));
    await start();
    const port = new URL(devnet.url).port;
    const inUrl = new BitcoinRpcClient({
      url: `http://verdict:${encodeURIComponent('s3cret:with@odd/chars')}@127.0.0.1:${port}`,
    });
    expect((await inUrl.getBlockchainInfo()).chain).toBe('regtest');
    const asOptions = new BitcoinRpcClient({
      url: devnet.url,
      username: 'verdict',
      password: 's3cret:with@odd/chars',
    });
    expect(await asOptions.getBlockCount()).toBe(0);
  });

  it('reports a wrong password as RpcAuthError without retrying', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'verdict-rpc-auth-'));
    await start();
    const rpc = new BitcoinRpcClient({ url: devnet.url, username: 'verdict', password: 'wrong' });
    const error: unknown = await rpc.getBlockCount().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcAuthError);
    expect((error as Error).message).toMatch(/rejected the RPC credentials \(HTTP 401\)/);
  });

  it('reports a missing cookie file clearly', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'verdict-rpc-auth-'));
    await start();
    const rpc = new BitcoinRpcClient({
      url: devnet.url,
      cookieFile: join(dataDir, 'nope', '.cookie'),
    });
    await expect(rpc.getBlockCount()).rejects.toThrow(/cannot read the RPC cookie file/);
  });
});
