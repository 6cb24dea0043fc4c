import express, { type Express } from 'express';
import type { AppContext } from './context.ts';
import { errorHandler } from './http/error-handler.ts';
import { registerRoutes } from './http/routes.ts';

/** Builds the Express app from the context. No `listen`: the server entry and the tests do that. */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  // Strong ETags are set explicitly where content is immutable (http-cache.ts).
  app.set('etag', false);
  app.set('query parser', 'simple');
  registerRoutes(app, ctx);
  app.use(errorHandler(ctx));
  return app;
}
