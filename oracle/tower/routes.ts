/**
 * The tower's HTTP routes (issue 16), through the service's `authorize` with their rows in the
 * role × route table (route-table.ts): a party uploads its signatures for a milestone's DLC; the
 * parties and the operator read what the tower holds and did.
 */
import express, { type Express } from 'express';
import { z } from 'zod';
import { InvalidTowerUploadError } from '../../src/dlc/tower.ts';
import type { AppContext } from '../context.ts';
import { getContract } from '../domain/contracts.ts';
import { AppError, ForbiddenError, NotFoundError } from '../errors.ts';
import { authorize, principalOf } from '../http/access.ts';
import { towerUploadInput, type towerUploadView } from './api.ts';
import { TOWER_ROUTES } from './route-table.ts';
import type { Tower } from './tower.ts';

const contractIdParam = z.string().regex(/^[0-9a-f]{16}$/);
const indexParam = z
  .string()
  .regex(/^(0|[1-9]\d{0,2})$/)
  .transform(Number);

function milestoneOf(
  ctx: AppContext,
  params: unknown,
): { contractId: string; index: number; eventId: string } {
  const p = params as { id?: unknown; index?: unknown };
  const id = contractIdParam.safeParse(p.id);
  if (!id.success) throw new NotFoundError('contract_not_found', 'no such contract');
  const index = indexParam.safeParse(p.index);
  if (!index.success) throw new NotFoundError('milestone_not_found', 'no such milestone');
  getContract(ctx, id.data);
  const m = ctx.stores.milestoneByIndex(id.data, index.data);
  if (m === undefined) throw new NotFoundError('milestone_not_found', 'no such milestone');
  return { contractId: id.data, index: index.data, eventId: m.event_id };
}

function towerOf(ctx: AppContext): Tower {
  if (ctx.tower === undefined)
    throw new AppError('tower_unavailable', 'this service runs no tower');
  return ctx.tower;
}

export function registerTowerRoutes(app: Express, ctx: AppContext): void {
  // The three DLC messages and the CET signatures together, in hex: at most twice the size one
  // DLC message may have (the default 1 MiB allows 2 MiB of bytes, 4 MiB of JSON).
  const uploadJson = express.json({ limit: ctx.config.dlcMessageMaxBytes * 4 + 4096 });

  app.post(
    TOWER_ROUTES.towerUpload.path,
    uploadJson,
    authorize(ctx, TOWER_ROUTES.towerUpload),
    (req, res) => {
      const m = milestoneOf(ctx, req.params);
      const principal = principalOf(res);
      if (principal?.kind !== 'party')
        throw new ForbiddenError('forbidden', 'a party token is required');
      const body = towerUploadInput.parse(req.body ?? {});
      const tower = towerOf(ctx);
      try {
        const r = tower.upload({
          contractId: m.contractId,
          milestoneIndex: m.index,
          eventId: m.eventId,
          uploaderRole: principal.role,
          side: body.side,
          offerHex: body.offerHex,
          acceptHex: body.acceptHex,
          signHex: body.signHex,
          cetSignaturesHex: body.cetSignaturesHex,
        });
        const view: z.infer<typeof towerUploadView> = r;
        res.status(r.created ? 201 : 200).json(view);
      } catch (e) {
        if (e instanceof InvalidTowerUploadError) {
          throw new AppError(
            e.code,
            e.message,
            e.index === undefined ? undefined : { index: e.index },
          );
        }
        throw e;
      }
      // The attestation may already exist: complete at once rather than at the next tick.
      void tower.tick().catch((err: unknown) => ctx.logger.warn({ err }, 'tower pass failed'));
    },
  );

  app.get(TOWER_ROUTES.towerStatus.path, authorize(ctx, TOWER_ROUTES.towerStatus), (req, res) => {
    const m = milestoneOf(ctx, req.params);
    res.json(towerOf(ctx).status(m.contractId, m.index));
  });
}
