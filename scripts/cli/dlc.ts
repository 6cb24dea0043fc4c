/**
 * `verdict dlc <command>`: a party's DLC commands (client or freelancer), over its own data dir.
 * Thin: parses flags and the environment, calls `src/party`, prints. Exit codes: 0 ok, 1 refused
 * or invalid input (a bad counterparty message, a contract in the wrong state, not enough funds,
 * a node's rejection), 2 usage or transport (bad flags, oracle or node unreachable).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { ChainError, RpcRejectedError } from '../../src/chain/errors.ts';
import { satsToBtc } from '../../src/chain/amount.ts';
import type { ProgressCallback } from '../../src/dlc/adaptor-set.ts';
import { decodeDlcMessage } from '../../src/dlc/messages.ts';
import { attestationFromHex } from '../../src/dlc/oracle-codec.ts';
import { describeMilestone, milestoneTermsSchema } from '../../src/party/milestone-terms.ts';
import {
  OracleClient,
  OracleTransportError,
  TowerClient,
  type RelayRef,
} from '../../src/party/oracle-client.ts';
import { enableTower, towerReports, type TowerReport } from '../../src/party/tower.ts';
import {
  Party,
  SignedPsbtRequiredError,
  type BumpPolicy,
  type WatchAction,
} from '../../src/party/party.ts';
import { readPsbtBytes } from '../../src/party/psbt.ts';
import { milestoneDlcTerms, verifyContractTerms } from '../../src/party/contract-terms.ts';
import { resolvePartyDir, termsFileOf } from '../../src/party/party-dir.ts';
import type { ContractRow } from '../../src/party/store.ts';
import { acquireWatchLock } from '../../src/party/watch-lock.ts';
import { defaultIo, parseFlags, UsageError, type CliIo } from './common.ts';

export const DLC_USAGE = `usage: verdict dlc <command> [options]

commands:
  wallet init                 create the data dir: keystore (new mnemonic, printed ONCE) + store;
                              --mnemonic-stdin to restore from words read on stdin
  terms --contract ID --milestone N [--offerer client|freelancer] [--funding single|dual]
        [--fee-rate SAT_PER_VB] [--out FILE]
                              fetch the contract's terms from the oracle (checked against their
                              hash) and write the milestone's DLC terms into the data dir
                              (terms/<ID>-<N>.json), where offer and accept find them
  wallet address              a fresh receive address
  wallet balance              spendable confirmed balance (sat)
  wallet send ADDRESS SAT|all [--fee-rate N] [--dry-run] [--force]
                              pay an address outside the wallet (all: sweep every coin);
                              change comes back to the wallet; RBF signalled; refuses another
                              network's address, dust, more than the balance, and a fee above
                              1000 sat/vB or 10% of the amount unless --force
  wallet bump TXID --fee-rate N [--force]
                              replace an unconfirmed send or sweep by one paying more (RBF)
  wallet history              receives, sends, DLC funding, payouts and refunds (with contract
                              and milestone)
  wallet descriptor           receive and change descriptors (BIP380 checksums) for Core's
                              importdescriptors or Sparrow, watch-only
  offer [--terms FILE] [--funding-psbt FILE]
                              fetch the event's announcement, make an offer_dlc (terms: FILE, or
                              those "dlc terms" wrote for --relay-contract/--milestone)
  accept [--terms FILE] [--funding-psbt FILE]
                              check a received offer_dlc against the terms and the chain, answer
                              with accept_dlc (CET adaptor signatures + refund signature)
                              --funding-psbt: fund from an external wallet (Core, Sparrow): its
                              PSBT's inputs and its change output (base64, hex or binary)
  sign [--signed-psbt FILE] [--psbt-out FILE]
                              offerer: check an accept_dlc, answer with sign_dlc;
                              accepter: check a sign_dlc and broadcast the funding transaction;
                              funded by --funding-psbt: first writes the funding PSBT (base64,
                              --psbt-out or <data dir>/psbt/<contract>-funding.psbt) for the
                              external wallet to sign, then --signed-psbt FILE takes it back
  status [REF]                contracts with their state (REF: row id, temporary or contract id)
  watch [--interval SEC] [--once | --until-closed]
        [--bump-after BLOCKS --bump-fee-rate N [--bump-max-sat SAT]]
                              poll the chain and the oracle: confirm funding, settle with the CET
                              as soon as the attestation exists, refund after its locktime
                              (prints what each contract waits for); --once: one round;
                              --until-closed: until every contract is settled or refunded; a CET
                              or refund unconfirmed after BLOCKS gets a bump offered, made by the
                              watcher itself only when the child's fee is at most SAT (default 0)
  settle REF [--attestation FILE]
                              settle now (attestation from the oracle, or hex from FILE)
  refund REF                  broadcast the refund transaction (after its locktime)
  cancel REF                  withdraw an offer not yet signed (its coins become spendable)
  tower enable REF [--milestone N] [--tower URL]
                              hand a watchtower (default: the oracle's) this party's signature
                              of every CET, so it settles the attested CET (or the refund after
                              its locktime) while nobody is online; needs VERDICT_PARTY_TOKEN
  bump REF --fee-rate N       CPFP: a child spending this party's output of the contract's stuck
                              CET or refund lifts the pair to N sat/vB (submitpackage, else
                              parent then child)
  abandon REF                 give up a signed contract whose funding can never confirm (an input
                              spent in a block by another transaction): frees this party's coins

messages: --in FILE / --out FILE (hex), or through the oracle's relay with
  --relay-contract ID --milestone N and the party token in VERDICT_PARTY_TOKEN
the data dir: --data-dir DIR, else VERDICT_PARTY_DIR, else <VERDICT_HOME, default ~/.verdict>/
  parties/<NAME> with NAME from --party NAME or VERDICT_PARTY (default "default")
options: --rpc URL, --rpc-cookie FILE, --oracle URL, --oracle-api verdict|kormir,
  --json, --help
environment: VERDICT_PARTY, VERDICT_PARTY_DIR, VERDICT_HOME, VERDICT_PARTY_PASSPHRASE or VERDICT_PARTY_PASSPHRASE_FILE,
  VERDICT_BITCOIN_RPC (http://user:pass@host:port), VERDICT_BITCOIN_RPC_COOKIE, VERDICT_ORACLE_URL,
  VERDICT_PARTY_TOKEN, VERDICT_TOWER_TOKEN (a tower of one's own: verdict tower)

terms FILE (JSON): { "eventId", "oraclePublicKey" (x-only hex), "outcome": "enum"|"share",
  "amountSat", "offererRole": "client"|"freelancer", "funding": "single"|"dual",
  "offerCollateralSat" (dual), "feeRatePerVb", "refundMarginSec" (default 604800),
  optionally the milestone's "title", "description" and "acceptanceCriteria" (a list) as the
  oracle's terms state them: offer, accept and status REF print them }

exit status: 0 ok, 1 refused or invalid input, 2 usage or transport error`;

const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  party: { type: 'string' },
  contract: { type: 'string' },
  offerer: { type: 'string' },
  funding: { type: 'string' },
  'fee-rate': { type: 'string' },
  rpc: { type: 'string' },
  'rpc-cookie': { type: 'string' },
  oracle: { type: 'string' },
  'oracle-api': { type: 'string' },
  terms: { type: 'string' },
  in: { type: 'string' },
  out: { type: 'string' },
  'relay-contract': { type: 'string' },
  milestone: { type: 'string' },
  attestation: { type: 'string' },
  interval: { type: 'string' },
  once: { type: 'boolean' },
  'until-closed': { type: 'boolean' },
  'mnemonic-stdin': { type: 'boolean' },
  'bump-after': { type: 'string' },
  'bump-fee-rate': { type: 'string' },
  'bump-max-sat': { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  'scrypt-n': { type: 'string' },
  tower: { type: 'string' },
  'funding-psbt': { type: 'string' },
  'signed-psbt': { type: 'string' },
  'psbt-out': { type: 'string' },
} as const;

/** The parts of a contract's canonical terms (`GET /v1/contracts/:id/terms`) a party's DLC needs. */
/** The environment this CLI reads, parsed once. */
const envSchema = z.object({
  VERDICT_PARTY_DIR: z.string().min(1).optional(),
  VERDICT_PARTY: z.string().min(1).optional(),
  VERDICT_HOME: z.string().min(1).optional(),
  VERDICT_PARTY_PASSPHRASE: z.string().min(1).optional(),
  VERDICT_PARTY_PASSPHRASE_FILE: z.string().min(1).optional(),
  VERDICT_BITCOIN_RPC: z.string().url().optional(),
  VERDICT_BITCOIN_RPC_COOKIE: z.string().min(1).optional(),
  VERDICT_ORACLE_URL: z.string().url().optional(),
  VERDICT_PARTY_TOKEN: z.string().min(1).optional(),
  // A tower of one's own (`verdict tower`) takes its own bearer token instead of the party token.
  VERDICT_TOWER_TOKEN: z.string().min(1).optional(),
});

/** The CLI's I/O; `progress` draws the progress bar (stderr). */
export interface DlcIo extends CliIo {
  readonly progress?: (text: string, done: boolean) => void;
}

const stderrProgress = (text: string, done: boolean): void => {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}${done ? '\n' : ''}`);
  else if (done) process.stderr.write(`${text}\n`);
};

function progressBar(io: DlcIo, label: string): ProgressCallback {
  const draw = io.progress ?? stderrProgress;
  let last = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done * 100) / total);
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct * width) / 100);
    draw(
      `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`,
      done === total,
    );
  };
}

/** Errors that mean "refused / invalid input" (exit 1) versus "usage / transport" (exit 2). */
function exitCodeOf(error: unknown): 1 | 2 {
  if (error instanceof UsageError || error instanceof OracleTransportError) return 2;
  if (error instanceof ChainError && !(error instanceof RpcRejectedError)) return 2;
  return 1;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}

/** A positive whole number of satoshis (or sat/vB) from a command line argument. */
function satArg(text: string, name: string): bigint {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new UsageError(`${name}: expected a whole number > 0`);
  return BigInt(text);
}

/** --fee-rate N, else the node's estimate for 6 blocks, else 1 sat/vB (regtest has none). */
async function feeRateArg(chain: BitcoinRpcClient, text: string | undefined): Promise<bigint> {
  if (text !== undefined) return satArg(text, '--fee-rate');
  return (await chain.estimateFeeRateSatPerVb(6)) ?? 1n;
}

export async function runDlc(
  argv: readonly string[],
  io: DlcIo = defaultIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let json = false;
  try {
    const { values, positionals } = parseFlags(argv, FLAGS);
    json = values.json === true;
    const [command, ...args] = positionals;
    if (values.help === true || command === undefined || command === 'help') {
      io.out(DLC_USAGE);
      return command === undefined && values.help !== true ? 2 : 0;
    }
    const parsedEnv = envSchema.safeParse(env);
    if (!parsedEnv.success) {
      throw new UsageError(
        parsedEnv.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    const e = parsedEnv.data;
    let dataDir: string;
    try {
      dataDir = resolvePartyDir({ dir: values['data-dir'], party: values.party, env: e }).dir;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const passphrase = (): string => {
      if (e.VERDICT_PARTY_PASSPHRASE !== undefined) return e.VERDICT_PARTY_PASSPHRASE;
      if (e.VERDICT_PARTY_PASSPHRASE_FILE !== undefined) {
        return readFileSync(e.VERDICT_PARTY_PASSPHRASE_FILE, 'utf8').trim();
      }
      throw new UsageError('VERDICT_PARTY_PASSPHRASE or VERDICT_PARTY_PASSPHRASE_FILE is required');
    };
    const print = (human: string, data: unknown): void => {
      io.out(
        json
          ? JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
          : human,
      );
    };

    if (command === 'wallet' && args[0] === 'init') {
      const mnemonic =
        values['mnemonic-stdin'] === true ? (await io.readStdin()).trim() : undefined;
      const scryptN = values['scrypt-n'] === undefined ? undefined : Number(values['scrypt-n']);
      const words = Party.init(dataDir, passphrase(), {
        ...(mnemonic === undefined ? {} : { mnemonic }),
        ...(scryptN === undefined ? {} : { scryptN }),
      });
      print(
        mnemonic === undefined
          ? `wallet created in ${dataDir}\nWrite these 24 words down, in order, and keep them offline:\n${words}`
          : `restored into ${dataDir}`,
        { dataDir, ...(mnemonic === undefined ? { mnemonic: words } : {}) },
      );
      return 0;
    }

    if (command === 'terms') {
      const oracleUrl = values.oracle ?? e.VERDICT_ORACLE_URL;
      if (oracleUrl === undefined)
        throw new UsageError('--oracle or VERDICT_ORACLE_URL is required');
      const contractId = values.contract ?? values['relay-contract'];
      if (contractId === undefined) throw new UsageError('--contract ID is required');
      const index = Number(values.milestone);
      if (values.milestone === undefined || !Number.isInteger(index) || index < 0)
        throw new UsageError('--milestone N is required');
      // The terms are the parties' (issue 19 §11): fetched with this party's token.
      const contractTerms = await new OracleClient(oracleUrl).contractTerms(
        contractId,
        e.VERDICT_PARTY_TOKEN,
      );
      const verified = verifyContractTerms(contractTerms, contractId);
      if (!verified.terms.milestones.some((x) => x.index === index))
        throw new UsageError(`contract ${contractId} has no milestone ${index}`);
      const checked = milestoneDlcTerms(verified, index, {
        offererRole: z.enum(['client', 'freelancer']).parse(values.offerer ?? 'client'),
        funding: z.enum(['single', 'dual']).parse(values.funding ?? 'single'),
        feeRatePerVb: values['fee-rate'] ?? '2',
      });
      const file = values.out ?? termsFileOf(dataDir, contractId, index);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, JSON.stringify(checked, null, 2) + '\n');
      print(`written to ${file}:\n${JSON.stringify(checked)}`, { file, terms: checked });
      return 0;
    }

    const rpcUrl = values.rpc ?? e.VERDICT_BITCOIN_RPC;
    if (rpcUrl === undefined) throw new UsageError('--rpc or VERDICT_BITCOIN_RPC is required');
    const cookieFile = values['rpc-cookie'] ?? e.VERDICT_BITCOIN_RPC_COOKIE;
    const chain = new BitcoinRpcClient({
      url: rpcUrl,
      ...(cookieFile === undefined ? {} : { cookieFile }),
    });
    const oracleUrl = values.oracle ?? e.VERDICT_ORACLE_URL;
    const api = z.enum(['verdict', 'kormir']).parse(values['oracle-api'] ?? 'verdict');
    const oracle = oracleUrl === undefined ? null : new OracleClient(oracleUrl, api);
    const needOracle = (): OracleClient => {
      if (oracle === null) throw new UsageError('--oracle or VERDICT_ORACLE_URL is required');
      return oracle;
    };
    const relay = (): RelayRef | null => {
      const contractId = values['relay-contract'];
      if (contractId === undefined) return null;
      const milestone = Number(values.milestone);
      if (!Number.isInteger(milestone) || milestone < 0) {
        throw new UsageError('--milestone N is required with --relay-contract');
      }
      if (e.VERDICT_PARTY_TOKEN === undefined)
        throw new UsageError('VERDICT_PARTY_TOKEN is required for the relay');
      return { contractId, milestoneIndex: milestone, token: e.VERDICT_PARTY_TOKEN };
    };
    const readTerms = () => {
      let file = values.terms;
      if (file === undefined) {
        const contractId = values['relay-contract'];
        const index = Number(values.milestone);
        if (contractId === undefined || !Number.isInteger(index) || index < 0)
          throw new UsageError('--terms FILE, or --relay-contract ID --milestone N, is required');
        file = termsFileOf(dataDir, contractId, index);
        if (!existsSync(file)) {
          throw new UsageError(
            `no terms in ${file}: run "verdict dlc terms --contract ${contractId} --milestone ${index}" first`,
          );
        }
      }
      return milestoneTermsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    };
    /** A PSBT file named by a flag (base64, hex or binary), or undefined. */
    const readPsbtFlag = (flag: 'funding-psbt' | 'signed-psbt'): Uint8Array | undefined => {
      const file = values[flag];
      return file === undefined ? undefined : readPsbtBytes(readFileSync(file));
    };
    /** The incoming message: from --in, or the relay. */
    const incoming = async (kind: 'offer' | 'accept' | 'sign'): Promise<Uint8Array | null> => {
      if (values.in !== undefined) return hexToBytes(readFileSync(values.in, 'utf8').trim());
      const ref = relay();
      if (ref === null) throw new UsageError('--in FILE or --relay-contract is required');
      return needOracle().getDlcMessage(ref, kind);
    };
    /** The outgoing message: to --out, the relay, or stdout. */
    const outgoing = async (
      kind: 'offer' | 'accept' | 'sign',
      message: Uint8Array,
    ): Promise<string> => {
      const ref = relay();
      if (values.out !== undefined) {
        writeFileSync(values.out, bytesToHex(message) + '\n');
        return `written to ${values.out}`;
      }
      if (ref !== null) {
        await needOracle().postDlcMessage(ref, kind, message);
        return 'posted to the relay';
      }
      return bytesToHex(message);
    };
    const summary = (row: ContractRow) => ({
      id: row.id,
      lastEvent: party.store.events(row.id).at(-1)?.detail ?? null,
      role: row.role,
      state: row.state,
      temporaryContractId: row.temporary_contract_id,
      contractId: row.contract_id,
      fundingTxid: row.funding_txid,
      closingKind: row.closing_kind,
      closingTxid: row.closing_txid,
      outcome: row.outcome,
    });

    if (!existsSync(dataDir))
      throw new UsageError(`no data dir ${dataDir}: run "verdict dlc wallet init"`);
    const party = await Party.open({ dataDir, passphrase: passphrase(), chain });
    try {
      const contractRef = (): ContractRow => {
        const ref = args[0];
        if (ref === undefined) throw new UsageError(`${command} needs a contract reference`);
        const row = party.store.findContract(ref);
        if (row === undefined) throw new UsageError(`no contract ${ref}`);
        return row;
      };
      switch (command) {
        case 'wallet': {
          if (args[0] === 'address') {
            const key = party.wallet.nextAddress('receive');
            print(key.address, { address: key.address });
            return 0;
          }
          if (args[0] === 'balance') {
            const sat = await party.wallet.balanceSat();
            print(`${sat} sat (${satsToBtc(sat)} BTC)`, { balanceSat: sat.toString() });
            return 0;
          }
          if (args[0] === 'send') {
            const [, address, amountText] = args;
            if (address === undefined || amountText === undefined) {
              throw new UsageError('wallet send ADDRESS SAT|all [--fee-rate N]');
            }
            const amount =
              amountText === 'all' ? ('all' as const) : satArg(amountText, 'amount (sat)');
            const feeRate = await feeRateArg(chain, values['fee-rate']);
            const p = await party.wallet.send({
              address,
              amount,
              feeRateSatPerVb: feeRate,
              dryRun: values['dry-run'] === true,
              force: values.force === true,
            });
            print(
              `${p.broadcast ? 'sent' : 'dry run, not sent:'} ${p.amountSat} sat to ${p.recipient}, ` +
                `fee ${p.feeSat} sat (${p.feeRateSatPerVb} sat/vB, ${p.vsize} vB), ` +
                `change ${p.changeSat} sat, ${p.inputs.length} input(s) (${p.algorithm})\ntxid ${p.txid}`,
              p,
            );
            return 0;
          }
          if (args[0] === 'bump') {
            const txid = args[1];
            if (txid === undefined || values['fee-rate'] === undefined) {
              throw new UsageError('wallet bump TXID --fee-rate N');
            }
            const p = await party.wallet.bump({
              txid,
              feeRateSatPerVb: satArg(values['fee-rate'], '--fee-rate'),
              force: values.force === true,
            });
            print(
              `replaced ${txid} by ${p.txid}: fee ${p.feeSat} sat (${p.feeRateSatPerVb} sat/vB)`,
              p,
            );
            return 0;
          }
          if (args[0] === 'history') {
            const entries = await party.walletHistory();
            print(
              entries
                .map((h) =>
                  [
                    h.height ?? '-',
                    h.status,
                    h.kind,
                    `${h.direction === 'in' ? '+' : '-'}${h.amountSat}`,
                    h.feeSat === null ? '' : `fee ${h.feeSat}`,
                    h.txid,
                    h.milestone === undefined
                      ? (h.address ?? '')
                      : `contract ${h.verdictContract ?? h.contract} milestone ${h.milestone}`,
                  ].join('\t'),
                )
                .join('\n') || 'no history',
              { history: entries },
            );
            return 0;
          }
          if (args[0] === 'descriptor') {
            const d = party.wallet.descriptors();
            print(`${d.receive}\n${d.change}`, d);
            return 0;
          }
          throw new UsageError('wallet init|address|balance|send|bump|history|descriptor');
        }
        case 'offer': {
          const terms = readTerms();
          const announcement = await needOracle().announcement(terms.eventId);
          const fundingPsbt = readPsbtFlag('funding-psbt');
          const { contract, offer } = await party.offer({
            terms,
            announcement,
            ...(fundingPsbt === undefined ? {} : { fundingPsbt }),
          });
          const where = await outgoing('offer', offer);
          if (!json) for (const line of describeMilestone(terms)) io.out(line);
          print(`offer ${contract.id} (${contract.temporary_contract_id}): ${where}`, {
            contract: summary(contract),
            offerHex: bytesToHex(offer),
          });
          return 0;
        }
        case 'accept': {
          const terms = readTerms();
          // What is being agreed to, before the (long) signing of every CET.
          if (!json) for (const line of describeMilestone(terms)) io.out(line);
          const offer = await incoming('offer');
          if (offer === null) throw new UsageError('no offer on the relay yet');
          const fundingPsbt = readPsbtFlag('funding-psbt');
          const { contract, accept } = await party.accept({
            offer,
            terms,
            onProgress: progressBar(io, 'signing CETs'),
            ...(fundingPsbt === undefined ? {} : { fundingPsbt }),
          });
          const where = await outgoing('accept', accept);
          print(`accepted ${contract.id}: ${where}`, {
            contract: summary(contract),
            acceptHex: bytesToHex(accept),
          });
          return 0;
        }
        case 'sign': {
          // From a file the message says what it is; on the relay the local contract decides.
          let message: Uint8Array | null;
          if (values.in !== undefined) message = await incoming('sign');
          else {
            const pendingAccept = party.store
              .listContracts()
              .some((r) => r.role === 'accept' && r.state === 'accepted');
            message = await incoming(pendingAccept ? 'sign' : 'accept');
          }
          if (message === null) throw new UsageError('no message on the relay yet');
          const decoded = decodeDlcMessage(message);
          const signedPsbt = readPsbtFlag('signed-psbt');
          const withPsbt = signedPsbt === undefined ? {} : { signedPsbt };
          /** Funded from an external wallet and not signed yet: the PSBT for it to sign. */
          const writeFundingPsbt = async (): Promise<number> => {
            const made = await party.fundingPsbt({
              message: message,
              onProgress: progressBar(io, 'verifying CETs'),
            });
            const ref = made.contract.contract_id ?? made.contract.temporary_contract_id;
            const file = values['psbt-out'] ?? join(dataDir, 'psbt', `${ref}-funding.psbt`);
            mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
            const base64 = Buffer.from(made.psbt).toString('base64');
            writeFileSync(file, base64 + '\n');
            print(
              `funding PSBT of contract ${made.contract.id} (funding txid ${made.fundingTxid}) ` +
                `written to ${file}: have the external wallet sign it (Core: walletprocesspsbt), ` +
                `then run "verdict dlc sign" again with --signed-psbt FILE`,
              {
                contract: summary(made.contract),
                psbtFile: file,
                psbt: base64,
                fundingTxid: made.fundingTxid,
              },
            );
            return 0;
          };
          if (decoded.type === 'accept_dlc') {
            let signed;
            try {
              signed = await party.sign({
                accept: message,
                onProgress: progressBar(io, 'verifying and signing CETs'),
                ...withPsbt,
              });
            } catch (error) {
              if (error instanceof SignedPsbtRequiredError) return await writeFundingPsbt();
              throw error;
            }
            const { contract, sign } = signed;
            const where = await outgoing('sign', sign);
            print(`signed ${contract.id}: ${where}`, {
              contract: summary(contract),
              signHex: bytesToHex(sign),
            });
            return 0;
          }
          if (decoded.type === 'sign_dlc') {
            let finalized;
            try {
              finalized = await party.finalize({
                sign: message,
                onProgress: progressBar(io, 'verifying CETs'),
                ...withPsbt,
              });
            } catch (error) {
              if (error instanceof SignedPsbtRequiredError) return await writeFundingPsbt();
              throw error;
            }
            const { contract, fundingTxid } = finalized;
            print(`funding transaction ${fundingTxid} broadcast (contract ${contract.id})`, {
              contract: summary(contract),
            });
            return 0;
          }
          throw new UsageError('sign takes an accept_dlc or a sign_dlc message');
        }
        case 'status': {
          const rows = args[0] === undefined ? party.store.listContracts() : [contractRef()];
          const one = rows.length === 1 && args[0] !== undefined ? rows[0] : undefined;
          if (one !== undefined && !json) {
            const scope = milestoneTermsSchema.safeParse(JSON.parse(one.terms_json));
            if (scope.success) for (const line of describeMilestone(scope.data)) io.out(line);
          }
          const towers = new Map<number, TowerReport[]>();
          for (const r of rows) {
            towers.set(
              r.id,
              await towerReports(
                party,
                r,
                (url) => new TowerClient(url),
                // The oracle's tower takes the party token; a tower of one's own its own token.
                (url) =>
                  url === oracle?.baseUrl
                    ? e.VERDICT_PARTY_TOKEN
                    : (e.VERDICT_TOWER_TOKEN ?? e.VERDICT_PARTY_TOKEN),
              ),
            );
          }
          const towerLine = (t: TowerReport): string =>
            `\ttower ${t.towerUrl}: ${t.held ? 'holds it' : 'does not hold it'}` +
            (t.state === null ? '' : `, ${t.state}`) +
            (t.kind === null ? '' : ` ${t.kind}`) +
            (t.txid === null ? '' : ` ${t.txid}`) +
            (t.bumpNeeded ? ' (BUMP NEEDED)' : '') +
            (t.fresh ? '' : ' (last known)');
          print(
            rows
              .map(
                (r) =>
                  `${r.id}\t${r.role}\t${r.state}\t${r.contract_id ?? r.temporary_contract_id}` +
                  `\t${party.store.events(r.id).at(-1)?.detail ?? ''}` +
                  (towers.get(r.id) ?? []).map((t) => `\n${towerLine(t)}`).join(''),
              )
              .join('\n') || 'no contracts',
            { contracts: rows.map((r) => ({ ...summary(r), towers: towers.get(r.id) ?? [] })) },
          );
          return 0;
        }
        case 'tower': {
          if (args[0] !== 'enable') throw new UsageError('tower enable REF');
          const ref = args[1];
          if (ref === undefined) throw new UsageError('tower enable needs a contract reference');
          const row = party.store.findContract(ref);
          if (row === undefined) throw new UsageError(`no contract ${ref}`);
          const towerUrl = values.tower ?? oracleUrl;
          if (towerUrl === undefined) {
            throw new UsageError('--tower URL, --oracle or VERDICT_ORACLE_URL is required');
          }
          const towerToken =
            values.tower === undefined || values.tower === oracleUrl
              ? e.VERDICT_PARTY_TOKEN
              : (e.VERDICT_TOWER_TOKEN ?? e.VERDICT_PARTY_TOKEN);
          if (towerToken === undefined) {
            throw new UsageError('VERDICT_PARTY_TOKEN (or VERDICT_TOWER_TOKEN) is required');
          }
          let milestoneIndex: number | undefined;
          if (values.milestone !== undefined) {
            milestoneIndex = Number(values.milestone);
            if (!Number.isInteger(milestoneIndex) || milestoneIndex < 0) {
              throw new UsageError('--milestone must be a milestone index');
            }
          }
          const r = await enableTower(party, row, new TowerClient(towerUrl), {
            token: towerToken,
            ...(milestoneIndex === undefined ? {} : { milestoneIndex }),
          });
          print(
            `tower ${r.record.tower_url} holds contract ${row.id} (${r.cets} CET signatures, milestone ${r.record.milestone_index})`,
            {
              contract: row.id,
              towerUrl: r.record.tower_url,
              dlcContractId: r.record.dlc_contract_id,
              milestoneIndex: r.record.milestone_index,
              created: r.created,
              cets: r.cets,
            },
          );
          return 0;
        }
        case 'watch': {
          const intervalSec = Number(values.interval ?? '10');
          if (!(intervalSec > 0)) throw new UsageError('--interval must be > 0');
          let bumpPolicy: BumpPolicy | undefined;
          if (values['bump-after'] !== undefined) {
            if (values['bump-fee-rate'] === undefined) {
              throw new UsageError('--bump-after needs --bump-fee-rate N');
            }
            bumpPolicy = {
              afterBlocks: Number(satArg(values['bump-after'], '--bump-after')),
              feeRateSatPerVb: satArg(values['bump-fee-rate'], '--bump-fee-rate'),
              maxAutoFeeSat:
                values['bump-max-sat'] === undefined
                  ? 0n
                  : satArg(values['bump-max-sat'], '--bump-max-sat'),
            };
          }
          const release = acquireWatchLock(dataDir);
          const waitingShown = new Map<number, string>();
          let stop = false;
          const onSignal = (): void => {
            stop = true;
          };
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          try {
            for (;;) {
              const actions: WatchAction[] = await party.poll(oracle, bumpPolicy);
              if (actions.length === 0 && !json && values.once === true)
                print('no contracts to watch', { contracts: 0 });
              for (const a of actions) {
                // Waiting is news once (or on every poll with --once): say what for.
                if (!json && a.action === 'waiting' && values.once !== true) {
                  const key = `${a.contract}\t${a.detail ?? ''}`;
                  if (waitingShown.get(a.contract) === key) continue;
                  waitingShown.set(a.contract, key);
                }
                print(
                  `${a.contract}\t${a.action}${a.txid === undefined ? '' : `\t${a.txid}`}${a.detail === undefined ? '' : `\t${a.detail}`}`,
                  a,
                );
              }
              if (values.once === true || stop) return 0;
              if (
                values['until-closed'] === true &&
                party.store
                  .listContracts()
                  .every((r) => ['settled', 'refunded', 'cancelled'].includes(r.state))
              )
                return 0;
              await new Promise((resolve) => setTimeout(resolve, intervalSec * 1000));
              if (stop) return 0;
            }
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            release();
          }
        }
        case 'settle': {
          const row = contractRef();
          const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
          const attestation =
            values.attestation !== undefined
              ? attestationFromHex(readFileSync(values.attestation, 'utf8').trim())
              : await needOracle().attestation(terms.eventId);
          if (attestation === null) {
            print('no attestation yet', { settled: false });
            return 1;
          }
          const action = await party.settleWith(row, attestation);
          print(`${action.action} ${action.txid ?? ''}`, action);
          return 0;
        }
        case 'refund': {
          const action = await party.refund(contractRef());
          print(`${action.action} ${action.txid ?? ''}`, action);
          return 0;
        }
        case 'bump': {
          const row = contractRef();
          if (values['fee-rate'] === undefined) throw new UsageError('bump REF --fee-rate N');
          const plan = await party.bumpClosing(
            String(row.id),
            satArg(values['fee-rate'], '--fee-rate'),
          );
          print(
            `CPFP child ${plan.childTxid} pays ${plan.childFeeSat} sat: ${plan.parentTxid} and its ` +
              `child now pay ${plan.packageFeeRateSatPerVb} sat/vB together`,
            plan,
          );
          return 0;
        }
        case 'abandon': {
          const row = await party.abandon(contractRef().id.toString());
          print(`contract ${row.id} abandoned; its coins are spendable again`, {
            contract: summary(row),
          });
          return 0;
        }
        case 'cancel': {
          const row = party.cancel(contractRef().id.toString());
          print(`contract ${row.id} cancelled`, { contract: summary(row) });
          return 0;
        }
        default:
          throw new UsageError(`unknown command "${command}"`);
      }
    } finally {
      party.close();
    }
  } catch (error) {
    const code = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if (json) io.out(JSON.stringify({ error: { code: codeOf(error), message } }));
    io.err(`verdict dlc: ${message}`);
    if (error instanceof UsageError) io.err('run "verdict dlc --help" for usage');
    return code;
  }
}
