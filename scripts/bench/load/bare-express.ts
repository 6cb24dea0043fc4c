/**
 * Child process entry: the floor any Express 5 service sits on. GET routes answering fixed bytes
 * and headers (`BENCH_BARE_ROUTES`: JSON `[{ path, bodyFile, headers }]`): the same answers as the
 * Verdict routes they are compared with, without their middleware, database or views.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { memoryMiB, serveParent } from './child.ts';

const routes = JSON.parse(process.env['BENCH_BARE_ROUTES'] ?? '[]') as {
  path: string;
  bodyFile: string;
  headers: Record<string, string>;
}[];
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
for (const r of routes) {
  const body = readFileSync(r.bodyFile);
  app.get(r.path, (_req, res) => {
    res.set(r.headers);
    res.send(body);
  });
}
const server = app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
server.keepAliveTimeout = 5000;
const { port } = server.address() as AddressInfo;
serveParent(
  { url: `http://127.0.0.1:${port}`, pid: process.pid },
  {
    memory: () => memoryMiB(),
    cpu: () => process.cpuUsage(),
    stop: () => {
      server.close();
      server.closeAllConnections();
      setImmediate(() => process.exit(0));
    },
  },
);
