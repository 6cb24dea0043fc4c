/**
 * Funding a milestone from an external wallet by PSBT in the parties' app (issue 15 §2): two apps
 * (separate data dirs, wallets made over the app's HTTP API), one real oracle, the devnet. The
 * client's Verdict wallet holds nothing: an external wallet modelled as in test/party/psbt.test.ts
 * (a key the test holds, its own PSBT built and signed with @scure/btc-signer) brings the coin and
 * the change. The client presses Fund with that wallet's PSBT, the job stops at
 * `waiting_signed_psbt` with the funding PSBT to download; signed PSBTs that are not the agreed
 * transaction are refused in words and the job keeps waiting; the right one funds and confirms.
 * Also: `verdict app`'s watcher flags (`--watch-interval`, the bump policy).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { p2wpkh, RawTx, Transaction } from '@scure/btc-signer';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { createWallet, ok, PASSPHRASE, rawJson, type AppHandle } from './app-handle.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REGTEST_NETWORK,
  startDevnet,
  devnetFaucet,
  type Devnet,
} from '../../src/chain/devnet/index.ts';
import { PartyStore } from '../../src/party/store.ts';
import { STORE_FILE } from '../../src/party/party.ts';
import { startPartyApp, type PartyAppOptions } from '../../party-app/server.ts';
import type { FundingJobView } from '../../party-app/funding.ts';
import type * as PsbtFundingUi from '../../party-app/ui/psbt-funding.ts';
import { run as runApp, watcherOptionsOf } from '../../scripts/cli/app.ts';
import {
  call,
  createContract,
  expectOk,
  milestoneUrl,
  startTestServer,
  type CreatedContract,
  type TestServer,
} from '../oracle/helpers.ts';
import { MINER_ADDRESS } from '../party/helpers.ts';
import { browserOrSkip } from '../helpers/browser.ts';

const BROWSER = browserOrSkip('test/party-app/psbt-funding.test.ts');

const AMOUNT = 150_000n;
const COIN = 300_000n;

/** The external wallet (Core, Sparrow): one P2WPKH key, its change address, its own PSBTs. */
class ExternalSigner {
  readonly secretKey = secp256k1.utils.randomSecretKey();
  readonly pay = p2wpkh(secp256k1.getPublicKey(this.secretKey, true), REGTEST_NETWORK);
  readonly changePay = p2wpkh(
    secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true),
    REGTEST_NETWORK,
  );

  /** Like Core's walletcreatefundedpsbt: the coin it chose, its change output (base64). */
  async fundingPsbt(coinSat: bigint): Promise<string> {
    const { txid } = await devnetFaucet(devnet.rpc, this.pay.address, coinSat, false);
    await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
    const raw = await devnet.rpc.getRawTransaction(txid);
    const outs = RawTx.decode(raw).outputs as { script: Uint8Array; amount: bigint }[];
    const vout = outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(this.pay.script));
    const tx = new Transaction({ version: 2 });
    tx.addInput({
      txid,
      index: vout,
      witnessUtxo: { script: this.pay.script, amount: coinSat },
      nonWitnessUtxo: raw,
    });
    tx.addOutput({ script: this.changePay.script, amount: coinSat - 100_000n });
    return Buffer.from(tx.toPSBT()).toString('base64');
  }

  /** Like Core's walletprocesspsbt: signs the inputs it owns. */
  sign(psbt: Uint8Array): Uint8Array {
    const tx = Transaction.fromPSBT(psbt);
    for (let i = 0; i < tx.inputsLength; i++) {
      const utxo = tx.getInput(i).witnessUtxo;
      if (utxo !== undefined && bytesToHex(utxo.script) === bytesToHex(this.pay.script))
        tx.signIdx(this.secretKey, i);
    }
    return tx.toPSBT();
  }
}

async function openApp(dataDir: string, extra: Partial<PartyAppOptions> = {}): Promise<AppHandle> {
  const app = await startPartyApp({
    ...extra,
    dataDir,
    chain: devnet.rpc,
    nodeLabel: 'devnet',
    oracleUrl: oracle.url,
    scryptN: 1024,
    watchIntervalMs: 200,
    relayPollMs: 100,
  });
  const secret = app.url.split('#')[1] ?? '';
  const session = await rawJson(
    `${app.origin}/api/session`,
    'POST',
    { origin: app.origin },
    { secret },
  );
  expect(session.status).toBe(200);
  const cookie = String(session.headers['set-cookie']).split(';')[0] ?? '';
  return {
    app,
    dataDir,
    cookie,
    async api<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
      const r = await rawJson(
        `${app.origin}${path}`,
        method,
        { origin: app.origin, cookie },
        method === 'POST' ? (body ?? {}) : undefined,
      );
      return { status: r.status, body: r.body as T };
    },
  };
}

/** This party's membership of `c` (accepted), written into the data dir while the app is locked. */
async function addMembership(
  a: AppHandle,
  c: CreatedContract,
  role: 'client' | 'freelancer',
): Promise<void> {
  const terms = expectOk(
    await call<{ termsHash: string; canonicalJson: string; terms: { oraclePublicKey: string } }>(
      oracle.url,
      'GET',
      `/v1/contracts/${c.contract.id}/terms`,
      { token: c.tokens[role] },
    ),
  );
  // The party's answer at the oracle, as the app's Accept posts it (the counterparty's job reads it).
  expectOk(
    await call(oracle.url, 'POST', `/v1/contracts/${c.contract.id}/agreement`, {
      token: c.tokens[role],
      body: { decision: 'accept', termsHash: terms.termsHash },
    }),
  );
  await ok(a.api('POST', '/api/wallet/lock'));
  const store = PartyStore.open(join(a.dataDir, STORE_FILE));
  try {
    store.addMembership({
      contract_id: c.contract.id,
      oracle_url: oracle.url,
      oracle_public_key: terms.terms.oraclePublicKey,
      role,
      token: c.tokens[role],
      terms_hash: terms.termsHash,
      canonical_json: terms.canonicalJson,
      agreement: 'accepted',
      invite_for_counterparty: null,
    });
  } finally {
    store.close();
  }
  await ok(a.api('POST', '/api/wallet/unlock', { passphrase: PASSPHRASE }));
}

const fundPath = (i: number) => `/api/contracts/${contract.contract.id}/milestones/${i}/fund`;

async function jobOf(a: AppHandle, i: number): Promise<FundingJobView | null> {
  return (await ok<{ job: FundingJobView | null }>(a.api('GET', fundPath(i)))).job;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true (a safety bound, not a timing assertion); mines when asked. */
/** Both jobs of milestone `i` end funded (mining while they wait for a block). */
async function bothFunded(i: number): Promise<void> {
  await until(
    `milestone ${i} funded on both sides`,
    async () => {
      const jobs = [await jobOf(client, i), await jobOf(freelancer, i)];
      for (const j of jobs)
        if (j?.state === 'failed') throw new Error(`job failed: ${JSON.stringify(j.error)}`);
      return jobs.every((j) => j?.state === 'done');
    },
    true,
  );
}

async function until(what: string, check: () => Promise<boolean>, mine = false): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    if (mine) await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
    await sleep(200);
  }
  throw new Error(`never happened: ${what}`);
}

type Refusal = { error: { code: string; message: string } };

let devnet: Devnet;
let oracle: TestServer;
let client: AppHandle;
let freelancer: AppHandle;
let contract: CreatedContract;
const dirs: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `verdict-psbt-${name}-`));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  devnet = await startDevnet({ dataDir: tmp('devnet') });
  oracle = await startTestServer();
  client = await openApp(join(tmp('client'), 'wallet'));
  freelancer = await openApp(join(tmp('freelancer'), 'wallet'));
  await createWallet(client);
  await createWallet(freelancer);
  // The client's Verdict wallet gets nothing: the external wallet funds its side.
  contract = await createContract(oracle, [{}, {}, {}]);
  await addMembership(client, contract, 'client');
  await addMembership(freelancer, contract, 'freelancer');
}, 120_000);

afterAll(async () => {
  await client?.app.close();
  await freelancer?.app.close();
  await devnet?.stop();
  await oracle?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('funding a milestone from an external wallet (PSBT) in the app', () => {
  it('refuses what is not a PSBT, one over 1 MiB, a PSBT from the freelancer (who brings nothing), and a signed PSBT without a job', async () => {
    const notPsbt = await client.api<Refusal>('POST', fundPath(0), {
      fundingPsbt: 'aGVsbG8gd29ybGQ=',
    });
    expect(notPsbt.status).toBe(400);
    expect(notPsbt.body.error.code).toBe('invalid_psbt');
    expect(notPsbt.body.error.message).toMatch(/is not a PSBT/);
    const huge = new Uint8Array(1024 * 1024 + 10);
    huge.set([0x70, 0x73, 0x62, 0x74, 0xff]);
    const tooLarge = await client.api<Refusal>('POST', fundPath(0), {
      fundingPsbt: Buffer.from(huge).toString('base64'),
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.message).toMatch(/larger than 1 MiB/);
    const signer = new ExternalSigner();
    const f = await freelancer.api<Refusal>('POST', fundPath(0), {
      fundingPsbt: await signer.fundingPsbt(150_000n),
    });
    expect(f.status).toBe(409);
    expect(f.body.error.code).toBe('nothing_to_fund');
    const noJob = await client.api<Refusal>('POST', `${fundPath(0)}/signed-psbt`, {
      psbt: await signer.fundingPsbt(150_000n),
    });
    expect(noJob.status).toBe(404);
    expect(noJob.body.error.message).toMatch(/press Fund/);
    // None of them started a job.
    expect(await jobOf(client, 0)).toBeNull();
    expect(await jobOf(freelancer, 0)).toBeNull();
  }, 60_000);

  it('both fund, the client from the external wallet: the job waits for the signed PSBT, refuses one that is not the agreed transaction, and funds with the right one', async () => {
    const signer = new ExternalSigner();
    const started = await ok<{ job: FundingJobView }>(
      client.api('POST', fundPath(0), { fundingPsbt: await signer.fundingPsbt(COIN) }),
    );
    expect(started.job.steps).toEqual([
      'terms',
      'offer',
      'waiting_accept',
      'waiting_signed_psbt',
      'sign',
      'waiting_confirmation',
      'funded',
    ]);
    await ok(freelancer.api('POST', fundPath(0)));
    await until('the client waits for the signed PSBT', async () => {
      const j = await jobOf(client, 0);
      if (j?.state === 'failed') throw new Error(JSON.stringify(j.error));
      return j?.step === 'waiting_signed_psbt' && j.psbt !== null;
    });
    const waiting = (await jobOf(client, 0))!;
    expect(waiting.state).toBe('running');
    expect(waiting.note).toMatch(/signed by your other wallet/);
    expect(waiting.fundingTxid).toMatch(/^[0-9a-f]{64}$/);
    // What the wallet is asked to sign: its one coin, with its witness UTXO and previous tx.
    const unsigned = Uint8Array.from(Buffer.from(waiting.psbt!, 'base64'));
    const view = Transaction.fromPSBT(unsigned);
    expect(view.inputsLength).toBe(1);
    expect(view.getInput(0).witnessUtxo?.amount).toBe(COIN);
    expect(view.getInput(0).nonWitnessUtxo).toBeDefined();
    const signedPath = `${fundPath(0)}/signed-psbt`;

    // The change takes 5 000 sat more (the wallet signs what it is shown): not the agreed one.
    const moreChange = Transaction.fromPSBT(unsigned);
    const outs = RawTx.decode(moreChange.toBytes(true, false)).outputs as {
      script: Uint8Array;
      amount: bigint;
    }[];
    const ci = outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(signer.changePay.script));
    expect(ci).toBeGreaterThanOrEqual(0);
    moreChange.updateOutput(ci, { amount: outs[ci]!.amount + 5_000n });
    const tampered = await client.api<Refusal>('POST', signedPath, {
      psbt: Buffer.from(signer.sign(moreChange.toPSBT())).toString('base64'),
    });
    expect(tampered.status).toBe(422);
    expect(tampered.body.error.code).toBe('funding_psbt_mismatch');
    expect(tampered.body.error.message).toMatch(
      /not the agreed funding transaction.*Nothing was signed or broadcast/,
    );
    // The agreed transaction signed by another key: the signature does not verify (hex this time).
    const other = new ExternalSigner();
    const forged = Transaction.fromRaw(Transaction.fromPSBT(unsigned).toBytes(true, false), {
      allowUnknownOutputs: true,
    });
    forged.updateInput(0, { witnessUtxo: { script: other.pay.script, amount: COIN } });
    forged.signIdx(other.secretKey, 0);
    const wrongKey = await client.api<Refusal>('POST', signedPath, {
      psbt: bytesToHex(forged.toPSBT()),
    });
    expect(wrongKey.status).toBe(422);
    expect(wrongKey.body.error.code).toBe('invalid_funding_signature');
    expect(wrongKey.body.error.message).toMatch(/does not verify/);
    // Unsigned: refused too.
    const notSigned = await client.api<Refusal>('POST', signedPath, { psbt: waiting.psbt });
    expect(notSigned.status).toBe(422);
    expect(notSigned.body.error.message).toMatch(/not signed for your inputs/);
    // The job still waits, with the same PSBT; nothing reached the relay or the chain.
    const still = (await jobOf(client, 0))!;
    expect(still.step).toBe('waiting_signed_psbt');
    expect(still.psbt).toBe(waiting.psbt);
    expect(still.error).toBeNull();
    expect((await jobOf(freelancer, 0))?.step).toBe('waiting_sign');
    expect(await devnet.rpc.getMempoolEntry(waiting.fundingTxid!)).toBeNull();

    // The PSBT the external wallet signed, unchanged: the job signs and goes on.
    const accepted = await ok<{ job: FundingJobView }>(
      client.api('POST', signedPath, {
        psbt: Buffer.from(signer.sign(unsigned)).toString('base64'),
      }),
    );
    expect(accepted.job.step).not.toBe('waiting_signed_psbt');
    expect(accepted.job.psbt).toBeNull();
    await until(
      'both sides funded',
      async () => {
        const jobs = [await jobOf(client, 0), await jobOf(freelancer, 0)];
        for (const j of jobs)
          if (j?.state === 'failed') throw new Error(`job failed: ${JSON.stringify(j.error)}`);
        return jobs.every((j) => j?.state === 'done');
      },
      true,
    );
    const cj = (await jobOf(client, 0))!;
    expect(cj.fundingTxid).toBe(waiting.fundingTxid);
    expect((await jobOf(freelancer, 0))?.fundingTxid).toBe(waiting.fundingTxid);
    // On chain: the external coin spent, its change back to the external wallet's address.
    const funding = RawTx.decode(await devnet.rpc.getRawTransaction(cj.fundingTxid!));
    expect(funding.inputs).toHaveLength(1);
    const change = (funding.outputs as { script: Uint8Array; amount: bigint }[]).find(
      (o) => bytesToHex(o.script) === bytesToHex(signer.changePay.script),
    );
    expect(change?.amount).toBeGreaterThan(COIN - AMOUNT - 10_000n);
    expect(change?.amount).toBeLessThan(COIN - AMOUNT);
    // The client's Verdict wallet never held a coin.
    expect((await ok<{ balanceSat: string }>(client.api('GET', '/api/wallet'))).balanceSat).toBe(
      '0',
    );
    // Nothing waits any more.
    const late = await client.api<Refusal>('POST', signedPath, {
      psbt: Buffer.from(signer.sign(unsigned)).toString('base64'),
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('not_waiting_signed_psbt');
  }, 240_000);
});

describe('a PSBT funding job after a restart', () => {
  it('waits again for the signed PSBT, with the same funding PSBT, and funds', async () => {
    const signer = new ExternalSigner();
    await ok(client.api('POST', fundPath(2), { fundingPsbt: await signer.fundingPsbt(COIN) }));
    await ok(freelancer.api('POST', fundPath(2)));
    await until('the client waits for the signed PSBT', async () => {
      const j = await jobOf(client, 2);
      return j?.step === 'waiting_signed_psbt' && j.psbt !== null;
    });
    const before = (await jobOf(client, 2))!;
    const dataDir = client.dataDir;
    await client.app.close();
    client = await openApp(dataDir);
    await ok(client.api('POST', '/api/wallet/unlock', { passphrase: PASSPHRASE }));
    // The offered DLC row resumes by itself; the accept is read and checked again.
    await until('the resumed job waits for the signed PSBT', async () => {
      const j = await jobOf(client, 2);
      if (j?.state === 'failed') throw new Error(JSON.stringify(j.error));
      return j?.step === 'waiting_signed_psbt' && j.psbt !== null;
    });
    const after = (await jobOf(client, 2))!;
    expect(after.steps).toContain('waiting_signed_psbt');
    expect(after.psbt).toBe(before.psbt);
    expect(after.fundingTxid).toBe(before.fundingTxid);
    await ok(
      client.api('POST', `${fundPath(2)}/signed-psbt`, {
        psbt: Buffer.from(signer.sign(Buffer.from(after.psbt!, 'base64'))).toString('base64'),
      }),
    );
    await bothFunded(2);
  }, 240_000);
});

describe('verdict app: the watcher flags', () => {
  it('--watch-interval and the bump policy of verdict dlc watch', async () => {
    expect(
      watcherOptionsOf({
        'watch-interval': '0.5',
        'bump-after': '3',
        'bump-fee-rate': '20',
        'bump-max-sat': '5000',
      }),
    ).toEqual({
      watchIntervalMs: 500,
      bumpPolicy: { afterBlocks: 3, feeRateSatPerVb: 20n, maxAutoFeeSat: 5000n },
    });
    expect(watcherOptionsOf({ 'bump-after': '2', 'bump-fee-rate': '5' }).bumpPolicy).toEqual({
      afterBlocks: 2,
      feeRateSatPerVb: 5n,
      maxAutoFeeSat: 0n,
    });
    expect(watcherOptionsOf({})).toEqual({});
    const errors: string[] = [];
    const io = { out: () => undefined, err: (s: string) => errors.push(s) };
    for (const argv of [
      ['--bump-after', '3'],
      ['--bump-fee-rate', '3'],
      ['--watch-interval', '0'],
      ['--watch-interval', 'soon'],
      ['--bump-after', '0', '--bump-fee-rate', '3'],
    ])
      expect(await runApp(argv, io as never, {}, Promise.resolve())).toBe(2);
    expect(errors[0]).toMatch(/--bump-after needs --bump-fee-rate/);
    expect(errors[2]).toMatch(/--watch-interval must be/);
  });
});

describe.skipIf(BROWSER === null)('the PSBT funding panel in the browser', () => {
  it('takes the external PSBT pasted, offers the funding PSBT as a Blob download, shows a refusal in words, takes the signed PSBT as a binary file; funded', async () => {
    // The panel module as the page would bundle it (D mounts it in the contract page).
    const bundle = await build({
      entryPoints: ['party-app/ui/psbt-funding.ts'],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: 'psbtFunding',
      target: 'es2022',
    });
    const browser = await chromium.launch({
      executablePath: BROWSER ?? '',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      // The app's page with this app's session cookie; the test's script goes in despite the CSP.
      const ctx = await browser.newContext({
        viewport: { width: 390, height: 844 },
        bypassCSP: true,
      });
      const [name, ...value] = client.cookie.split('=');
      await ctx.addCookies([{ name: name!, value: value.join('='), url: client.app.origin }]);
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // The panel alone on the app's origin (its cookie, its API): the app's own script stays out.
      await page.route('**/app.js', (route) => route.abort());
      await page.goto(`${client.app.origin}/`);
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
      await page.evaluate(
        ([contractId]) => {
          const w = window as unknown as {
            psbtFunding: typeof PsbtFundingUi;
          };
          const panel = w.psbtFunding.psbtFundingPanel({
            contractId: contractId!,
            milestone: 1,
            role: 'client',
            job: null,
          });
          const main = document.createElement('section');
          main.id = 'psbt-test';
          main.append(panel.element);
          document.body.replaceChildren(main);
          panel.element.open = true;
          // What the page does on `funding` events: feed the panel the job.
          setInterval(() => {
            void fetch(`/api/contracts/${contractId}/milestones/1/fund`)
              .then((r) => r.json())
              .then((j: { job: Parameters<typeof panel.update>[0] }) => panel.update(j.job));
          }, 200);
        },
        [contract.contract.id],
      );
      const signer = new ExternalSigner();
      await page.getByText('Fund from another wallet (PSBT)').waitFor();
      await page.locator('#psbt-fund-1-text').fill(await signer.fundingPsbt(COIN));
      await page.getByRole('button', { name: 'Fund with this PSBT' }).click();
      await until('the client job started', async () => (await jobOf(client, 1)) !== null);
      await ok(freelancer.api('POST', fundPath(1)));
      const link = page.getByRole('link', { name: 'Download the funding PSBT' });
      await link.waitFor({ timeout: 120_000 });
      const job = (await jobOf(client, 1))!;
      expect(job.step).toBe('waiting_signed_psbt');
      expect(await link.getAttribute('download')).toBe(
        `verdict-${contract.contract.id}-m1-funding.psbt`,
      );
      expect(await link.getAttribute('href')).toMatch(/^blob:/);
      // The download is the binary BIP174 file of the job's PSBT.
      const downloaded = await page.evaluate(
        async (href) => {
          const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
          return Array.from(bytes);
        },
        (await link.getAttribute('href'))!,
      );
      const unsigned = Uint8Array.from(downloaded);
      expect(Buffer.from(unsigned).toString('base64')).toBe(job.psbt);

      // A PSBT of another transaction, pasted: refused in words on the page; still waiting.
      const other = new ExternalSigner();
      await page
        .locator('#psbt-signed-1-text')
        .fill(
          other
            .sign(Uint8Array.from(Buffer.from(await other.fundingPsbt(COIN), 'base64')))
            .reduce((h, b) => h + b.toString(16).padStart(2, '0'), ''),
        );
      await page.getByRole('button', { name: 'Hand back the signed PSBT' }).click();
      await expect
        .poll(() => page.getByRole('alert').first().textContent(), { timeout: 60_000 })
        .toMatch(/not the agreed funding transaction/);
      expect((await jobOf(client, 1))?.step).toBe('waiting_signed_psbt');

      // The signed one, as the binary file the wallet saved.
      await page.locator('#psbt-signed-1-text').fill('');
      await page.locator('#psbt-signed-1-file').setInputFiles({
        name: 'signed.psbt',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from(signer.sign(unsigned)),
      });
      await page.getByRole('button', { name: 'Hand back the signed PSBT' }).click();
      await bothFunded(1);
      expect((await jobOf(client, 1))?.fundingTxid).toBe(job.fundingTxid);
      await expect
        .poll(() => page.locator('#psbt-test').textContent(), { timeout: 30_000 })
        .toMatch(/This milestone is funded/);
      expect(errors).toEqual([]);
      await ctx.close();
    } finally {
      await browser.close();
    }
  }, 240_000);
});

describe("the app's watcher with a bump policy (verdict app --bump-after …)", () => {
  it('bumps a CET stuck below the mempool minimum by itself (CPFP) and settles', async () => {
    // The freelancer's app again, with the policy `verdict app --bump-after 1 --bump-fee-rate 8
    // --bump-max-sat 5000` gives it.
    const dataDir = freelancer.dataDir;
    await freelancer.app.close();
    freelancer = await openApp(dataDir, {
      bumpPolicy: watcherOptionsOf({
        'bump-after': '1',
        'bump-fee-rate': '8',
        'bump-max-sat': '5000',
      }).bumpPolicy!,
    });
    await ok(freelancer.api('POST', '/api/wallet/unlock', { passphrase: PASSPHRASE }));
    type Activity = { entries: { text: string; milestone?: number }[] };
    const seen = (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries.length;
    // The CET was fixed at 2 sat/vB; the mempool now wants 5.
    await devnet.rpc.call('devnet_setmempoolminfee', [5_000]);
    try {
      const m0 = (action: string) => milestoneUrl(contract.contract.id, 0, action);
      expectOk(
        await call(oracle.url, 'POST', m0('deliver'), {
          token: contract.tokens.freelancer,
          body: { commitSha: 'cd'.repeat(20), note: 'done' },
        }),
      );
      expectOk(
        await call(oracle.url, 'POST', m0('accept'), { token: contract.tokens.client, body: {} }),
      );
      await until(
        "the freelancer's watcher bumped the CET",
        async () =>
          (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries
            .slice(seen)
            .some((e) => e.milestone === 0 && /fee bump \(CPFP\) broadcast/.test(e.text)),
        true,
      );
      await until(
        'milestone 0 settled',
        async () =>
          (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries
            .slice(seen)
            .some((e) => e.milestone === 0 && /^milestone 1: settled/.test(e.text)),
        true,
      );
    } finally {
      await devnet.rpc.call('devnet_setmempoolminfee', [1_000]);
    }
    const paid = BigInt(
      (await ok<{ balanceSat: string }>(freelancer.api('GET', '/api/wallet'))).balanceSat,
    );
    // The payout less the child's fee, within the cap.
    expect(paid).toBeLessThan(AMOUNT);
    expect(AMOUNT - paid).toBeLessThanOrEqual(5_000n);
  }, 240_000);
});
