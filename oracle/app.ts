import express, { type Express } from 'express';
import { installArbitration } from './arbitration/index.ts';
import { installCi } from './ci/index.ts';
import type { AppContext } from './context.ts';
import { errorHandler } from './http/error-handler.ts';
import { EventAnswers } from './http/event-answers.ts';
import { notFoundHandler, registerRoutes } from './http/routes.ts';
import { securityHeaders } from './http/security-headers.ts';
import { writeRateLimit } from './http/write-limit.ts';
import { registerTowerRoutes } from './tower/routes.ts';

/** Builds the Express app from the context. No `listen`: the server entry and the tests do that. */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  // Perf (issue 10 §3): plain reads of cached events are answered before any other layer, with
  // the security headers among their precomputed ones; everything else falls through.
  const eventAnswers = new EventAnswers(ctx);
  app.use(eventAnswers.fastPath());
  app.use(securityHeaders());
  app.use(writeRateLimit(ctx.config.writeRatePerMin, ctx.config.writeBytesPerMin));
  // Strong ETags are set explicitly where content is immutable (http-cache.ts).
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Behind a TLS proxy: req.protocol/secure/ip from X-Forwarded-* of the configured proxies only
  // (the arbiter cookies' Secure flag, the CSRF origin check and the write limit depend on them).
  if (ctx.config.trustProxy !== undefined) app.set('trust proxy', ctx.config.trustProxy);
  // Issue 6: arbitration routes, before registerRoutes (whose last handler is the 404 catch-all).
  installArbitration(app, ctx);
  registerRoutes(app, ctx, eventAnswers);
  // Issue 7: CI attestation routes (oracle/ci).
  installCi(app, ctx);
  // Issue 16: the watchtower's upload and status routes (oracle/tower).
  registerTowerRoutes(app, ctx);
  app.use(notFoundHandler());
  app.use(errorHandler(ctx));
  return app;
}
