/**
 * A tower of one's own (`verdict tower`, issue 16): the same tower as the oracle's, with its own
 * SQLite file (migration 070 only), attestations fetched from the oracle over HTTP, and the same
 * two routes. Who may call them: a bearer equal to `token` when one is set (give it to the
 * parties), anyone otherwise (then listen on loopback only). What an upload can do is bounded by
 * its signatures, checked before anything is stored.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ChainBackend } from '../../src/chain/chain-backend.ts';
import { oraclesOf } from '../../src/dlc/contract.ts';
import { decodeOfferDlc } from '../../src/dlc/messages.ts';
import { InvalidTowerUploadError } from '../../src/dlc/tower.ts';
import type { OracleClient } from '../../src/party/oracle-client.ts';
import { migrate } from '../db/open.ts';
import { AppError, statusByCode } from '../errors.ts';
import { toAppError } from '../http/error-handler.ts';
import { towerUploadInput } from './api.ts';
import { TOWER_ROUTES } from './route-table.ts';
import { Tower } from './tower.ts';

const MIGRATION = {
  version: 70,
  name: '070_tower.sql',
  sql: readFileSync(new URL('../db/migrations/070_tower.sql', import.meta.url), 'utf8'),
};

const paramsSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  index: z
    .string()
    .regex(/^(0|[1-9]\d{0,2})$/)
    .transform(Number),
});

export interface StandaloneTowerOptions {
  readonly dbPath: string;
  readonly chain: ChainBackend;
  readonly oracle: OracleClient;
  /** The oracle's x-only public key (hex), as `GET /v1/oracle` says. */
  readonly oraclePublicKeyHex: string;
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly logger: Logger;
  readonly bumpAfterBlocks: number;
  readonly now?: () => number;
}

export interface StandaloneTower {
  readonly url: string;
  readonly tower: Tower;
  close(): Promise<void>;
}

export async function startStandaloneTower(opts: StandaloneTowerOptions): Promise<StandaloneTower> {
  const db = new Database(opts.dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, [MIGRATION]);
  const tower = new Tower({
    db,
    chain: () => opts.chain,
    attestation: (eventId) => opts.oracle.attestation(eventId),
    oraclePublicKey: hexToBytes(opts.oraclePublicKeyHex),
    now: opts.now ?? (() => Math.floor(Date.now() / 1000)),
    logger: opts.logger,
    bumpAfterBlocks: opts.bumpAfterBlocks,
  });
  const app = express();
  app.disable('x-powered-by');
  const auth = (req: Request, _res: Response, next: NextFunction): void => {
    if (opts.token === undefined) return next();
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const want = Buffer.from(opts.token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      throw new AppError('unauthorized', 'this tower needs its bearer token');
    }
    next();
  };
  app.post(TOWER_ROUTES.towerUpload.path, express.json({ limit: '8mb' }), auth, (req, res) => {
    const p = paramsSchema.parse(req.params);
    const body = towerUploadInput.parse(req.body ?? {});
    // The event id comes from the contract's announcement: it must name this milestone.
    const eventId = eventIdOfOffer(body.offerHex);
    if (!eventId.startsWith(`verdict/${p.id}/${p.index}/`)) {
      throw new AppError(
        'tower_wrong_oracle',
        `the contract is for ${eventId}, not this milestone`,
      );
    }
    try {
      const r = tower.upload({
        contractId: p.id,
        milestoneIndex: p.index,
        eventId,
        // A standalone tower has no party tokens: it cannot tell who uploaded.
        uploaderRole: 'party',
        side: body.side,
        offerHex: body.offerHex,
        acceptHex: body.acceptHex,
        signHex: body.signHex,
        cetSignaturesHex: body.cetSignaturesHex,
      });
      res.status(r.created ? 201 : 200).json(r);
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
    void tower.tick().catch((err: unknown) => opts.logger.warn({ err }, 'tower pass failed'));
  });
  app.get(TOWER_ROUTES.towerStatus.path, auth, (req, res) => {
    const p = paramsSchema.parse(req.params);
    res.json(tower.status(p.id, p.index));
  });
  app.use((_req: Request, _res: Response, next: NextFunction) => {
    next(new AppError('not_found', 'no such route'));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = toAppError(err);
    if (statusByCode[e.code] >= 500) opts.logger.error({ err }, 'request failed');
    res.status(statusByCode[e.code]).json({
      error: {
        code: e.code,
        message: e.message,
        ...(e.details === undefined ? {} : { details: e.details }),
      },
    });
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(app);
    s.once('error', reject);
    s.listen(opts.port, opts.host, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    url,
    tower,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      db.close();
    },
  };
}

function eventIdOfOffer(offerHex: string): string {
  // Decoded again (and verified) by Tower.upload; here only to route it.
  try {
    const offer = decodeOfferDlc(hexToBytes(offerHex));
    const part = offer.contractInfo.parts[0];
    if (part === undefined) return '';
    return oraclesOf(part.oracleInfo).announcements[0]?.event.eventId ?? '';
  } catch {
    throw new AppError('tower_contract_mismatch', 'offer_dlc does not decode');
  }
}
