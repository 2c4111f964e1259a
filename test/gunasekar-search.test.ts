/*
 * The computation behind Gunasekar et al. (2017) Figure 4: the enumeration of 3 x 3 PSD
 * completion instances (counts, order, shards), the exact minimum-trace completion (hand
 * cases, and against minNuclearNorm's ADMM on a sample of the grid), the flow's rel_dev
 * trend in alpha on a simple instance, determinism across shardings, and the summary.
 */
import { describe, expect, it } from 'vitest';
import { minNuclearNorm } from '../src/baselines/nnm.js';
import {
  POSITIONS,
  completionProblem3,
  instanceAt,
  instanceCount,
  minTraceCompletion3,
  searchInstance,
  searchInstances,
  shardIndices,
  summarizeSearch,
  type SearchRow,
} from '../src/experiments/gunasekar2017-search.js';
import { getBackend } from '../src/linalg/select.js';
import { assertAllclose } from './helpers/allclose.js';

const js = getBackend('js');

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** The 6-vector (POSITIONS order) of an instance's observed values. */
function full6(mask: number, observed: number[], values: number[]): Float64Array {
  const v = new Float64Array(6);
  observed.forEach((p, q) => (v[p] = values[q]));
  expect(observed.every((p) => (mask >> p) & 1)).toBe(true);
  return v;
}

/** The index of (mask, values) in the enumeration, computed independently of instanceAt. */
function indexOf(gridSize: number, mask: number, levels: number[]): number {
  let offset = 0;
  for (let m = 1; m < mask; m++) {
    let bits = 0;
    for (let p = 0; p < 6; p++) bits += (m >> p) & 1;
    offset += gridSize ** bits;
  }
  const h = (gridSize - 1) / 2;
  let within = 0;
  for (const k of levels) within = within * gridSize + (k + h);
  return offset + within;
}

describe('enumeration', () => {
  it('counts sum_k C(6,k) G^k over k = 1..5', () => {
    for (const g of [3, 5, 7, 9]) {
      let expected = 0;
      for (let k = 1; k <= 5; k++) expected += binomial(6, k) * g ** k;
      expect(instanceCount(g)).toBe(expected);
    }
    expect([instanceCount(3), instanceCount(5), instanceCount(7)]).toEqual([3366, 31030, 144494]);
  });

  it('instanceAt enumerates every (mask, values) once, in index order (G = 3 and 5)', () => {
    for (const g of [3, 5]) {
      const h = (g - 1) / 2;
      const seen = new Set<string>();
      const n = instanceCount(g);
      for (let i = 0; i < n; i++) {
        const inst = instanceAt(i, g);
        expect(inst.index).toBe(i);
        expect(inst.mask >= 1 && inst.mask <= 62).toBe(true);
        expect(inst.levels.every((k) => Number.isInteger(k) && Math.abs(k) <= h)).toBe(true);
        expect(inst.values).toEqual(inst.levels.map((k) => k / h));
        expect(indexOf(g, inst.mask, inst.levels)).toBe(i);
        seen.add(`${inst.mask}:${inst.levels.join(',')}`);
      }
      expect(seen.size).toBe(n);
    }
    // G = 5: -1, -0.5, 0, 0.5, 1
    expect(instanceAt(0, 5)).toEqual({ index: 0, mask: 1, observed: [0], levels: [-2], values: [-1] });
    expect(instanceAt(3, 5).values).toEqual([0.5]);
    const last = instanceAt(instanceCount(5) - 1, 5);
    expect(last.mask).toBe(62);
    expect(last.observed).toEqual([1, 2, 3, 4, 5]);
    expect(last.values).toEqual([1, 1, 1, 1, 1]);
  });

  it('shards partition the index set', () => {
    for (const shards of [1, 3, 7]) {
      const all = new Array<number>();
      for (let s = 0; s < shards; s++) all.push(...shardIndices(100, s, shards));
      expect(all.length).toBe(100);
      expect(new Set(all).size).toBe(100);
      expect(Math.min(...all)).toBe(0);
      expect(Math.max(...all)).toBe(99);
    }
    expect(shardIndices(10, 1, 3)).toEqual([1, 4, 7]);
  });

  it('rejects bad input with one line naming the field', () => {
    expect(() => instanceCount(4)).toThrow(/gridSize: expected an odd integer/);
    expect(() => instanceAt(3366, 3)).toThrow(/index: expected an integer in \[0, 3366\)/);
    expect(() => shardIndices(10, 3, 3)).toThrow(/shard: expected an integer in \[0, 3\)/);
    expect(() => searchInstances({ gridSize: 3, alphas: [], shard: 0, shards: 1, seed: 0 })).toThrow(/alphas/);
    expect(() => searchInstances({ gridSize: 3, alphas: [1e-2], shard: 0, shards: 1, seed: -1 })).toThrow(/seed/);
    expect(() => searchInstances({ gridSize: 3, alphas: [1e-2], shard: 0, shards: 1, seed: 0, lossTol: 0 })).toThrow(/lossTol/);
    expect(() => minTraceCompletion3(64, [0, 0, 0, 0, 0, 0])).toThrow(/mask/);
  });
});

describe('minTraceCompletion3', () => {
  const solved = (mask: number, v: number[]): { trace: number; x: number[] } => {
    const r = minTraceCompletion3(mask, v);
    if (r.status !== 'solved') throw new Error(`expected solved, got infeasible (${r.reason})`);
    return { trace: r.trace, x: Array.from(r.x.data) };
  };

  it('decides the hand cases of infeasibility', () => {
    expect(minTraceCompletion3(0b000010, [0, -0.5, 0, 0, 0, 0]).status).toBe('infeasible'); // x11 < 0
    expect(minTraceCompletion3(0b001011, [1, 1, 0, 1.5, 0, 0]).status).toBe('infeasible'); // x01^2 > x00 x11
    expect(minTraceCompletion3(0b001001, [0, 0, 0, 0.5, 0, 0]).status).toBe('infeasible'); // x00 = 0, x01 != 0
    // x00 = x11 = x01 = 1 forces rows 0 and 1 equal, so x02 must equal x12.
    expect(minTraceCompletion3(0b111011, [1, 1, 0, 1, 0.5, -0.5]).status).toBe('infeasible');
    expect(minTraceCompletion3(0b111011, [1, 1, 0, 1, 0.5, 0.5]).status).toBe('solved');
  });

  it('solves the hand cases of known minimum trace', () => {
    // x00 = 1, x01 = 1, x11 free: x11 >= x01^2 / x00 = 1, trace 2.
    const a = solved(0b001001, [1, 0, 0, 1, 0, 0]);
    expect(a.trace).toBe(2);
    expect(a.x).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
    // Every diagonal observed: the trace is fixed.
    expect(solved(0b011111, [0.5, 1, 0.25, 0.5, -0.25, 0]).trace).toBe(1.75);
    // x01 only: x00 = x11 = |x01|.
    expect(solved(0b001000, [0, 0, 0, -0.5, 0, 0]).trace).toBe(1);
    // Path 0 - 1 - 2 with free diagonals: trace 2 sqrt(x01^2 + x12^2).
    assertAllclose(solved(0b101000, [0, 0, 0, 0.6, 0, 0.8]).trace, 2, { rtol: 1e-15 });
    // Triangle, no diagonal, x01 x02 x12 < 0: the Laplacian, trace 2 sum |y|.
    expect(solved(0b111000, [0, 0, 0, -1, -1, -0.5]).trace).toBe(5);
    // Positive product on the edge of the triangle inequality: rank one, v = (sqrt 2, -1/sqrt 2, -1/sqrt 2).
    expect(solved(0b111000, [0, 0, 0, -1, -1, 0.5]).trace).toBe(3);
    // Triangle, no diagonal, positive product, triangle inequality holds: rank one, y = 1 1 1.
    expect(solved(0b111000, [0, 0, 0, 1, 1, 1]).trace).toBe(3);
    // ... violated at node 0 (x01 x02 > x12 (x01 + x02)): trace 2 (x01 + x02 - x12).
    assertAllclose(solved(0b111000, [0, 0, 0, 1, 1, 0.01]).trace, 3.98, { rtol: 1e-15 });
  });

  it('every solved completion is PSD and fits the observations', () => {
    for (let i = 0; i < instanceCount(5); i += 3) {
      const inst = instanceAt(i, 5);
      const v = full6(inst.mask, inst.observed, inst.values);
      const r = minTraceCompletion3(inst.mask, v);
      if (r.status !== 'solved') continue;
      for (const p of inst.observed) {
        const [a, b] = POSITIONS[p];
        expect(r.x.data[3 * a + b]).toBe(v[p]);
        expect(r.x.data[3 * b + a]).toBe(v[p]);
      }
      expect(js.eigvalsh(r.x)[0]).toBeGreaterThanOrEqual(-1e-12 * Math.max(1, r.trace));
    }
  });

  it('agrees with minNuclearNorm (psd, eps 0) on a sample of the G = 3 grid', () => {
    let solvedBoth = 0, infeasibleBoth = 0;
    for (let i = 0; i < instanceCount(3); i += 5) {
      const inst = instanceAt(i, 3);
      const v = full6(inst.mask, inst.observed, inst.values);
      const exact = minTraceCompletion3(inst.mask, v);
      const admm = minNuclearNorm(completionProblem3(inst.mask, v, js), { psd: true, eps: 0, maxIters: 2000, backend: js });
      if (admm.status === 'solved') {
        expect(exact.status).toBe('solved');
        if (exact.status === 'solved') assertAllclose(exact.trace, admm.primalObjective, { rtol: 1e-6, atol: 1e-6 }, `trace of instance ${i}`);
        solvedBoth++;
      } else if (admm.status === 'infeasible') {
        expect(exact.status).toBe('infeasible');
        infeasibleBoth++;
      }
    }
    // The comparison must have had material on both sides (measured: 137 and 297).
    expect(solvedBoth).toBeGreaterThan(100);
    expect(infeasibleBoth).toBeGreaterThan(200);
  });
});

describe('searchInstance', () => {
  const find = (g: number, mask: number, values: number[]): number => {
    for (let i = 0; i < instanceCount(g); i++) {
      const inst = instanceAt(i, g);
      if (inst.mask === mask && inst.values.every((x, q) => x === values[q])) return i;
    }
    throw new Error('not found');
  };

  it('classifies infeasible and trivial instances without running a flow', () => {
    const neg = searchInstance(find(3, 0b000001, [-1]), { gridSize: 3, alphas: [1e-2], shard: 0, shards: 1, seed: 0 }, js);
    expect(neg.baseline).toBe('infeasible');
    expect(neg.flows).toBeUndefined();
    const zero = searchInstance(find(3, 0b001001, [0, 0]), { gridSize: 3, alphas: [1e-2], shard: 0, shards: 1, seed: 0 }, js);
    expect(zero.baseline).toBe('trivial');
    expect(zero.tr_min).toBe(0);
  });

  it('rel_dev on x00 = 1, x01 = 1 shrinks with alpha (measured ~ alpha^2)', () => {
    const alphas = [1e-1, 1e-2, 1e-3];
    // A tight lossTol (cheap here: the flow converges exponentially) so that the unfinished fit
    // (~sqrt(2 lossTol)) is far below the alpha^2 effect.
    const row = searchInstance(find(5, 0b001001, [1, 1]), { gridSize: 5, alphas, shard: 0, shards: 1, seed: 3, lossTol: 1e-16, rtol: 1e-12 }, js);
    expect(row.baseline).toBe('solved');
    expect(row.tr_min).toBe(2);
    const flows = row.flows!;
    expect(flows.map((f) => f.status)).toEqual(['converged', 'converged', 'converged']);
    const dev = flows.map((f) => f.rel_dev);
    // x11 = 1 + |component of u1 outside u0|^2, which the flow never moves: O(alpha^2) above tr_min.
    expect(dev[0]).toBeGreaterThan(1e-4);
    expect(dev[2]).toBeLessThan(1e-5);
    expect(Math.abs(dev[2])).toBeLessThan(dev[1]);
    expect(dev[1]).toBeLessThan(dev[0] / 10);
    for (const f of flows) expect(f.loss).toBeLessThanOrEqual(1e-16 * (1 + 1e-9));
    // Measured: 8.7e-4, 8.2e-6, 7.0e-8: each decade of alpha takes about two off rel_dev.
    expect(dev[1] / dev[0]).toBeGreaterThan(1e-3);
    expect(dev[1] / dev[0]).toBeLessThan(1e-1);
  });

  it('rows depend on (seed, index) only, not on the sharding, and are plain JSON', () => {
    const base = { gridSize: 3, alphas: [1e-1, 1e-3], seed: 7, maxSteps: 3000 };
    const a = searchInstances({ ...base, shard: 7, shards: 100 }, js); // 7, 107, 207, ...
    const b = searchInstances({ ...base, shard: 7, shards: 50 }, js); // 7, 57, 107, ...
    const byIndex = new Map(b.map((r) => [r.index, r]));
    let compared = 0, flowed = 0;
    for (const r of a) {
      const other = byIndex.get(r.index);
      if (!other) continue;
      expect(other).toEqual(r);
      compared++;
      if (r.flows) flowed++;
    }
    expect(compared).toBe(34); // 7, 107, ..., 3307
    expect(flowed).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    const again = searchInstances({ ...base, shard: 7, shards: 100 }, js);
    expect(again).toEqual(a);
  });
});

describe('summarizeSearch', () => {
  const flow = (alpha: number, rel_dev: number, status: 'converged' | 'max_steps' = 'converged') => ({
    alpha, status, t: 1, steps: 1, loss: 0, trace: 1, rel_dev, rel_dev_raw: rel_dev, rel_dist: Math.abs(rel_dev),
  });
  const row = (index: number, baseline: SearchRow['baseline'], devs?: number[], status?: 'max_steps'): SearchRow => ({
    index, mask: 1, observed: [0], values: [1], baseline,
    flows: devs?.map((d, k) => flow([0.1, 0.001][k], d, k === 0 ? status : undefined)),
  });

  it('computes max, median and the fraction within 1e-3 over the converged flows of solved rows', () => {
    const rows: SearchRow[] = [
      row(0, 'solved', [0.1, 1e-4]),
      row(1, 'solved', [5e-4, -2e-4]),
      row(2, 'solved', [-2e-4, 2e-3]),
      row(3, 'solved', [0.5, 1e-5], 'max_steps'),
      row(4, 'infeasible'),
      row(5, 'trivial'),
      row(6, 'inaccurate', [9, 9]),
    ];
    const s = summarizeSearch(rows, [0.1, 0.001]);
    expect(s.counts).toEqual({ rows: 7, solved: 4, infeasible: 1, trivial: 1, inaccurate_baseline: 1, flows_not_converged: 1 });
    expect(s.alphas[0]).toEqual({ alpha: 0.1, instances: 3, max_rel_dev: 0.1, median_rel_dev: 5e-4, 'frac_within_1e-3': 2 / 3, max_rel_dist: 0.1, not_converged: 1 });
    expect(s.alphas[1].instances).toBe(4);
    expect(s.alphas[1].max_rel_dev).toBe(2e-3);
    expect(s.alphas[1].median_rel_dev).toBeCloseTo(0.5 * (1e-5 + 1e-4), 18);
    expect(s.alphas[1]['frac_within_1e-3']).toBe(3 / 4);
  });
});
