import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gramMatrix, minFrobeniusNorm } from '../src/baselines/min-frobenius.js';
import { minNuclearNorm } from '../src/baselines/nnm.js';
import { projectPsd, psdLipschitz, psdProjectedGradient } from '../src/baselines/psd-pgd.js';
import { readNpzFile } from '../src/io/files.js';
import { matFromNd, vectorFromNd } from '../src/io/npz.js';
import { LinalgError, type Backend } from '../src/linalg/backend.js';
import { type Mat, frobeniusNorm, matFrom, matOf, zeros } from '../src/linalg/mat.js';
import { backend } from '../src/linalg/select.js';
import { problemFromNd } from '../src/problems/file.js';
import { commuting, completion, sensing } from '../src/problems/generate.js';
import { CompletionOperator, denseOperator } from '../src/problems/operators/index.js';
import type { Problem } from '../src/problems/problem.js';
import { assertAllclose } from './helpers/allclose.js';
import { testBackends } from './helpers/backends.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'nnm');

// ---------------------------------------------------------------------------
// Plain references, written out without the operators' fast paths
// ---------------------------------------------------------------------------

/** The measurement matrices, one Mat each. */
function matrices(p: Problem): Mat[] {
  const t = p.op.toDenseTensor(), nn = p.n1 * p.n2;
  return Array.from({ length: p.op.m }, (_, i) => matOf(p.n1, p.n2, t.slice(i * nn, (i + 1) * nn)));
}

function inner(a: Mat, b: Mat): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

function applyRef(as: Mat[], x: Mat): Float64Array {
  return Float64Array.from(as, (a) => inner(a, x));
}

function adjointRef(as: Mat[], lambda: ArrayLike<number>, n1: number, n2: number): Mat {
  const out = zeros(n1, n2);
  as.forEach((a, i) => {
    for (let p = 0; p < a.data.length; p++) out.data[p] += lambda[i] * a.data[p];
  });
  return out;
}

/** lambda with A A* lambda = v, by LU on the Gram matrix formed entry by entry. */
function solveGramRef(as: Mat[], v: Float64Array, be: Backend): Float64Array {
  const m = as.length;
  const g = zeros(m, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) g.data[i * m + j] = inner(as[i], as[j]);
  return be.gesv(g, matOf(m, 1, v.slice())).data;
}

function relResidual(as: Mat[], x: Mat, y: Float64Array): number {
  const ax = applyRef(as, x);
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) {
    num += (ax[i] - y[i]) ** 2;
    den += y[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function minEig(x: Mat, be: Backend): number {
  return be.eigvalsh(x)[0];
}

function asymmetry(x: Mat): number {
  const n = x.rows;
  let worst = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(x.data[i * n + j] - x.data[j * n + i]));
  return worst;
}

// ---------------------------------------------------------------------------
// Minimum Frobenius norm
// ---------------------------------------------------------------------------

describe.each(testBackends().map((b) => [b.name, b] as const))('minFrobeniusNorm (%s)', (_name, be) => {
  const cases: [string, () => Problem][] = [
    ['dense sensing', () => sensing({ n1: 6, n2: 7, m: 20, rank: 2, seed: 3, backend: be })],
    ['symmetric sensing (packed)', () => sensing({ n1: 7, n2: 7, m: 15, rank: 2, truth: 'psd', symmetric: true, seed: 4, backend: be })],
    ['diagonal (commuting) sensing', () => commuting({ n: 8, m: 5, rank: 2, seed: 5 })],
  ];

  it.each(cases)('%s: feasible, in the range of A*, and of least norm', (_label, make) => {
    const p = make();
    const as = matrices(p);
    const { x, residual } = minFrobeniusNorm(p, { backend: be });
    expect([x.rows, x.cols]).toEqual([p.n1, p.n2]);
    // A(X) = y to ~1e-10 relative (the residual reported is the one we measure).
    expect(relResidual(as, x, p.y)).toBeLessThan(1e-10);
    const yNorm = Math.hypot(...p.y);
    expect(residual).toBeLessThan(1e-10 * yNorm);
    // X = A*(lambda): lambda from the normal equations, solved independently (LU).
    const lambda = solveGramRef(as, applyRef(as, x), be);
    const back = adjointRef(as, lambda, p.n1, p.n2);
    assertAllclose(x, back, { rtol: 0, atol: 1e-10 * frobeniusNorm(x) }, 'X vs A*(lambda)');
    // Least norm: X + t D for a null-space direction D (A(D) = 0) is longer than X.
    const z = zeros(p.n1, p.n2);
    for (let i = 0; i < z.data.length; i++) z.data[i] = Math.sin(1 + 3.7 * i);
    const mu = solveGramRef(as, applyRef(as, z), be);
    const d = adjointRef(as, mu, p.n1, p.n2);
    for (let i = 0; i < d.data.length; i++) d.data[i] = z.data[i] - d.data[i];
    expect(Math.max(...applyRef(as, d).map(Math.abs))).toBeLessThan(1e-10 * frobeniusNorm(d));
    expect(frobeniusNorm(d)).toBeGreaterThan(0.1);
    expect(Math.abs(inner(x, d))).toBeLessThan(1e-10 * frobeniusNorm(x) * frobeniusNorm(d));
    const nx = frobeniusNorm(x);
    for (const t of [-1, -1e-3, 1e-3, 1]) {
      const xt = matOf(p.n1, p.n2, x.data.map((v, i) => v + t * d.data[i]));
      expect(relResidual(as, xt, p.y)).toBeLessThan(1e-9);
      expect(frobeniusNorm(xt)).toBeGreaterThan(nx);
    }
  });

  it('the Gram matrix is <A_i, A_j> (dense, packed symmetric, diagonal)', () => {
    for (const [, make] of cases) {
      const p = make();
      const as = matrices(p);
      const g = gramMatrix(p.op, be);
      const m = as.length;
      const ref = zeros(m, m);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) ref.data[i * m + j] = inner(as[i], as[j]);
      assertAllclose(g, ref, { rtol: 1e-13, atol: 1e-13 * Math.max(...ref.data.map(Math.abs)) }, `Gram (${p.op.kind})`);
    }
  });

  it('completion: the zero-fill of the observed entries', () => {
    const p = completion({ n1: 9, n2: 6, m: 20, rank: 2, seed: 7, backend: be });
    const op = p.op as CompletionOperator;
    const { x, residual } = minFrobeniusNorm(p, { backend: be });
    const ref = zeros(9, 6);
    for (let i = 0; i < op.m; i++) ref.data[op.rows[i] * 6 + op.cols[i]] = p.y[i];
    expect(x.data).toEqual(ref.data);
    expect(residual).toBe(0);
  });

  it('dependent measurements: one-line LinalgError', () => {
    const a = Float64Array.of(1, 2, 3, 4, 1, 2, 3, 4, 0, 1, 0, 0); // A_0 = A_1
    const p: Problem = { n1: 2, n2: 2, op: denseOperator(a, 3, 2, 2), y: Float64Array.of(1, 1, 2), psd: false };
    expect(() => minFrobeniusNorm(p, { backend: be })).toThrow(LinalgError);
    expect(() => minFrobeniusNorm(p, { backend: be })).toThrow(/^minFrobeniusNorm: .*linearly dependent[^\n]*$/);
  });
});

// ---------------------------------------------------------------------------
// PSD projected gradient descent
// ---------------------------------------------------------------------------

describe.each(testBackends().map((b) => [b.name, b] as const))('psdProjectedGradient (%s)', (_name, be) => {
  it('projectPsd clips negative eigenvalues', () => {
    // Z = Q diag(2, -3) Q^T with Q a rotation; its projection is Q diag(2, 0) Q^T.
    const q = matFrom([[0.6, -0.8], [0.8, 0.6]]);
    const qd = (d: [number, number]): Mat => {
      const b = matFrom([[0.6 * d[0], -0.8 * d[1]], [0.8 * d[0], 0.6 * d[1]]]);
      return be.gemm(false, true, 1, b, q, 0, zeros(2, 2));
    };
    const z = qd([2, -3]);
    z.data[2] = z.data[1]; // exactly symmetric
    assertAllclose(projectPsd(z, be), qd([2, 0]), { rtol: 0, atol: 1e-14 }, 'projection');
    expect(projectPsd(qd([-1, -2]), be).data).toEqual(new Float64Array(4));
  });

  it('psdLipschitz: 1 for completion, the top eigenvalue of the Gram matrix for symmetric sensing', () => {
    const c = completion({ n1: 8, n2: 8, m: 20, rank: 2, seed: 1, symmetric: true, backend: be });
    expect(psdLipschitz(c.op)).toBeCloseTo(1, 10);
    const s = sensing({ n1: 7, n2: 7, m: 15, rank: 2, truth: 'psd', symmetric: true, seed: 2, backend: be });
    const ev = be.eigvalsh(gramMatrix(s.op, be));
    assertAllclose(psdLipschitz(s.op), ev[ev.length - 1], { rtol: 1e-8 }, 'L');
  });

  // Underdetermined (m < n(n+1)/2 = 36) instances on which plain PGD converges in a few thousand steps
  // (on others, e.g. rank 2 with m = 30, its convergence is sublinear: 20000 steps reach f ~ 1e-12 ||y||^2).
  const cases: [string, () => Problem][] = [
    ['symmetric sensing, PSD rank-1 truth, m = 25', () => sensing({ n1: 8, n2: 8, m: 25, rank: 1, truth: 'psd', symmetric: true, seed: 11, backend: be })],
    ['asymmetric sensing matrices, PSD rank-1 truth (symmetrized gradient)', () => sensing({ n1: 8, n2: 8, m: 25, rank: 1, truth: 'psd', seed: 12, backend: be })],
    ['symmetric completion, PSD rank-1 truth', () => completion({ n1: 8, n2: 8, m: 60, rank: 1, symmetric: true, seed: 13, backend: be })],
  ];

  it.each(cases)('%s: converges to a PSD X with A(X) = y, f decreasing', (_label, make) => {
    const p = make();
    expect(p.psd).toBe(true);
    const r = psdProjectedGradient(p, { backend: be, recordLoss: true, tol: 1e-9, maxIters: 20000 });
    expect(r.status).toBe('converged');
    const losses = r.losses!;
    expect(losses.length).toBe(r.iterations + 1);
    for (let k = 1; k < losses.length; k++) expect(losses[k]).toBeLessThanOrEqual(losses[k - 1] * (1 + 1e-12) + 1e-300);
    const yy = p.y.reduce((s, v) => s + v * v, 0);
    expect(r.loss).toBeLessThan(1e-14 * yy);
    expect(relResidual(matrices(p), r.x, p.y)).toBeLessThan(1e-6);
    expect(asymmetry(r.x)).toBe(0);
    expect(minEig(r.x, be)).toBeGreaterThan(-1e-12 * frobeniusNorm(r.x));
  });

  it('stops at maxIters and reports it; rejects a non-square problem', () => {
    const p = cases[0][1]();
    const r = psdProjectedGradient(p, { backend: be, maxIters: 3, recordLoss: true });
    expect([r.status, r.iterations, r.losses!.length]).toEqual(['max-iters', 3, 4]);
    const q = sensing({ n1: 3, n2: 4, m: 5, seed: 1, backend: be });
    expect(() => psdProjectedGradient(q)).toThrow(/square/);
  });
});

// ---------------------------------------------------------------------------
// CVXOPT fixtures (test/fixtures/make_nnm_fixtures.py)
// ---------------------------------------------------------------------------

interface FixtureCase {
  name: string;
  problem: string;
  psd: boolean;
  eps: number;
  objective: string;
  status: string;
  gap: string;
  x_file: string;
}

const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as { cvxopt: string; cases: FixtureCase[] };

function loadCase(c: FixtureCase): { problem: Problem; x: Mat; dual: Float64Array } {
  const file = path.join(FIXTURES, c.problem);
  const problem = problemFromNd(readNpzFile(file), file);
  const xFile = path.join(FIXTURES, c.x_file);
  const arrays = readNpzFile(xFile);
  return { problem, x: matFromNd(arrays.get('X'), 'X', xFile), dual: vectorFromNd(arrays.get('dual'), 'dual', xFile) };
}

describe('CVXOPT minimum-nuclear-norm fixtures', () => {
  it('cover general and PSD, sensing and completion, eps 0 and 1e-3, 10 x 10 to 30 x 30', () => {
    expect(expected.cvxopt).toMatch(/^\d+\.\d+/);
    const names = expected.cases.map((c) => c.name);
    expect(names).toContain('completion_30_exact');
    expect(expected.cases.some((c) => c.psd && c.problem.startsWith('sensing'))).toBe(true);
    expect(expected.cases.some((c) => c.psd && c.problem.startsWith('completion'))).toBe(true);
    expect(expected.cases.some((c) => c.eps > 0)).toBe(true);
  });

  it.each(expected.cases.map((c) => [c.name, c] as const))('%s: CVXOPT X is feasible for our operator and its objective is reported', (_n, c) => {
    const be = backend();
    const { problem, x, dual } = loadCase(c);
    expect(c.status).toBe('optimal');
    expect(problem.psd).toBe(c.psd);
    expect([x.rows, x.cols]).toEqual([problem.n1, problem.n2]);
    const objective = Number(c.objective);
    // Feasible: |A(X) - y| <= eps, to 1e-6 (absolute; |y| is O(1) to O(10) here).
    const ax = problem.op.apply(x, new Float64Array(problem.op.m));
    for (let i = 0; i < ax.length; i++) expect(Math.abs(ax[i] - problem.y[i])).toBeLessThanOrEqual(c.eps + 1e-6);
    // Its nuclear norm (general) or trace (PSD, with X PSD) is the reported objective.
    if (c.psd) {
      expect(asymmetry(x)).toBe(0);
      expect(minEig(x, be)).toBeGreaterThan(-1e-7);
      let tr = 0;
      for (let i = 0; i < x.rows; i++) tr += x.data[i * x.cols + i];
      assertAllclose(tr, objective, { rtol: 1e-8 }, 'trace');
    } else {
      const nuclear = be.singularValues(x).reduce((s, v) => s + v, 0);
      assertAllclose(nuclear, objective, { rtol: 1e-8 }, 'nuclear norm');
    }
    // The stored dual certificate (issue 4's convention) is feasible and closes the gap.
    expect(dual.length).toBe(problem.op.m);
    const g = problem.op.adjoint(dual, 1);
    const adj = g.kind === 'dense' ? g.mat : (() => {
      const out = zeros(problem.n1, problem.n2);
      const s = g.mat;
      for (let i = 0; i < s.rows; i++) for (let p = s.rowPtr[i]; p < s.rowPtr[i + 1]; p++) out.data[i * s.cols + s.colIdx[p]] += s.values[p];
      return out;
    })();
    const top = c.psd ? be.eigvalsh(adj)[adj.rows - 1] : be.singularValues(adj)[0];
    expect(Math.abs(top - 1)).toBeLessThan(1e-7);
    let dualObjective = 0;
    for (let i = 0; i < dual.length; i++) dualObjective += problem.y[i] * dual[i] - c.eps * Math.abs(dual[i]);
    assertAllclose(dualObjective, objective, { rtol: 1e-8 }, 'dual objective');
  });
});

describe('minNuclearNorm agrees with CVXOPT', () => {
  it.each(expected.cases.map((c) => [c.name, c] as const))('%s: primal objective to 1e-6 relative, dual bound below it', (_n, c) => {
    const { problem } = loadCase(c);
    const objective = Number(c.objective);
    const r = minNuclearNorm(problem, { psd: c.psd, eps: c.eps });
    expect(r.status).toBe('solved');
    assertAllclose(r.primalObjective, objective, { rtol: 1e-6 }, `${c.name}: primal objective vs CVXOPT`);
    // Weak duality: implab's certificate is exactly feasible, so its dual objective is a lower
    // bound on the optimum, which CVXOPT's (feasible to ~1e-14) objective matches to ~1e-10.
    expect(r.dualObjective).toBeLessThanOrEqual(objective * (1 + 1e-8));
  });
});
