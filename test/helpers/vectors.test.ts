import { describe, expect, it } from 'vitest';
import { big, parseLosslessJson } from './vectors.ts';

describe('lossless vector JSON', () => {
  it('keeps integers above 2^53 exact', () => {
    const parsed = parseLosslessJson('{"a": 18446744073709551615, "b": 7, "c": 1.5}') as Record<
      string,
      unknown
    >;
    expect(parsed['a']).toBe(18446744073709551615n);
    expect(parsed['b']).toBe(7);
    expect(parsed['c']).toBe(1.5);
    expect(big(parsed['b'])).toBe(7n);
  });
});
