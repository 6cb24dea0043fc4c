/**
 * Issue 8 §2: `npm run demo` runs the whole story — devnet, the oracle, two parties funding three
 * milestone DLCs through the relay, CI / acceptance / a 40-60-70 arbiter vote, both watchers
 * settling — and every payout on chain equals the terms' payout to the satoshi. The CI runs it.
 */
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../scripts/demo/story.ts';
import { formatPayoutTable, type PayoutRow } from '../../scripts/demo/table.ts';

describe('npm run demo', () => {
  it('settles every milestone as the terms say, to the satoshi', async () => {
    const lines: string[] = [];
    const result = await runDemo({ line: (l) => lines.push(l) });
    const output = lines.join('\n');
    expect(result.problems, output).toEqual([]);
    expect(result.ok, output).toBe(true);
    expect(
      result.rows.map((r) => [
        r.outcome,
        r.termsFreelancerSat,
        r.termsClientSat,
        r.chainFreelancerSat,
        r.chainClientSat,
        r.ok,
      ]),
    ).toEqual([
      ['accepted', 200_000n, 0n, 200_000n, 0n, true],
      ['accepted', 150_000n, 0n, 150_000n, 0n, true],
      ['60 %', 72_000n, 48_000n, 72_000n, 48_000n, true],
    ]);
    for (const r of result.rows) {
      expect(r.closingTxid).toMatch(/^[0-9a-f]{64}$/);
      expect(r.confirmations).toBeGreaterThanOrEqual(1);
    }
    // The narrative: each decision, each watcher on its own, the table and the verdict.
    expect(output).toMatch(/milestone 0 attested accepted/);
    expect(output).toMatch(/the panel decided 60 % \(median of the votes\)/);
    for (const who of ['client', 'freelancer'])
      for (const m of [0, 1, 2])
        expect(output).toContain(`${who}'s watcher, milestone ${m}: settled`);
    expect(output).toContain(result.table);
    expect(output).toMatch(/^freelancer wallet: 422 000 sat paid = wallet holds 422 000 sat ok$/m);
    expect(output).toMatch(/everything settled as the terms say/);
  }, 240_000);
});

describe('the payout table', () => {
  const row = (over: Partial<PayoutRow> = {}): PayoutRow => ({
    index: 0,
    title: 'Checkout API',
    decidedBy: 'CI',
    amountSat: 200_000n,
    outcome: 'accepted',
    termsFreelancerSat: 200_000n,
    termsClientSat: 0n,
    chainFreelancerSat: 200_000n,
    chainClientSat: 0n,
    closingTxid: 'ab'.repeat(32),
    confirmations: 1,
    ok: true,
    ...over,
  });

  it('aligns amounts with thousands separators and totals them', () => {
    const t = formatPayoutTable([row(), row({ index: 1, amountSat: 1_234_567n })]);
    const lines = t.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/^0 {2}Checkout API {2}CI {2,}200 000 {2}accepted .* ok$/);
    expect(lines[5]).toMatch(/total .*1 434 567 .* ok$/);
    expect(new Set(lines.map((l) => l.indexOf('accepted')).filter((i) => i > 0)).size).toBe(1);
  });

  it('marks a row and the total when the chain does not match the terms', () => {
    const t = formatPayoutTable([
      row(),
      row({ index: 1, chainFreelancerSat: 199_999n, ok: false }),
    ]);
    const lines = t.split('\n');
    expect(lines[3]).toMatch(/199 999 .*MISMATCH$/);
    expect(lines[5]).toMatch(/MISMATCH$/);
  });
});
