/**
 * Issue 14: a contract that cannot fund. The counterparty (accepter) double-spends its own funding
 * input after the offerer signed; the offerer's watcher says why, `abandon` is refused while the
 * double spend is only in the mempool, then frees the offerer's coins once it is in a block, with
 * nothing broadcast by the offerer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p2wpkh, Transaction } from '@scure/btc-signer';
import { REGTEST_NETWORK } from '../../src/chain/devnet/index.ts';
import { decodeAcceptDlc } from '../../src/dlc/messages.ts';
import { ContractStateError } from '../../src/party/party.ts';
import { decodeRawTx } from '../../src/party/wallet.ts';
import { runDlc, type DlcIo } from '../../scripts/cli/dlc.ts';
import type { CreatedContract } from '../oracle/helpers.ts';
import {
  devnetOf,
  fundParty,
  milestoneTerms,
  oracleContract,
  PASSPHRASE,
  startWorld,
  type World,
} from './helpers.ts';

let world: World;
let c: CreatedContract;

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [300_000n]);
  await fundParty(world, world.freelancer, [120_000n]);
  c = await oracleContract(world, ['enum']);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

describe('abandon after a counterparty double spend', () => {
  it('sees the double spend, refuses while it is unconfirmed, then frees the coins', async () => {
    const before = await world.client.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 0, {
      funding: 'dual',
      offerCollateralSat: 100_000n,
    });
    const announcement = await world.oracle.announcement(terms.eventId);
    const { contract: offered, offer } = await world.client.offer({ terms, announcement });
    expect(await world.client.wallet.balanceSat()).toBe(0n); // its one coin is reserved
    const { accept } = await world.freelancer.accept({ offer, terms });
    await world.client.sign({ accept });
    expect(world.client.store.getContract(offered.id).state).toBe('signed');
    await expect(world.client.abandon(String(offered.id))).rejects.toThrow(/can still confirm/);

    // The freelancer spends its funding input elsewhere instead of broadcasting the funding.
    const input = decodeAcceptDlc(accept).fundingInputs[0]!;
    const prev = decodeRawTx(input.prevTx);
    const prevOut = prev.outputs[input.prevTxVout]!;
    const elsewhere = p2wpkh(
      secp256k1.getPublicKey(new Uint8Array(32).fill(9), true),
      REGTEST_NETWORK,
    );
    const tx = new Transaction({ version: 2 });
    tx.addInput({
      txid: txidOf(input.prevTx),
      index: input.prevTxVout,
      witnessUtxo: { script: prevOut.script, amount: prevOut.amount },
    });
    tx.addOutput({ script: elsewhere.script, amount: prevOut.amount - 500n });
    tx.sign(world.freelancer.wallet.secretKeyForSpk(prevOut.script));
    tx.finalize();
    await devnetOf(world).rpc.sendRawTransaction(tx.hex);

    const [seen] = await world.client.poll(world.oracle);
    expect(seen).toMatchObject({ contract: offered.id, action: 'funding_double_spent' });
    expect(seen?.detail).toMatch(/the counterparty's funding input .* in the mempool/);
    await expect(world.client.abandon(String(offered.id))).rejects.toBeInstanceOf(
      ContractStateError,
    );

    await world.mine(1);
    const [confirmed] = await world.client.poll(world.oracle);
    expect(confirmed?.detail).toMatch(
      /cannot fund: the counterparty's funding input .* in a block/,
    );

    // `dlc status` says why, then `dlc abandon` frees the coins.
    const out: string[] = [];
    const io: DlcIo = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      readStdin: () => Promise.resolve(''),
    };
    const env = {
      VERDICT_PARTY_PASSPHRASE: PASSPHRASE,
      VERDICT_BITCOIN_RPC: devnetOf(world).url,
      VERDICT_BITCOIN_RPC_COOKIE: devnetOf(world).cookieFile!,
    };
    world.client.close();
    const args = ['--data-dir', world.dirs.client];
    expect(await runDlc([...args, 'status', String(offered.id)], io, env)).toBe(0);
    expect(out.at(-1)).toMatch(/signed\t.*cannot fund: the counterparty's funding input/);
    expect(await runDlc([...args, 'abandon', String(offered.id)], io, env)).toBe(0);
    expect(out.at(-1)).toMatch(/abandoned/);
    await world.reopen('client');
    expect(world.client.store.getContract(offered.id).state).toBe('cancelled');
    expect(await world.client.wallet.balanceSat()).toBe(before);
    // Nothing of the client's was spent or broadcast.
    expect(
      await devnetOf(world).rpc.getMempoolEntry(
        world.client.store.getContract(offered.id).funding_txid!,
      ),
    ).toBeNull();
  }, 120_000);
});

function txidOf(raw: Uint8Array): string {
  return Transaction.fromRaw(raw, { allowUnknownOutputs: true }).id;
}
