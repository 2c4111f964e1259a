import { describe, expect, it } from 'vitest';
import { minNuclearNorm, type NnmResult } from '../src/baselines/nnm.js';
import { dualObjective } from '../src/baselines/certificate.js';
import { type Mat, matOf, norm2 } from '../src/linalg/mat.js';
import { backend } from '../src/linalg/select.js';
import { commuting, completion, sensing } from '../src/problems/generate.js';
import { CompletionOperator, DenseOperator } from '../src/problems/operators/index.js';
import type { Problem } from '../src/problems/problem.js';

const be = backend();
const TOL = 1e-7;

/** A*(lambda) from the dense tensor of the operator: independent of the operator's own adjoint. */
function adjointFromTensor(p: Problem, lambda: Float64Array): Mat {
  const t = p.op.toDenseTensor(), nn = p.n1 * p.n2;
  const out = new Float64Array(nn);
  for (let i = 0; i < lambda.length; i++) for (let k = 0; k < nn; k++) out[k] += lambda[i] * t[i * nn + k];
  return matOf(p.n1, p.n2, out);
}

/** Checks the certificate from scratch: exact dual feasibility, primal feasibility and gap within tol. */
function expectCertified(p: Problem, r: NnmResult, psd: boolean, eps: number): void {
  expect(r.status).toBe('solved');
  const g = adjointFromTensor(p, r.dual);
  if (psd) {
    const n = p.n1, d = g.data;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d[i * n + j] = d[j * n + i] = 0.5 * (d[i * n + j] + d[j * n + i]);
    const ev = be.eigvalsh(g);
    expect(ev[ev.length - 1]).toBeLessThanOrEqual(1 + 1e-12);
    // X is PSD and its objective is its trace.
    const xe = be.eigvalsh(r.x);
    expect(xe[0]).toBeGreaterThanOrEqual(-1e-9 * Math.max(1, xe[xe.length - 1]));
    let tr = 0;
    for (let i = 0; i < n; i++) tr += r.x.data[i * n + i];
    expect(Math.abs(tr - r.primalObjective)).toBeLessThanOrEqual(1e-9 * Math.max(1, tr));
  } else {
    expect(be.singularValues(g)[0]).toBeLessThanOrEqual(1 + 1e-12);
    const nuc = be.singularValues(r.x).reduce((a, b) => a + b, 0);
    expect(Math.abs(nuc - r.primalObjective)).toBeLessThanOrEqual(1e-9 * Math.max(1, nuc));
  }
  const ax = p.op.apply(r.x, new Float64Array(p.op.m));
  const viol = Float64Array.from(ax, (v, i) => Math.max(Math.abs(v - p.y[i]) - eps, 0));
  const pinf = norm2(viol) / Math.max(1, norm2(p.y));
  expect(pinf).toBeLessThanOrEqual(TOL);
  const d = dualObjective(p.y, r.dual, eps);
  expect(Math.abs(d - r.dualObjective)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(d)));
  const gap = Math.abs(r.primalObjective - d) / Math.max(1, Math.abs(r.primalObjective), Math.abs(d));
  expect(gap).toBeLessThanOrEqual(TOL);
  expect(r.relativeGap).toBeLessThanOrEqual(TOL);
  expect(r.primalInfeasibility).toBeLessThanOrEqual(TOL);
  expect(r.dualInfeasibility).toBeLessThanOrEqual(TOL);
}

function relErr(x: Mat, xs: Mat): number {
  let d = 0;
  for (let i = 0; i < x.data.length; i++) d += (x.data[i] - xs.data[i]) ** 2;
  return Math.sqrt(d) / norm2(xs.data);
}

describe('minNuclearNorm: certified optimal', () => {
  for (const eps of [0, 1e-3]) {
    it(`completion 20x20 rank 2, 150 entries, general, eps ${eps}`, () => {
      const p = completion({ n1: 20, n2: 20, m: 150, rank: 2, seed: 3 });
      expectCertified(p, minNuclearNorm(p, { eps }), false, eps);
    });
    it(`completion 12x18 (non-square), 100 entries, general, eps ${eps}`, () => {
      const p = completion({ n1: 12, n2: 18, m: 100, rank: 2, seed: 4 });
      expectCertified(p, minNuclearNorm(p, { eps }), false, eps);
    });
    it(`sensing 15x15, 120 measurements, general, eps ${eps}`, () => {
      const p = sensing({ n1: 15, n2: 15, m: 120, rank: 2, seed: 5 });
      expectCertified(p, minNuclearNorm(p, { eps }), false, eps);
    });
    it(`symmetric sensing 15x15 rank 2, 60 measurements, psd, eps ${eps}`, () => {
      const p = sensing({ n1: 15, n2: 15, m: 60, rank: 2, truth: 'psd', symmetric: true, seed: 6 });
      expect(p.psd).toBe(true);
      expectCertified(p, minNuclearNorm(p, { eps }), true, eps);
    });
    it(`symmetric completion 16x16 rank 2, 120 entries, psd, eps ${eps}`, () => {
      const p = completion({ n1: 16, n2: 16, m: 120, rank: 2, symmetric: true, seed: 7 });
      expectCertified(p, minNuclearNorm(p, { eps, psd: true }), true, eps);
    });
  }
  for (const psd of [true, false]) {
    it(`diagonal (commuting) measurements 10x10, 6 measurements, psd ${psd}`, () => {
      const p = commuting({ n: 10, m: 6, rank: 2, seed: 9 });
      expect(p.op.kind).toBe('diagonal');
      expectCertified(p, minNuclearNorm(p, { psd }), psd, 0);
    });
  }
  it('psd setting with non-symmetric sensing matrices (only their symmetric parts matter)', () => {
    const p = sensing({ n1: 10, n2: 10, m: 30, rank: 1, truth: 'psd', seed: 10 });
    expect(p.op.kind).toBe('dense');
    expect(p.psd).toBe(true);
    expectCertified(p, minNuclearNorm(p), true, 0);
  });
  it('the psd problem solved as a general one is certified too (nuclear norm, no cone)', () => {
    const p = sensing({ n1: 12, n2: 12, m: 50, rank: 2, truth: 'psd', symmetric: true, seed: 8 });
    expectCertified(p, minNuclearNorm(p, { psd: false }), false, 0);
  });
});

describe('minNuclearNorm: exact recovery', () => {
  it('recovers a rank-2 30x30 matrix from 450 entries', () => {
    const p = completion({ n1: 30, n2: 30, m: 450, rank: 2, seed: 11 });
    const r = minNuclearNorm(p, { tol: 1e-9 });
    expect(r.status).toBe('solved');
    expect(relErr(r.x, p.xStar!)).toBeLessThan(1e-6);
  });
  it('recovers a rank-1 PSD 20x20 matrix from 120 symmetric measurements', () => {
    const p = sensing({ n1: 20, n2: 20, m: 120, rank: 1, truth: 'psd', symmetric: true, seed: 12 });
    const r = minNuclearNorm(p, { tol: 1e-9 });
    expect(r.status).toBe('solved');
    expect(relErr(r.x, p.xStar!)).toBeLessThan(1e-6);
  });
});

describe('minNuclearNorm: status', () => {
  /** A 6x6 sensing problem whose rows 0 and 1 are the same matrix with different y. */
  function contradictory(): Problem {
    const base = sensing({ n1: 6, n2: 6, m: 12, rank: 1, seed: 21 });
    const a = (base.op as DenseOperator).matrices.data.slice();
    a.copyWithin(36, 0, 36);
    const y = base.y.slice();
    y[1] = y[0] + 1;
    return { n1: 6, n2: 6, op: new DenseOperator(matOf(12, 36, a), 6, 6), y, psd: false };
  }
  it('infeasible on contradictory duplicate measurements (eps 0 and eps below the conflict)', () => {
    for (const eps of [0, 0.1]) {
      const r = minNuclearNorm(contradictory(), { eps, maxIters: 5000 });
      expect(r.status).toBe('infeasible');
      // The ray: A*(d) ~ 0 and a positive dual objective.
      expect(norm2(adjointFromTensor(contradictory(), r.dual).data)).toBeLessThan(1e-8);
      expect(dualObjective(contradictory().y, r.dual, eps)).toBeGreaterThan(0);
    }
  });
  it('the same data with eps covering the conflict is solved', () => {
    const p = contradictory();
    expectCertified(p, minNuclearNorm(p, { eps: 0.6 }), false, 0.6);
  });
  it('infeasible in the psd setting when y demands a negative diagonal', () => {
    // Observe entry (0, 0) = -1: no PSD matrix has it.
    const op = new CompletionOperator(8, 8, Int32Array.of(0, 1), Int32Array.of(0, 1));
    const q: Problem = { n1: 8, n2: 8, op, y: Float64Array.of(-1, 2), psd: true };
    const r = minNuclearNorm(q, { maxIters: 5000 });
    expect(r.status).toBe('infeasible');
  });
  it('inaccurate when maxIters is hit first, with the figures saying how far', () => {
    const p = completion({ n1: 20, n2: 20, m: 150, rank: 2, seed: 3 });
    const r = minNuclearNorm(p, { maxIters: 3 });
    expect(r.status).toBe('inaccurate');
    expect(r.iterations).toBe(3);
    expect(Math.max(r.relativeGap, r.primalInfeasibility, r.dualInfeasibility)).toBeGreaterThan(TOL);
    expect(Number.isFinite(r.relativeGap)).toBe(true);
  });
  it('reports iterations to onIteration', () => {
    const p = completion({ n1: 10, n2: 10, m: 60, rank: 1, seed: 3 });
    const seen: number[] = [];
    const r = minNuclearNorm(p, { onIteration: (it) => seen.push(it) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(r.iterations);
  });
});

describe('minNuclearNorm: bad options', () => {
  const p = completion({ n1: 5, n2: 6, m: 10, rank: 1, seed: 1 });
  it.each([
    [{ eps: -1 }, /^eps: /],
    [{ eps: Number.NaN }, /^eps: /],
    [{ tol: -1e-7 }, /^tol: /],
    [{ tol: 0 }, /^tol: /],
    [{ maxIters: 0 }, /^maxIters: /],
    [{ maxIters: 1.5 }, /^maxIters: /],
    [{ psd: true }, /^psd: .*5x6/],
  ])('%o throws one line naming the field', (o, re) => {
    expect(() => minNuclearNorm(p, o)).toThrow(re);
    try {
      minNuclearNorm(p, o);
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('\n');
    }
  });
  it('NaN in y throws naming y', () => {
    const q: Problem = { ...p, y: Float64Array.from(p.y, (v, i) => (i === 2 ? Number.NaN : v)) };
    expect(() => minNuclearNorm(q)).toThrow(/^y: entry 2/);
  });
});
