/**
 * Connection limits (issue 19 §5), on the Node server below Express:
 *
 * - a total cap (`server.maxConnections`): past it, new sockets are closed at once, so the
 *   process keeps file descriptors for its database and its own work; within the last tenth of
 *   it, each new connection closes the oldest idle ones (keep-alive sockets with no request in
 *   flight, sockets that have not finished their headers), so newcomers still get in;
 * - a cap per client socket address: one address cannot take the total for itself, so health
 *   checks and the other party's decisions keep getting connections;
 * - a body deadline: a request's body must arrive within `bodyTimeoutMs` of its headers, else
 *   `408 request_timeout` (JSON, security headers) and the connection is closed; and a request
 *   answered before its body arrived (a GET with a `Content-Length` that trickles) has its
 *   connection closed after the answer instead of waiting for the rest of the body.
 *
 * The per-address cap counts socket addresses: behind a reverse proxy every connection comes
 * from the proxy, so raise `VERDICT_MAX_CONNECTIONS_PER_ADDRESS` there (or set it to 0) and let
 * the proxy limit its clients.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { SECURITY_HEADERS } from './security-headers.ts';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly bodyTimeoutMs: number;
}

/** Counters for metrics and the abuse harness. */
export interface ConnectionStats {
  open: number;
  refusedPerAddress: number;
  bodyTimeouts: number;
  cutAfterAnswer: number;
  evictedIdle: number;
}

/** How long a connection may keep sending after its reply, or after its 408, before it is destroyed. */
const GRACE_MS = 2000;

function closeSoon(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), GRACE_MS).unref();
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function answerTimeout(res: ServerResponse): void {
  const body = JSON.stringify({
    error: { code: 'request_timeout', message: 'the request body did not arrive in time' },
  });
  res.shouldKeepAlive = false;
  res.writeHead(408, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}

export function guardConnections(server: Server, limits: ConnectionLimits): ConnectionStats {
  const stats: ConnectionStats = {
    open: 0,
    refusedPerAddress: 0,
    bodyTimeouts: 0,
    cutAfterAnswer: 0,
    evictedIdle: 0,
  };
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  const perAddress = new Map<string, number>();

  // Sockets with no request in flight, oldest first: near the total cap, the oldest of them are
  // closed to keep room for new clients (a socket that never finishes its headers is one of them).
  const idle = new Map<Socket, true>();
  const reserve = Math.max(1, Math.floor(limits.maxConnections / 10));

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const n = (perAddress.get(address) ?? 0) + 1;
    if (limits.maxConnectionsPerAddress > 0 && n > limits.maxConnectionsPerAddress) {
      stats.refusedPerAddress += 1;
      socket.destroy();
      return;
    }
    perAddress.set(address, n);
    stats.open += 1;
    socket.once('close', () => {
      stats.open -= 1;
      idle.delete(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
    if (limits.maxConnections > 0) {
      let over = stats.open - (limits.maxConnections - reserve);
      for (const old of idle.keys()) {
        if (over <= 0) break;
        idle.delete(old);
        stats.evictedIdle += 1;
        old.destroy();
        over -= 1;
      }
    }
    idle.set(socket, true);
  });

  // Before Express's own listener, so that a reply written synchronously is still seen.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    idle.delete(socket);
    if (hasBody(req) && !req.complete) {
      // A reply written before the body has arrived says `Connection: close`, so that the client
      // does not reuse a socket that is closed after the reply (below).
      const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
      res.writeHead = (...args: unknown[]) => {
        if (!req.complete) {
          res.shouldKeepAlive = false;
          // Lingering close: Node ends such a connection with `destroySoon`, which closes the
          // socket while the client is still sending, and the reset can lose the reply at the
          // client. Half-close instead (FIN now, keep draining); the deadline below destroys it.
          socket.destroySoon = () => {
            socket.end();
          };
        }
        return writeHead(...args);
      };
    }
    res.once('finish', () => {
      if (!socket.destroyed) idle.set(socket, true);
    });
    if (!hasBody(req) || req.complete) return;
    const timer = setTimeout(() => {
      if (req.complete) return;
      stats.bodyTimeouts += 1;
      if (!res.headersSent) {
        res.once('finish', () => closeSoon(req.socket));
        answerTimeout(res);
      } else closeSoon(req.socket);
    }, limits.bodyTimeoutMs);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    res.once('finish', () => {
      if (req.complete) return;
      // Answered before the body arrived: drain what comes within the grace period, then close;
      // never wait for the rest of a trickling body.
      clearTimeout(timer);
      stats.cutAfterAnswer += 1;
      setTimeout(() => socket.destroy(), GRACE_MS).unref();
    });
  });
  return stats;
}
