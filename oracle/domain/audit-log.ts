import { z } from 'zod';
import type { AuditRow, Stores } from '../db/stores.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { canonicalJson, type JsonValue } from './canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** One audit entry as served by `GET /v1/contracts/:id/log` and verified by `verdict oracle verify-log`. */
export const auditEntrySchema = z.object({
  contractId: z.string(),
  seq: z.number().int().min(0),
  at: z.number().int(),
  actor: z.string(),
  action: z.string(),
  milestoneIndex: z.number().int().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export interface AuditInput {
  readonly contractId: string;
  readonly at: number;
  /** `client:<id>`, `freelancer:<id>`, `scheduler`, `admin`, `arbitration`, `ci`. */
  readonly actor: string;
  readonly action: string;
  readonly milestoneIndex: number | null;
  readonly details: { readonly [k: string]: JsonValue };
}

/** What the hash covers: every field of the entry except the hashes themselves. */
function hashedBody(e: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  return canonicalJson({
    contractId: e.contractId,
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    milestoneIndex: e.milestoneIndex,
    details: e.details as JsonValue,
  });
}

/** `hash = SHA-256(prev_hash ‖ canonical JSON of the entry)`, prev_hash as its 32 raw bytes. */
export function auditEntryHash(
  prevHash: string,
  body: Omit<AuditEntry, 'prevHash' | 'hash'>,
): string {
  const prev = hexToBytes(prevHash);
  const json = new TextEncoder().encode(hashedBody(body));
  const buf = new Uint8Array(prev.length + json.length);
  buf.set(prev, 0);
  buf.set(json, prev.length);
  return bytesToHex(sha256(buf));
}

/**
 * Appends one entry to the contract's chain. Must run inside the transaction of the state change
 * it records, so that neither commits without the other.
 */
export function appendAudit(stores: Stores, input: AuditInput): AuditEntry {
  if (!stores.db.inTransaction) throw new Error('appendAudit must run inside a transaction');
  const last = stores.lastAudit(input.contractId);
  const seq = last === undefined ? 0 : last.seq + 1;
  const prevHash = last === undefined ? GENESIS_HASH : last.hash;
  const body = { ...input, seq, details: input.details as Record<string, z.core.util.JSONType> };
  const hash = auditEntryHash(prevHash, body);
  stores.insertAudit({
    contract_id: input.contractId,
    seq,
    at: input.at,
    actor: input.actor,
    action: input.action,
    milestone_index: input.milestoneIndex,
    details_json: canonicalJson(input.details),
    prev_hash: prevHash,
    hash,
  });
  return { ...body, prevHash, hash };
}

export function auditRowToEntry(r: AuditRow): AuditEntry {
  return auditEntrySchema.parse({
    contractId: r.contract_id,
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    milestoneIndex: r.milestone_index,
    details: JSON.parse(r.details_json) as unknown,
    prevHash: r.prev_hash,
    hash: r.hash,
  });
}

export type ChainVerdict =
  | { readonly ok: true; readonly entries: number; readonly headHash: string }
  | { readonly ok: false; readonly seq: number; readonly reason: string };

/** Recomputes the chain from the genesis hash: every seq in order, every link, every hash. */
export function verifyAuditChain(
  entries: readonly AuditEntry[],
  contractId?: string,
): ChainVerdict {
  let prev = GENESIS_HASH;
  for (const [i, e] of entries.entries()) {
    if (e.seq !== i) return { ok: false, seq: e.seq, reason: `expected seq ${i}` };
    if (contractId !== undefined && e.contractId !== contractId) {
      return { ok: false, seq: e.seq, reason: 'entry of another contract' };
    }
    if (e.prevHash !== prev) return { ok: false, seq: e.seq, reason: 'prevHash does not link' };
    const expected = auditEntryHash(prev, e);
    if (e.hash !== expected) return { ok: false, seq: e.seq, reason: 'hash mismatch' };
    prev = e.hash;
  }
  return { ok: true, entries: entries.length, headHash: prev };
}

/**
 * Checks the public hash chain (issue 19 §11: seq, prevHash and hash, no content): every seq in
 * order and every link. It cannot recompute the hashes; that needs the content, which the
 * parties and the operator verify with {@link verifyAuditChain}. What it proves: a head hash
 * kept earlier is still in the chain, so the entries up to it were not rewritten.
 */
export function verifyAuditLinks(
  entries: readonly { readonly seq: number; readonly prevHash: string; readonly hash: string }[],
): ChainVerdict {
  let prev = GENESIS_HASH;
  for (const [i, e] of entries.entries()) {
    if (e.seq !== i) return { ok: false, seq: e.seq, reason: `expected seq ${i}` };
    if (e.prevHash !== prev) return { ok: false, seq: e.seq, reason: 'prevHash does not link' };
    prev = e.hash;
  }
  return { ok: true, entries: entries.length, headHash: prev };
}
