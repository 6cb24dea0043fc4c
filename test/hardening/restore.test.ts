/**
 * Issue 19 §1–3: a restored, copied or rolled-back data dir never signs a second outcome for a
 * nonce. Each scenario replays what an operator does (online backup, `verdict oracle restore`,
 * `cp -a`, a snapshot rolled back in place) against real services on real SQLite files, then
 * gathers every attestation both copies ever published and runs the two-signature key
 * extraction on every pair that shares a nonce: it must recover nothing. The extractor itself is
 * shown to work on a deliberate equivocation first.
 */
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { bip340Challenge, xOnlyPublicKey } from '../../src/crypto/bip340.ts';
import { attestationMessage } from '../../src/crypto/hash.ts';
import { oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { CURVE_ORDER, modN } from '../../src/crypto/secp.ts';
import { createAttestation } from '../../src/dlc/attestation.ts';
import {
  decodeAnnouncement,
  decodeAttestation,
  encodeAttestation,
} from '../../src/dlc/oracle-codec.ts';
import { loadConfig } from '../../oracle/config.ts';
import { paths } from '../../oracle/data-dir.ts';
import { openDatabase } from '../../oracle/db/open.ts';
import { Stores } from '../../oracle/db/stores.ts';
import { run as oracleCli } from '../../scripts/cli/oracle.ts';
import type { CliIo } from '../../scripts/cli/common.ts';
import {
  call,
  createContract,
  DAY,
  eventPath,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  TEST_ENV,
  TestClock,
  type CreatedContract,
  type EventView,
  type TestServer,
} from '../oracle/helpers.ts';

const dirs: string[] = [];
const tempDir = (label: string) => {
  const d = mkdtempSync(join(tmpdir(), `verdict-restore-${label}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// --- the attacker's tool: two signatures under one nonce reveal the key -----------------------

interface Sig {
  readonly outcome: string;
  readonly signature: Uint8Array;
}

/** BIP340: s = k + e·d (mod n). Two signatures with the same R: d = (s1 − s2) / (e1 − e2). */
function extractKey(publicKey: Uint8Array, a: Sig, b: Sig): Uint8Array | undefined {
  const rA = a.signature.subarray(0, 32);
  if (bytesToHex(rA) !== bytesToHex(b.signature.subarray(0, 32)) || a.outcome === b.outcome)
    return undefined;
  const s1 = BigInt('0x' + bytesToHex(a.signature.subarray(32)));
  const s2 = BigInt('0x' + bytesToHex(b.signature.subarray(32)));
  const e1 = bip340Challenge(rA, publicKey, attestationMessage(a.outcome, 'tagged'));
  const e2 = bip340Challenge(rA, publicKey, attestationMessage(b.outcome, 'tagged'));
  const inv = (x: bigint) => {
    // Fermat: x^(n-2) mod n
    let r = 1n;
    let base = modN(x);
    let e = CURVE_ORDER - 2n;
    while (e > 0n) {
      if (e & 1n) r = modN(r * base);
      base = modN(base * base);
      e >>= 1n;
    }
    return r;
  };
  const d = modN((s1 - s2) * inv(e1 - e2));
  const key = hexToBytes(d.toString(16).padStart(64, '0'));
  return bytesToHex(xOnlyPublicKey(key)) === bytesToHex(publicKey) ? key : undefined;
}

/** Every (outcome, signature) per nonce across any number of published attestation TLVs. */
function keysRecoverable(publicKeyHex: string, attestationHexes: readonly string[]): number {
  const byNonce = new Map<string, Sig[]>();
  for (const h of new Set(attestationHexes)) {
    const att = decodeAttestation(hexToBytes(h));
    att.signatures.forEach((signature, i) => {
      const nonce = bytesToHex(signature.subarray(0, 32));
      const list = byNonce.get(nonce) ?? [];
      list.push({ outcome: att.outcomes[i] ?? '', signature });
      byNonce.set(nonce, list);
    });
  }
  let recovered = 0;
  for (const sigs of byNonce.values())
    for (let i = 0; i < sigs.length; i++)
      for (let j = i + 1; j < sigs.length; j++) {
        const a = sigs[i];
        const b = sigs[j];
        if (a !== undefined && b !== undefined && extractKey(hexToBytes(publicKeyHex), a, b))
          recovered += 1;
      }
  return recovered;
}

// --- helpers -----------------------------------------------------------------------------------

const io = (stdin = ''): CliIo & { outText: () => string; errText: () => string } => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
    readStdin: () => Promise.resolve(stdin),
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
  };
};

const envFor = (dataDir: string, extra: Record<string, string> = {}) => ({
  ...TEST_ENV,
  VERDICT_DATA_DIR: dataDir,
  ...extra,
});

/** R1 announces a share and an enum milestone whose delivery deadline is 40 s away. */
async function announceTwo(s: TestServer): Promise<CreatedContract> {
  return createContract(s, [
    { outcome: 'share', deliveryDeadline: s.clock.t + 40, reviewWindowSec: DAY },
    { outcome: 'enum', deliveryDeadline: s.clock.t + 40, reviewWindowSec: DAY },
  ]);
}

/** Deliver + accept both milestones: R1 attests `100` and `accepted`. */
async function deliverAndAccept(s: TestServer, c: CreatedContract): Promise<string[]> {
  const hexes: string[] = [];
  for (const i of [0, 1]) {
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, i, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: 'ab'.repeat(20) },
      }),
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, i, 'accept'), {
        token: c.tokens.client,
        body: {},
      }),
    );
  }
  for (const id of c.contract.milestones.map((m) => m.eventId)) {
    const ev = expectOk(await call<EventView>(s.url, 'GET', `/v1/events/${eventPath(id)}`));
    expect(ev.status).toBe('attested');
    hexes.push(ev.attestationHex ?? '');
  }
  return hexes;
}

/** Every attestation a server has stored (what it would publish). */
function publishedBy(dataDir: string): string[] {
  const db = openDatabase(paths(dataDir).db);
  try {
    return new Stores(db).allAttestations().map((r) => bytesToHex(r.tlv));
  } finally {
    db.close();
  }
}

async function mnemonicOf(dataDir: string): Promise<string> {
  const o = io();
  expect(await oracleCli(['backup'], o, envFor(dataDir))).toBe(0);
  return o.outText();
}

/** The scheduler runs after the deadline, and the parties try to decide: all refused. */
async function expectHeld(s: TestServer, c: CreatedContract): Promise<void> {
  expect(s.continuity.heldEvents).toBe(2);
  s.clock.advance(120);
  expect(s.scheduler.tick()).toBe(0);
  for (const i of [0, 1]) {
    const r = await call(s.url, 'POST', milestoneUrl(c.contract.id, i, 'deliver'), {
      token: c.tokens.freelancer,
      body: { commitSha: 'cd'.repeat(20) },
    });
    // Delivering is not a signature: past the deadline it is refused for that reason.
    expect(r.status).toBe(409);
  }
  for (const id of c.contract.milestones.map((m) => m.eventId)) {
    const ev = expectOk(await call<EventView>(s.url, 'GET', `/v1/events/${eventPath(id)}`));
    expect(ev.status, id).not.toBe('attested');
  }
}

describe('the witness is a decision off loopback', () => {
  it('refuses to start off loopback until VERDICT_WITNESS_DIR names a dir or `none`', () => {
    const base = { ...TEST_ENV, VERDICT_DATA_DIR: '/nonexistent', VERDICT_HOST: '0.0.0.0' };
    expect(() => loadConfig(base)).toThrow(/VERDICT_WITNESS_DIR/);
    expect(loadConfig({ ...base, VERDICT_WITNESS_DIR: 'none' }).witnessDir).toBe('none');
    expect(loadConfig({ ...base, VERDICT_WITNESS_DIR: '/mnt/witness' }).witnessDir).toBe(
      '/mnt/witness',
    );
    expect(loadConfig({ ...base, VERDICT_HOST: '127.0.0.1' }).witnessDir).toBeUndefined();
  });
});

describe('the key extractor (what an attacker runs on two published attestations)', () => {
  it('recovers the key from a deliberate equivocation, and nothing from one attestation', async () => {
    const clock = new TestClock();
    const s = await startTestServer({ clock });
    try {
      const c = await announceTwo(s);
      const ev = expectOk(
        await call<EventView>(
          s.url,
          'GET',
          `/v1/events/${eventPath(c.contract.milestones[1]?.eventId ?? '')}`,
        ),
      );
      const words = (await mnemonicOf(s.dataDir)).replace(/\d+\.\s*/g, ' ').trim();
      const keys = oracleKeysFromMnemonic(words.split(/\s+/).join(' '));
      const ann = decodeAnnouncement(hexToBytes(ev.announcementHex));
      const a = bytesToHex(encodeAttestation(createAttestation(keys, ann, 'accepted')));
      const b = bytesToHex(encodeAttestation(createAttestation(keys, ann, 'rejected')));
      const pub = bytesToHex(keys.publicKey);
      expect(keysRecoverable(pub, [a])).toBe(0);
      expect(keysRecoverable(pub, [a, a])).toBe(0);
      expect(keysRecoverable(pub, [a, b])).toBe(1);
    } finally {
      await s.dispose();
    }
  });
});

describe('issue 19: restores, copies and snapshots never sign a second outcome', () => {
  it('the reproduction: an online DB backup + `oracle restore` of the mnemonic into a new data dir starts quarantined', async () => {
    const clock = new TestClock();
    const r1 = await startTestServer({ clock });
    const c = await announceTwo(r1);
    // SECURITY.md's advice: keep an online SQLite backup.
    const backup = join(tempDir('bak'), 'verdict.db');
    await r1.ctx.db.backup(backup);
    const r1Published = await deliverAndAccept(r1, c);
    const mnemonic = await mnemonicOf(r1.dataDir);
    const pub = bytesToHex(r1.ctx.engine.publicKey);
    await r1.close();

    // A new data dir: the DB backup, then the mnemonic restored with the CLI.
    const d2 = tempDir('r2');
    copyFileSync(backup, paths(d2).db);
    // The operator also kept the JWT secret, so the parties' tokens still work (else every
    // decision would be refused for the wrong reason).
    copyFileSync(paths(r1.dataDir).jwtSecret, paths(d2).jwtSecret);
    const o = io(mnemonic);
    expect(await oracleCli(['restore'], o, envFor(d2)), o.errText()).toBe(0);
    // Started after the deadline (the clock moved on while the operator restored).
    clock.advance(3600);
    const r2 = await startTestServer({ clock, dataDir: d2 });
    expect(r2.continuity.quarantineReason).toMatch(/signing journal/);
    try {
      await expectHeld(r2, c);
      // The held events answer a typed error on any decision path.
      const m = r2.ctx.stores.milestoneByIndex(c.contract.id, 1);
      expect(m?.state).toBe('open');
    } finally {
      await r2.close();
    }
    expect(publishedBy(d2)).toEqual([]);
    expect(keysRecoverable(pub, [...r1Published, ...publishedBy(d2)])).toBe(0);

    // The operator imports the attestations the parties hold; the events are then attested
    // here with R1's very signatures, and nothing else can be signed for them.
    const imp = io(JSON.stringify({ saved: r1Published }));
    expect(await oracleCli(['import-attestations', '-'], imp, envFor(d2)), imp.errText()).toBe(0);
    expect(imp.outText()).toContain('imported');
    const r3 = await startTestServer({ clock, dataDir: d2 });
    try {
      expect(r3.continuity.heldEvents).toBe(0);
      expect(r3.scheduler.tick()).toBe(0);
      const again = await call(r3.url, 'POST', milestoneUrl(c.contract.id, 1, 'accept'), {
        token: c.tokens.client,
        body: {},
      });
      expect(again.status).toBeLessThan(500);
    } finally {
      await r3.close();
    }
    expect(publishedBy(d2).sort()).toEqual([...r1Published].sort());
    expect(keysRecoverable(pub, [...r1Published, ...publishedBy(d2)])).toBe(0);
    rmSync(r1.dataDir, { recursive: true, force: true });
  });

  it('a copied data dir (cp -a) is quarantined; `import-attestations --from` the original releases it', async () => {
    const clock = new TestClock();
    const r1 = await startTestServer({ clock });
    const c = await announceTwo(r1);
    const copy = tempDir('copy');
    rmSync(copy, { recursive: true });
    await r1.close();
    cpSync(r1.dataDir, copy, { recursive: true, preserveTimestamps: true });
    const r1b = await startTestServer({ clock, dataDir: r1.dataDir });
    expect(r1b.continuity.heldEvents).toBe(0); // the original is not quarantined
    const r1Published = await deliverAndAccept(r1b, c);
    const pub = bytesToHex(r1b.ctx.engine.publicKey);

    clock.advance(3600);
    const r2 = await startTestServer({ clock, dataDir: copy });
    expect(r2.continuity.quarantineReason).toMatch(/copied/);
    await expectHeld(r2, c);
    await r2.close();
    expect(keysRecoverable(pub, [...r1Published, ...publishedBy(copy)])).toBe(0);

    // Release without --yes changes nothing and says what it risks.
    const warn = io();
    expect(await oracleCli(['release', '--all'], warn, envFor(copy))).toBe(1);
    expect(warn.errText()).toMatch(/REVEAL THE ORACLE KEY/);
    // Fetch from the original (still running) instead.
    const imp = io();
    expect(
      await oracleCli(['import-attestations', '--from', r1b.url], imp, envFor(copy)),
      imp.errText(),
    ).toBe(0);
    await r1b.dispose();
    expect(publishedBy(copy).sort()).toEqual([...r1Published].sort());
    expect(keysRecoverable(pub, [...r1Published, ...publishedBy(copy)])).toBe(0);
  });

  it('a database copied without its WAL (or restored in place) gets the lost signatures back from the journal', async () => {
    const clock = new TestClock();
    const r1 = await startTestServer({ clock });
    const c = await announceTwo(r1);
    const backup = join(tempDir('wal'), 'verdict.db');
    await r1.ctx.db.backup(backup);
    const r1Published = await deliverAndAccept(r1, c);
    const pub = bytesToHex(r1.ctx.engine.publicKey);
    await r1.close();
    // The database is put back to the backup in the same data dir; the WAL is gone.
    for (const ext of ['', '-wal', '-shm']) rmSync(paths(r1.dataDir).db + ext, { force: true });
    copyFileSync(backup, paths(r1.dataDir).db);
    clock.advance(3600);
    const r2 = await startTestServer({ clock, dataDir: r1.dataDir });
    try {
      expect(r2.continuity.importedIntoDatabase).toBe(2);
      expect(r2.continuity.heldEvents).toBe(0);
      expect(r2.scheduler.tick()).toBe(0);
      for (const [i, id] of c.contract.milestones.map((m) => m.eventId).entries()) {
        const ev = expectOk(await call<EventView>(r2.url, 'GET', `/v1/events/${eventPath(id)}`));
        expect(ev.attestationHex).toBe(r1Published[i]);
      }
    } finally {
      await r2.dispose();
    }
    expect(keysRecoverable(pub, r1Published)).toBe(0);
  });

  it('a snapshot rolled back in place (same files, older bytes) learns from the witness', async () => {
    const clock = new TestClock();
    const witness = tempDir('witness');
    const env = { VERDICT_WITNESS_DIR: witness };
    const r1 = await startTestServer({ clock, env });
    const c = await announceTwo(r1);
    await r1.close();
    // The snapshot: every file's bytes.
    const files = ['verdict.db', 'signing.journal'].map((f) => join(r1.dataDir, f));
    const snapshot = files.map((f) => readFileSync(f));
    const r1b = await startTestServer({ clock, env, dataDir: r1.dataDir });
    const r1Published = await deliverAndAccept(r1b, c);
    const pub = bytesToHex(r1b.ctx.engine.publicKey);
    await r1b.close();
    // Roll back in place: same inodes, older contents (a VM or file-system snapshot).
    for (const ext of ['-wal', '-shm']) rmSync(paths(r1.dataDir).db + ext, { force: true });
    files.forEach((f, i) => writeFileSync(f, snapshot[i] ?? ''));
    clock.advance(3600);
    const r2 = await startTestServer({ clock, env, dataDir: r1.dataDir });
    try {
      expect(r2.continuity.importedIntoDatabase).toBe(2);
      expect(r2.scheduler.tick()).toBe(0);
    } finally {
      await r2.dispose();
    }
    expect(keysRecoverable(pub, [...r1Published])).toBe(0);
    expect(existsSync(join(witness, `${pub}.journal`))).toBe(true);
  });

  it('per nonce, in the schema: an announcement row cloned under another event id is never attested', async () => {
    const s = await startTestServer();
    try {
      const c = await createContract(s, [{ outcome: 'enum' }, { outcome: 'enum' }]);
      const [m0, m1] = c.contract.milestones;
      const { db, stores } = s.ctx;
      const original = stores.getAnnouncement(m0?.eventId ?? '');
      expect(original).toBeDefined();
      // The clone: a milestone row and an announcement row carrying m0's nonces, by raw SQL.
      const cloneId = `${m0?.eventId ?? ''}-clone`;
      db.prepare(
        `INSERT INTO milestones (contract_id, idx, event_id, state, delivery_deadline)
         VALUES (?, 99, ?, 'open', ?)`,
      ).run(c.contract.id, cloneId, s.clock.t + DAY);
      const milestoneId = stores.milestoneByEvent(cloneId)?.id;
      db.prepare(
        `INSERT INTO announcements (event_id, milestone_id, maturity_epoch_sec, tlv, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      ).run(cloneId, milestoneId, original?.maturity_epoch_sec, original?.tlv, s.clock.t);
      // The original is attested `accepted`...
      expectOk(
        await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
          token: c.tokens.freelancer,
          body: { commitSha: 'ab'.repeat(20) },
        }),
      );
      expectOk(
        await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
          token: c.tokens.client,
          body: {},
        }),
      );
      // ...and neither the engine nor a raw insert can attest the clone.
      expect(() =>
        db.transaction(() =>
          s.ctx.engine.attestOnce(stores, {
            eventId: cloneId,
            kind: 'enum',
            outcome: 'rejected',
            nowEpochSec: s.clock.t,
          }),
        )(),
      ).toThrow();
      expect(() =>
        db
          .prepare(
            'INSERT INTO attestations (event_id, outcome, tlv, created_at) VALUES (?, ?, ?, ?)',
          )
          .run(cloneId, 'rejected', new Uint8Array([1]), 0),
      ).toThrow(/nonces/);
      expect(stores.getAttestation(cloneId)).toBeUndefined();
      // A second nonce row for the same nonce is refused by the primary key.
      const nonce = stores.noncesOf(m0?.eventId ?? '')[0];
      expect(() =>
        db
          .prepare('INSERT INTO announcement_nonces (nonce, event_id, position) VALUES (?, ?, 0)')
          .run(nonce, m1?.eventId),
      ).toThrow(/UNIQUE|PRIMARY/);
      expect(keysRecoverable(bytesToHex(s.ctx.engine.publicKey), publishedBy(s.dataDir))).toBe(0);
    } finally {
      await s.dispose();
    }
  });

  it('a quarantined event answers event_quarantined to a decision', async () => {
    const clock = new TestClock();
    const r1 = await startTestServer({ clock });
    const c = await createContract(r1, [{ outcome: 'enum' }]);
    await r1.close();
    const copy = tempDir('q');
    rmSync(copy, { recursive: true });
    cpSync(r1.dataDir, copy, { recursive: true });
    rmSync(r1.dataDir, { recursive: true, force: true });
    const r2 = await startTestServer({ clock, dataDir: copy });
    try {
      expectOk(
        await call(r2.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
          token: c.tokens.freelancer,
          body: { commitSha: 'ab'.repeat(20) },
        }),
      );
      expectError(
        await call(r2.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
          token: c.tokens.client,
          body: {},
        }),
        409,
        'event_quarantined',
      );
    } finally {
      await r2.close();
    }
    // Listed for the operator; released knowingly with --yes; then decided normally.
    const list = io();
    expect(await oracleCli(['quarantine'], list, envFor(copy))).toBe(0);
    expect(list.outText()).toContain(c.contract.milestones[0]?.eventId);
    const rel = io();
    expect(await oracleCli(['release', '--all', '--yes'], rel, envFor(copy))).toBe(0);
    const r3 = await startTestServer({ clock, dataDir: copy });
    try {
      expect(r3.continuity.heldEvents).toBe(0);
      expectOk(
        await call(r3.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
          token: c.tokens.client,
          body: {},
        }),
      );
    } finally {
      await r3.dispose();
    }
  });
});
