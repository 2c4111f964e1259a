/*
 * The numeric suite of src/linalg, run on every backend testBackends() returns.
 *
 * References: test/fixtures/linalg.npz, made by test/fixtures/make_linalg_fixtures.py
 * (exact rational arithmetic or mpmath at 40 digits, rounded once), naive loops written
 * here, constructions with a known spectrum, and the two backends against each other.
 *
 * Notation in the tolerance comments: u = 2^-53 is the unit roundoff, EPS = 2u;
 * gamma(k) = k u / (1 - k u) bounds the error of any k-term dot product, in any order,
 * with or without FMA (Higham, Accuracy and Stability, 2nd ed., Sec. 3.1). Decompositions
 * are backward stable: the computed result is exact for A + E, ||E|| <= p(n) u ||A|| with
 * p a modest polynomial. We take p(n) u = TOL_C n EPS (TOL_C = 2, i.e. 4 n u) throughout,
 * so one constant states our expectation of every backward-stable kernel here.
 *
 * IMPLAB_TEST_REPORT=1 prints the worst error / bound ratio of every check family.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { LinalgError, type Backend } from '../src/linalg/backend.js';
import { type Mat, copy, diag, identity, matFrom, zeros } from '../src/linalg/mat.js';
import { expm } from '../src/linalg/expm.js';
import { psdPower } from '../src/linalg/symmetric-functions.js';
import { matFromNd, readNpz, vectorFromNd } from '../src/io/npz.js';
import { Random } from '../src/rng/random.js';
import { haarOrthogonal } from '../src/rng/orthogonal.js';
import { assertAllclose } from './helpers/allclose.js';
import { bothBackends, testBackends } from './helpers/backends.js';

// ---------------------------------------------------------------------------- constants

const EPS = Number.EPSILON; // 2^-52
const U = EPS / 2; // unit roundoff
/** gamma(k) = k u / (1 - k u): the rigorous bound on a k-term dot product's relative (to |x|.|y|) error. */
const gamma = (k: number): number => (k * U) / (1 - k * U);
/** The backward-error constant of every decomposition and solve (see the header). */
const TOL_C = 2;
const tolN = (n: number): number => TOL_C * Math.max(n, 1) * EPS;

// ---------------------------------------------------------------------------- fixture

const FIXTURE = 'test/fixtures/linalg.npz';
const fx = readNpz(new Uint8Array(readFileSync(new URL('./fixtures/linalg.npz', import.meta.url))), FIXTURE);
const fmat = (name: string): Mat => matFromNd(fx.get(name), name, FIXTURE);
const fvec = (name: string): Float64Array => vectorFromNd(fx.get(name), name, FIXTURE);
const fnum = (name: string): number => fvec(name)[0];

// ---------------------------------------------------------------------------- measured errors

const stats = new Map<string, { ratio: number; err: number; bound: number; what: string }>();

/** The backend (or "js vs native") that the checks now running belong to; set in beforeEach. */
let tag = '';

function note(check: string, err: number, bound: number, what: string): void {
  const key = `${tag}: ${check}`;
  const ratio = err === 0 ? 0 : bound > 0 ? err / bound : Infinity;
  const s = stats.get(key);
  if (!s || !(ratio <= s.ratio)) stats.set(key, { ratio, err, bound, what });
}

/** err <= bound, recorded under `key` for the report. */
function checkLe(key: string, err: number, bound: number, what: string): void {
  note(key, err, bound, what);
  expect(err, `${what}: error ${err.toExponential(3)} > bound ${bound.toExponential(3)}`).toBeLessThanOrEqual(bound);
}

/** |actual_i - expected_i| <= bound_i for every i (bound a number or per-entry). */
function checkEntries(key: string, actual: ArrayLike<number>, expected: ArrayLike<number>, bound: ArrayLike<number> | number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1, worstRatio = 0, worstErr = 0, worstBound = 0;
  for (let i = 0; i < actual.length; i++) {
    const b = typeof bound === 'number' ? bound : bound[i];
    const e = Math.abs(actual[i] - expected[i]);
    const r = e === 0 ? 0 : b > 0 ? e / b : Infinity;
    if (worst < 0 || !(r <= worstRatio)) {
      worst = i;
      worstRatio = r;
      worstErr = e;
      worstBound = b;
    }
  }
  if (worst < 0) return;
  note(key, worstErr, worstBound, what);
  if (!(worstRatio <= 1)) {
    expect.fail(
      `${what}: entry ${worst}: actual ${actual[worst]}, expected ${expected[worst]}, ` +
        `|diff| ${worstErr.toExponential(3)} > bound ${worstBound.toExponential(3)}`,
    );
  }
}

afterAll(() => {
  if (!process.env.IMPLAB_TEST_REPORT) return;
  const rows = [...stats.entries()].sort(([a], [b]) => a.localeCompare(b));
  const lines = rows.map(([k, s]) => `${k.padEnd(60)} err ${s.err.toExponential(2).padStart(9)}  bound ${s.bound.toExponential(2).padStart(9)}  ratio ${s.ratio.toFixed(4)}  (${s.what})`);
  console.log(`worst error / bound per check:\n${lines.join('\n')}`);
});

// ---------------------------------------------------------------------------- naive references

/** op(X) as a fresh row-major matrix. */
function op(trans: boolean, x: Mat): Mat {
  if (!trans) return x;
  const t = zeros(x.cols, x.rows);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) t.data[j * x.rows + i] = x.data[i * x.cols + j];
  return t;
}

/** op(A) op(B) by the textbook loop, and |op(A)| |op(B)| for componentwise error bounds. */
function naiveMul(ta: boolean, tb: boolean, a: Mat, b: Mat): { c: Mat; abs: Mat } {
  const oa = op(ta, a), obt = op(!tb, b); // obt = op(B)^T, so that both inner reads are contiguous
  const m = oa.rows, k = oa.cols, n = obt.rows;
  if (obt.cols !== k) throw new Error('naiveMul: inner dimensions differ');
  const c = zeros(m, n), abs = zeros(m, n);
  const ad = oa.data, bd = obt.data;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, sa = 0;
      for (let p = 0; p < k; p++) {
        const t = ad[i * k + p] * bd[j * k + p];
        s += t;
        sa += Math.abs(t);
      }
      c.data[i * n + j] = s;
      abs.data[i * n + j] = sa;
    }
  }
  return { c, abs };
}

const mul = (a: Mat, b: Mat): Mat => naiveMul(false, false, a, b).c;
const mulT = (a: Mat, b: Mat): Mat => naiveMul(true, false, a, b).c; // A^T B
const mulBT = (a: Mat, b: Mat): Mat => naiveMul(false, true, a, b).c; // A B^T

function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function diffFrob(a: Mat, b: Mat): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i] - b.data[i]) ** 2;
  return Math.sqrt(s);
}

/** max |X^T X - I| over the columns of X (k columns). */
function orthError(x: Mat): number {
  const g = mulT(x, x);
  let worst = 0;
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) worst = Math.max(worst, Math.abs(g.data[i * g.cols + j] - (i === j ? 1 : 0)));
  return worst;
}

/** X diag(d) Y^T. */
function scaledProduct(x: Mat, d: ArrayLike<number>, y: Mat): Mat {
  const xs = copy(x);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) xs.data[i * x.cols + j] *= d[j];
  return mulBT(xs, y);
}

function symmetrizeExact(a: Mat): Mat {
  const n = a.rows, out = zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = i === j ? a.data[i * n + i] : 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
      out.data[i * n + j] = v;
      out.data[j * n + i] = v;
    }
  }
  return out;
}

const randomSymmetric = (rng: Random, n: number): Mat => symmetrizeExact(rng.normalMat(n, n));

/** Q diag(d) Q^T with Q Haar, exactly symmetric. */
function withSpectrum(rng: Random, d: readonly number[]): Mat {
  const q = haarOrthogonal(rng, d.length);
  return symmetrizeExact(scaledProduct(q, d, q));
}

/** U diag(s) V^T, U m x k and V n x k Haar, k = s.length. */
function withSingularValues(rng: Random, m: number, n: number, s: readonly number[]): Mat {
  return scaledProduct(haarOrthogonal(rng, m, s.length), s, haarOrthogonal(rng, n, s.length));
}

const logspace = (from: number, to: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => 10 ** (n === 1 ? from : from + ((to - from) * i) / (n - 1)));

function maxAbsOf(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** Column j of x, sign-aligned with column j of y, minus it: max |x_:j - sign * y_:j|. */
function columnDiffUpToSign(x: Mat, y: Mat, j: number): number {
  let dot = 0;
  for (let i = 0; i < x.rows; i++) dot += x.data[i * x.cols + j] * y.data[i * y.cols + j];
  const s = dot < 0 ? -1 : 1;
  let worst = 0;
  for (let i = 0; i < x.rows; i++) worst = Math.max(worst, Math.abs(x.data[i * x.cols + j] - s * y.data[i * y.cols + j]));
  return worst;
}

/** Distance from values[j] to the nearest other value (and, when `withZero`, to 0). */
function gaps(values: ArrayLike<number>, withZero = false): number[] {
  const out: number[] = [];
  for (let j = 0; j < values.length; j++) {
    let g = withZero ? Math.abs(values[j]) : Infinity;
    for (let i = 0; i < values.length; i++) if (i !== j) g = Math.min(g, Math.abs(values[i] - values[j]));
    out.push(g);
  }
  return out;
}

// ---------------------------------------------------------------------------- decomposition checks

/**
 * syevd on `a`: shapes, ascending order, reconstruction, orthogonality, eigvalsh agreement.
 * Returns the eigenvalues.
 */
function checkEigen(be: Backend, a: Mat, what: string): Float64Array {
  const n = a.rows;
  const { values, vectors } = be.syevd(a);
  expect(values.length, `${what}: number of eigenvalues`).toBe(n);
  expect([vectors.rows, vectors.cols], `${what}: eigenvector matrix shape`).toEqual([n, n]);
  for (let j = 1; j < n; j++) expect(values[j - 1], `${what}: eigenvalues ascending at ${j}`).toBeLessThanOrEqual(values[j]);
  const normF = frob(a.data);
  const norm2 = n === 0 ? 0 : Math.max(Math.abs(values[0]), Math.abs(values[n - 1]));
  // Backward stability: A + E = V diag(w) V^T exactly with ||E|| <= p(n) u ||A||; forming the
  // product adds gamma(n) ||A||. Both are within tolN(n) ||A||_F.
  checkLe('syevd reconstruction / ||A||_F', diffFrob(a, scaledProduct(vectors, values, vectors)), tolN(n) * normF, `${what}: ||A - V diag(w) V^T||_F`);
  // Orthogonality of the computed V is part of the same backward-stability statement.
  checkLe('syevd orthogonality', orthError(vectors), tolN(n), `${what}: max |V^T V - I|`);
  // eigvalsh may use another algorithm (e.g. LAPACK sterf vs stedc): both within Weyl's bound.
  checkEntries('eigvalsh vs syevd / ||A||_2', be.eigvalsh(a), values, 2 * tolN(n) * norm2, `${what}: eigvalsh vs syevd`);
  return values;
}

/** gesdd on `a`: shapes, order, reconstruction, orthogonality, singularValues agreement. */
function checkSvd(be: Backend, a: Mat, what: string, withSingularValues = true): { u: Mat; s: Float64Array; v: Mat } {
  const m = a.rows, n = a.cols, k = Math.min(m, n), big = Math.max(m, n);
  const r = be.gesdd(a);
  expect([r.u.rows, r.u.cols], `${what}: U shape`).toEqual([m, k]);
  expect(r.s.length, `${what}: number of singular values`).toBe(k);
  expect([r.v.rows, r.v.cols], `${what}: V shape`).toEqual([n, k]);
  for (let j = 0; j < k; j++) {
    expect(r.s[j], `${what}: s[${j}] non-negative`).toBeGreaterThanOrEqual(0);
    if (j > 0) expect(r.s[j], `${what}: singular values descending at ${j}`).toBeLessThanOrEqual(r.s[j - 1]);
  }
  const normF = frob(a.data);
  // Backward stability as for syevd, with max(m, n) for the dimension.
  checkLe('gesdd reconstruction / ||A||_F', diffFrob(a, scaledProduct(r.u, r.s, r.v)), tolN(big) * normF, `${what}: ||A - U diag(s) V^T||_F`);
  checkLe('gesdd orthogonality U', orthError(r.u), tolN(big), `${what}: max |U^T U - I|`);
  checkLe('gesdd orthogonality V', orthError(r.v), tolN(big), `${what}: max |V^T V - I|`);
  if (withSingularValues) {
    const sMax = k === 0 ? 0 : r.s[0];
    // Both are backward stable, so both are within tolN(big) s_max of the truth (Weyl).
    checkEntries('singularValues vs gesdd / s_max', be.singularValues(a), r.s, 2 * tolN(big) * sMax, `${what}: singularValues vs gesdd`);
  }
  return r;
}

function expectLinalgError(f: () => unknown, pattern: RegExp, what: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${what}: should throw`).toBeInstanceOf(LinalgError);
  expect((thrown as Error).message, `${what}: message`).toMatch(pattern);
}

// ============================================================================ per backend

for (const be of testBackends()) {
  describe(`backend ${be.name}`, () => {
    beforeEach(() => {
      tag = be.name;
    });
    // ------------------------------------------------------------------------ gemm
    describe('gemm', () => {
      const cases: Array<[string, boolean, boolean]> = [
        ['gemm_nn', false, false],
        ['gemm_tn', true, false],
        ['gemm_nt', false, true],
        ['gemm_tt', true, true],
      ];
      for (const [name, ta, tb] of cases) {
        it(`${name} matches the exactly rounded fixture product`, () => {
          const a = fmat(`${name}_a`), b = fmat(`${name}_b`), ref = fmat(`${name}_c`);
          const k = ta ? a.rows : a.cols;
          const c = zeros(ref.rows, ref.cols);
          expect(be.gemm(ta, tb, 1, a, b, 0, c)).toBe(c);
          // |fl(AB) - AB| <= gamma(k) |A||B|; the reference is AB rounded once (u |AB|).
          const abs = naiveMul(ta, tb, a, b).abs;
          const bound = abs.data.map((v, i) => gamma(k) * v + U * Math.abs(ref.data[i]));
          checkEntries('gemm vs fixture (componentwise)', c.data, ref.data, bound, name);
        });
      }

      it('alpha and beta (fixture: C = alpha A B + beta C0)', () => {
        const a = fmat('gemm_ab_a'), b = fmat('gemm_ab_b'), c0 = fmat('gemm_ab_c0'), ref = fmat('gemm_ab_c');
        const [alpha, beta] = fvec('gemm_ab_alphabeta');
        const c = copy(c0);
        be.gemm(false, false, alpha, a, b, beta, c);
        // k products, the alpha scaling and the beta C0 term: gamma(k + 2) on |alpha||A||B| + |beta||C0|.
        const abs = naiveMul(false, false, a, b).abs;
        const bound = abs.data.map((v, i) => gamma(a.cols + 2) * (Math.abs(alpha) * v + Math.abs(beta * c0.data[i])) + U * Math.abs(ref.data[i]));
        checkEntries('gemm vs fixture (componentwise)', c.data, ref.data, bound, 'alpha/beta');
      });

      it('beta = 0 ignores NaN and infinity already in C; alpha = 0 still scales C by beta', () => {
        const rng = Random.fromSeed(101);
        for (const [m, n, k] of [[3, 4, 5], [40, 37, 33]]) {
          const a = rng.normalMat(m, k), b = rng.normalMat(k, n);
          const c = zeros(m, n);
          c.data.fill(NaN);
          c.data[0] = Infinity;
          be.gemm(false, false, 1, a, b, 0, c);
          const ref = naiveMul(false, false, a, b);
          checkEntries('gemm vs naive (componentwise)', c.data, ref.c.data, ref.abs.data.map((v) => 2 * gamma(k) * v), `beta=0 ${m}x${n}x${k}`);
        }
        const c = matFrom([[1, -2], [3, 4]]);
        be.gemm(false, false, 0, matFrom([[5, 1], [1, 1]]), identity(2), 0.5, c);
        expect(Array.from(c.data)).toEqual([0.5, -1, 1.5, 2]); // power-of-two scaling is exact
        const z = matFrom([[NaN, Infinity]]);
        be.gemm(false, false, 0, matFrom([[1]]), matFrom([[1, 1]]), 0, z);
        expect(Array.from(z.data)).toEqual([0, 0]);
      });

      it('beta = 1 accumulates into C', () => {
        const rng = Random.fromSeed(102);
        const a = rng.normalMat(9, 6), b = rng.normalMat(6, 5), c0 = rng.normalMat(9, 5);
        const c = copy(c0);
        be.gemm(false, false, 1, a, b, 1, c);
        be.gemm(false, false, 1, a, b, 1, c);
        const ref = naiveMul(false, false, a, b);
        // Two accumulated products: each within gamma(k + 1) of its exact value.
        const expected = c0.data.map((v, i) => v + 2 * ref.c.data[i]);
        const bound = ref.abs.data.map((v, i) => 2 * gamma(8) * (2 * v + Math.abs(c0.data[i])));
        checkEntries('gemm vs naive (componentwise)', c.data, expected, bound, 'beta=1 twice');
      });

      it('empty and 1x1 shapes', () => {
        // k = 0: op(A) op(B) is the zero matrix, so C = beta C.
        const c = matFrom([[1, 2], [3, 4]]);
        be.gemm(false, false, 1, zeros(2, 0), zeros(0, 2), 2, c);
        expect(Array.from(c.data)).toEqual([2, 4, 6, 8]);
        be.gemm(true, true, 1, zeros(0, 2), zeros(2, 0), 0, c);
        expect(Array.from(c.data)).toEqual([0, 0, 0, 0]);
        // m = 0 or n = 0: nothing to compute, the empty C comes back.
        const e1 = zeros(0, 3);
        expect(be.gemm(false, false, 1, zeros(0, 4), zeros(4, 3), 0, e1)).toBe(e1);
        const e2 = zeros(3, 0);
        expect(be.gemm(false, true, 1, zeros(3, 4), zeros(0, 4), 1, e2).data.length).toBe(0);
        expect(be.gemm(false, false, 1, zeros(0, 0), zeros(0, 0), 0, zeros(0, 0)).data.length).toBe(0);
        // 1x1: one exact product (3 * 7 = 21, -2 * 21 + 0.5 * 4 = -40 exactly).
        const one = matFrom([[4]]);
        be.gemm(false, false, -2, matFrom([[3]]), matFrom([[7]]), 0.5, one);
        expect(one.data[0]).toBe(-40);
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const r = be.gemm(ta, tb, 1, matFrom([[3]]), matFrom([[-7]]), 0, zeros(1, 1));
          expect(r.data[0]).toBe(-21);
        }
      });

      it('shape mismatches throw RangeError naming the dimension', () => {
        // op(A) is 2x5, op(B) is 3x4: the inner dimensions 5 and 3 differ.
        expect(() => be.gemm(false, false, 1, zeros(2, 5), zeros(3, 4), 0, zeros(2, 4))).toThrow(RangeError);
        expect(() => be.gemm(false, false, 1, zeros(2, 5), zeros(3, 4), 0, zeros(2, 4))).toThrow(/inner.*5.*3/);
        expect(() => be.gemm(true, false, 1, zeros(2, 5), zeros(5, 4), 0, zeros(5, 4))).toThrow(/inner.*2.*5/);
        expect(() => be.gemm(false, true, 1, zeros(2, 5), zeros(4, 3), 0, zeros(2, 4))).toThrow(/inner.*5.*3/);
        // C must be op(A) rows x op(B) cols = 2x4.
        expect(() => be.gemm(false, false, 1, zeros(2, 5), zeros(5, 4), 0, zeros(4, 2))).toThrow(RangeError);
        expect(() => be.gemm(false, false, 1, zeros(2, 5), zeros(5, 4), 0, zeros(4, 2))).toThrow(/\bc\b.*2x4/i);
      });

      // Sizes around the small-product cut-off, not multiples of the 4x4 micro-tile, and past
      // one KC = 256 panel; rectangular with a tiny inner or outer dimension.
      const shapes: Array<[number, number, number]> = [
        [1, 1, 1], [1, 7, 3], [7, 1, 3], [2, 3, 1], [5, 5, 5], [31, 33, 32], [33, 33, 33],
        [64, 64, 64], [97, 97, 97], [131, 131, 131], [257, 257, 257], [300, 300, 300],
        [300, 300, 7], [7, 7, 300], [300, 7, 300], [7, 300, 300], [1, 300, 257], [257, 1, 300],
      ];
      it('all four transposes agree with the naive loop at sizes 1..300 (m x n x k)', () => {
        const rng = Random.fromSeed(103);
        for (const [m, n, k] of shapes) {
          for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
            const a = ta ? rng.normalMat(k, m) : rng.normalMat(m, k);
            const b = tb ? rng.normalMat(n, k) : rng.normalMat(k, n);
            const alpha = 0.75, beta = -1.5;
            const c0 = rng.normalMat(m, n);
            const c = copy(c0);
            be.gemm(ta, tb, alpha, a, b, beta, c);
            const ref = naiveMul(ta, tb, a, b);
            const expected = ref.c.data.map((v, i) => alpha * v + beta * c0.data[i]);
            // Both sides within gamma(k + 2) (|alpha||A||B| + |beta||C0|) of the exact value.
            const bound = ref.abs.data.map((v, i) => 2 * gamma(k + 2) * (alpha * v + Math.abs(beta * c0.data[i])));
            checkEntries('gemm vs naive (componentwise)', c.data, expected, bound, `${m}x${n}x${k} transA=${ta} transB=${tb}`);
          }
        }
      });
    });

    // ------------------------------------------------------------------------ gemv
    describe('gemv', () => {
      it('both transposes with alpha and beta against the exactly rounded fixture', () => {
        const a = fmat('gemv_a');
        const [alpha, beta] = fvec('gemv_alphabeta');
        const y = fvec('gemv_y0').slice();
        expect(be.gemv(false, alpha, a, fvec('gemv_x'), beta, y)).toBe(y);
        const yt = fvec('gemv_y0t').slice();
        be.gemv(true, alpha, a, fvec('gemv_xt'), beta, yt);
        // gamma(k + 2) on |alpha||A||x| + |beta||y0|, plus the reference's own rounding.
        const absAx = naiveMul(false, false, a, { rows: a.cols, cols: 1, data: fvec('gemv_x') }).abs.data;
        const absATx = naiveMul(true, false, a, { rows: a.rows, cols: 1, data: fvec('gemv_xt') }).abs.data;
        const y0 = fvec('gemv_y0'), y0t = fvec('gemv_y0t'), ref = fvec('gemv_y'), reft = fvec('gemv_yt');
        checkEntries('gemv vs fixture (componentwise)', y, ref, absAx.map((v, i) => gamma(a.cols + 2) * (Math.abs(alpha) * v + Math.abs(beta * y0[i])) + U * Math.abs(ref[i])), 'A x');
        checkEntries('gemv vs fixture (componentwise)', yt, reft, absATx.map((v, i) => gamma(a.rows + 2) * (Math.abs(alpha) * v + Math.abs(beta * y0t[i])) + U * Math.abs(reft[i])), 'A^T x');
      });

      it('beta = 0 ignores NaN in y; empty shapes; length mismatch throws RangeError', () => {
        const y = new Float64Array([NaN, Infinity]);
        be.gemv(false, 1, matFrom([[1, 2], [3, 4]]), new Float64Array([1, 1]), 0, y);
        expect(Array.from(y)).toEqual([3, 7]);
        const y2 = new Float64Array([1, 2, 3]);
        be.gemv(false, 1, zeros(3, 0), new Float64Array(0), 2, y2);
        expect(Array.from(y2)).toEqual([2, 4, 6]);
        expect(be.gemv(true, 1, zeros(3, 0), new Float64Array(3), 0, new Float64Array(0)).length).toBe(0);
        expect(() => be.gemv(false, 1, zeros(3, 4), new Float64Array(3), 0, new Float64Array(3))).toThrow(RangeError);
        expect(() => be.gemv(true, 1, zeros(3, 4), new Float64Array(3), 0, new Float64Array(3))).toThrow(RangeError);
      });

      it('900x1000, both transposes, against the naive loop', () => {
        const rng = Random.fromSeed(104);
        const a = rng.normalMat(900, 1000);
        for (const trans of [false, true]) {
          const [xn, yn] = trans ? [900, 1000] : [1000, 900];
          const x = rng.normalMat(xn, 1), y0 = rng.normalMat(yn, 1);
          const alpha = -1.25, beta = 0.5;
          const y = y0.data.slice();
          be.gemv(trans, alpha, a, x.data, beta, y);
          const ref = naiveMul(trans, false, a, x);
          const expected = ref.c.data.map((v, i) => alpha * v + beta * y0.data[i]);
          const bound = ref.abs.data.map((v, i) => 2 * gamma(xn + 2) * (Math.abs(alpha) * v + Math.abs(beta * y0.data[i])));
          checkEntries('gemv vs naive (componentwise)', y, expected, bound, `900x1000 trans=${trans}`);
        }
      });
    });

    // ------------------------------------------------------------------------ syevd / eigvalsh
    describe('syevd and eigvalsh', () => {
      for (const name of ['random', 'repeated', 'psd_rank2', 'one', 'graded']) {
        it(`fixture eig_${name}: eigenvalues against mpmath (40 digits)`, () => {
          const a = fmat(`eig_${name}_a`), w = fvec(`eig_${name}_w`);
          const values = checkEigen(be, a, `eig_${name}`);
          // Weyl: |w_computed - w_exact| <= ||E||_2 <= tolN(n) ||A||_2 (backward stability).
          const norm2 = maxAbsOf(w);
          checkEntries('eigenvalues vs mpmath / ||A||_2', values, w, tolN(a.rows) * norm2, `eig_${name}`);
        });
      }

      it('the 1x1 case is exact', () => {
        const { values, vectors } = be.syevd(matFrom([[-3.25]]));
        expect(Array.from(values)).toEqual([-3.25]);
        expect(Math.abs(vectors.data[0])).toBe(1);
      });

      it('size 0', () => {
        const { values, vectors } = be.syevd(zeros(0, 0));
        expect(values.length).toBe(0);
        expect([vectors.rows, vectors.cols]).toEqual([0, 0]);
        expect(be.eigvalsh(zeros(0, 0)).length).toBe(0);
      });

      it('random symmetric matrices of sizes 1, 2, 3, 10, 100, 300', () => {
        const rng = Random.fromSeed(201);
        for (const n of [1, 2, 3, 10, 100, 300]) checkEigen(be, randomSymmetric(rng, n), `random ${n}x${n}`);
      });

      it('2x2 with an analytic answer', () => {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3, eigenvectors (1, -1)/sqrt 2 and (1, 1)/sqrt 2.
        const { values, vectors } = be.syevd(matFrom([[2, 1], [1, 2]]));
        checkEntries('eigenvalues analytic', values, [1, 3], tolN(2) * 3, '[[2,1],[1,2]]');
        const s = Math.SQRT1_2;
        checkLe('eigenvectors analytic', columnDiffUpToSign(vectors, matFrom([[s, s], [-s, s]]), 0), tolN(2), 'first eigenvector');
        checkLe('eigenvectors analytic', columnDiffUpToSign(vectors, matFrom([[s, s], [-s, s]]), 1), tolN(2), 'second eigenvector');
      });

      it('zero matrix: zero eigenvalues, orthonormal eigenvectors', () => {
        for (const n of [1, 5, 40]) {
          const values = checkEigen(be, zeros(n, n), `zero ${n}x${n}`);
          expect(Array.from(values)).toEqual(new Array(n).fill(0));
        }
      });

      it('repeated eigenvalues (1 x20, 2 x15, -3 x15; and a multiple of the identity)', () => {
        const rng = Random.fromSeed(202);
        const d = [...new Array(20).fill(1), ...new Array(15).fill(2), ...new Array(15).fill(-3)];
        const a = withSpectrum(rng, d);
        const values = checkEigen(be, a, 'repeated 50x50');
        // Weyl, with the construction's own error (gamma(n) |Q||D||Q^T| and Q's departure
        // from orthogonality, both within n EPS ||A||) added to the backend's tolN(n) ||A||.
        const expected = [...d].sort((x, y) => x - y);
        checkEntries('eigenvalues vs construction / ||A||_2', values, expected, (tolN(50) + 50 * EPS) * 3, 'repeated 50x50');
        const id = checkEigen(be, diag(new Array(7).fill(2.5)), '2.5 I');
        expect(Array.from(id)).toEqual(new Array(7).fill(2.5));
      });

      it('ill-conditioned: eigenvalues +-1 .. +-1e-12 (absolute accuracy only)', () => {
        const rng = Random.fromSeed(203);
        const d = logspace(0, -12, 40).map((v, i) => (i % 2 === 0 ? v : -v));
        const a = withSpectrum(rng, d);
        const values = checkEigen(be, a, 'ill-conditioned 40x40');
        const expected = [...d].sort((x, y) => x - y);
        // Small eigenvalues are only absolutely accurate: tolN(n) ||A||_2 + the construction's n EPS ||A||_2.
        checkEntries('eigenvalues vs construction / ||A||_2', values, expected, tolN(40) + 40 * EPS, 'ill-conditioned 40x40');
      });
    });

    // ------------------------------------------------------------------------ gesdd / singularValues
    describe('gesdd and singularValues', () => {
      for (const name of ['tall', 'wide', 'rank2', 'graded']) {
        it(`fixture svd_${name}: singular values against mpmath (40 digits)`, () => {
          const a = fmat(`svd_${name}_a`), s = fvec(`svd_${name}_s`);
          const r = checkSvd(be, a, `svd_${name}`);
          // Weyl for singular values: |s_computed - s_exact| <= ||E||_2 <= tolN(max(m, n)) s_max.
          checkEntries('singular values vs mpmath / s_max', r.s, s, tolN(Math.max(a.rows, a.cols)) * s[0], `svd_${name}`);
        });
      }

      it('random shapes: 300x300, 300x50, 50x300, 1x7, 7x1, 1x1, 2x2, 3x5, 5x3', () => {
        const rng = Random.fromSeed(301);
        const shapes: Array<[number, number]> = [[300, 300], [300, 50], [50, 300], [1, 7], [7, 1], [1, 1], [2, 2], [3, 5], [5, 3]];
        for (const [m, n] of shapes) checkSvd(be, rng.normalMat(m, n), `random ${m}x${n}`, m * n < 300 * 300);
      });

      it('empty shapes 0x0, 0x3, 4x0', () => {
        for (const [m, n] of [[0, 0], [0, 3], [4, 0]]) {
          const r = be.gesdd(zeros(m, n));
          expect([r.u.rows, r.u.cols, r.s.length, r.v.rows, r.v.cols], `${m}x${n}`).toEqual([m, 0, 0, n, 0]);
          expect(be.singularValues(zeros(m, n)).length).toBe(0);
        }
      });

      it('1xn and 1x1: the singular value is the norm, exactly for 1x1', () => {
        const r = be.gesdd(matFrom([[-4]]));
        expect(r.s[0]).toBe(4);
        expect(r.u.data[0] * r.v.data[0]).toBe(-1);
        const row = matFrom([[3, 4]]);
        checkEntries('singular values analytic', be.singularValues(row), [5], tolN(2) * 5, '[[3, 4]]');
      });

      it('rank 3 of 40x30: singular values 4.. are at rounding level; U and V still orthonormal', () => {
        const rng = Random.fromSeed(302);
        const a = mul(rng.normalMat(40, 3), rng.normalMat(3, 30));
        const r = checkSvd(be, a, 'rank 3 40x30');
        // The exact matrix has rank 3 and the stored one is within gamma(3) |G||H| of it, so
        // s_4.. <= tolN(40) s_max (backend) + 3u ||A||_F (the rounding of A itself).
        const bound = tolN(40) * r.s[0] + 3 * U * frob(a.data);
        checkEntries('rank-deficient tail / s_max', r.s.subarray(3), new Float64Array(27), bound, 'rank 3 40x30 s[3..]');
        expect(r.s[2]).toBeGreaterThan(1);
      });

      it('zero matrix: zero singular values, orthonormal U and V', () => {
        for (const [m, n] of [[6, 4], [4, 6], [1, 1], [30, 30]]) {
          const r = checkSvd(be, zeros(m, n), `zero ${m}x${n}`);
          expect(Array.from(r.s)).toEqual(new Array(Math.min(m, n)).fill(0));
        }
      });

      it('ill-conditioned: singular values 1e2 .. 1e-10, each within tolN(n) s_max absolutely', () => {
        const rng = Random.fromSeed(303);
        const s = logspace(2, -10, 20);
        for (const [m, n] of [[30, 20], [20, 30]]) {
          const a = withSingularValues(rng, m, n, s);
          const r = checkSvd(be, a, `ill-conditioned ${m}x${n}`);
          // Backend tolN(30) s_max plus the construction's error (gamma(20) |U||S||V^T|
          // and the Haar factors' departure from orthogonality, within 30 EPS s_max).
          checkEntries('singular values vs construction / s_max', r.s, s, (tolN(30) + 30 * EPS) * s[0], `ill-conditioned ${m}x${n}`);
        }
      });
    });

    // ------------------------------------------------------------------------ potrf / potrs / gesv
    describe('potrf, potrs and gesv', () => {
      it('fixture SPD: the Cholesky factor, its structure, and the solution against mpmath', () => {
        const a = fmat('spd_a'), lref = fmat('spd_l'), b = fmat('spd_b'), xref = fmat('spd_x');
        const cond = fnum('spd_cond');
        const n = a.rows;
        const l = be.potrf(a);
        expect([l.rows, l.cols]).toEqual([n, n]);
        for (let i = 0; i < n; i++) {
          expect(l.data[i * n + i], `L[${i},${i}] > 0`).toBeGreaterThan(0);
          for (let j = i + 1; j < n; j++) expect(l.data[i * n + j], `L[${i},${j}] (upper)`).toBe(0);
        }
        // Backward stable: L L^T = A + E, ||E|| <= tolN(n) ||A||.
        checkLe('potrf reconstruction / ||A||_F', diffFrob(a, mulBT(l, l)), tolN(n) * frob(a.data), '||A - L L^T||_F');
        // Forward: the Cholesky factor's relative perturbation is at most kappa(A) times A's (Sun 1991).
        checkLe('potrf vs mpmath / (kappa ||L||_F)', diffFrob(l, lref), tolN(n) * cond * frob(lref.data), '||L - L_ref||_F');
        const x = be.potrs(l, b);
        expect([x.rows, x.cols]).toEqual([n, b.cols]);
        // Forward error of a backward-stable solve: kappa(A) times the backward error.
        checkLe('potrs vs mpmath / (kappa ||X||_F)', diffFrob(x, xref), tolN(n) * cond * frob(xref.data), '||X - X_ref||_F');
        checkLe('potrs residual / (||A|| ||X||)', diffFrob(b, mul(a, x)), tolN(n) * frob(a.data) * frob(x.data), '||B - A X||_F');
      });

      it('random SPD 1x1, 2x2, 100x100, 250x250: structure, reconstruction, residual', () => {
        const rng = Random.fromSeed(401);
        for (const n of [1, 2, 100, 250]) {
          const g = rng.normalMat(n, n);
          const a = symmetrizeExact(mulBT(g, g));
          for (let i = 0; i < n; i++) a.data[i * n + i] += n;
          const l = be.potrf(a);
          for (let i = 0; i < n; i++) {
            expect(l.data[i * n + i]).toBeGreaterThan(0);
            for (let j = i + 1; j < n; j++) expect(l.data[i * n + j]).toBe(0);
          }
          checkLe('potrf reconstruction / ||A||_F', diffFrob(a, mulBT(l, l)), tolN(n) * frob(a.data), `${n}x${n}: ||A - L L^T||_F`);
          const b = rng.normalMat(n, 3);
          const x = be.potrs(l, b);
          checkLe('potrs residual / (||A|| ||X||)', diffFrob(b, mul(a, x)), tolN(n) * frob(a.data) * frob(x.data), `${n}x${n}: ||B - A X||_F`);
        }
        expect(Array.from(be.potrf(matFrom([[4, 2], [2, 3]])).data)).toEqual([2, 0, 1, Math.SQRT2]);
      });

      it('not positive definite throws LinalgError', () => {
        const rng = Random.fromSeed(402);
        const cases: Array<[string, Mat]> = [
          ['[[1,2],[2,1]]', matFrom([[1, 2], [2, 1]])],
          ['diag(1,-1,1)', diag([1, -1, 1])],
          ['zero 3x3', zeros(3, 3)],
          ['[[-1]]', matFrom([[-1]])],
          ['indefinite 50x50', withSpectrum(rng, Array.from({ length: 50 }, (_, i) => i - 5.5))],
        ];
        for (const [what, a] of cases) expectLinalgError(() => be.potrf(a), /not positive definite/, what);
      });

      it('gesv fixtures (random, and zero diagonal needing row pivoting) against mpmath', () => {
        for (const name of ['gesv', 'perm']) {
          const a = fmat(`${name}_a`), b = fmat(`${name}_b`), xref = fmat(`${name}_x`), cond = fnum(`${name}_cond`);
          const n = a.rows;
          const x = be.gesv(a, b);
          expect([x.rows, x.cols]).toEqual([n, b.cols]);
          // LU with partial pivoting is backward stable for these (growth factor O(1)):
          // forward error <= kappa(A) tolN(n), residual <= tolN(n) ||A|| ||X||.
          checkLe('gesv vs mpmath / (kappa ||X||_F)', diffFrob(x, xref), tolN(n) * cond * frob(xref.data), `${name}: ||X - X_ref||_F`);
          checkLe('gesv residual / (||A|| ||X||)', diffFrob(b, mul(a, x)), tolN(n) * frob(a.data) * frob(x.data), `${name}: ||B - A X||_F`);
        }
      });

      it('gesv: permutations solve exactly; a tiny leading pivot needs pivoting', () => {
        expect(Array.from(be.gesv(matFrom([[0, 1], [1, 0]]), matFrom([[2], [3]])).data)).toEqual([3, 2]);
        const rng = Random.fromSeed(403);
        const perm = rng.permutation(9);
        const p = zeros(9, 9);
        for (let i = 0; i < 9; i++) p.data[i * 9 + perm[i]] = 1;
        const b = rng.normalMat(9, 2);
        const x = be.gesv(p, b);
        // P x = b with P a permutation: x[perm[i]] = b[i], with no arithmetic on the values.
        for (let i = 0; i < 9; i++) for (let j = 0; j < 2; j++) expect(x.data[perm[i] * 2 + j]).toBe(b.data[i * 2 + j]);
        // Without pivoting, eliminating with the 1e-20 pivot loses the answer entirely.
        const y = be.gesv(matFrom([[1e-20, 1], [1, 1]]), matFrom([[1], [2]]));
        assertAllclose(y, matFrom([[1], [1]]), { rtol: 2 * EPS }, 'tiny pivot');
      });

      it('gesv: random systems of sizes 1, 7, 64, 200', () => {
        const rng = Random.fromSeed(404);
        for (const n of [1, 7, 64, 200]) {
          const a = rng.normalMat(n, n), b = rng.normalMat(n, 4);
          const x = be.gesv(a, b);
          checkLe('gesv residual / (||A|| ||X||)', diffFrob(b, mul(a, x)), tolN(n) * frob(a.data) * frob(x.data), `${n}x${n}: ||B - A X||_F`);
        }
      });

      it('singular gesv throws LinalgError', () => {
        const col = Random.fromSeed(405).normalMat(4, 4);
        for (let i = 0; i < 4; i++) col.data[i * 4 + 2] = 0;
        const cases: Array<[string, Mat]> = [
          ['[[1,2],[2,4]]', matFrom([[1, 2], [2, 4]])],
          ['zero 3x3', zeros(3, 3)],
          ['[[0]]', matFrom([[0]])],
          ['4x4 with a zero column', col],
        ];
        for (const [what, a] of cases) expectLinalgError(() => be.gesv(a, zeros(a.rows, 1)), /singular/, what);
      });
    });

    // ------------------------------------------------------------------------ inputs untouched
    it('no routine modifies its inputs', () => {
      const rng = Random.fromSeed(501);
      const a = rng.normalMat(20, 15), b = rng.normalMat(15, 9), s = randomSymmetric(rng, 12);
      const spd = symmetrizeExact(mulBT(s, s));
      for (let i = 0; i < 12; i++) spd.data[i * 12 + i] += 12;
      const x = rng.normalMat(15, 1).data, rhs = rng.normalMat(12, 3);
      const snapshot = [a, b, s, spd, rhs].map((m) => m.data.slice());
      const xs = x.slice();
      be.gemm(false, false, 1, a, b, 0, zeros(20, 9));
      be.gemm(true, true, 2, b, a, 0, zeros(9, 20));
      be.gemv(false, 1, a, x, 0, new Float64Array(20));
      be.syevd(s);
      be.eigvalsh(s);
      be.gesdd(a);
      be.singularValues(a);
      const l = be.potrf(spd);
      const lSnap = l.data.slice();
      be.potrs(l, rhs);
      be.gesv(s, rhs);
      expm(s, be);
      psdPower(spd, 0.5, { backend: be });
      [a, b, s, spd, rhs].forEach((m, i) => expect(m.data, `input ${i}`).toEqual(snapshot[i]));
      expect(x).toEqual(xs);
      expect(l.data).toEqual(lSnap);
    });

    // ------------------------------------------------------------------------ expm
    describe('expm', () => {
      for (const name of ['rand1', 'rand30', 'nilp', 'tiny', 'sym8']) {
        it(`fixture expm_${name} against mpmath (40 digits)`, () => {
          const a = fmat(`expm_${name}_a`), e = fmat(`expm_${name}_e`), cond = fnum(`expm_${name}_cond`);
          const got = expm(a, be);
          // Higham's algorithm has backward error <= u; the relative forward error is then
          // at most cond_rel(exp, A) u, plus the evaluation's rounding (O(n EPS) per product).
          // So ||err||_F / ||exp(A)||_F <= tolN(n) max(1, cond).
          checkLe('expm vs mpmath / (max(1,cond) ||exp A||_F)', diffFrob(got, e), tolN(a.rows) * Math.max(1, cond) * frob(e.data), `expm_${name}`);
        });
      }

      it('exp(0) = I exactly, and size 0', () => {
        for (const n of [1, 4]) expect(Array.from(expm(zeros(n, n), be).data)).toEqual(Array.from(identity(n).data));
        expect(expm(zeros(0, 0), be).data.length).toBe(0);
      });

      it('exp(diag(d)) = diag(exp(d))', () => {
        const d = [-5, -1, 0, 0.5, 2, 7];
        const got = expm(diag(d), be);
        const want = diag(d.map(Math.exp));
        // exp's relative condition at d_i is |d_i|: relative error <= tolN(n) max(1, |d_i|).
        // Off the diagonal, products of diagonal matrices are exactly zero.
        const bound = want.data.map((v, i) => tolN(6) * Math.max(1, Math.abs(d[Math.floor(i / 6)])) * v);
        checkEntries('expm diagonal (relative)', got.data, want.data, bound, 'exp(diag(d))');
      });

      it('exp([[0, -t], [t, 0]]) is the rotation by t, t = 0.1, 1, 10', () => {
        for (const t of [0.1, 1, 10]) {
          const got = expm(matFrom([[0, -t], [t, 0]]), be);
          const want = matFrom([[Math.cos(t), -Math.sin(t)], [Math.sin(t), Math.cos(t)]]);
          // A normal matrix with ||A|| = t and ||exp(A)|| = 1: absolute error <= tolN(2) max(1, t).
          checkEntries('expm rotation (absolute)', got.data, want.data, tolN(2) * Math.max(1, t), `rotation t=${t}`);
        }
      });

      it('exp(A) exp(-A) = I', () => {
        const rng = Random.fromSeed(601);
        const g = rng.normalMat(20, 20);
        const scaled = g.data.map((v) => v * 0.1);
        const cases: Array<[string, Mat]> = [['fixture rand1', fmat('expm_rand1_a')], ['random 20x20', { rows: 20, cols: 20, data: scaled }]];
        for (const [what, a] of cases) {
          const n = a.rows;
          const ea = expm(a, be);
          const neg = { rows: n, cols: n, data: a.data.map((v) => -v) };
          const eb = expm(neg, be);
          const prod = mul(ea, eb);
          let norm1 = 0;
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let i = 0; i < n; i++) s += Math.abs(a.data[i * n + j]);
            norm1 = Math.max(norm1, s);
          }
          // Each factor has relative error <= tolN(n) max(1, ||A||) (conditioning ~ ||A||);
          // the product's error is at most the sum of both times ||e^A|| ||e^-A||.
          checkLe('expm(A) expm(-A) - I', diffFrob(prod, identity(n)), 2 * tolN(n) * Math.max(1, norm1) * frob(ea.data) * frob(eb.data), what);
        }
      });
    });

    // ------------------------------------------------------------------------ psdPower
    describe('psdPower', () => {
      // psd_a has eigenvalues 0.5 .. 10 by construction: kappa = 20, which bounds the relative
      // condition number of A^p for |p| <= 1.
      const KAPPA = 20;
      for (const [name, p] of [['half', 0.5], ['twothirds', 2 / 3], ['inv', -1]] as const) {
        it(`fixture A^${p} against mpmath (40 digits)`, () => {
          const a = fmat('psd_a'), want = fmat(`psd_${name}`);
          const got = psdPower(a, p, { backend: be });
          checkLe('psdPower vs mpmath / (kappa ||A^p||_F)', diffFrob(got, want), tolN(6) * KAPPA * frob(want.data), `A^${p}`);
        });
      }

      it('psdPower(A, 0.5)^2 = A for a 30x30 SPD A with eigenvalues 1..10', () => {
        const rng = Random.fromSeed(701);
        const a = withSpectrum(rng, logspace(0, 1, 30));
        const r = psdPower(a, 0.5, { backend: be });
        // R has relative error <= tolN(n) sqrt(kappa); squaring doubles it, plus gamma(n) ||R||^2.
        checkLe('psdPower^2 - A / ||R||_F^2', diffFrob(mul(r, r), a), (2 * Math.sqrt(10) + 1) * tolN(30) * frob(r.data) ** 2, 'R R - A');
        expect(r.data).toEqual(symmetrizeExact(r).data);
      });

      it('a clearly negative eigenvalue, or a negative power of a singular matrix, throws LinalgError', () => {
        const rng = Random.fromSeed(702);
        expectLinalgError(() => psdPower(withSpectrum(rng, [1, 2, -0.5]), 0.5, { backend: be }), /positive semidefinite/, 'eigenvalue -0.5');
        expectLinalgError(() => psdPower(diag([1, 0]), -1, { backend: be }), /singular/, 'p = -1 of diag(1, 0)');
      });
    });
  });
}

// ============================================================================ js vs native

const both = bothBackends();
const crossDescribe = both ? describe : describe.skip;
crossDescribe(both ? 'js and native agree' : 'js and native agree (skipped: the native addon is not built here)', () => {
  const js = both?.js as Backend, nat = both?.native as Backend;
  beforeEach(() => {
    tag = 'js vs native';
  });

  it('gemm on shapes 1..300, all transposes (componentwise)', () => {
    const rng = Random.fromSeed(801);
    const shapes: Array<[number, number, number]> = [[1, 1, 1], [3, 1, 5], [33, 31, 37], [97, 64, 131], [300, 300, 300], [300, 7, 300], [7, 300, 7], [1, 300, 300]];
    for (const [m, n, k] of shapes) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = ta ? rng.normalMat(k, m) : rng.normalMat(m, k);
        const b = tb ? rng.normalMat(n, k) : rng.normalMat(k, n);
        const cj = js.gemm(ta, tb, 1, a, b, 0, zeros(m, n));
        const cn = nat.gemm(ta, tb, 1, a, b, 0, zeros(m, n));
        // Each within gamma(k) |A||B| of the exact product.
        const abs = naiveMul(ta, tb, a, b).abs;
        checkEntries('cross gemm (componentwise)', cj.data, cn.data, abs.data.map((v) => 2 * gamma(k) * v), `${m}x${n}x${k} ${ta} ${tb}`);
      }
    }
  });

  it('gemv, both transposes, 300x200', () => {
    const rng = Random.fromSeed(802);
    const a = rng.normalMat(300, 200);
    for (const trans of [false, true]) {
      const x = rng.normalMat(trans ? 300 : 200, 1);
      const yj = js.gemv(trans, 1, a, x.data, 0, new Float64Array(trans ? 200 : 300));
      const yn = nat.gemv(trans, 1, a, x.data, 0, new Float64Array(trans ? 200 : 300));
      const abs = naiveMul(trans, false, a, x).abs;
      checkEntries('cross gemv (componentwise)', yj, yn, abs.data.map((v) => 2 * gamma(x.rows) * v), `trans=${trans}`);
    }
  });

  it('eigenvalues and (well-separated) eigenvectors, sizes 1..300', () => {
    const rng = Random.fromSeed(803);
    const cases: Array<[string, Mat]> = [
      ['random 1', randomSymmetric(rng, 1)],
      ['random 2', randomSymmetric(rng, 2)],
      ['random 17', randomSymmetric(rng, 17)],
      ['random 100', randomSymmetric(rng, 100)],
      ['random 300', randomSymmetric(rng, 300)],
      ['rank 3 PSD 60', (() => { const g = rng.normalMat(60, 3); return symmetrizeExact(mulBT(g, g)); })()],
      ['zero 8', zeros(8, 8)],
      ['ill-conditioned 40', withSpectrum(rng, logspace(0, -12, 40))],
    ];
    for (const [what, a] of cases) {
      const n = a.rows;
      const ej = js.syevd(a), en = nat.syevd(a);
      const norm2 = Math.max(maxAbsOf(ej.values), maxAbsOf(en.values));
      // Each within tolN(n) ||A||_2 of the exact eigenvalues (Weyl).
      checkEntries('cross eigenvalues / ||A||_2', ej.values, en.values, 2 * tolN(n) * norm2, what);
      checkEntries('cross eigvalsh / ||A||_2', js.eigvalsh(a), nat.eigvalsh(a), 2 * tolN(n) * norm2, what);
      // Davis–Kahan: each eigenvector is within ||E|| / gap of the exact one, so the two
      // agree up to sign within 2 tolN(n) ||A|| / gap_j (+ tolN(n) for the vectors' own rounding);
      // only meaningful where that is below 1, i.e. for well-separated eigenvalues.
      const g = gaps(en.values);
      for (let j = 0; j < n; j++) {
        const bound = (2 * tolN(n) * norm2) / g[j] + tolN(n);
        if (bound < 1e-3) checkLe('cross eigenvectors (up to sign, gap-scaled)', columnDiffUpToSign(ej.vectors, en.vectors, j), bound, `${what} vector ${j}`);
      }
    }
  });

  it('singular values and (well-separated) singular vectors, shapes 1..300', () => {
    const rng = Random.fromSeed(804);
    const cases: Array<[string, Mat]> = [
      ['1x1', rng.normalMat(1, 1)],
      ['1x7', rng.normalMat(1, 7)],
      ['7x1', rng.normalMat(7, 1)],
      ['33x20', rng.normalMat(33, 20)],
      ['20x33', rng.normalMat(20, 33)],
      ['300x300', rng.normalMat(300, 300)],
      ['rank 3 40x30', mul(rng.normalMat(40, 3), rng.normalMat(3, 30))],
      ['zero 6x4', zeros(6, 4)],
      ['ill-conditioned 30x20', withSingularValues(rng, 30, 20, logspace(2, -10, 20))],
    ];
    for (const [what, a] of cases) {
      const m = a.rows, n = a.cols, big = Math.max(m, n);
      const sj = js.gesdd(a), sn = nat.gesdd(a);
      const sMax = Math.max(sj.s[0], sn.s[0]);
      checkEntries('cross singular values / s_max', sj.s, sn.s, 2 * tolN(big) * sMax, what);
      checkEntries('cross singularValues / s_max', js.singularValues(a), nat.singularValues(a), 2 * tolN(big) * sMax, what);
      // Wedin: singular vectors move by ||E|| / gap, the gap including s_j itself when m != n.
      const g = gaps(sn.s, m !== n);
      for (let j = 0; j < sn.s.length; j++) {
        const bound = (2 * tolN(big) * sMax) / g[j] + tolN(big);
        if (bound < 1e-3) {
          checkLe('cross singular vectors (up to sign, gap-scaled)', columnDiffUpToSign(sj.u, sn.u, j), bound, `${what} u ${j}`);
          checkLe('cross singular vectors (up to sign, gap-scaled)', columnDiffUpToSign(sj.v, sn.v, j), bound, `${what} v ${j}`);
        }
      }
    }
  });

  it('solutions (potrs, gesv) agree to the conditioning bound', () => {
    const rng = Random.fromSeed(805);
    for (const n of [1, 5, 64, 200]) {
      const g = rng.normalMat(n, n);
      const spd = symmetrizeExact(mulBT(g, g));
      for (let i = 0; i < n; i++) spd.data[i * n + i] += 1;
      const b = rng.normalMat(n, 2);
      for (const [what, a, solve] of [
        ['potrs', spd, (be: Backend) => be.potrs(be.potrf(spd), b)],
        ['gesv', g, (be: Backend) => be.gesv(g, b)],
      ] as const) {
        const s = nat.singularValues(a);
        const kappa = s[0] / s[n - 1];
        const xj = solve(js), xn = solve(nat);
        // Both backward stable: each within tolN(n) kappa ||X|| of the exact solution.
        checkLe('cross solutions / (kappa ||X||_F)', diffFrob(xj, xn), 2 * tolN(n) * kappa * frob(xn.data), `${what} ${n}x${n} (kappa ${kappa.toExponential(1)})`);
      }
    }
    // Cholesky factors are unique: compare them directly (Sun's bound, kappa(A) times the backward error).
    const g = rng.normalMat(50, 50);
    const spd = symmetrizeExact(mulBT(g, g));
    for (let i = 0; i < 50; i++) spd.data[i * 50 + i] += 50;
    const s = nat.singularValues(spd);
    const lj = js.potrf(spd), ln = nat.potrf(spd);
    checkLe('cross Cholesky factor / (kappa ||L||_F)', diffFrob(lj, ln), 2 * tolN(50) * (s[0] / s[49]) * frob(ln.data), 'potrf 50x50');
  });

  it('expm and psdPower agree', () => {
    const rng = Random.fromSeed(806);
    const a = rng.normalMat(30, 30);
    for (let i = 0; i < a.data.length; i++) a.data[i] *= 0.3;
    const ej = expm(a, js), en = expm(a, nat);
    // ||A||_1 is a few units here: each within tolN(n) max(1, ||A||_1) relative.
    checkLe('cross expm / ||exp A||_F', diffFrob(ej, en), 2 * tolN(30) * 10 * frob(en.data), 'expm 30x30');
    const spd = withSpectrum(rng, logspace(0, 1, 30));
    const pj = psdPower(spd, 2 / 3, { backend: js }), pn = psdPower(spd, 2 / 3, { backend: nat });
    checkLe('cross psdPower / ||A^p||_F', diffFrob(pj, pn), 2 * tolN(30) * 10 * frob(pn.data), 'psdPower 2/3');
  });
});
