/**
 * Child process entry: the floor any Express 5 service sits on. One route, `GET /x`, answering the
 * bytes and headers the bench passes (`BENCH_BARE_BODY_FILE`, `BENCH_BARE_HEADERS` as JSON): the
 * same answer as the Verdict route it is compared with, without its middleware, database or views.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { memoryMiB, serveParent } from './child.ts';

const body = readFileSync(process.env['BENCH_BARE_BODY_FILE'] ?? '');
const headers = JSON.parse(process.env['BENCH_BARE_HEADERS'] ?? '{}') as Record<string, string>;
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/x', (_req, res) => {
  res.set(headers);
  res.send(body);
});
const server = app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
server.keepAliveTimeout = 5000;
const { port } = server.address() as AddressInfo;
serveParent(
  { url: `http://127.0.0.1:${port}`, pid: process.pid },
  {
    memory: () => memoryMiB(),
    stop: () => {
      server.close();
      server.closeAllConnections();
      setImmediate(() => process.exit(0));
    },
  },
);
