/**
 * `verdict dlc wallet send|bump|history|descriptor` as a user types them (docs/wallet.md), in
 * process against devnet: the printed results, exit codes, and the refusals' messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { NETWORK, p2wpkh } from '@scure/btc-signer';
import { REGTEST_NETWORK } from '../../src/chain/devnet/index.ts';
import { verifyDescriptorChecksum } from '../../src/party/descriptor.ts';
import { runDlc, type DlcIo } from '../../scripts/cli/dlc.ts';
import { devnetOf, fundParty, PASSPHRASE, startWorld, type World } from './helpers.ts';

let world: World;
const outside = p2wpkh(secp256k1.getPublicKey(new Uint8Array(32).fill(21), true), REGTEST_NETWORK);

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [200_000n]);
  world.client.close(); // the CLI opens the data dir itself
}, 60_000);

afterAll(async () => {
  await world.reopen('client');
  await world.dispose();
});

async function dlc(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: DlcIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: () => Promise.resolve(''),
  };
  const code = await runDlc(['--data-dir', world.dirs.client, ...argv], io, {
    VERDICT_PARTY_PASSPHRASE: PASSPHRASE,
    VERDICT_BITCOIN_RPC: devnetOf(world).url,
    VERDICT_BITCOIN_RPC_COOKIE: devnetOf(world).cookieFile!,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('verdict dlc wallet', () => {
  it('descriptor prints receive and change descriptors with valid checksums', async () => {
    const { code, out } = await dlc('wallet', 'descriptor');
    expect(code).toBe(0);
    const [receive, change] = out.split('\n');
    expect(receive).toMatch(/^wpkh\(\[[0-9a-f]{8}\/84'\/1'\/0'\]tpub\w+\/0\/\*\)#\w{8}$/);
    expect(change).toMatch(/\/1\/\*\)#\w{8}$/);
    expect(verifyDescriptorChecksum(receive!)).toBe(true);
    expect(verifyDescriptorChecksum(change!)).toBe(true);
  });

  it('send, bump, history', async () => {
    const dry = await dlc(
      'wallet',
      'send',
      outside.address,
      '50000',
      '--fee-rate',
      '2',
      '--dry-run',
    );
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(
      /^dry run, not sent: 50000 sat to bcrt1\w+, fee \d+ sat \(2 sat\/vB, \d+ vB\)/,
    );
    const sent = await dlc('wallet', 'send', outside.address, '50000', '--fee-rate', '2');
    expect(sent.code).toBe(0);
    const txid = /txid ([0-9a-f]{64})/.exec(sent.out)![1]!;
    const bumped = await dlc('wallet', 'bump', txid, '--fee-rate', '6');
    expect(bumped.code).toBe(0);
    expect(bumped.out).toMatch(
      new RegExp(`^replaced ${txid} by [0-9a-f]{64}: fee \\d+ sat \\(6 sat/vB\\)$`),
    );
    await world.mine(1);
    const history = await dlc('wallet', 'history');
    expect(history.code).toBe(0);
    expect(history.out).toMatch(/\tconfirmed\treceive\t\+200000\t/);
    expect(history.out).toMatch(new RegExp(`-\\treplaced\\tsend\\t-50000\\tfee \\d+\\t${txid}`));
    expect(history.out).toMatch(/\tconfirmed\tsend\t-50000\tfee \d+\t[0-9a-f]{64}\tbcrt1/);
  });

  it('refuses with exit 1 and says why', async () => {
    const mainnet = p2wpkh(secp256k1.getPublicKey(new Uint8Array(32).fill(5), true), NETWORK);
    const wrong = await dlc('wallet', 'send', mainnet.address, '10000');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/is not a valid regtest address/);
    const capped = await dlc('wallet', 'send', outside.address, '3000', '--fee-rate', '40');
    expect(capped.code).toBe(1);
    expect(capped.err).toMatch(
      /the fee would be \d+ sat \(40 sat\/vB, \d+\.\d\d% of the amount sent\).*--force/,
    );
    const dust = await dlc('wallet', 'send', outside.address, '100');
    expect(dust.code).toBe(1);
    expect(dust.err).toMatch(/dust/);
    const usage = await dlc('wallet', 'send', outside.address, '1.5');
    expect(usage.code).toBe(2);
  });
});
