/**
 * The setup bench's building blocks on a small scale (no timing assertions): the 2-of-3 share
 * contract has one adaptor signature per CET prefix and oracle subset, and the end-to-end setup
 * on devnet runs every phase through src/dlc/protocol.ts, gives the adaptor work to the phases
 * that do it, and confirms the funding transaction.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { nobleEcdsaAdaptor } from '../../src/crypto/ecdsa-adaptor.ts';
import { adaptorSigningItems } from '../../src/dlc/adaptor-set.ts';
import { oraclesOf } from '../../src/dlc/contract.ts';
import { ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import {
  benchContractCets,
  endToEndSetup,
  multiOracleShareContractInfo,
} from '../../scripts/bench/setup.ts';
import { skipNative } from '../native/native-backend.ts';

const pub = (i: number): Uint8Array =>
  secp256k1.getPublicKey(
    Uint8Array.from({ length: 32 }, (_, k) => (k === 31 ? i : 0)),
    true,
  );

describe('2-of-3 multi-oracle share contract', () => {
  it('has three fresh oracles and one adaptor point per CET prefix and 2-oracle subset', () => {
    const info = multiOracleShareContractInfo();
    const part = info.parts[0]!;
    const { announcements, threshold } = oraclesOf(part.oracleInfo);
    expect(threshold).toBe(2);
    expect(new Set(announcements.map((a) => a.oraclePublicKey.join())).size).toBe(3);
    const cets = benchContractCets(info, pub(1), pub(2));
    // Shares 0..100 (101..127 pay as 100): 101 CETs; 103 prefixes (adaptor.ts) × C(3,2) subsets.
    expect(cets.cets).toHaveLength(101);
    expect(adaptorSigningItems(cets)).toHaveLength(103 * 3);
  });
});

const schemes = skipNative
  ? [['noble', nobleEcdsaAdaptor] as const]
  : [['native', ecdsaAdaptor('native')] as const, ['noble', nobleEcdsaAdaptor] as const];

describe.each(schemes)('end-to-end setup on devnet, %s scheme', (_, scheme) => {
  it('runs offer → accept → sign → finalize → broadcast and confirms the funding (3 digits)', async () => {
    const { phases, fundingTxid, adaptorSignatures } = await endToEndSetup(scheme, 3);
    expect(fundingTxid).toMatch(/^[0-9a-f]{64}$/);
    expect(adaptorSignatures).toBe(8);
    expect(phases.map((p) => p.name.split(':')[0])).toEqual([
      'offer',
      'accept',
      'sign',
      'finalize',
      'broadcast + mine 1 block + confirmed (devnet RPC)',
    ]);
    // Adaptor work where the protocol does it: accept creates, sign verifies and creates,
    // finalize verifies; none in the offer or the broadcast.
    const [offer, accept, sign, finalize, broadcast] = phases;
    for (const p of [offer!, broadcast!]) expect(p.encryptMs + p.verifyMs).toBe(0);
    expect(accept!.encryptMs).toBeGreaterThan(0);
    expect(accept!.verifyMs).toBe(0);
    expect(sign!.encryptMs).toBeGreaterThan(0);
    expect(sign!.verifyMs).toBeGreaterThan(0);
    expect(finalize!.encryptMs).toBe(0);
    expect(finalize!.verifyMs).toBeGreaterThan(0);
    for (const p of phases) expect(p.wallMs).toBeGreaterThanOrEqual(p.encryptMs + p.verifyMs);
  }, 60_000);
});
