/**
 * Funding a milestone from the app (issue 15 §4): one button per side; offer, accept and sign
 * travel through the oracle's relay in the background, with progress for the page.
 *
 * The job runs the same `Party.offer/accept/sign/finalize` as `verdict dlc` (every check the CLI
 * makes is made: they live in that code), with the terms fetched with this party's token, checked
 * against their hash and against the hash this party agreed to. The client offers and funds alone
 * (single funding), as the CLI's defaults:
 * - client: terms → offer (posted) → waiting_accept → sign (posted) → waiting_confirmation → funded;
 * - freelancer: terms → offer (waits for it) → accept (posted) → waiting_sign → finalize
 *   (broadcast) → waiting_confirmation → funded.
 *
 * Resumable: the job reads where it is from the local DLC row of the milestone's event (found by
 * the event id in `terms_json`), so pressing Fund again — or the unlock after a restart, which
 * resumes every milestone whose row is mid-protocol — continues instead of starting over. An
 * unreachable oracle, relay or node is waited out (the job says so and retries); a refusal is an
 * error in words with a stable code. Jobs stop at lock (the party's keys go away with it).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { ChainError, RpcRejectedError } from '../src/chain/errors.ts';
import { DlcProtocolError, InvalidFundingSignatureError } from '../src/dlc/protocol.ts';
import { decodeAcceptDlc, decodeOfferDlc } from '../src/dlc/messages.ts';
import {
  milestoneDlcTerms,
  milestoneEventId,
  TermsMismatchError,
  verifyContractTerms,
} from '../src/party/contract-terms.ts';
import { milestoneTermsSchema, type MilestoneTerms } from '../src/party/milestone-terms.ts';
import { OracleClient, OracleTransportError, type RelayRef } from '../src/party/oracle-client.ts';
import { ContractStateError, SignedPsbtRequiredError, type Party } from '../src/party/party.ts';
import { FundingPsbtError, PsbtMismatchError, readPsbtBytes } from '../src/party/psbt.ts';
import type { ContractRow, MembershipRow } from '../src/party/store.ts';
import { InsufficientWalletFundsError } from '../src/party/wallet.ts';
import { HttpError, parse, type AppContext, type AppModule, type AppRoute } from './context.ts';

export type FundingStep =
  | 'terms'
  | 'offer'
  | 'waiting_accept'
  | 'accept'
  | 'waiting_sign'
  | 'waiting_signed_psbt'
  | 'sign'
  | 'finalize'
  | 'waiting_confirmation'
  | 'funded';

const CLIENT_STEPS: readonly FundingStep[] = [
  'terms',
  'offer',
  'waiting_accept',
  'sign',
  'waiting_confirmation',
  'funded',
];
const FREELANCER_STEPS: readonly FundingStep[] = [
  'terms',
  'offer',
  'accept',
  'waiting_sign',
  'finalize',
  'waiting_confirmation',
  'funded',
];
/** The steps when this side funds from an external wallet: its signed PSBT before signing. */
const withSignedPsbt = (steps: readonly FundingStep[]): readonly FundingStep[] =>
  steps.flatMap((s) =>
    s === 'sign' || s === 'finalize' ? (['waiting_signed_psbt', s] as const) : [s],
  );

/** The largest PSBT the app takes (the external wallet's, and the signed one), in bytes. */
export const MAX_PSBT_BYTES = 1024 * 1024;

/** A funding job as the page sees it (`GET …/fund`, and the `funding` events). */
export interface FundingJobView {
  readonly [key: string]: unknown;
  readonly contractId: string;
  readonly milestone: number;
  readonly role: 'client' | 'freelancer';
  readonly state: 'running' | 'done' | 'failed';
  readonly step: FundingStep;
  readonly steps: readonly FundingStep[];
  /** CET signing or verification progress inside the step, 0..1. */
  readonly fraction: number;
  /** What the job waits for now, in words (the counterparty, a block, an unreachable oracle). */
  readonly note: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly fundingTxid: string | null;
  /**
   * Funding from an external wallet: the unsigned funding PSBT (base64) for that wallet to sign,
   * once the job waits for it (step `waiting_signed_psbt`); null otherwise.
   */
  readonly psbt: string | null;
}

/** What the step was doing, for an error message ("Making the offer failed: …"). */
const STEP_WORDS: Record<FundingStep, string> = {
  terms: 'Checking the contract terms',
  offer: 'The offer',
  waiting_accept: 'Waiting for the accept',
  accept: 'Accepting the offer',
  waiting_sign: 'Waiting for the signatures',
  waiting_signed_psbt: 'Writing the funding PSBT for your other wallet',
  sign: 'Checking the accept and signing',
  finalize: 'Checking the signatures and broadcasting the funding',
  waiting_confirmation: 'Waiting for the funding to confirm',
  funded: 'Funding',
};

/** A refusal that ends the job, with its code; anything else thrown is classified by `failureOf`. */
class FundingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FundingError';
  }
}

class Stopped extends Error {}

/** An outage to wait out (no answer, a 5xx, a 429), not a refusal. */
function isTransient(e: unknown): boolean {
  if (e instanceof OracleTransportError)
    return e.status === undefined || e.status >= 500 || e.status === 429;
  return e instanceof ChainError && !(e instanceof RpcRejectedError) && e.code !== 'chain_rpc_auth';
}

function outageWords(e: unknown): string {
  const what = e instanceof ChainError ? 'the Bitcoin node' : 'the oracle (or its relay)';
  return `${what} cannot be reached (${(e as Error).message}); retrying`;
}

/** A thrown error as `{code, message}` in words a person reads. */
function failureOf(step: FundingStep, e: unknown): { code: string; message: string } {
  const doing = STEP_WORDS[step];
  if (e instanceof FundingError) return { code: e.code, message: e.message };
  if (e instanceof InsufficientWalletFundsError)
    return {
      code: e.code,
      message: `${doing} failed: the wallet cannot lock this milestone (${e.message}). Receive coins, wait for a confirmation, then press Fund again.`,
    };
  if (e instanceof TermsMismatchError)
    return {
      code: e.code,
      message: `${doing} failed: the oracle's terms do not check out (${e.message}). Nothing was signed.`,
    };
  if (e instanceof FundingPsbtError)
    return {
      code: e.code,
      message: `${doing} failed: the PSBT of your other wallet cannot fund this milestone (${e.message}). Make a new one (Core: walletcreatefundedpsbt) and press Fund again with it.`,
    };
  if (e instanceof DlcProtocolError)
    return {
      code: e.code,
      message: `${doing} failed: the counterparty's message does not pass the checks (${e.message}). Nothing was signed.`,
    };
  if (e instanceof ContractStateError)
    return { code: e.code, message: `${doing} failed: ${e.message}.` };
  if (e instanceof RpcRejectedError)
    return {
      code: e.code,
      message: `${doing} failed: the node refused the transaction (${e.reason}).`,
    };
  if (e instanceof OracleTransportError)
    return {
      code: 'oracle_refused',
      message: `${doing} failed: the oracle refused (${e.message}).`,
    };
  const code = (e as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : 'funding_failed',
    message: `${doing} failed: ${e instanceof Error ? e.message : String(e)}`,
  };
}

/** The local DLC row of a milestone's event (the latest one not cancelled), if any. */
export function dlcRowOfEvent(party: Party, eventId: string): ContractRow | undefined {
  let found: ContractRow | undefined;
  for (const row of party.store.listContracts()) {
    if (row.state === 'cancelled') continue;
    const parsed = z.object({ eventId: z.string() }).safeParse(JSON.parse(row.terms_json));
    if (parsed.success && parsed.data.eventId === eventId && (found?.id ?? -1) < row.id)
      found = row;
  }
  return found;
}

const agreementView = z.object({
  agreement: z
    .object({
      client: z.enum(['pending', 'accepted', 'declined']),
      freelancer: z.enum(['pending', 'accepted', 'declined']),
    })
    .optional(),
});

/**
 * The counterparty's answer as the oracle's contract view says it, or undefined while the oracle
 * does not report agreements (before issue 15's `agreement` field).
 * @throws OracleTransportError
 */
async function counterpartyAgreement(
  m: MembershipRow,
): Promise<'pending' | 'accepted' | 'declined' | undefined> {
  let res: Response;
  try {
    res = await fetch(
      `${m.oracle_url.replace(/\/+$/, '')}/v1/contracts/${encodeURIComponent(m.contract_id)}`,
      { headers: { authorization: `Bearer ${m.token}` }, signal: AbortSignal.timeout(10_000) },
    );
  } catch (e) {
    throw new OracleTransportError(`contract view: ${(e as Error).message}`);
  }
  if (res.status !== 200)
    throw new OracleTransportError(`contract view: HTTP ${res.status}`, res.status);
  const view = agreementView.safeParse(await res.json());
  if (!view.success || view.data.agreement === undefined) return undefined;
  return view.data.agreement[m.role === 'client' ? 'freelancer' : 'client'];
}

const notAgreed = (who: 'you' | 'the counterparty') =>
  new FundingError(
    'not_agreed',
    who === 'you'
      ? 'You have not accepted these terms: accept them before funding.'
      : 'The counterparty has not accepted the terms yet: funding starts once both sides have.',
  );

/**
 * A signed PSBT refused, as an HTTP error in words; the job keeps waiting for a good one.
 * Nothing was signed or broadcast.
 */
function signedPsbtRefusal(step: FundingStep, e: unknown): HttpError {
  if (e instanceof PsbtMismatchError)
    return new HttpError(
      422,
      e.code,
      /not the agreed funding transaction/.test(e.message)
        ? `This is not the agreed funding transaction (${e.message}): sign the funding PSBT downloaded here, unchanged, and hand back what your wallet signed. Nothing was signed or broadcast.`
        : `This PSBT is not signed for your inputs (${e.message}): sign the funding PSBT downloaded here with your other wallet and hand back what it signed. Nothing was signed or broadcast.`,
    );
  if (e instanceof InvalidFundingSignatureError)
    return new HttpError(
      422,
      e.code,
      `A signature of your other wallet's inputs does not verify (${e.message}): sign with the wallet whose PSBT you gave at Fund. Nothing was signed or broadcast.`,
    );
  if (e instanceof FundingPsbtError)
    return new HttpError(
      400,
      e.code,
      `This signed PSBT cannot be read (${e.message}). Nothing was signed or broadcast.`,
    );
  if (isTransient(e)) return new HttpError(503, 'unreachable', `${outageWords(e)} later`);
  const f = failureOf(step, e);
  return new HttpError(422, f.code, `${f.message} The job still waits for the signed PSBT.`);
}

/** Where a job waiting for the external wallet's signed PSBT takes it (`…/fund/signed-psbt`). */
interface SignedPsbtInbox {
  /** Set while the job waits: checks and uses the PSBT, or throws (the job keeps waiting). */
  submit: ((signedPsbt: Uint8Array) => Promise<void>) | undefined;
  busy: boolean;
}

interface Job {
  view: FundingJobView;
  readonly done: Promise<void>;
  readonly abort: AbortController;
  readonly inbox: SignedPsbtInbox;
}

/** The funding jobs of one app (one per milestone at most); B's detail view reads them. */
export class FundingJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly ctx: AppContext) {
    ctx.whileUnlocked((party) => {
      this.resumeMidProtocol(party);
      return () => this.stopAll();
    });
  }

  private get pollMs(): number {
    return this.ctx.relayPollMs ?? 1000;
  }

  /** The milestone's job (running, done or failed), or null when none ran since the unlock. */
  fundingJobOf(contractId: string, index: number): FundingJobView | null {
    return this.jobs.get(`${contractId}/${index}`)?.view ?? null;
  }

  /**
   * Starts the milestone's job, or returns the one running (or done). A failed job is started
   * again. Refused (409 `not_agreed`) unless this party accepted the terms, and the counterparty
   * too where the oracle reports it.
   */
  async start(
    contractId: string,
    index: number,
    feeRatePerVb?: string,
    fundingPsbt?: Uint8Array,
  ): Promise<FundingJobView> {
    const party = this.ctx.party();
    const m = party.store.membership(contractId);
    if (m === undefined)
      throw new HttpError(404, 'unknown_contract', `this app is not a party to ${contractId}`);
    const terms = z
      .object({ milestones: z.array(z.object({ index: z.number() })) })
      .parse(JSON.parse(m.canonical_json));
    if (!terms.milestones.some((x) => x.index === index))
      throw new HttpError(404, 'no_milestone', `contract ${contractId} has no milestone ${index}`);
    const key = `${contractId}/${index}`;
    const existing = this.jobs.get(key);
    if (existing !== undefined && existing.view.state !== 'failed') return existing.view;
    if (m.agreement !== 'accepted')
      throw new HttpError(409, 'not_agreed', notAgreed('you').message);
    if (fundingPsbt !== undefined && m.role !== 'client')
      throw new HttpError(
        409,
        'nothing_to_fund',
        'In this contract the client locks the amount and the freelancer brings no coins: no PSBT is needed. Press Fund without one.',
      );
    try {
      const theirs = await counterpartyAgreement(m);
      // Undefined: the oracle does not report agreements yet; the job checks again at `terms`.
      if (theirs !== undefined && theirs !== 'accepted')
        throw new HttpError(409, 'not_agreed', notAgreed('the counterparty').message);
    } catch (e) {
      // An unreachable oracle is not a refusal: the job's first step checks again and waits.
      if (!(e instanceof OracleTransportError)) throw e;
    }
    return this.launch(party, m, index, feeRatePerVb ?? '2', fundingPsbt).view;
  }

  /**
   * Hands the external wallet's signed funding PSBT to the milestone's job, which waits for it
   * (step `waiting_signed_psbt`). The job signs (client) or broadcasts (accepter) with it only if
   * it is exactly the agreed funding transaction and every signature of the external inputs
   * verifies — the checks of `verdict dlc sign --signed-psbt`; otherwise this throws an
   * `HttpError` in words and the job keeps waiting.
   */
  async submitSignedPsbt(
    contractId: string,
    index: number,
    signedPsbt: Uint8Array,
  ): Promise<FundingJobView> {
    this.ctx.party();
    const job = this.jobs.get(`${contractId}/${index}`);
    if (job === undefined)
      throw new HttpError(
        404,
        'no_funding_job',
        'No funding job runs for this milestone: press Fund (with your other wallet’s PSBT) first.',
      );
    const submit = job.inbox.submit;
    if (submit === undefined)
      throw new HttpError(
        409,
        'not_waiting_signed_psbt',
        `This milestone’s funding does not wait for a signed PSBT (it is ${job.view.state}, at step ${job.view.step}).`,
      );
    if (job.inbox.busy)
      throw new HttpError(
        409,
        'signed_psbt_busy',
        'A signed PSBT for this milestone is being checked already: wait for its answer.',
      );
    job.inbox.busy = true;
    try {
      await submit(signedPsbt);
    } catch (e) {
      if (e instanceof Stopped) throw new HttpError(409, 'wallet_locked', 'The wallet was locked.');
      throw signedPsbtRefusal(job.view.step, e);
    } finally {
      job.inbox.busy = false;
    }
    return job.view;
  }

  /** At unlock: every milestone whose local DLC row is mid-protocol continues by itself. */
  private resumeMidProtocol(party: Party): void {
    for (const row of party.store.listContracts()) {
      if (!['offered', 'accepted', 'signed', 'broadcast'].includes(row.state)) continue;
      const t = milestoneTermsSchema.safeParse(JSON.parse(row.terms_json));
      if (!t.success) continue;
      const ev = /^verdict\/([^/]+)\/(\d+)\//.exec(t.data.eventId);
      if (ev === null) continue;
      const m = party.store.membership(ev[1]!);
      if (m === undefined || m.agreement !== 'accepted') continue;
      const index = Number(ev[2]);
      if (milestoneEventId(m.contract_id, index, m.terms_hash) !== t.data.eventId) continue;
      if (this.jobs.has(`${m.contract_id}/${index}`)) continue;
      this.launch(party, m, index, t.data.feeRatePerVb.toString());
    }
  }

  private launch(
    party: Party,
    m: MembershipRow,
    index: number,
    feeRatePerVb: string,
    fundingPsbt?: Uint8Array,
  ): Job {
    const abort = new AbortController();
    const plain = m.role === 'client' ? CLIENT_STEPS : FREELANCER_STEPS;
    const steps = fundingPsbt === undefined ? plain : withSignedPsbt(plain);
    const inbox: SignedPsbtInbox = { submit: undefined, busy: false };
    const holder: { job?: Job } = {};
    const initial: FundingJobView = {
      contractId: m.contract_id,
      milestone: index,
      role: m.role,
      state: 'running',
      step: 'terms',
      steps,
      fraction: 0,
      note: null,
      error: null,
      fundingTxid: null,
      psbt: null,
    };
    const set = (change: Partial<FundingJobView>): void => {
      const job = holder.job;
      if (job === undefined || abort.signal.aborted) return;
      job.view = { ...job.view, ...change };
      this.ctx.bus.emit({
        kind: 'funding',
        contractId: m.contract_id,
        milestone: index,
        data: job.view,
      });
    };
    const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      this.run(
        { party, m, index, feeRatePerVb, fundingPsbt, inbox },
        set,
        () => holder.job?.view ?? initial,
        abort.signal,
      )
        .then(() => set({ state: 'done', step: 'funded', fraction: 1, note: null }))
        .catch((e: unknown) => {
          if (e instanceof Stopped || abort.signal.aborted) return;
          set({
            state: 'failed',
            note: null,
            error: failureOf(holder.job?.view.step ?? 'terms', e),
          });
        }),
    );
    const job: Job = { view: initial, done, abort, inbox };
    holder.job = job;
    this.jobs.set(`${m.contract_id}/${index}`, job);
    this.ctx.bus.emit({
      kind: 'funding',
      contractId: m.contract_id,
      milestone: index,
      data: initial,
    });
    return job;
  }

  /** At lock or close: every job stops (between steps) and is forgotten. */
  private async stopAll(): Promise<void> {
    const running = [...this.jobs.values()];
    this.jobs.clear();
    for (const j of running) j.abort.abort();
    await Promise.all(running.map((j) => j.done));
  }

  private async run(
    job: {
      party: Party;
      m: MembershipRow;
      index: number;
      feeRatePerVb: string;
      /** The external wallet's PSBT whose inputs and change fund this side (client only). */
      fundingPsbt: Uint8Array | undefined;
      inbox: SignedPsbtInbox;
    },
    set: (change: Partial<FundingJobView>) => void,
    view: () => FundingJobView,
    signal: AbortSignal,
  ): Promise<void> {
    const { party, m, index, feeRatePerVb, fundingPsbt, inbox } = job;
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(new Stopped());
        const t = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        const onAbort = () => {
          clearTimeout(t);
          reject(new Stopped());
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
    /** Runs `fn`, waiting out outages (the note says so); a refusal is thrown. */
    const retrying = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (;;) {
        if (signal.aborted) throw new Stopped();
        try {
          const r = await fn();
          if (view().note !== null && view().note?.endsWith('; retrying') === true)
            set({ note: null });
          return r;
        } catch (e) {
          if (!isTransient(e)) throw e;
          const note = outageWords(e);
          if (view().note !== note) set({ note });
          await sleep(this.pollMs);
        }
      }
    };
    /** Polls `fn` until it answers non-null, saying what it waits for. */
    const waitFor = async <T>(note: string, fn: () => Promise<T | null>): Promise<T> => {
      for (;;) {
        const r = await retrying(fn);
        if (r !== null) return r;
        if (view().note !== note) set({ note });
        await sleep(this.pollMs);
      }
    };
    let lastPct = -1;
    const onProgress = (doneCount: number, total: number): void => {
      const pct = total === 0 ? 100 : Math.floor((doneCount * 100) / total);
      if (pct === lastPct) return;
      lastPct = pct;
      set({ fraction: pct / 100 });
    };
    const step = (s: FundingStep, note: string | null = null): void => {
      if (signal.aborted) throw new Stopped();
      lastPct = -1;
      set({ step: s, fraction: 0, note });
    };
    const other = m.role === 'client' ? 'the freelancer' : 'the client';
    /**
     * Signs (`sign`) or finalizes (`finalize`) with this wallet; where this side funds from an
     * external wallet (`SignedPsbtRequiredError`, as `verdict dlc sign` without --signed-psbt),
     * writes the funding PSBT from the counterparty's `message` (checked as signing checks it),
     * offers it for download and waits in `waiting_signed_psbt` until a signed PSBT that passes
     * every check arrives through `inbox` (a refused one leaves it waiting).
     */
    const withExternal = async <R>(
      message: Uint8Array,
      then: 'sign' | 'finalize',
      attempt: (signedPsbt?: Uint8Array) => Promise<R>,
    ): Promise<R> => {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof SignedPsbtRequiredError)) throw e;
      }
      const steps = view().steps.includes('waiting_signed_psbt')
        ? view().steps
        : withSignedPsbt(view().steps);
      set({ steps });
      step('waiting_signed_psbt', 'checking the message and writing the funding PSBT');
      const made = await retrying(() => party.fundingPsbt({ message, onProgress }));
      const waiting =
        'waiting for the funding PSBT signed by your other wallet: download it, sign it there (Core: walletprocesspsbt; Sparrow: Sign), and hand the signed PSBT back';
      set({
        psbt: Buffer.from(made.psbt).toString('base64'),
        fundingTxid: made.fundingTxid,
        fraction: 1,
        note: waiting,
      });
      return await new Promise<R>((resolve, reject) => {
        const onAbort = (): void => {
          inbox.submit = undefined;
          reject(new Stopped());
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        inbox.submit = async (signedPsbt) => {
          step(then, 'checking the signed PSBT');
          let r: R;
          try {
            r = await attempt(signedPsbt);
          } catch (e) {
            if (!signal.aborted) set({ step: 'waiting_signed_psbt', fraction: 1, note: waiting });
            throw e;
          }
          inbox.submit = undefined;
          signal.removeEventListener('abort', onAbort);
          set({ psbt: null, note: null });
          resolve(r);
        };
      });
    };
    const oracle = new OracleClient(m.oracle_url);
    const ref: RelayRef = { contractId: m.contract_id, milestoneIndex: index, token: m.token };

    // terms: the parties' terms, fetched with the token, hashed, and the hash this party agreed to.
    step('terms');
    if (m.agreement !== 'accepted') throw notAgreed('you');
    const counterparty = await retrying(() => counterpartyAgreement(m));
    // Until the oracle reports agreements (B's `agreement` field), only this side is checked.
    if (counterparty !== undefined && counterparty !== 'accepted')
      throw notAgreed('the counterparty');
    const verified = verifyContractTerms(
      await retrying(() => oracle.contractTerms(m.contract_id, m.token)),
      m.contract_id,
    );
    if (verified.termsHash !== m.terms_hash)
      throw new FundingError(
        'terms_changed',
        `The oracle now serves other terms (hash ${verified.termsHash}) than the ones you accepted (${m.terms_hash}). Nothing was signed.`,
      );
    const terms: MilestoneTerms = milestoneTermsSchema.parse(
      milestoneDlcTerms(verified, index, {
        offererRole: 'client',
        funding: 'single',
        feeRatePerVb,
      }),
    );
    let row = dlcRowOfEvent(party, terms.eventId);
    const myDlcRole = m.role === 'client' ? 'offer' : 'accept';
    if (row !== undefined && row.role !== myDlcRole)
      throw new FundingError(
        'role_mismatch',
        `This milestone's DLC here was made as the ${row.role === 'offer' ? 'offerer' : 'accepter'} (with "verdict dlc"?), while the app has the client offer: continue it with "verdict dlc".`,
      );
    /**
     * A step that stores before it broadcasts (finalize) must not run twice: after an outage
     * that interrupted it, the stored row says how far it got (the watcher rebroadcasts).
     */
    const movedOn = (from: ContractRow['state'], tempId: string): ContractRow | undefined => {
      const now = party.store.findContract(tempId);
      return now !== undefined && now.state !== from ? now : undefined;
    };
    const isDone = (r: ContractRow | undefined) =>
      r !== undefined && ['confirmed', 'settled', 'refunded'].includes(r.state);

    if (m.role === 'client') {
      step('offer');
      if (row === undefined) {
        const announcement = await retrying(() => oracle.announcement(terms.eventId));
        row = (
          await retrying(() =>
            party.offer({
              terms,
              announcement,
              ...(fundingPsbt === undefined ? {} : { fundingPsbt }),
            }),
          )
        ).contract;
      }
      if (row.state === 'offered') {
        // Posted once; again after a restart unless the relay already has this very offer.
        const offerHex = row.offer_hex;
        const posted = await retrying(() => oracle.getDlcMessage(ref, 'offer'));
        if (posted === null || bytesToHex(posted) !== offerHex)
          await retrying(() => oracle.postDlcMessage(ref, 'offer', hexBytes(offerHex)));
        step('waiting_accept', `waiting for ${other} to accept the offer`);
        const tempId = row.temporary_contract_id;
        const accept = await waitFor(`waiting for ${other} to accept the offer`, async () => {
          const a = await oracle.getDlcMessage(ref, 'accept');
          // An accept of an older offer of this milestone is not this one's.
          return a !== null && bytesToHex(decodeAcceptDlc(a).temporaryContractId) === tempId
            ? a
            : null;
        });
        step('sign');
        row = await retrying(
          async () =>
            movedOn('offered', tempId) ??
            (
              await withExternal(accept, 'sign', (signedPsbt) =>
                party.sign({
                  accept,
                  onProgress,
                  ...(signedPsbt === undefined ? {} : { signedPsbt }),
                }),
              )
            ).contract,
        );
      } else step('sign');
      if (row.state === 'signed' && row.sign_hex !== null) {
        const signHex = row.sign_hex;
        const posted = await retrying(() => oracle.getDlcMessage(ref, 'sign'));
        if (posted === null)
          await retrying(() => oracle.postDlcMessage(ref, 'sign', hexBytes(signHex)));
      }
    } else {
      step('offer', `waiting for ${other}'s offer`);
      if (row === undefined) {
        const offer = await waitFor(`waiting for ${other}'s offer`, () =>
          oracle.getDlcMessage(ref, 'offer'),
        );
        step('accept');
        const tempId = bytesToHex(decodeOfferDlc(offer).temporaryContractId);
        if (party.store.findContract(tempId) !== undefined)
          throw new FundingError(
            'offer_already_used',
            `${STEP_WORDS.accept} failed: the offer on the relay was already used here; ask ${other} to offer again.`,
          );
        row = (await retrying(() => party.accept({ offer, terms, onProgress }))).contract;
      } else step('accept');
      if (row.state === 'accepted' && row.accept_hex !== null) {
        const acceptHex = row.accept_hex;
        const posted = await retrying(() => oracle.getDlcMessage(ref, 'accept'));
        if (posted === null || bytesToHex(posted) !== acceptHex)
          await retrying(() => oracle.postDlcMessage(ref, 'accept', hexBytes(acceptHex)));
        step('waiting_sign', `waiting for ${other} to sign`);
        const sign = await waitFor(`waiting for ${other} to sign`, () =>
          oracle.getDlcMessage(ref, 'sign'),
        );
        step('finalize');
        const tempId = row.temporary_contract_id;
        row = await retrying(
          async () =>
            movedOn('accepted', tempId) ??
            (
              await withExternal(sign, 'finalize', (signedPsbt) =>
                party.finalize({
                  sign,
                  onProgress,
                  ...(signedPsbt === undefined ? {} : { signedPsbt }),
                }),
              )
            ).contract,
        );
      } else step('finalize');
    }

    // waiting_confirmation: the watcher (or `verdict dlc watch`) moves the row to `confirmed`.
    set({ fundingTxid: row.funding_txid });
    step('waiting_confirmation', 'waiting for a block to confirm the funding transaction');
    for (;;) {
      const now = party.store.findContract(row.temporary_contract_id) ?? row;
      if (isDone(now)) return;
      if (now.state === 'cancelled')
        throw new FundingError('cancelled', 'This milestone’s DLC was cancelled or abandoned.');
      await sleep(this.pollMs);
    }
  }
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** One registry per app; whichever module asks first creates it. */
const registries = new WeakMap<AppContext, FundingJobs>();

/** This app's funding jobs (B's detail view: `fundingJobs(ctx).fundingJobOf(contractId, i)`). */
export function fundingJobs(ctx: AppContext): FundingJobs {
  let r = registries.get(ctx);
  if (r === undefined) {
    r = new FundingJobs(ctx);
    registries.set(ctx, r);
  }
  return r;
}

/** The milestone's funding job in this app, or null (`GET …/fund` answers the same). */
export function fundingJobOf(
  ctx: AppContext,
  contractId: string,
  index: number,
): FundingJobView | null {
  return fundingJobs(ctx).fundingJobOf(contractId, index);
}

const FUND_PATH = /^\/api\/contracts\/(?<id>[^/]+)\/milestones\/(?<i>\d{1,4})\/fund$/;
const SIGNED_PSBT_PATH =
  /^\/api\/contracts\/(?<id>[^/]+)\/milestones\/(?<i>\d{1,4})\/fund\/signed-psbt$/;
/** A PSBT as text: base64 (Core, Sparrow) or hex, of at most `MAX_PSBT_BYTES`. */
const psbtText = z
  .string()
  .trim()
  .min(1)
  .max(MAX_PSBT_BYTES * 2);
/** The JSON bodies carrying a PSBT: room for its hex and a little JSON. */
const PSBT_BODY_BYTES = MAX_PSBT_BYTES * 2 + 4096;
const fundBody = z.strictObject({
  feeRateSatPerVb: z
    .string()
    .regex(/^[1-9]\d{0,4}$/, 'whole sat/vB, at least 1')
    .optional(),
  /** The external wallet's PSBT (its inputs and change), as `verdict dlc offer --funding-psbt`. */
  fundingPsbt: psbtText.optional(),
});
const signedPsbtBody = z.strictObject({ psbt: psbtText });

const PSBT_MAGIC = [0x70, 0x73, 0x62, 0x74, 0xff];

/** A PSBT's bytes from base64 or hex text (`readPsbtBytes`, as the CLI reads its files). */
function psbtBytesOf(text: string, what: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readPsbtBytes(new TextEncoder().encode(text));
  } catch {
    bytes = new Uint8Array();
  }
  if (!PSBT_MAGIC.every((b, i) => bytes[i] === b))
    throw new HttpError(
      400,
      'invalid_psbt',
      `${what} is not a PSBT: paste it as your wallet exports it (base64, or hex), or choose its file.`,
    );
  if (bytes.length > MAX_PSBT_BYTES)
    throw new HttpError(413, 'psbt_too_large', `${what} is larger than 1 MiB.`);
  return bytes;
}

export const fundingModule: AppModule = (ctx): readonly AppRoute[] => {
  const jobs = fundingJobs(ctx);
  return [
    {
      method: 'POST',
      path: FUND_PATH,
      async handle(req) {
        const body = parse(fundBody, await req.body(PSBT_BODY_BYTES));
        const job = await jobs.start(
          req.params['id'] ?? '',
          Number(req.params['i']),
          body.feeRateSatPerVb,
          body.fundingPsbt === undefined
            ? undefined
            : psbtBytesOf(body.fundingPsbt, 'The PSBT of your other wallet'),
        );
        return { job };
      },
    },
    {
      method: 'POST',
      path: SIGNED_PSBT_PATH,
      async handle(req) {
        const body = parse(signedPsbtBody, await req.body(PSBT_BODY_BYTES));
        const job = await jobs.submitSignedPsbt(
          req.params['id'] ?? '',
          Number(req.params['i']),
          psbtBytesOf(body.psbt, 'The signed PSBT'),
        );
        return { job };
      },
    },
    {
      method: 'GET',
      path: FUND_PATH,
      handle(req) {
        ctx.party();
        return Promise.resolve({
          job: jobs.fundingJobOf(req.params['id'] ?? '', Number(req.params['i'])),
        });
      },
    },
  ];
};
