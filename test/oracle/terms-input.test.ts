import { describe, expect, it } from 'vitest';
import { createContractInput } from '../../oracle/domain/terms.ts';

const base = {
  client: { id: 'alice', name: 'Alice' },
  freelancer: { id: 'bob', name: 'Bob' },
};
const milestone = (amountSat: string) => ({
  title: 'Design',
  amountSat,
  deliveryDeadline: 1_900_000_000,
  reviewWindowSec: 600,
});

describe('contract terms input', () => {
  // Found by the hostile-input fuzzer (VERDICT_FUZZ_SEED=378215589): zod 4 ran the 21-million
  // check after a failed format check, and BigInt() threw on the non-digits: a 500.
  it.each(['\u{10966}\u{222A6}x', '12a', '-5', '1e9', ' 1', '0x10', ''])(
    'amountSat %j is a validation issue, never a throw',
    (amountSat) => {
      const r = createContractInput.safeParse({ ...base, milestones: [milestone(amountSat)] });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['milestones', 0, 'amountSat']);
    },
  );

  it('refuses more than 21 million bitcoin and accepts exactly that much', () => {
    const over = createContractInput.safeParse({
      ...base,
      milestones: [milestone('2100000000000001')],
    });
    expect(over.success).toBe(false);
    expect(over.error?.issues[0]?.message).toBe('more than 21 million bitcoin');
    const max = createContractInput.safeParse({
      ...base,
      milestones: [milestone('2100000000000000')],
    });
    expect(max.success).toBe(true);
  });
});
