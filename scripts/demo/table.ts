/** The demo's closing table: each milestone's payouts by the terms against the CET on chain. */

export interface PayoutRow {
  readonly index: number;
  readonly title: string;
  readonly decidedBy: string;
  readonly amountSat: bigint;
  /** The attested outcome as people read it: `accepted`, `60 %`. */
  readonly outcome: string;
  readonly termsFreelancerSat: bigint;
  readonly termsClientSat: bigint;
  readonly chainFreelancerSat: bigint;
  readonly chainClientSat: bigint;
  readonly closingTxid: string;
  readonly confirmations: number;
  readonly ok: boolean;
}

const sat = (v: bigint): string => v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** A plain-text table, one line per milestone and a total line; amounts in satoshis. */
export function formatPayoutTable(rows: readonly PayoutRow[]): string {
  const header = [
    '#',
    'milestone',
    'decided by',
    'amount',
    'outcome',
    'terms: freelancer',
    'client',
    'CET: freelancer',
    'client',
    'CET txid',
    '',
  ];
  const body = rows.map((r) => [
    String(r.index),
    r.title,
    r.decidedBy,
    sat(r.amountSat),
    r.outcome,
    sat(r.termsFreelancerSat),
    sat(r.termsClientSat),
    sat(r.chainFreelancerSat),
    sat(r.chainClientSat),
    `${r.closingTxid.slice(0, 12)}… (${r.confirmations} conf)`,
    r.ok ? 'ok' : 'MISMATCH',
  ]);
  const total = (f: (r: PayoutRow) => bigint): string => sat(rows.reduce((s, r) => s + f(r), 0n));
  body.push([
    '',
    'total',
    '',
    total((r) => r.amountSat),
    '',
    total((r) => r.termsFreelancerSat),
    total((r) => r.termsClientSat),
    total((r) => r.chainFreelancerSat),
    total((r) => r.chainClientSat),
    '',
    rows.every((r) => r.ok) ? 'ok' : 'MISMATCH',
  ]);
  const numeric = new Set([3, 5, 6, 7, 8]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.slice(0, -1).map(line), rule, line(body.at(-1)!)].join('\n');
}
