/*
 * meanStd and summarize against hand-computed values (exact where the
 * arithmetic is exact, else to 1e-15 relative).
 */
import { describe, expect, it } from 'vitest';
import { meanStd, summarize } from '../src/report/aggregate.js';

describe('summarize', () => {
  it('mean, sample std (n - 1), mean ∓ std', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample variance 32/7.
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 15);
    expect(s.lower).toBeCloseTo(5 - Math.sqrt(32 / 7), 15);
    expect(s.upper).toBeCloseTo(5 + Math.sqrt(32 / 7), 15);
    expect(s.count).toBe(8);
  });

  it('one value: std 0; no finite value: nulls', () => {
    expect(summarize([3])).toEqual({ mean: 3, std: 0, lower: 3, upper: 3, count: 1 });
    expect(summarize([null, NaN, Infinity, 'x'])).toEqual({ mean: null, std: null, lower: null, upper: null, count: 0 });
    expect(summarize([1, null, 3])).toMatchObject({ mean: 2, count: 2 });
  });

  it('keeps the lower edge of a positive quantity positive (the smallest value instead)', () => {
    // 0.1 and 10: mean 5.05, std 9.9/sqrt(2) = 7.0004 > mean.
    const s = summarize([0.1, 10]);
    expect(s.mean).toBeCloseTo(5.05, 15);
    expect(s.std).toBeCloseTo(9.9 / Math.SQRT2, 14);
    expect(s.lower).toBe(0.1);
    expect(s.upper).toBeCloseTo(5.05 + 9.9 / Math.SQRT2, 14);
    // A group with a 0 has no positive lower edge: null.
    expect(summarize([0, 10]).lower).toBeNull();
    // Negative means keep plain mean - std.
    expect(summarize([-1, -3]).lower).toBeCloseTo(-2 - Math.SQRT2, 15);
  });
});

describe('meanStd', () => {
  it('one row per group, in order of first appearance', () => {
    const rows = [
      { depth: 2, seed: 0, err: 1, n: 10 },
      { depth: 3, seed: 0, err: 0.5, n: null },
      { depth: 2, seed: 1, err: 3, n: 20 },
    ];
    const out = meanStd(rows, { by: ['depth'], fields: ['err', 'n'] });
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ depth: 2, err_mean: 2, err_lower: 2 - Math.SQRT2, err_upper: 2 + Math.SQRT2, err_count: 2, n_mean: 15, count: 2 });
    expect(out[0].err_std).toBeCloseTo(Math.SQRT2, 15);
    expect(out[0].n_std).toBeCloseTo(Math.sqrt(50), 14);
    expect(out[1]).toEqual({
      depth: 3, err_mean: 0.5, err_std: 0, err_lower: 0.5, err_upper: 0.5, err_count: 1,
      n_mean: null, n_std: null, n_lower: null, n_upper: null, n_count: 0, count: 1,
    });
  });

  it('groups by several keys by value, missing keys as null', () => {
    const rows = [{ a: 1, b: 'x', v: 1 }, { a: 1, b: 'y', v: 2 }, { a: 1, b: 'x', v: 3 }, { b: 'x', v: 4 }];
    const out = meanStd(rows, { by: ['a', 'b'], fields: ['v'] });
    expect(out.map((r) => [r.a, r.b, r.v_mean, r.count])).toEqual([
      [1, 'x', 2, 2],
      [1, 'y', 2, 1],
      [null, 'x', 4, 1],
    ]);
  });
});
