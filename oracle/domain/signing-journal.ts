/**
 * The signing journal: an append-only file beside the database that records every attestation
 * the oracle key ever signed, BEFORE the attestation can leave the process, plus the quarantine
 * holds and releases. It is the oracle's memory of what its nonces are committed to, kept apart
 * from the database so that a database restored from a backup, copied without its WAL or
 * replaced by an older one cannot make the oracle forget a signature (SECURITY.md "Restores,
 * copies and snapshots").
 *
 * One JSON object per line, fsynced on append:
 * - `header`: the journal's id and the oracle key it belongs to (first line);
 * - `bind`: the inode the journal file had when the service last adopted it — a copied or
 *   restored data dir has a new inode, which is how a copy is told apart from the original;
 * - `attest`: event id, nonces (hex), outcome, the attestation TLV (hex);
 * - `hold` / `release`: events quarantined and released by the operator.
 *
 * A torn last line (a crash mid-append) is ignored on read and cut off before the next append.
 * The optional witness (`VERDICT_WITNESS_DIR`) receives a copy of every `attest` line before the
 * attestation is answered: kept on storage outside the data dir's snapshots, it is what tells a
 * rolled-back snapshot what it signed after the snapshot was taken.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const hex = (n?: number) =>
  z
    .string()
    .regex(n === undefined ? /^([0-9a-f]{2})+$/ : new RegExp(`^[0-9a-f]{${n * 2}}$`), 'hex');

const headerRecord = z.strictObject({
  t: z.literal('header'),
  v: z.literal(1),
  journalId: hex(16),
  oracle: hex(32),
  createdAt: z.number().int(),
});
const bindRecord = z.strictObject({ t: z.literal('bind'), ino: z.number(), at: z.number().int() });
const attestRecord = z.strictObject({
  t: z.literal('attest'),
  eventId: z.string().min(1),
  nonces: z.array(hex(32)).min(1),
  outcome: z.string().min(1),
  tlv: hex(),
  at: z.number().int(),
});
const holdRecord = z.strictObject({
  t: z.literal('hold'),
  eventIds: z.array(z.string().min(1)),
  reason: z.string(),
  at: z.number().int(),
});
const releaseRecord = z.strictObject({
  t: z.literal('release'),
  eventId: z.string().min(1),
  how: z.enum(['released', 'imported']),
  at: z.number().int(),
});
const journalRecord = z.discriminatedUnion('t', [
  headerRecord,
  bindRecord,
  attestRecord,
  holdRecord,
  releaseRecord,
]);
export type JournalRecord = z.infer<typeof journalRecord>;
export type AttestRecord = z.infer<typeof attestRecord>;
export type JournalHeader = z.infer<typeof headerRecord>;

export class JournalCorruptError extends Error {
  constructor(path: string, line: number, why: string) {
    super(
      `the signing journal ${path} is damaged at line ${line} (${why}); it records what the oracle key signed: restore it from a backup, never delete it`,
    );
    this.name = 'JournalCorruptError';
  }
}

/** Reads a journal-format file: every complete line parsed, a torn last line reported. */
export function readJournalFile(path: string): {
  records: JournalRecord[];
  validBytes: number;
} {
  const text = readFileSync(path, 'utf8');
  const records: JournalRecord[] = [];
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    lineNo += 1;
    if (nl === -1) break; // torn last line: never acknowledged, dropped
    const line = text.slice(offset, nl);
    let parsed: JournalRecord;
    try {
      parsed = journalRecord.parse(JSON.parse(line));
    } catch (e) {
      throw new JournalCorruptError(path, lineNo, e instanceof Error ? e.message : String(e));
    }
    records.push(parsed);
    offset = nl + 1;
  }
  return { records, validBytes: Buffer.byteLength(text.slice(0, offset), 'utf8') };
}

function appendLines(fd: number, records: readonly JournalRecord[]): void {
  if (records.length === 0) return;
  writeSync(fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
  fsyncSync(fd);
}

function fsyncDir(path: string): void {
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** An open signing journal, with its records indexed. */
export class SigningJournal {
  private readonly byEvent = new Map<string, AttestRecord>();
  private readonly byNonce = new Map<string, AttestRecord>();
  private readonly held = new Set<string>();
  private readonly released = new Set<string>();
  private lastBind: number | undefined;
  private fd: number;

  private constructor(
    readonly path: string,
    readonly header: JournalHeader,
    fd: number,
    records: readonly JournalRecord[],
    private readonly witness: Witness | undefined,
  ) {
    this.fd = fd;
    for (const r of records) this.index(r);
  }

  /** Opens an existing journal (cutting a torn last line) for `oracle` (hex x-only key). */
  static open(path: string, oracle: string, witness?: Witness): SigningJournal {
    const { records, validBytes } = readJournalFile(path);
    const [first] = records;
    if (first?.t !== 'header') throw new JournalCorruptError(path, 1, 'no header');
    if (first.oracle !== oracle) {
      throw new Error(
        `the signing journal ${path} belongs to oracle key ${first.oracle}, not ${oracle}`,
      );
    }
    const fd = openSync(path, 'r+');
    if (fstatSync(fd).size !== validBytes) {
      ftruncateSync(fd, validBytes);
      fsyncSync(fd);
    }
    closeSync(fd);
    return new SigningJournal(path, first, openSync(path, 'a', 0o600), records, witness);
  }

  /** Creates a new journal (refuses to overwrite one) bound to its own inode. */
  static create(path: string, oracle: string, nowSec: number, witness?: Witness): SigningJournal {
    const header: JournalHeader = {
      t: 'header',
      v: 1,
      journalId: randomBytes(16).toString('hex'),
      oracle,
      createdAt: nowSec,
    };
    const fd = openSync(path, 'wx', 0o600);
    const j = new SigningJournal(path, header, fd, [], witness);
    appendLines(fd, [header]);
    j.bind(nowSec);
    fsyncDir(path);
    return j;
  }

  private index(r: JournalRecord): void {
    switch (r.t) {
      case 'attest':
        this.byEvent.set(r.eventId, r);
        for (const n of r.nonces) this.byNonce.set(n, r);
        this.held.delete(r.eventId);
        break;
      case 'hold':
        for (const e of r.eventIds) if (!this.byEvent.has(e)) this.held.add(e);
        break;
      case 'release':
        this.held.delete(r.eventId);
        this.released.add(r.eventId);
        break;
      case 'bind':
        this.lastBind = r.ino;
        break;
      case 'header':
        break;
    }
  }

  private append(records: readonly JournalRecord[]): void {
    appendLines(this.fd, records);
    for (const r of records) this.index(r);
  }

  /** The inode the journal file has now. */
  currentInode(): number {
    return fstatSync(this.fd).ino;
  }
  /** The inode recorded by the last `bind`; differs from {@link currentInode} in a copy. */
  boundInode(): number | undefined {
    return this.lastBind;
  }
  bind(nowSec: number): void {
    this.append([{ t: 'bind', ino: this.currentInode(), at: nowSec }]);
  }

  attestationOf(eventId: string): AttestRecord | undefined {
    return this.byEvent.get(eventId);
  }
  attestationByNonce(nonceHex: string): AttestRecord | undefined {
    return this.byNonce.get(nonceHex);
  }
  attestations(): AttestRecord[] {
    return [...this.byEvent.values()];
  }
  isHeld(eventId: string): boolean {
    return this.held.has(eventId);
  }
  wasReleased(eventId: string): boolean {
    return this.released.has(eventId);
  }
  heldEvents(): string[] {
    return [...this.held];
  }

  /**
   * Records a signature durably (journal, then witness) before it may be stored or answered.
   * Throws if either write fails: the caller's transaction then rolls back and nothing leaves.
   */
  recordAttestation(r: AttestRecord): void {
    this.append([r]);
    this.witness?.record(r);
  }
  /** Records attestations learned from elsewhere (database, witness, import): journal only. */
  adopt(records: readonly AttestRecord[]): void {
    this.append(records.filter((r) => !this.byEvent.has(r.eventId)));
  }
  hold(eventIds: readonly string[], reason: string, nowSec: number): void {
    const fresh = eventIds.filter((e) => !this.byEvent.has(e));
    if (fresh.length > 0) this.append([{ t: 'hold', eventIds: fresh, reason, at: nowSec }]);
  }
  release(eventId: string, how: 'released' | 'imported', nowSec: number): void {
    if (this.held.has(eventId)) this.append([{ t: 'release', eventId, how, at: nowSec }]);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.witness?.close();
  }
}

/**
 * A witness: the same `attest` lines appended to `<dir>/<oracle key>.journal` on storage the
 * operator keeps outside the data dir's backups and snapshots.
 */
export class Witness {
  private fd: number;
  readonly path: string;

  constructor(dir: string, oracle: string) {
    if (!existsSync(dir)) {
      throw new Error(
        `the witness dir ${dir} (VERDICT_WITNESS_DIR) does not exist; mount or create it first`,
      );
    }
    this.path = join(dir, `${oracle}.journal`);
    mkdirSync(dir, { recursive: true });
    if (existsSync(this.path)) {
      const { validBytes } = readJournalFile(this.path);
      const fd = openSync(this.path, 'r+');
      if (fstatSync(fd).size !== validBytes) ftruncateSync(fd, validBytes); // a torn last line
      closeSync(fd);
    }
    this.fd = openSync(this.path, 'a', 0o600);
  }

  record(r: AttestRecord): void {
    appendLines(this.fd, [r]);
  }

  /** Every complete `attest` line the witness holds. */
  attestations(): AttestRecord[] {
    if (!existsSync(this.path)) return [];
    return readJournalFile(this.path).records.filter((r): r is AttestRecord => r.t === 'attest');
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
