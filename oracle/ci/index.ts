/**
 * Installs CI attestation into the service (issue 7): its tables' store, the OIDC verifier of the
 * configured issuer, the CI-token key, and its routes. `createApp` calls this once, before the
 * error handler.
 */
import type { Express } from 'express';
import type { AppContext } from '../context.ts';
import { loadOrCreateJwtSecret } from '../data-dir.ts';
import { ciTokenKey } from './ci-token.ts';
import { CiStore } from './ci-store.ts';
import { OidcVerifier } from './oidc.ts';
import { registerCiRoutes } from './routes.ts';
import type { CiModule } from './service.ts';

export function installCi(app: Express, ctx: AppContext): CiModule {
  const ci: CiModule = {
    store: new CiStore(ctx.db),
    oidc: new OidcVerifier({
      issuer: ctx.config.ciOidcIssuer,
      jwksUrl: ctx.config.ciOidcJwksUrl,
      audience: ctx.config.ciOidcAudience,
      // The service's clock is in epoch seconds; the verifier's in milliseconds.
      now: () => ctx.now() * 1000,
    }),
    // The same secret as party tokens, under its own HKDF label (ci-token.ts).
    tokenKey: ciTokenKey(loadOrCreateJwtSecret(ctx.config.dataDir)),
    logger: ctx.logger.child({ subsystem: 'ci' }),
  };
  registerCiRoutes(app, ctx, ci);
  return ci;
}
