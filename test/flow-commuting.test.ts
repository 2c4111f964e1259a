/*
 * commutingFlowLimit (src/flow/commuting.ts), the exact limit of the U U^T flow on a diagonal
 * problem, against independent references: the flow itself integrated by dopri5 on psdFlow
 * (where it converges quickly), the closed form of one measurement (a scalar equation solved
 * here by bisection), the KKT structure of the limit (A x = y, x > 0, log(x / d0) in the row
 * space of A, by a Gram-Schmidt projection written here), the alpha -> 0 trend towards the LP
 * baseline (commutingBaseline), and its statuses and input errors.
 */
import { describe, expect, it } from 'vitest';
import { commutingBaseline } from '../src/baselines/min-l1-nonneg.js';
import { dopri5 } from '../src/flow/dopri5.js';
import { commutingFlowLimit, diagonalsOf } from '../src/flow/commuting.js';
import { psdFlow } from '../src/flow/psd-flow.js';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, matFrom, zeros } from '../src/linalg/mat.js';
import type { LossKind } from '../src/models/model.js';
import { commuting, completion, sensing } from '../src/problems/generate.js';
import { DiagonalOperator } from '../src/problems/operators/index.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { testBackends } from './helpers/backends.js';

const diagonalProblem = (rows: number[][], y: number[]): Problem => {
  const op = new DiagonalOperator(matFrom(rows));
  return { n1: op.n, n2: op.n, op, y: Float64Array.from(y), psd: true };
};

/** max_j |a_j - b_j| / |b_j|. */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let j = 0; j < b.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]) / Math.abs(b[j]));
  return worst;
}

/** ||A x - y||_inf / max(1, ||y||_inf), computed here. */
function relResidual(a: Mat, x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0, yInf = 1;
  for (let i = 0; i < a.rows; i++) {
    let s = -y[i];
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j] * x[j];
    worst = Math.max(worst, Math.abs(s));
    yInf = Math.max(yInf, Math.abs(y[i]));
  }
  return worst / yInf;
}

/** ||b - P b|| / ||b||, P the orthogonal projection onto the row space of A (modified Gram-Schmidt, twice). */
function rowSpaceResidual(a: Mat, b: ArrayLike<number>): number {
  const { rows: m, cols: n } = a;
  const basis: Float64Array[] = [];
  const project = (v: Float64Array): void => {
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let j = 0; j < n; j++) d += q[j] * v[j];
        for (let j = 0; j < n; j++) v[j] -= d * q[j];
      }
    }
  };
  for (let i = 0; i < m; i++) {
    const v = Float64Array.from(a.data.subarray(i * n, (i + 1) * n));
    const before = Math.hypot(...v);
    project(v);
    const norm = Math.hypot(...v);
    if (norm > 1e-10 * before) basis.push(v.map((x) => x / norm));
  }
  const r = Float64Array.from(b);
  project(r);
  return Math.hypot(...r) / Math.hypot(...Array.from(b));
}

const sum = (x: ArrayLike<number>): number => Array.from(x).reduce((s, v) => s + v, 0);

// ---------------------------------------------------------------------------

describe('commutingFlowLimit against the integrated flow', () => {
  // Where the flow converges fast (alpha of order 1, every x_j of order 1 at the limit),
  // dopri5 on the flow of X itself, until the loss falls to 1e-22, lands on the Newton limit.
  // Measured max relative differences of the diagonals: 5e-12 to 3e-11 (half-sse), the
  // off-diagonal entries stay exactly 0.
  it.each([
    [4, 2, 0, 1, 'half-sse'],
    [5, 2, 1, 1, 'half-sse'],
    [5, 3, 2, 0.5, 'half-sse'],
    [6, 3, 3, 1, 'half-sse'],
    [4, 2, 0, 1, 'mse'],
  ] as const)('n = %d, m = %d, seed %d, alpha = %d (%s): diag X(t) equals the limit to 1e-9 relative', (n, m, seed, alpha, loss: LossKind) => {
    const problem = commuting({ n, m, rank: 2, seed, scale: 'isometric' });
    const d0 = new Float64Array(n).fill(alpha);
    const limit = commutingFlowLimit(problem, d0, loss);
    expect(limit.status).toBe('converged');
    const flow = psdFlow(problem, loss);
    const x0 = zeros(n, n);
    for (let j = 0; j < n; j++) x0.data[j * n + j] = alpha;
    // The loss threshold as a residual: half-sse (1/2)||r||^2, mse (1/m)||r||^2; both ~1e-22.
    const lossTol = loss === 'mse' ? (2 / m) * 1e-22 : 1e-22;
    const run = dopri5(flow.rhs, 0, flow.pack(x0), 1e5, { rtol: 1e-12, atol: 1e-20, maxSteps: 20_000, event: (_t, y) => flow.loss(y) - lossTol });
    expect(run.status).toBe('event');
    const diag = Float64Array.from({ length: n }, (_, j) => run.y[j * n + j]);
    expect(maxRelErr(diag, limit.x)).toBeLessThan(1e-9);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) expect(run.y[i * n + j]).toBe(0);
  });
});

describe.each(testBackends().map((be) => [be.name, be] as const))('commutingFlowLimit (%s)', (_name, be: Backend) => {
  it('one measurement: x_j = d0_j exp(-a_j v) with sum_j a_j x_j = y, v by bisection, to 1e-12', () => {
    // f(v) = sum_j a_j d0_j exp(-a_j v) - y is strictly decreasing (f' = -sum a_j^2 x_j < 0).
    const cases: Array<{ a: number[]; d0: number[]; y: number }> = [
      { a: [1, 2, -0.5, 3], d0: [0.3, 1, 2, 0.1], y: 1.7 },
      { a: [1, 2, -0.5, 3], d0: [0.3, 1, 2, 0.1], y: -0.8 },
      { a: [0.7, 0.2, 1.3], d0: [1e-6, 1e-6, 1e-6], y: 2.5 },
      { a: [-1, 4], d0: [1, 1], y: 1e-3 },
    ];
    for (const { a, d0, y } of cases) {
      const f = (v: number): number => a.reduce((s, aj, j) => s + aj * d0[j] * Math.exp(-aj * v), 0) - y;
      let lo = -1, hi = 1;
      while (f(lo) < 0) lo *= 2;
      while (f(hi) > 0) hi *= 2;
      for (let k = 0; k < 200 && hi - lo > 0; k++) {
        const mid = 0.5 * (lo + hi);
        if (mid === lo || mid === hi) break;
        if (f(mid) > 0) lo = mid;
        else hi = mid;
      }
      const v = 0.5 * (lo + hi);
      const expected = a.map((aj, j) => d0[j] * Math.exp(-aj * v));
      const limit = commutingFlowLimit(diagonalProblem([a], [y]), Float64Array.from(d0), 'half-sse', { backend: be });
      expect(limit.status).toBe('converged');
      expect(maxRelErr(limit.x, expected)).toBeLessThan(1e-12);
      expect(Math.abs(limit.v[0] - v)).toBeLessThan(1e-12 * Math.max(1, Math.abs(v)));
    }
  });

  it('KKT: A x = y to the reported residual, x > 0, log(x / d0) = -A^T v in the row space of A', () => {
    for (const [n, m, seed] of [[12, 5, 1], [20, 10, 2], [30, 12, 3]] as const) {
      const problem = commuting({ n, m, rank: 3, seed, scale: 'isometric' });
      const a = diagonalsOf(problem);
      // A non-uniform X(0): d0 in [1e-4, 1e-1], log-uniform.
      const rng = Random.fromSeed(100 + seed);
      const d0 = Float64Array.from({ length: n }, () => 10 ** (-4 + 3 * rng.uniform()));
      const limit = commutingFlowLimit(problem, d0, 'half-sse', { backend: be });
      expect(limit.status).toBe('converged');
      expect(limit.residual).toBeLessThanOrEqual(1e-12);
      const r = relResidual(a, limit.x, problem.y);
      expect(Math.abs(r - limit.residual)).toBeLessThanOrEqual(1e-15);
      for (const xj of limit.x) expect(xj).toBeGreaterThan(0);
      const logRatio = Float64Array.from(limit.x, (xj, j) => Math.log(xj / d0[j]));
      expect(rowSpaceResidual(a, logRatio)).toBeLessThan(1e-10);
      // And it is -A^T v for the reported v.
      let worst = 0, big = 0;
      for (let j = 0; j < n; j++) {
        let atv = 0;
        for (let i = 0; i < m; i++) atv += a.data[i * n + j] * limit.v[i];
        worst = Math.max(worst, Math.abs(logRatio[j] + atv));
        big = Math.max(big, Math.abs(logRatio[j]));
      }
      expect(worst).toBeLessThan(1e-10 * Math.max(1, big));
    }
  });
});

describe('commutingFlowLimit as alpha -> 0', () => {
  const alphas = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8];
  // Instances of the commuting experiment's size (n = 20, m = 10; rank 3, isometric). Measured excesses
  // (tr X∞ - min) / min from alpha = 1e-1 to 1e-8: seed 1 1.2e-1 -> 3.8e-5, seed 2 2.1e-2 ->
  // 2.1e-9 (alpha^1), seed 3 9.1e-2 -> 9.9e-5, seed 5 3.9e-2 -> 5.9e-9 (alpha^0.97).
  it.each([1, 2, 3, 5])('seed %d: the relative excess over the LP minimum decreases strictly and monotonically, below 1e-4 at 1e-8', (seed) => {
    const problem = commuting({ n: 20, m: 10, rank: 3, seed, scale: 'isometric' });
    const base = commutingBaseline(problem);
    expect(base.result.status).toBe('optimal');
    const min = base.result.objective;
    const excess = alphas.map((alpha) => {
      const limit = commutingFlowLimit(problem, new Float64Array(20).fill(alpha));
      expect(limit.status).toBe('converged');
      return (sum(limit.x) - min) / min;
    });
    for (const e of excess) expect(e).toBeGreaterThan(0);
    for (let k = 1; k < excess.length; k++) expect(excess[k]).toBeLessThan(excess[k - 1]);
    expect(excess[0]).toBeGreaterThan(1e-2);
    expect(excess[excess.length - 1]).toBeLessThan(1e-4);
  });

  // Seeds 0 and 4: {x >= 0 : A x = y} is the single point x_LP (the planted x*); every limit
  // is that point, to rounding (measured: excess at most 1.4e-11).
  it.each([0, 4])('seed %d: a single feasible point, so the limit is the LP solution for every alpha', (seed) => {
    const problem = commuting({ n: 20, m: 10, rank: 3, seed, scale: 'isometric' });
    const base = commutingBaseline(problem);
    for (const alpha of alphas) {
      const limit = commutingFlowLimit(problem, new Float64Array(20).fill(alpha));
      expect(limit.status).toBe('converged');
      expect(Math.abs(sum(limit.x) - base.result.objective)).toBeLessThan(1e-10 * base.result.objective);
    }
  });
});

describe('commutingFlowLimit: statuses and errors', () => {
  it("'not-attained' for a y outside the closure of A(R^n_{>0}): it needs a negative x", () => {
    // a = (1, 1): sum x = -1 has no x >= 0.
    const one = commutingFlowLimit(diagonalProblem([[1, 1]], [-1]), Float64Array.of(0.5, 0.5));
    expect(one.status).toBe('not-attained');
    expect(one.residual).toBeGreaterThan(0.5);
    // x1 + x2 = 1 and x1 - x2 = 3 force x2 = -1.
    const two = commutingFlowLimit(diagonalProblem([[1, 1], [1, -1]], [1, 3]), Float64Array.of(1, 1));
    expect(two.status).toBe('not-attained');
    expect(two.residual).toBeGreaterThan(0.1);
    for (const x of [...one.x, ...two.x]) expect(Number.isFinite(x) && x >= 0).toBe(true);
  });

  it("a y on the boundary (the only x >= 0 has a zero): G has no minimizer, but the flow's limit is that x: 'converged'", () => {
    // x1 + x2 = 1, x1 - x2 = 1: x = (1, 0). Newton runs v off to infinity along the direction
    // that drives x2 to 0 and stops once the residual is below tol.
    const limit = commutingFlowLimit(diagonalProblem([[1, 1], [1, -1]], [1, 1]), Float64Array.of(0.5, 0.5));
    expect(limit.status).toBe('converged');
    expect(limit.residual).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(limit.x[0] - 1)).toBeLessThanOrEqual(1e-12);
    expect(limit.x[1]).toBeGreaterThan(0);
    expect(limit.x[1]).toBeLessThanOrEqual(1e-12);
  });

  it('Newton keeps converging below the rounding of G (regression: it stalled at residual 3.7e-10 after 200 steps)', () => {
    // Here G is about 40 in sums of terms up to ~50, so near the minimum its decrease is below
    // its rounding and the Armijo test fails for every step length; the full Newton step must
    // still be taken while it lowers the residual.
    const problem = commuting({ n: 8, m: 4, rank: 2, seed: 2, scale: 'isometric' });
    const limit = commutingFlowLimit(problem, new Float64Array(8).fill(0.1));
    expect(limit.status).toBe('converged');
    expect(limit.residual).toBeLessThanOrEqual(1e-12);
    expect(limit.iterations).toBeLessThan(20);
    expect(relResidual(diagonalsOf(problem), limit.x, problem.y)).toBeLessThanOrEqual(1e-12);
  });

  it('a y inside: converged, whatever the iteration budget needed (a few Newton steps)', () => {
    const limit = commutingFlowLimit(diagonalProblem([[1, 1], [1, -1]], [3, 1]), Float64Array.of(1, 1));
    expect(limit.status).toBe('converged');
    // x1 + x2 = 3, x1 - x2 = 1: the unique solution (2, 1).
    expect(maxRelErr(limit.x, [2, 1])).toBeLessThan(1e-12);
    expect(limit.iterations).toBeLessThan(20);
  });

  const oneLine = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      expect((e as Error).message).not.toContain('\n');
      return (e as Error).message;
    }
    throw new Error('expected a RangeError');
  };

  it('one-line RangeErrors: a non-diagonal problem, d0 of the wrong length, non-positive or non-finite d0', () => {
    const dense = sensing({ n1: 4, n2: 4, m: 5, rank: 1, truth: 'psd', seed: 0 });
    expect(oneLine(() => commutingFlowLimit(dense, new Float64Array(4).fill(1)))).toBe('problem: expected diagonal (commuting) measurements, got a dense operator');
    const entries = completion({ n1: 4, n2: 4, m: 6, rank: 1, seed: 0 });
    expect(oneLine(() => diagonalsOf(entries))).toContain('expected diagonal (commuting) measurements, got a');
    const p = commuting({ n: 4, m: 2, rank: 1, seed: 0 });
    expect(oneLine(() => commutingFlowLimit(p, new Float64Array(3).fill(1)))).toBe('d0: expected 4 entries (the diagonal of X(0)), got 3');
    for (const bad of [0, -1e-3, NaN, Infinity]) {
      expect(oneLine(() => commutingFlowLimit(p, Float64Array.of(1, 1, bad, 1)))).toBe(
        `d0: entry 2 is ${bad} (expected a positive finite number: X(0) positive definite)`,
      );
    }
  });
});
