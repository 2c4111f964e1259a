/**
 * The pure-TypeScript symmetric eigensolver (src/linalg/js/syevd.ts) and Jacobi SVD
 * (src/linalg/js/svd.ts), tested directly: decompositions by reconstruction and
 * orthogonality, ordering, edge shapes, scaling, analytic spectra, and the relative
 * accuracy of one-sided Jacobi on a graded matrix against an mpmath reference
 * (test/fixtures/make_svd_accuracy_fixture.py).
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { LinalgError } from '../src/linalg/backend.js';
import { type Mat, matFrom, zeros } from '../src/linalg/mat.js';
import { symmetricEigen } from '../src/linalg/js/syevd.js';
import { jacobiSvd, type JacobiSvdStats } from '../src/linalg/js/svd.js';
import { assertAllclose } from './helpers/allclose.js';

const EPS = 2 ** -52;
/** The constant c in the c n eps bounds below. */
const C = 4;

// ---------- a tiny seeded generator (mulberry32 + Box-Muller), local to this file ----------

class Rand {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  gauss(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.uniform(); // (0, 1]
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }
}

// ---------- small dense helpers (plain loops, independent of the code under test) ----------

function randn(rng: Rand, m: number, n: number): Mat {
  const a = zeros(m, n);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.gauss();
  return a;
}

function mul(a: Mat, b: Mat): Mat {
  const out = zeros(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let l = 0; l < a.cols; l++) {
      const x = a.data[i * a.cols + l];
      if (x === 0) continue;
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += x * b.data[l * b.cols + j];
    }
  }
  return out;
}

function tr(a: Mat): Mat {
  const out = zeros(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

/** U diag(s) V^T for U m x k, V n x k. */
function usvt(u: Mat, s: ArrayLike<number>, v: Mat): Mat {
  const k = s.length;
  const us = zeros(u.rows, k);
  for (let i = 0; i < u.rows; i++) for (let j = 0; j < k; j++) us.data[i * k + j] = u.data[i * k + j] * s[j];
  return mul(us, tr(v));
}

function frob(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

function diffFrob(a: Mat, b: Mat): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i] - b.data[i]) ** 2;
  return Math.sqrt(s);
}

/** max |Q^T Q - I|. */
function orthError(q: Mat): number {
  const g = mul(tr(q), q);
  let worst = 0;
  for (let i = 0; i < g.rows; i++) {
    for (let j = 0; j < g.cols; j++) worst = Math.max(worst, Math.abs(g.data[i * g.cols + j] - (i === j ? 1 : 0)));
  }
  return worst;
}

/** m x k with orthonormal columns: Gram-Schmidt, twice, on a Gaussian matrix. */
function orthonormalColumns(rng: Rand, m: number, k: number): Mat {
  const qt = tr(randn(rng, m, k)); // rows are the vectors
  const x = qt.data;
  for (let j = 0; j < k; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let d = 0;
        for (let l = 0; l < m; l++) d += x[i * m + l] * x[j * m + l];
        for (let l = 0; l < m; l++) x[j * m + l] -= d * x[i * m + l];
      }
    }
    const nr = frob(x.subarray(j * m, (j + 1) * m));
    for (let l = 0; l < m; l++) x[j * m + l] /= nr;
  }
  return tr(qt);
}

/** Q diag(lambda) Q^T, made exactly symmetric. */
function symWithSpectrum(rng: Rand, lambda: number[]): Mat {
  const q = orthonormalColumns(rng, lambda.length, lambda.length);
  return symmetrized(usvt(q, lambda, q));
}

function symmetrized(a: Mat): Mat {
  const n = a.rows;
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
      out.data[i * n + j] = v;
      out.data[j * n + i] = v;
    }
  }
  return out;
}

function randomSymmetric(rng: Rand, n: number): Mat {
  const g = randn(rng, n, n);
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = g.data[i * n + j] + g.data[j * n + i];
      out.data[i * n + j] = v;
      out.data[j * n + i] = v;
    }
  }
  return out;
}

function scaled(a: Mat, f: number): Mat {
  const out = zeros(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i] * f;
  return out;
}

function logspace(hiExp: number, loExp: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(10 ** (hiExp + ((loExp - hiExp) * i) / Math.max(k - 1, 1)));
  return out;
}

// ---------- checks shared by many tests ----------

function checkEigen(a: Mat, label: string): { values: Float64Array; vectors: Mat } {
  const before = a.data.slice();
  const n = a.rows;
  const r = symmetricEigen(a, true);
  expect(a.data, `${label}: input unchanged`).toEqual(before);
  expect(r.values.length).toBe(n);
  const v = r.vectors!;
  expect([v.rows, v.cols]).toEqual([n, n]);
  for (let i = 1; i < n; i++) expect(r.values[i], `${label}: ascending`).toBeGreaterThanOrEqual(r.values[i - 1]);
  const nn = Math.max(n, 1);
  const anorm = frob(a.data);
  expect(diffFrob(usvt(v, r.values, v), a), `${label}: reconstruction`).toBeLessThanOrEqual(C * nn * EPS * anorm);
  expect(orthError(v), `${label}: orthogonality`).toBeLessThanOrEqual(C * nn * EPS);
  // Values alone come from the same arithmetic.
  const only = symmetricEigen(a, false);
  expect(only.vectors).toBeNull();
  expect(Array.from(only.values), `${label}: values-only`).toEqual(Array.from(r.values));
  return { values: r.values, vectors: v };
}

function checkSvd(a: Mat, label: string): { u: Mat; s: Float64Array; v: Mat } {
  const before = a.data.slice();
  const { rows: m, cols: n } = a;
  const k = Math.min(m, n);
  const r = jacobiSvd(a, true);
  expect(a.data, `${label}: input unchanged`).toEqual(before);
  const u = r.u!;
  const v = r.v!;
  expect([u.rows, u.cols], `${label}: U shape`).toEqual([m, k]);
  expect([v.rows, v.cols], `${label}: V shape`).toEqual([n, k]);
  expect(r.s.length).toBe(k);
  for (let i = 0; i < k; i++) {
    expect(r.s[i], `${label}: non-negative`).toBeGreaterThanOrEqual(0);
    if (i > 0) expect(r.s[i], `${label}: descending`).toBeLessThanOrEqual(r.s[i - 1]);
  }
  const nn = Math.max(m, n, 1);
  const anorm = frob(a.data);
  expect(diffFrob(usvt(u, r.s, v), a), `${label}: reconstruction`).toBeLessThanOrEqual(C * nn * EPS * anorm);
  expect(orthError(u), `${label}: U orthonormal`).toBeLessThanOrEqual(C * nn * EPS);
  expect(orthError(v), `${label}: V orthonormal`).toBeLessThanOrEqual(C * nn * EPS);
  const only = jacobiSvd(a, false);
  expect(only.u).toBeNull();
  expect(only.v).toBeNull();
  expect(Array.from(only.s), `${label}: values-only`).toEqual(Array.from(r.s));
  return { u, s: r.s, v };
}

// ---------- symmetricEigen ----------

describe('symmetricEigen (js)', () => {
  it('handles n = 0 and n = 1', () => {
    const e0 = symmetricEigen(zeros(0, 0), true);
    expect(e0.values.length).toBe(0);
    expect([e0.vectors!.rows, e0.vectors!.cols]).toEqual([0, 0]);
    const e1 = symmetricEigen(matFrom([[-3]]), true);
    expect(Array.from(e1.values)).toEqual([-3]);
    expect(Array.from(e1.vectors!.data)).toEqual([1]);
  });

  it('solves 2x2 cases analytically', () => {
    const r = checkEigen(matFrom([[2, 1], [1, 2]]), '2x2');
    assertAllclose(r.values, [1, 3], { rtol: 2 * EPS });
    const s = Math.SQRT1_2;
    // Eigenvectors up to sign: (1, -1)/sqrt2 and (1, 1)/sqrt2.
    const v = r.vectors.data;
    assertAllclose([Math.abs(v[0]), Math.abs(v[2]), v[0] * v[2]], [s, s, -0.5], { rtol: 4 * EPS });
    assertAllclose([Math.abs(v[1]), Math.abs(v[3]), v[1] * v[3]], [s, s, 0.5], { rtol: 4 * EPS });
    const t = checkEigen(matFrom([[0, 1e-200], [1e-200, 0]]), '2x2 tiny');
    assertAllclose(t.values, [-1e-200, 1e-200], { rtol: 4 * EPS });
  });

  it('decomposes random symmetric matrices of sizes 1..8', () => {
    const rng = new Rand(101);
    for (let n = 1; n <= 8; n++) for (let rep = 0; rep < 5; rep++) checkEigen(randomSymmetric(rng, n), `n=${n}`);
  });

  it('decomposes random symmetric matrices up to 300', () => {
    const rng = new Rand(102);
    for (const n of [13, 64, 127, 300]) checkEigen(randomSymmetric(rng, n), `n=${n}`);
  });

  it('finds a known spectrum with repeated eigenvalues to c n eps ||A||', () => {
    const rng = new Rand(103);
    const lambda = [-2, -2, -2, -2, 0, 0, 0, 1e-3, 1, 1, 1, 1, 1, 3, 3, 7, 7, 7, 7, 7];
    const a = symWithSpectrum(rng, lambda);
    const r = checkEigen(a, 'repeated');
    assertAllclose(r.values, lambda, { atol: C * lambda.length * EPS * 7 });
  });

  it('gets the analytic spectrum of the 1-D Laplacian tridiag(-1, 2, -1)', () => {
    const n = 50;
    const a = zeros(n, n);
    for (let i = 0; i < n; i++) {
      a.data[i * n + i] = 2;
      if (i > 0) a.data[i * n + i - 1] = a.data[(i - 1) * n + i] = -1;
    }
    const r = checkEigen(a, 'laplacian');
    const exact = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    assertAllclose(r.values, exact, { atol: C * n * EPS * 4 });
  });

  it('converges on the Wilkinson matrix W21+ (pairs of nearly equal eigenvalues)', () => {
    const n = 21;
    const a = zeros(n, n);
    for (let i = 0; i < n; i++) {
      a.data[i * n + i] = Math.abs(10 - i);
      if (i > 0) a.data[i * n + i - 1] = a.data[(i - 1) * n + i] = 1;
    }
    const r = checkEigen(a, 'wilkinson');
    // The two largest agree to about 1e-14 but are distinct; the trace is exact.
    expect(r.values[n - 1] - r.values[n - 2]).toBeLessThan(1e-12);
    const sum = r.values.reduce((x, y) => x + y, 0);
    expect(Math.abs(sum - 110)).toBeLessThanOrEqual(C * n * EPS * 110);
  });

  it('converges on strongly graded matrices, large end at the top or at the bottom', () => {
    // Entries down to 1e-177: chasing the bulge from the small end would underflow and
    // stall, so the solver must pick QL or QR by the direction of the grading.
    const rng = new Rand(107);
    const n = 60;
    const g = randomSymmetric(rng, n);
    for (const topHeavy of [true, false]) {
      const a = zeros(n, n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const k = topHeavy ? Math.max(i, j) : n - 1 - Math.min(i, j);
          a.data[i * n + j] = g.data[i * n + j] * 10 ** (-3 * k);
        }
      }
      checkEigen(a, topHeavy ? 'graded, top heavy' : 'graded, bottom heavy');
    }
  });

  it('returns zero eigenvalues and an orthonormal basis for the zero matrix', () => {
    for (const n of [1, 2, 5]) {
      const r = checkEigen(zeros(n, n), `zero n=${n}`);
      expect(Array.from(r.values)).toEqual(new Array(n).fill(0));
    }
  });

  it('returns the sorted diagonal exactly for diagonal input', () => {
    const d = [3, -1, 0, 2.5, -1, 1e-300, 7];
    const n = d.length;
    const a = zeros(n, n);
    d.forEach((x, i) => (a.data[i * n + i] = x));
    const r = checkEigen(a, 'diagonal');
    expect(Array.from(r.values)).toEqual([...d].sort((x, y) => x - y));
    // Eigenvectors are signed unit vectors: |V| is a permutation matrix.
    for (let j = 0; j < n; j++) {
      const col = Array.from({ length: n }, (_, i) => Math.abs(r.vectors.data[i * n + j]));
      expect(col.filter((x) => x === 1).length).toBe(1);
      expect(col.filter((x) => x === 0).length).toBe(n - 1);
      expect(r.values[j]).toBe(d[col.indexOf(1)]);
    }
  });

  it('reads only the lower triangle', () => {
    const rng = new Rand(104);
    const a = randomSymmetric(rng, 9);
    const b = zeros(9, 9);
    b.data.set(a.data);
    for (let i = 0; i < 9; i++) for (let j = i + 1; j < 9; j++) b.data[i * 9 + j] = 1e6 * rng.gauss();
    const ra = symmetricEigen(a, true);
    const rb = symmetricEigen(b, true);
    expect(Array.from(rb.values)).toEqual(Array.from(ra.values));
    expect(Array.from(rb.vectors!.data)).toEqual(Array.from(ra.vectors!.data));
  });

  it('is exactly equivariant under power-of-two scaling, near overflow and underflow', () => {
    const rng = new Rand(105);
    const a = randomSymmetric(rng, 12);
    const r = symmetricEigen(a, true);
    for (const p of [990, -900]) {
      const f = 2 ** p;
      const rs = symmetricEigen(scaled(a, f), true);
      expect(Array.from(rs.values)).toEqual(Array.from(r.values, (x) => x * f));
      expect(Array.from(rs.vectors!.data)).toEqual(Array.from(r.vectors!.data));
    }
  });

  it('does not overflow or underflow at scales 1e300 and 1e-300', () => {
    const rng = new Rand(106);
    const lambda = [-3, -1, 0.5, 1, 2, 4];
    const a = symWithSpectrum(rng, lambda);
    for (const f of [1e300, 1e-300]) {
      const r = symmetricEigen(scaled(a, f), true);
      assertAllclose(Array.from(r.values, (x) => x / f), lambda, { atol: C * 6 * EPS * 4 * 2 });
      expect(orthError(r.vectors!)).toBeLessThanOrEqual(C * 6 * EPS);
    }
  });

  it('rejects non-square and non-finite input', () => {
    expect(() => symmetricEigen(zeros(2, 3), true)).toThrow(RangeError);
    expect(() => symmetricEigen(zeros(2, 3), true)).toThrow(/^a: /);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const a = matFrom([[1, 0], [bad, 1]]);
      expect(() => symmetricEigen(a, false)).toThrow(LinalgError);
      expect(() => symmetricEigen(a, true)).toThrow('a: contains NaN or infinity');
    }
  });
});

// ---------- jacobiSvd ----------

describe('jacobiSvd (js)', () => {
  it('handles every shape with m, n in 0..8', () => {
    const rng = new Rand(201);
    for (let m = 0; m <= 8; m++) for (let n = 0; n <= 8; n++) checkSvd(randn(rng, m, n), `${m}x${n}`);
  });

  it('solves small cases analytically', () => {
    const r = checkSvd(matFrom([[3, 0], [4, 5]]), '2x2');
    assertAllclose(r.s, [Math.sqrt(45), Math.sqrt(5)], { rtol: 4 * EPS });
    const row = matFrom([[3, 0, -4]]);
    const rr = checkSvd(row, 'row');
    assertAllclose(rr.s, [5], { rtol: 2 * EPS });
    const sgn = rr.u.data[0];
    assertAllclose(Array.from(rr.v.data, (x) => x * sgn), [0.6, 0, -0.8], { rtol: 2 * EPS, atol: 0 });
    const col = tr(row);
    const rc = checkSvd(col, 'column');
    assertAllclose(rc.s, [5], { rtol: 2 * EPS });
    expect(Math.abs(rc.v.data[0])).toBe(1);
  });

  it('decomposes random matrices up to 300, tall and wide', () => {
    const rng = new Rand(202);
    for (const [m, n] of [
      [300, 300],
      [300, 120],
      [120, 300],
      [257, 13],
      [13, 257],
      [64, 63],
    ]) {
      checkSvd(randn(rng, m, n), `${m}x${n}`);
    }
  });

  it('handles rank-deficient matrices both ways, completing the null directions', () => {
    const rng = new Rand(203);
    for (const [m, n, rank] of [
      [50, 30, 5],
      [30, 50, 5],
      [40, 40, 1],
      [7, 7, 6],
    ]) {
      const a = mul(randn(rng, m, rank), randn(rng, rank, n));
      const r = checkSvd(a, `${m}x${n} rank ${rank}`);
      const k = Math.min(m, n);
      for (let i = rank; i < k; i++) expect(r.s[i]).toBeLessThanOrEqual(C * Math.max(m, n) * EPS * r.s[0]);
      expect(r.s[rank - 1]).toBeGreaterThan(1e-6 * r.s[0]);
    }
    // Exact zero columns and rows: the Jacobi side gets exact null directions.
    const z = zeros(6, 4);
    z.data[0] = 2;
    z.data[5] = -1;
    const rz = checkSvd(z, 'two nonzeros');
    expect(Array.from(rz.s)).toEqual([2, 1, 0, 0]);
    checkSvd(tr(z), 'two nonzeros, transposed');
  });

  it('converges on strongly graded matrices whose columns reach the underflow threshold', () => {
    // Columns scaled down to 1e-168 have subnormal squared norms; rotating them never
    // satisfies the convergence test (seeds where that happened before the fix).
    for (const seed of [220, 222]) {
      const rng = new Rand(seed);
      for (const [m, n, byRow] of [
        [55, 57, false],
        [57, 55, false],
        [53, 53, true],
      ] as const) {
        const a = randn(rng, m, n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a.data[i * n + j] *= 10 ** (-3 * (byRow ? i : j));
        checkSvd(a, `graded ${m}x${n}, seed ${seed}`);
      }
    }
  });

  it('handles zero matrices with orthonormal U and V', () => {
    for (const [m, n] of [
      [1, 1],
      [6, 4],
      [4, 6],
      [5, 1],
      [1, 5],
      [9, 9],
    ]) {
      const r = checkSvd(zeros(m, n), `zero ${m}x${n}`);
      expect(Array.from(r.s)).toEqual(new Array(Math.min(m, n)).fill(0));
    }
  });

  it('handles repeated and ill-conditioned spectra', () => {
    const rng = new Rand(204);
    const rep = [3, 3, 3, 1, 1, 0.5, 0.5, 0.5, 0.5, 1e-8];
    const a = usvt(orthonormalColumns(rng, 25, 10), rep, orthonormalColumns(rng, 10, 10));
    const r = checkSvd(a, 'repeated');
    assertAllclose(r.s, rep, { atol: C * 25 * EPS * 3 });
    const ill = logspace(0, -15, 50);
    const b = usvt(orthonormalColumns(rng, 80, 50), ill, orthonormalColumns(rng, 50, 50));
    checkSvd(b, 'kappa 1e15');
    checkSvd(tr(b), 'kappa 1e15, transposed');
  });

  it('is exactly equivariant under power-of-two scaling, near overflow and underflow', () => {
    const rng = new Rand(205);
    const a = randn(rng, 9, 6);
    const r = jacobiSvd(a, true);
    for (const p of [990, -900]) {
      const f = 2 ** p;
      const rs = jacobiSvd(scaled(a, f), true);
      expect(Array.from(rs.s)).toEqual(Array.from(r.s, (x) => x * f));
      expect(Array.from(rs.u!.data)).toEqual(Array.from(r.u!.data));
      expect(Array.from(rs.v!.data)).toEqual(Array.from(r.v!.data));
    }
  });

  it('does not overflow or underflow at scales 1e300 and 1e-300', () => {
    const rng = new Rand(206);
    const sv = [4, 2, 1, 0.25, 1e-3];
    const a = usvt(orthonormalColumns(rng, 8, 5), sv, orthonormalColumns(rng, 5, 5));
    for (const f of [1e300, 1e-300]) {
      const r = jacobiSvd(scaled(a, f), true);
      assertAllclose(Array.from(r.s, (x) => x / f), sv, { atol: C * 8 * EPS * 4 * 2 });
      expect(orthError(r.u!)).toBeLessThanOrEqual(C * 8 * EPS);
      expect(orthError(r.v!)).toBeLessThanOrEqual(C * 8 * EPS);
    }
  });

  it('rejects non-finite input', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const a = matFrom([[1, 2, 3], [4, bad, 6]]);
      expect(() => jacobiSvd(a, false)).toThrow(LinalgError);
      expect(() => jacobiSvd(a, true)).toThrow('a: contains NaN or infinity');
    }
  });

  it('accuracy (a): s log-spaced 1e2..1e-10 under random rotations, absolute error <= c n eps s_max', () => {
    const rng = new Rand(207);
    const m = 60;
    const n = 40;
    const sv = logspace(2, -10, n);
    const a = usvt(orthonormalColumns(rng, m, n), sv, orthonormalColumns(rng, n, n));
    const r = checkSvd(a, 'rotated');
    assertAllclose(r.s, sv, { atol: C * n * EPS * sv[0], rtol: 0 }, 'singular values');
  });

  it('accuracy (b): graded A = B D, relative error <= c n eps kappa(B) against mpmath', () => {
    const fx = JSON.parse(readFileSync(new URL('./fixtures/svd_accuracy.json', import.meta.url), 'utf8')) as {
      m: number;
      n: number;
      kappa_B: number;
      a: number[];
      s_ref: number[];
    };
    const a: Mat = { rows: fx.m, cols: fx.n, data: Float64Array.from(fx.a) };
    expect(fx.kappa_B).toBeLessThan(100);
    // The problem is graded indeed: kappa(A) ~ 1e12, so plain backward stability would
    // only promise the smallest values to a relative 1e12 * eps ~ 1e-4.
    expect(fx.s_ref[0] / fx.s_ref[fx.n - 1]).toBeGreaterThan(1e11);
    const rtol = C * fx.n * EPS * fx.kappa_B;
    const stats: JacobiSvdStats = { sweeps: 0, rotations: 0 };
    const r = jacobiSvd(a, true, stats);
    assertAllclose(r.s, fx.s_ref, { rtol, atol: 0 }, 'graded singular values');
    assertAllclose(jacobiSvd(a, false).s, fx.s_ref, { rtol, atol: 0 }, 'graded, values only');
    assertAllclose(jacobiSvd(tr(a), false).s, fx.s_ref, { rtol, atol: 0 }, 'graded, transposed');
    // Reordering rows or columns of A does not change its singular values (nor the bound).
    const rev = zeros(fx.m, fx.n);
    for (let i = 0; i < fx.m; i++) {
      for (let j = 0; j < fx.n; j++) rev.data[i * fx.n + j] = a.data[(fx.m - 1 - i) * fx.n + (fx.n - 1 - j)];
    }
    assertAllclose(jacobiSvd(rev, false).s, fx.s_ref, { rtol, atol: 0 }, 'graded, reversed');
    expect(stats.sweeps).toBeLessThanOrEqual(12);
  });
});
