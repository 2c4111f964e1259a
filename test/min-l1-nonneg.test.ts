import { describe, expect, it } from 'vitest';
import { commutingBaseline, minL1Nonnegative, type MinL1Result } from '../src/baselines/min-l1-nonneg.js';
import { minNuclearNorm } from '../src/baselines/nnm.js';
import { LinalgError } from '../src/linalg/backend.js';
import { type Mat, matFrom, matOf, zeros } from '../src/linalg/mat.js';
import { getBackend } from '../src/linalg/select.js';
import { commuting, completion } from '../src/problems/generate.js';
import { DiagonalOperator } from '../src/problems/operators/diagonal.js';
import { Random } from '../src/rng/random.js';
import { assertAllclose } from './helpers/allclose.js';

// The reference solves of the brute force use the js backend's gesv: a different LU
// (and code path) from the solver's own.
const be = getBackend('js');

/** Row-major A x, plain loops. */
function matVec(a: Mat, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[i] += a.data[i * a.cols + j] * x[j];
  return out;
}

/** A^T z, plain loops. */
function matTVec(a: Mat, z: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j] += a.data[i * a.cols + j] * z[i];
  return out;
}

const sumOf = (x: ArrayLike<number>): number => Array.from(x).reduce((s, v) => s + v, 0);
const infNorm = (x: ArrayLike<number>): number => Array.from(x).reduce((s, v) => Math.max(s, Math.abs(v)), 0);

function* subsets(n: number, k: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === k) {
    yield prefix.slice();
    return;
  }
  for (let j = start; j <= n - (k - prefix.length); j++) {
    prefix.push(j);
    yield* subsets(n, k, j + 1, prefix);
    prefix.pop();
  }
}

interface Vertex {
  x: Float64Array;
  objective: number;
}

/**
 * Brute force over the basic solutions: every m-column subset B with B nonsingular and
 * x_B = B^-1 y >= 0 is a vertex of {x >= 0 : A x = y}; for A of full row rank the LP is
 * feasible iff one exists, and then its optimum is attained at one (the cost 1 is
 * positive on every recession direction). Returns the optimal vertices (distinct points),
 * or [] when none is feasible.
 */
function bruteForce(a: Mat, y: Float64Array): Vertex[] {
  const m = a.rows, n = a.cols, yScale = Math.max(1, infNorm(y));
  const feasible: Vertex[] = [];
  for (const cols of subsets(n, m)) {
    const b = zeros(m, m);
    for (let r = 0; r < m; r++) for (let i = 0; i < m; i++) b.data[r * m + i] = a.data[r * n + cols[i]];
    let xb: Mat;
    try {
      xb = be.gesv(b, matOf(m, 1, y.slice()));
    } catch (e) {
      if (e instanceof LinalgError) continue;
      throw e;
    }
    // A numerically singular subset: its "solution" is huge or does not solve the system.
    if (!(infNorm(xb.data) < 1e8 * yScale)) continue;
    const x = new Float64Array(n);
    cols.forEach((c, i) => (x[c] = xb.data[i]));
    const r = matVec(a, x).map((v, i) => v - y[i]);
    if (infNorm(r) > 1e-10 * yScale) continue;
    if (Math.min(...xb.data) < -1e-12 * Math.max(1, infNorm(xb.data))) continue;
    feasible.push({ x, objective: sumOf(x) });
  }
  if (feasible.length === 0) return [];
  const best = Math.min(...feasible.map((v) => v.objective));
  const optimal: Vertex[] = [];
  for (const v of feasible) {
    if (v.objective > best + 1e-9 * Math.max(1, Math.abs(best))) continue;
    if (!optimal.some((o) => infNorm(o.x.map((t, j) => t - v.x[j])) <= 1e-9 * Math.max(1, infNorm(v.x)))) optimal.push(v);
  }
  return optimal;
}

/** The certificate recomputed from scratch, independently of the solver's own figures. */
function checkOptimal(a: Mat, y: Float64Array, r: MinL1Result, tol: number): void {
  expect(r.status).toBe('optimal');
  expect(r.farkas).toBeNull();
  const res = matVec(a, r.x).map((v, i) => v - y[i]);
  expect(infNorm(res) / Math.max(1, infNorm(y))).toBeLessThanOrEqual(tol);
  expect(Math.min(...r.x)).toBeGreaterThanOrEqual(-tol * Math.max(1, infNorm(r.x)));
  const slack = matTVec(a, r.dual).map((v) => 1 - v);
  expect(Math.min(...slack)).toBeGreaterThanOrEqual(-tol);
  const p = sumOf(r.x), d = y.reduce((s, v, i) => s + v * r.dual[i], 0);
  expect(Math.abs(p - d) / Math.max(1, Math.abs(p))).toBeLessThanOrEqual(tol);
  expect(Math.abs(r.objective - p)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(p)));
  // The solver's own figures agree with the recomputed ones and are within tol.
  const c = r.certificate;
  expect(c.primalResidual).toBeLessThanOrEqual(tol);
  expect(c.minX).toBeGreaterThanOrEqual(-tol * Math.max(1, infNorm(r.x)));
  expect(c.dualInfeasibility).toBeLessThanOrEqual(tol);
  expect(c.gap).toBeLessThanOrEqual(tol);
  // Complementary slackness: a basic (non-zero) x_j sits on a tight dual constraint.
  for (let j = 0; j < a.cols; j++) if (r.x[j] > tol * Math.max(1, infNorm(r.x))) expect(Math.abs(slack[j])).toBeLessThanOrEqual(1e-10);
}

/** Farkas certificate checked from scratch: A^T z >= 0 to rounding and y^T z = -1. */
function checkInfeasible(a: Mat, y: Float64Array, r: MinL1Result): void {
  expect(r.status).toBe('infeasible');
  const f = r.farkas!;
  expect(f).not.toBeNull();
  const g = matTVec(a, f.z);
  const scale = Math.max(1, infNorm(f.z) * infNorm(a.data));
  expect(Math.min(...g)).toBeGreaterThanOrEqual(-1e-12 * scale);
  const yz = y.reduce((s, v, i) => s + v * f.z[i], 0);
  expect(yz).toBeCloseTo(-1, 12);
  expect(f.yTz).toBeCloseTo(-1, 12);
  expect(Math.abs(f.minATz - Math.min(...g))).toBeLessThanOrEqual(1e-14 * scale);
  expect(r.dual).toEqual(f.z);
}

function gaussianMat(rng: Random, m: number, n: number, mean: number): Mat {
  const a = zeros(m, n);
  rng.fillNormal(a.data, mean, 1);
  return a;
}

/** x0 >= 0 with k non-zero entries at random positions. */
function sparseNonneg(rng: Random, n: number, k: number): Float64Array {
  const x = new Float64Array(n);
  const pos = rng.sampleWithoutReplacement(n, k);
  for (const p of pos) x[p] = 0.1 + Math.abs(rng.normal());
  return x;
}

/** Compares the solver with the brute force: status, objective, and x when the optimum is unique. */
function compareWithBruteForce(a: Mat, y: Float64Array): 'optimal' | 'infeasible' {
  const r = minL1Nonnegative(a, y);
  const ref = bruteForce(a, y);
  if (ref.length === 0) {
    checkInfeasible(a, y, r);
    return 'infeasible';
  }
  checkOptimal(a, y, r, 1e-12);
  const best = ref[0].objective;
  expect(Math.abs(r.objective - best)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(best)));
  if (ref.length === 1) assertAllclose(r.x, ref[0].x, { rtol: 1e-11, atol: 1e-12 * Math.max(1, infNorm(ref[0].x)) }, 'x');
  return 'optimal';
}

describe('minL1Nonnegative against brute-force vertex enumeration', () => {
  it('random Gaussian instances, n <= 8, feasible y = A x0 (x0 >= 0 sparse) and arbitrary y', () => {
    const counts = { optimal: 0, infeasible: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      const rng = Random.fromSeed(seed);
      const m = 1 + (seed % 4), n = m + 1 + (seed % (8 - m));
      // Mean 0: the feasible set is usually unbounded; mean 0.5: usually a polytope.
      const a = gaussianMat(rng, m, n, seed % 3 === 0 ? 0.5 : 0);
      const y = seed % 2 === 0 ? matVec(a, sparseNonneg(rng, n, 1 + (seed % m))) : rng.fillNormal(new Float64Array(m));
      counts[compareWithBruteForce(a, y)]++;
    }
    // Both outcomes occur, so both branches were compared.
    expect(counts.optimal).toBeGreaterThan(20);
    expect(counts.infeasible).toBeGreaterThan(3);
  });

  it('degenerate integer instances (entries in {-1, 0, 1}, y = A x0 with x0 in {0, 1}^n)', () => {
    for (let seed = 100; seed < 130; seed++) {
      const rng = Random.fromSeed(seed);
      const m = 2 + (seed % 3), n = 8;
      let a: Mat;
      // Redraw until full row rank (the brute force needs a nonsingular m-subset).
      for (;;) {
        a = zeros(m, n);
        for (let i = 0; i < a.data.length; i++) a.data[i] = rng.int(3) - 1;
        const g = zeros(m, m);
        for (let p = 0; p < m; p++) for (let q = 0; q < m; q++) for (let j = 0; j < n; j++) g.data[p * m + q] += a.data[p * n + j] * a.data[q * n + j];
        if (be.eigvalsh(g)[0] > 1e-8) break;
      }
      const x0 = new Float64Array(n);
      for (let j = 0; j < n; j++) x0[j] = rng.int(3) === 0 ? 1 : 0;
      compareWithBruteForce(a, matVec(a, x0));
    }
  });

  it('y on a face: y = A x0 with x0 supported on fewer than m columns (degenerate optimum)', () => {
    for (let seed = 200; seed < 215; seed++) {
      const rng = Random.fromSeed(seed);
      const m = 4, n = 8;
      const a = gaussianMat(rng, m, n, 0.3);
      const y = matVec(a, sparseNonneg(rng, n, 1 + (seed % 2)));
      expect(compareWithBruteForce(a, y)).toBe('optimal');
    }
  });
});

describe('minL1Nonnegative on degenerate and special cases', () => {
  it('y = 0 gives x = 0 and objective 0', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = Random.fromSeed(seed);
      const a = gaussianMat(rng, 5, 12, 0);
      const y = new Float64Array(5);
      const r = minL1Nonnegative(a, y);
      checkOptimal(a, y, r, 1e-15);
      expect(Array.from(r.x)).toEqual(new Array(12).fill(0));
      expect(r.objective).toBe(0);
    }
  });

  it('duplicated columns: the same optimum as without the duplicates, the mass split among copies', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const rng = Random.fromSeed(300 + seed);
      const m = 3, n0 = 5;
      const a0 = gaussianMat(rng, m, n0, 0.3);
      const y = matVec(a0, sparseNonneg(rng, n0, 2));
      // Columns 0..4, then copies of 1, 3, 1.
      const copies = [1, 3, 1];
      const a = zeros(m, n0 + copies.length);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n0; j++) a.data[i * a.cols + j] = a0.data[i * n0 + j];
        copies.forEach((c, k) => (a.data[i * a.cols + n0 + k] = a0.data[i * n0 + c]));
      }
      compareWithBruteForce(a, y);
      const ref = bruteForce(a0, y);
      const r = minL1Nonnegative(a, y);
      expect(Math.abs(r.objective - ref[0].objective)).toBeLessThanOrEqual(1e-12 * Math.max(1, ref[0].objective));
      if (ref.length === 1) {
        const folded = r.x.slice(0, n0);
        copies.forEach((c, k) => (folded[c] += r.x[n0 + k]));
        assertAllclose(folded, ref[0].x, { rtol: 1e-11, atol: 1e-12 * infNorm(ref[0].x) }, 'folded x');
      }
    }
  });

  it('redundant rows (rank-deficient A, consistent y) are handled and certified', () => {
    const a = matFrom([[1, 1, 0], [2, 2, 0], [0, 1, 1]]);
    const y = Float64Array.of(1, 2, 1);
    const r = minL1Nonnegative(a, y);
    checkOptimal(a, y, r, 1e-15);
    // min x0 + x1 + x2 with x0 + x1 = 1, x1 + x2 = 1: x = (0, 1, 0), objective 1.
    assertAllclose(r.x, [0, 1, 0], { atol: 1e-15 });
    expect(r.basis.some((j) => j >= 3)).toBe(true); // the redundant row keeps its artificial
  });

  it('infeasible: A = [[1, 1]], y = [-1], with its Farkas certificate', () => {
    const a = matFrom([[1, 1]]), y = Float64Array.of(-1);
    const r = minL1Nonnegative(a, y);
    checkInfeasible(a, y, r);
    assertAllclose(r.farkas!.z, [1], { rtol: 1e-15 });
  });

  it('infeasible: inconsistent rows (A = [[1, 1], [1, 1]], y = [1, 2]) and a sign-infeasible system', () => {
    const a = matFrom([[1, 1], [1, 1]]), y = Float64Array.of(1, 2);
    const r = minL1Nonnegative(a, y);
    checkInfeasible(a, y, r);
    // The only z with A^T z >= 0 and y^T z = -1 directions: z proportional to (1, -1).
    expect(Math.abs(r.farkas!.z[0] + r.farkas!.z[1])).toBeLessThanOrEqual(1e-15);
    // x1 - x2 = 1, x2 - x1 = 1 has no solution at all.
    const b = matFrom([[1, -1, 0.5], [-1, 1, -0.5]]), yb = Float64Array.of(1, 1);
    checkInfeasible(b, yb, minL1Nonnegative(b, yb));
    // A >= 0 entrywise and y with a negative entry.
    const c = matFrom([[1, 2, 0, 1], [0, 1, 3, 1], [2, 0, 1, 1]]), yc = Float64Array.of(1, -0.5, 2);
    checkInfeasible(c, yc, minL1Nonnegative(c, yc));
  });

  it("Bland's rule throughout (degenerateLimit 0) agrees with the brute force too", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = Random.fromSeed(400 + seed);
      const m = 2 + (seed % 3), n = 8;
      const a = zeros(m, n);
      if (seed % 2 === 0) rng.fillNormal(a.data, 0.2, 1);
      else for (let i = 0; i < a.data.length; i++) a.data[i] = rng.int(3) - 1;
      const y = matVec(a, sparseNonneg(rng, n, 1 + (seed % 2)));
      const r = minL1Nonnegative(a, y, { degenerateLimit: 0 });
      const ref = bruteForce(a, y);
      if (ref.length === 0) continue; // rank-deficient draw: not this test's subject
      checkOptimal(a, y, r, 1e-12);
      expect(Math.abs(r.objective - ref[0].objective)).toBeLessThanOrEqual(1e-12 * Math.max(1, ref[0].objective));
    }
  });

  it('heavily degenerate 12 x 60 instance: Dantzig with the fallback and pure Bland reach the same certified optimum', () => {
    const rng = Random.fromSeed(77);
    const m = 12, n = 60;
    const a = zeros(m, n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a.data[i * n + j] = (rng.int(3) - 1) * (j % 2 === 0 ? 1 : -1);
    const x0 = new Float64Array(n);
    x0[3] = 1;
    x0[10] = 2;
    const y = matVec(a, x0);
    const r = minL1Nonnegative(a, y);
    const rb = minL1Nonnegative(a, y, { degenerateLimit: 0 });
    const rl = minL1Nonnegative(a, y, { degenerateLimit: 3 });
    for (const res of [r, rb, rl]) checkOptimal(a, y, res, 1e-12);
    expect(Math.abs(rb.objective - r.objective)).toBeLessThanOrEqual(1e-12 * r.objective);
    expect(Math.abs(rl.objective - r.objective)).toBeLessThanOrEqual(1e-12 * r.objective);
    expect(r.objective).toBeLessThanOrEqual(3 + 1e-12); // x0 is feasible
  });
});

describe('commutingBaseline on commuting() problems', () => {
  const sizes = [
    { n: 50, m: 20 },
    { n: 100, m: 40 },
  ];
  for (const { n, m } of sizes) {
    it(`certificate to 1e-12, n = ${n}, m = ${m}, seeds 1-6 (timings printed)`, () => {
      const times: number[] = [];
      const report: string[] = [];
      for (let seed = 1; seed <= 6; seed++) {
        const p = commuting({ n, m, rank: 5, seed });
        const op = p.op as DiagonalOperator;
        const t0 = performance.now();
        const { x, result } = commutingBaseline(p);
        times.push(performance.now() - t0);
        checkOptimal(op.diagonals, p.y, result, 1e-12);
        // X = diag(x) reproduces y through the operator itself (gemv on the diagonal).
        const ax = p.op.apply(x, new Float64Array(m));
        expect(infNorm(ax.map((v, i) => v - p.y[i])) / Math.max(1, infNorm(p.y))).toBeLessThanOrEqual(1e-12);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) expect(x.data[i * n + j]).toBe(0);
        const c = result.certificate;
        report.push(`seed ${seed}: ${result.iterations} it, res ${c.primalResidual.toExponential(1)}, minX ${c.minX.toExponential(1)}, dinf ${c.dualInfeasibility.toExponential(1)}, gap ${c.gap.toExponential(1)}`);
      }
      // Measured, not asserted (DESIGN: speed belongs to bench/).
      const sorted = times.slice().sort((u, v) => u - v);
      console.log(`commutingBaseline n=${n} m=${m}: median ${((sorted[2] + sorted[3]) / 2).toFixed(2)} ms (first ${times[0].toFixed(2)} ms)\n  ${report.join('\n  ')}`);
    });
  }

  it('scaling: (c A, s y) has the solution (s / c) x, to 1e-12 relative', () => {
    const p = commuting({ n: 50, m: 20, rank: 5, seed: 3 });
    const a = (p.op as DiagonalOperator).diagonals;
    const base = minL1Nonnegative(a, p.y);
    for (const [c, s] of [[1e4, 1e-6], [1e-5, 1e3]]) {
      const ca = matOf(a.rows, a.cols, a.data.map((v) => c * v));
      const sy = p.y.map((v) => s * v);
      const r = minL1Nonnegative(ca, sy);
      checkOptimal(ca, sy, r, 1e-12);
      assertAllclose(r.x, base.x.map((v) => (s / c) * v), { rtol: 1e-12, atol: 1e-12 * (s / c) * infNorm(base.x) }, `x (c ${c}, s ${s})`);
      expect(Math.abs(r.objective - (s / c) * base.objective)).toBeLessThanOrEqual(1e-12 * (s / c) * base.objective);
    }
  });

  it('reproduces the ground truth when x* is the unique LP optimum (n = 50, k = 5, m = 20; and n = 100, k = 5, m = 40)', () => {
    for (const { n, m } of sizes) {
      for (let seed = 1; seed <= 6; seed++) {
        const p = commuting({ n, m, rank: 5, seed });
        const op = p.op as DiagonalOperator;
        const { x, result } = commutingBaseline(p);
        const xs = Float64Array.from({ length: n }, (_, j) => p.xStar!.data[j * n + j]);
        // Uniqueness certificate: lambda with a_j^T lambda = 1 on the support S of x*,
        // a_j^T lambda < 1 off S, and A_S of full column rank give 1^T x = y^T lambda +
        // sum_(j not in S) (1 - a_j^T lambda) x_j > 1^T x* for every other feasible x.
        // lambda is found as the dual of the LP with costs 1 - delta off S (columns
        // a_j / (1 - delta)), and then verified here from scratch.
        const delta = 1e-3;
        const scaled = matOf(m, n, op.diagonals.data.map((v, i) => (xs[i % n] > 0 ? v : v / (1 - delta))));
        const lambda = minL1Nonnegative(scaled, p.y).dual;
        const g = matTVec(op.diagonals, lambda);
        const support = Array.from(xs.keys()).filter((j) => xs[j] > 0);
        for (const j of support) expect(Math.abs(g[j] - 1)).toBeLessThanOrEqual(1e-12);
        expect(Math.max(...g.filter((_, j) => xs[j] === 0))).toBeLessThanOrEqual(1 - delta / 2);
        const k = support.length;
        const as = zeros(m, k);
        for (let i = 0; i < m; i++) support.forEach((j, q) => (as.data[i * k + q] = op.diagonals.data[i * n + j]));
        const ev = be.eigvalsh(be.gemm(true, false, 1, as, as, 0, zeros(k, k)));
        expect(ev[0]).toBeGreaterThan(1e-8 * ev[k - 1]);
        expect(result.objective).toBeCloseTo(sumOf(xs), 10);
        assertAllclose(diagDiff(x, xs), new Float64Array(n), { atol: 1e-12 * infNorm(xs) }, `x - x* (seed ${seed})`);
      }
    }
  });

  it('does not reproduce x* when m is too small (n = 50, k = 5, m = 6): the LP finds a cheaper point', () => {
    const p = commuting({ n: 50, m: 6, rank: 5, seed: 1 });
    const { result } = commutingBaseline(p);
    checkOptimal((p.op as DiagonalOperator).diagonals, p.y, result, 1e-12);
    let trStar = 0;
    for (let j = 0; j < 50; j++) trStar += p.xStar!.data[j * 50 + j];
    expect(result.objective).toBeLessThan(trStar * (1 - 1e-3));
  });

  it('agrees with minNuclearNorm(problem, { psd: true }) to the ADMM tolerance', () => {
    // ADMM (default tol 1e-7 on its relative gap and infeasibilities) against the exact LP.
    // Measured: objective 3e-9 - 1.1e-7, X 4e-9 - 1.0e-7 relative. The objective may differ
    // by a few tol (gap plus the infeasibility of the ADMM's X); X by more in principle
    // (first-order accuracy), hence the looser bound on it.
    const TOL = 1e-7;
    for (const [n, m, rank, seed] of [[10, 6, 2, 9], [10, 6, 2, 10], [30, 12, 3, 1]]) {
      const p = commuting({ n, m, rank, seed });
      const { x, result } = commutingBaseline(p);
      const admm = minNuclearNorm(p, { psd: true, tol: TOL });
      expect(admm.status).toBe('solved');
      expect(Math.abs(admm.primalObjective - result.objective)).toBeLessThanOrEqual(5 * TOL * result.objective);
      let d = 0, s = 0;
      for (let i = 0; i < x.data.length; i++) {
        d += (admm.x.data[i] - x.data[i]) ** 2;
        s += x.data[i] ** 2;
      }
      expect(Math.sqrt(d / s)).toBeLessThanOrEqual(1e-5);
    }
  });
});

function diagDiff(x: Mat, xs: Float64Array): Float64Array {
  return xs.map((v, j) => x.data[j * x.cols + j] - v);
}

describe('bad input', () => {
  const oneLine = (f: () => unknown, pattern: RegExp): void => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    const msg = (err as Error).message;
    expect(msg).toMatch(pattern);
    expect(msg).not.toContain('\n');
  };
  it('shape mismatches, NaN, bad options and non-diagonal problems give one-line RangeErrors', () => {
    const a = matFrom([[1, 2, 3], [4, 5, 6]]);
    oneLine(() => minL1Nonnegative(a, Float64Array.of(1, 2, 3)), /^y: expected .*2 values/);
    oneLine(() => minL1Nonnegative({ rows: 2, cols: 3, data: new Float64Array(5) }, Float64Array.of(1, 2)), /^a: expected 6 entries/);
    oneLine(() => minL1Nonnegative(zeros(0, 3), new Float64Array(0)), /^a: expected an m x n matrix/);
    oneLine(() => minL1Nonnegative(matFrom([[1, NaN, 3], [4, 5, 6]]), Float64Array.of(1, 2)), /^a: entry \[0, 1\] is NaN/);
    oneLine(() => minL1Nonnegative(a, Float64Array.of(1, Infinity)), /^y: entry 1 is Infinity/);
    oneLine(() => minL1Nonnegative(a, Float64Array.of(1, 2), { tol: 0 }), /^tol: /);
    oneLine(() => minL1Nonnegative(a, Float64Array.of(1, 2), { maxIterations: 1.5 }), /^maxIterations: /);
    oneLine(() => minL1Nonnegative(a, Float64Array.of(1, 2), { degenerateLimit: -1 }), /^degenerateLimit: /);
    oneLine(() => commutingBaseline(completion({ n1: 4, n2: 4, m: 6, rank: 1, seed: 1 })), /^problem\.op: expected a diagonal .*got completion/);
  });
  it('the iteration limit throws LinalgError', () => {
    const p = commuting({ n: 50, m: 20, rank: 5, seed: 1 });
    expect(() => commutingBaseline(p, { maxIterations: 2 })).toThrow(LinalgError);
  });
});
