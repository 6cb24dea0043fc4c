import type { RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import type { RouteName, RouteRule } from './access.ts';

/** Records one answered request of a route: its status, and its latency since `startMs`. */
export type RequestRecorder = (status: number, startMs: number) => void;

/**
 * The request counter, latency histogram and debug line of one route of the role × route table,
 * with the metric series' label keys built once (perf: issue 10 §3, `npm run bench -- api`).
 */
export function requestRecorder(
  ctx: AppContext,
  name: RouteName,
  rule: RouteRule,
): RequestRecorder {
  const observe = ctx.metrics.httpDuration.bind({ route: name });
  const countByStatus = new Map<number, () => void>();
  return (status, startMs) => {
    const sec = (performance.now() - startMs) / 1000;
    let count = countByStatus.get(status);
    if (count === undefined) {
      count = ctx.metrics.httpRequests.bind({ route: name, status: String(status) });
      countByStatus.set(status, count);
    }
    count();
    // Method, route name and status only: never headers (Authorization) or bodies.
    if (ctx.logger.isLevelEnabled('debug'))
      ctx.logger.debug({ method: rule.method, route: name, status, ms: sec * 1000 }, 'request');
    observe(sec);
  };
}

/** The middleware that records every request of a route when its response finishes. */
export function requestMetrics(record: RequestRecorder): RequestHandler {
  return (_req, res, next) => {
    const startMs = performance.now();
    res.on('finish', () => {
      record(res.statusCode, startMs);
    });
    next();
  };
}
