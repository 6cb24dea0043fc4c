/**
 * The library's public surface (package.json `exports`, docs/library.md): every entry imports by
 * the package's own name, as another wallet depending on `verdict` would, and its main calls
 * work end to end: an oracle announces a share event and attests it, a wallet checks both,
 * computes the payout and the adaptor point of the attested outcome.
 */
import { readFileSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import * as root from 'verdict';
import * as chain from 'verdict/chain';
import {
  ADAPTOR_SIGNATURE_LENGTH,
  generateOracleMnemonic,
  oracleKeysFromMnemonic,
  outcomePoint,
  parseAdaptorSignature,
} from 'verdict/crypto';
import {
  announcementFromHex,
  attestationFromHex,
  attestedValue,
  createAnnouncement,
  createAttestation,
  encodeAnnouncement,
  encodeAttestation,
  shareContract,
  sharePayoutTable,
  verifyAnnouncement,
  verifyAttestation,
} from 'verdict/dlc';
import * as native from 'verdict/native';
import * as party from 'verdict/party';

describe('the public entries', () => {
  it('package.json maps each part to its typed index', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      name: string;
      exports: Record<string, string>;
    };
    expect(pkg.name).toBe('verdict');
    expect(pkg.exports).toMatchObject({
      '.': './src/index.ts',
      './crypto': './src/crypto/index.ts',
      './dlc': './src/dlc/index.ts',
      './chain': './src/chain/index.ts',
      './party': './src/party/index.ts',
      './native': './src/native/index.ts',
    });
  });

  it('an oracle announces and attests; a wallet verifies and settles, all through `verdict/*`', () => {
    const keys = oracleKeysFromMnemonic(generateOracleMnemonic());
    const announcement = createAnnouncement(keys, {
      eventId: 'example/milestone/0',
      maturityEpochSec: 1_900_000_000,
      descriptor: {
        kind: 'digits',
        base: 2,
        isSigned: false,
        unit: 'percent',
        precision: 0,
        nbDigits: 7,
      },
    });
    // Over the wire as hex TLV and back.
    const annHex = bytesToHex(encodeAnnouncement(announcement));
    const received = announcementFromHex(annHex);
    expect(verifyAnnouncement(received)).toBe(true);

    const attestation = createAttestation(keys, announcement, 37n);
    const att = attestationFromHex(bytesToHex(encodeAttestation(attestation)));
    expect(verifyAttestation(received, att)).toBe(true);
    expect(attestedValue(received, att)).toBe(37n);
    expect(att.outcomes).toEqual(['0', '1', '0', '0', '1', '0', '1']);

    // The adaptor point of outcome 37 is s·G of the attestation's summed scalars.
    const point = outcomePoint(received, 37n, 'tagged');
    const s = att.signatures.reduce(
      (acc, sig) => (acc + BigInt('0x' + bytesToHex(sig.subarray(32)))) % secp256k1.Point.Fn.ORDER,
      0n,
    );
    expect(bytesToHex(point)).toBe(bytesToHex(secp256k1.Point.BASE.multiply(s).toBytes(true)));

    // Payouts of a 150 000 sat share milestone.
    const table = sharePayoutTable(150_000n);
    expect(table.find((r) => r.share === 37)).toEqual({
      share: 37,
      freelancerPayoutSat: 55_500n,
      clientPayoutSat: 94_500n,
    });
    expect(shareContract(150_000n, true).totalCollateral).toBe(150_000n);
    expect(ADAPTOR_SIGNATURE_LENGTH).toBe(162);
    expect(() => parseAdaptorSignature(new Uint8Array(10))).toThrow();
  });

  it('the root entry is the pure parts; the others carry their I/O classes', () => {
    expect(root.createAnnouncement).toBe(createAnnouncement);
    expect(root.oracleKeysFromMnemonic).toBe(oracleKeysFromMnemonic);
    expect(typeof chain.BitcoinRpcClient).toBe('function');
    expect(typeof party.OracleClient).toBe('function');
    expect(typeof native.ecdsaAdaptor).toBe('function');
    // Test hooks stay private.
    expect('__TEST' in root).toBe(false);
  });
});
