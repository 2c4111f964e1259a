import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Backend, LinalgError } from '../src/linalg/backend.js';
import { type Mat, matFrom } from '../src/linalg/mat.js';
import { createNativeBackend, type NativeAddon, parseThreadsEnv } from '../src/linalg/native/backend.js';
import { loadNativeBackend, loadNativeBackendFrom } from '../src/linalg/native/load.js';
import { assertAllclose } from './helpers/allclose.js';

const addonPath = fileURLToPath(new URL('../native/build/Release/implab_native.node', import.meta.url));
const loaded = loadNativeBackend();
const native: Backend | undefined = loaded.ok ? loaded.backend : undefined;

/** Deterministic uniform(-1, 1) entries (a small LCG; the tests need no statistics). */
function randomMat(rows: number, cols: number, seed: number): Mat {
  let s = (seed * 2654435761) >>> 0 || 1;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { rows, cols, data };
}

function naiveMul(a: Mat, b: Mat, transA = false, transB = false): Mat {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a.data[p * a.cols + i] : a.data[i * a.cols + p];
        const bv = transB ? b.data[j * b.cols + p] : b.data[p * b.cols + j];
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return { rows: m, cols: n, data: out };
}

function t(a: Mat): Mat {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j];
  return { rows: a.cols, cols: a.rows, data: out };
}

function symmetric(n: number, seed: number): Mat {
  const r = randomMat(n, n, seed);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = r.data[i * n + j] + r.data[j * n + i];
  return { rows: n, cols: n, data: out };
}

function spd(n: number, seed: number): Mat {
  const r = randomMat(n, n, seed);
  const a = naiveMul(r, r, false, true);
  for (let i = 0; i < n; i++) a.data[i * n + i] += n;
  return a;
}

function diagMat(v: ArrayLike<number>): Mat {
  const n = v.length;
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = v[i];
  return { rows: n, cols: n, data };
}

function identityMat(n: number): Mat {
  return diagMat(new Float64Array(n).fill(1));
}

describe('native loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'implab-native-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('explains a missing addon in one line and never throws', () => {
    const missing = join(dir, 'nope', 'implab_native.node');
    const r = loadNativeBackendFrom(missing);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(
      `addon not built: ${missing} missing; install libopenblas-dev liblapacke-dev, then run npm install again (npm rebuild implab where implab is a dependency)`,
    );
    expect(r.reason).not.toContain('\n');
  });

  it('reports the dlopen error of a file that is not an addon, in one line', () => {
    const bogus = join(dir, 'bogus.node');
    writeFileSync(bogus, 'not a shared object\n');
    const r = loadNativeBackendFrom(bogus);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/^addon .*bogus\.node failed to load: /);
    expect(r.reason).not.toContain('\n');
  });

  it('names the default location relative to the package root', () => {
    if (loaded.ok) return;
    expect(loaded.reason).toMatch(/native\/build\/Release\/implab_native\.node/);
  });
});

describe('IMPLAB_THREADS', () => {
  it('accepts "auto", unset and integers >= 1', () => {
    expect(parseThreadsEnv(undefined)).toBe('auto');
    expect(parseThreadsEnv('')).toBe('auto');
    expect(parseThreadsEnv('auto')).toBe('auto');
    expect(parseThreadsEnv(' AUTO ')).toBe('auto');
    expect(parseThreadsEnv('1')).toBe(1);
    expect(parseThreadsEnv(' 2 ')).toBe(2);
    expect(parseThreadsEnv('16')).toBe(16);
  });

  it.each(['0', '-1', '1.5', '2x', 'two', 'NaN', '1e3', 'Infinity', '99999999999999999999'])(
    'rejects %j naming the variable',
    (v) => {
      expect(() => parseThreadsEnv(v)).toThrow(`IMPLAB_THREADS: expected an integer >= 1 or "auto", got "${v}"`);
    },
  );
});

describe.skipIf(!native)('native backend', () => {
  const b = native!;
  const addon = (native ? createRequire(import.meta.url)(addonPath) : undefined) as NativeAddon;

  afterAll(() => b.setThreads('auto'));

  describe('threads', () => {
    it('reports OpenBLAS and the thread limits', () => {
      const info = b.info();
      expect(info.name).toBe('native');
      expect(info.blas).toMatch(/OpenBLAS/);
      expect(info.maxThreads).toBeGreaterThanOrEqual(1);
    });

    it('round-trips setThreads', () => {
      b.setThreads(1);
      expect(b.info().threads).toBe(1);
      const max = b.info().maxThreads;
      b.setThreads(max);
      expect(b.info().threads).toBe(max);
      b.setThreads('auto');
      expect(b.info().threads).toBe('auto');
      for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
        expect(() => b.setThreads(bad)).toThrow(RangeError);
      }
      expect(() => b.setThreads('many' as unknown as 'auto')).toThrow(RangeError);
      expect(b.info().threads).toBe('auto');
    });

    it('takes its initial setting from IMPLAB_THREADS and fails the first call on a bad value', () => {
      const fixed = createNativeBackend(addon, { env: { IMPLAB_THREADS: '1' } });
      expect(fixed.info().threads).toBe(1);
      const auto = createNativeBackend(addon, { env: {} });
      expect(auto.info().threads).toBe('auto');
      const bad = createNativeBackend(addon, { env: { IMPLAB_THREADS: 'lots' } });
      expect(() => bad.info()).toThrow(/^IMPLAB_THREADS: expected an integer >= 1 or "auto", got "lots"$/);
      const a = randomMat(3, 3, 1);
      expect(() => bad.gemm(false, false, 1, a, a, 0, randomMat(3, 3, 2))).toThrow(/IMPLAB_THREADS/);
      bad.setThreads(1); // an explicit setting replaces the environment's
      expect(bad.info().threads).toBe(1);
    });
  });

  describe('errors', () => {
    it('throws LinalgError on a matrix that is not positive definite', () => {
      const a = matFrom([[2, 1, 0], [1, 2, 0], [0, 0, -1]]);
      expect(() => b.potrf(a)).toThrow(LinalgError);
      expect(() => b.potrf(a)).toThrow('potrf: matrix is not positive definite (leading minor 3)');
      expect(() => b.potrf(matFrom([[4, 2], [2, 1]]))).toThrow('potrf: matrix is not positive definite (leading minor 2)');
    });

    it('throws LinalgError on a singular system', () => {
      const a = matFrom([[1, 2, 0], [3, 4, 0], [0, 0, 0]]);
      const rhs = matFrom([[1], [2], [3]]);
      expect(() => b.gesv(a, rhs)).toThrow(LinalgError);
      expect(() => b.gesv(a, rhs)).toThrow('gesv: matrix is singular (U[2,2] = 0)');
      expect(() => b.gesv(matFrom([[1, 2], [2, 4]]), matFrom([[1], [1]]))).toThrow('gesv: matrix is singular (U[1,1] = 0)');
    });

    it('throws LinalgError on NaN or infinity in eigen and singular value problems', () => {
      for (const bad of [Number.NaN, Infinity, -Infinity]) {
        const a = symmetric(4, 3);
        a.data[5] = bad;
        expect(() => b.syevd(a)).toThrow(new LinalgError('syevd: contains NaN or infinity'));
        expect(() => b.eigvalsh(a)).toThrow(new LinalgError('eigvalsh: contains NaN or infinity'));
        expect(() => b.gesdd(a)).toThrow(new LinalgError('gesdd: contains NaN or infinity'));
        expect(() => b.singularValues(a)).toThrow(new LinalgError('singularValues: contains NaN or infinity'));
      }
    });

    it('rejects mismatched shapes with RangeError', () => {
      const a = randomMat(3, 4, 1);
      expect(() => b.gemm(false, false, 1, a, a, 0, randomMat(3, 4, 2))).toThrow(/gemm: inner dimensions differ/);
      expect(() => b.gemm(false, true, 1, a, a, 0, randomMat(3, 4, 2))).toThrow('gemm: c: expected shape 3x3, got 3x4');
      expect(() => b.gemv(false, 1, a, new Float64Array(3), 0, new Float64Array(3))).toThrow(RangeError);
      expect(() => b.syevd(a)).toThrow(RangeError);
      expect(() => b.potrs(randomMat(3, 3, 1), randomMat(4, 1, 2))).toThrow(RangeError);
    });

    it('validates raw addon arguments in C++', () => {
      const x = new Float64Array(4);
      const call = addon.dgemm as unknown as (...args: unknown[]) => void;
      expect(() => call(false, false, 2, 2, 2, 1, x, x)).toThrow(new TypeError('dgemm: expected 10 arguments, got 8'));
      expect(() => call(false, false, 2, 2, 2, 1, x, new Float64Array(3), 0, x)).toThrow(
        new RangeError('dgemm: b: expected length 4, got 3'),
      );
      expect(() => call(false, false, 2, 2, 2, 1, [1, 2, 3, 4], x, 0, x)).toThrow(new TypeError('dgemm: a: expected a Float64Array'));
      expect(() => call(false, false, 2.5, 2, 2, 1, x, x, 0, x)).toThrow(RangeError);
      expect(() => call(0, false, 2, 2, 2, 1, x, x, 0, x)).toThrow(new TypeError('dgemm: transA: expected a boolean'));
      expect(() => (addon.dgesdd as unknown as (...args: unknown[]) => number)(2, 2, x, new Float64Array(2), x, null)).toThrow(
        TypeError,
      );
      expect(() => addon.setNumThreads(0)).toThrow(RangeError);
    });
  });

  describe('results (checks of the row-major / column-major layout tricks)', () => {
    it('gemm matches a naive product for every transpose combination and shape', () => {
      for (const [m, n, k] of [[5, 7, 3], [1, 9, 4], [64, 33, 80], [130, 70, 90]]) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const a = ta ? randomMat(k, m, m + k) : randomMat(m, k, m + k);
            const bb = tb ? randomMat(n, k, n + 2 * k) : randomMat(k, n, n + 2 * k);
            const c0 = randomMat(m, n, 7);
            const c = { ...c0, data: c0.data.slice() };
            b.gemm(ta, tb, 0.5, a, bb, -2, c);
            const ref = naiveMul(a, bb, ta, tb);
            for (let i = 0; i < ref.data.length; i++) ref.data[i] = 0.5 * ref.data[i] - 2 * c0.data[i];
            assertAllclose(c, ref, { rtol: 1e-12, atol: 1e-12 }, `gemm ${m}x${n}x${k} ${ta} ${tb}`);
          }
        }
      }
    });

    it('gemm with beta = 0 ignores NaN in C, and handles C sharing storage with A', () => {
      const a = randomMat(6, 6, 1);
      const c = { rows: 6, cols: 6, data: new Float64Array(36).fill(Number.NaN) };
      b.gemm(false, false, 1, a, a, 0, c);
      assertAllclose(c, naiveMul(a, a), { rtol: 1e-13, atol: 1e-14 });
      const k0 = { rows: 0, cols: 6, data: new Float64Array(0) };
      const c2 = { rows: 6, cols: 6, data: new Float64Array(36).fill(Number.NaN) };
      b.gemm(true, false, 1, k0, k0, 0, c2);
      expect(Array.from(c2.data)).toEqual(new Array(36).fill(0));
      const sq = naiveMul(a, a);
      const self = { rows: 6, cols: 6, data: a.data.slice() };
      b.gemm(false, false, 1, self, self, 0, self);
      assertAllclose(self, sq, { rtol: 1e-13, atol: 1e-14 });
    });

    it('gemv computes A x and A^T x', () => {
      const a = randomMat(7, 5, 3);
      const x = randomMat(5, 1, 4).data;
      const xt = randomMat(7, 1, 5).data;
      const y = new Float64Array(7).fill(Number.NaN);
      b.gemv(false, 2, a, x, 0, y);
      const ref = naiveMul(a, { rows: 5, cols: 1, data: x });
      assertAllclose(y, ref.data.map((v) => 2 * v), { rtol: 1e-13, atol: 1e-14 });
      const yt = new Float64Array(5).fill(1);
      b.gemv(true, 1, a, xt, 3, yt);
      const reft = naiveMul(a, { rows: 7, cols: 1, data: xt }, true);
      assertAllclose(yt, reft.data.map((v) => v + 3), { rtol: 1e-13, atol: 1e-14 });
    });

    it('syevd: ascending eigenvalues, eigenvectors as orthonormal columns', () => {
      for (const n of [1, 2, 9, 40]) {
        const a = symmetric(n, n);
        const { values, vectors } = b.syevd(a);
        for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
        assertAllclose(naiveMul(a, vectors), naiveMul(vectors, diagMat(values)), { atol: 1e-12 * n }, 'A V = V diag(w)');
        assertAllclose(naiveMul(vectors, vectors, true), identityMat(n), { atol: 1e-13 * n }, 'V^T V = I');
        assertAllclose(b.eigvalsh(a), values, { rtol: 1e-12, atol: 1e-12 });
      }
    });

    it('gesdd: thin U, descending s, V (not V^T), for tall, wide and square', () => {
      for (const [m, n] of [[1, 1], [7, 3], [3, 7], [20, 20], [50, 11], [11, 50]]) {
        const a = randomMat(m, n, 10 * m + n);
        const { u, s, v } = b.gesdd(a);
        const k = Math.min(m, n);
        expect([u.rows, u.cols, v.rows, v.cols, s.length]).toEqual([m, k, n, k, k]);
        for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
        const usvt = naiveMul(naiveMul(u, diagMat(s)), v, false, true);
        assertAllclose(usvt, a, { atol: 1e-13 * Math.max(m, n) }, `U S V^T ${m}x${n}`);
        assertAllclose(naiveMul(u, u, true), identityMat(k), { atol: 1e-13 * m }, 'U^T U');
        assertAllclose(naiveMul(v, v, true), identityMat(k), { atol: 1e-13 * n }, 'V^T V');
        assertAllclose(b.singularValues(a), s, { rtol: 1e-12, atol: 1e-13 });
      }
      const empty = b.gesdd({ rows: 0, cols: 3, data: new Float64Array(0) });
      expect([empty.u.rows, empty.u.cols, empty.v.rows, empty.v.cols, empty.s.length]).toEqual([0, 0, 3, 0, 0]);
    });

    it('potrf gives lower-triangular L with a zero upper triangle; potrs solves', () => {
      const n = 12;
      const a = spd(n, 5);
      const l = b.potrf(a);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l.data[i * n + j]).toBe(0);
      assertAllclose(naiveMul(l, l, false, true), a, { rtol: 1e-13, atol: 1e-12 }, 'L L^T');
      const rhs = randomMat(n, 3, 6);
      const x = b.potrs(l, rhs);
      assertAllclose(naiveMul(a, x), rhs, { atol: 1e-12 }, 'A X = B (potrs)');
    });

    it('gesv solves with pivoting, one and several right-hand sides', () => {
      const a = matFrom([[0, 2, 1], [1, 0, 0], [3, 1, 4]]); // needs row interchanges
      const rhs = matFrom([[1, 2], [3, 4], [5, 6]]);
      assertAllclose(naiveMul(a, b.gesv(a, rhs)), rhs, { atol: 1e-14 });
      const big = randomMat(37, 37, 9);
      const rhs2 = randomMat(37, 5, 10);
      assertAllclose(naiveMul(big, b.gesv(big, rhs2)), rhs2, { atol: 1e-11 });
      const v = randomMat(37, 1, 11);
      assertAllclose(naiveMul(big, b.gesv(big, v)), v, { atol: 1e-11 });
    });
  });

  it('never modifies its inputs', () => {
    const snap = (m: Mat | Float64Array): Float64Array => ('data' in m ? m.data : m).slice();
    const same = (m: Mat | Float64Array, before: Float64Array, what: string): void => {
      const now = 'data' in m ? m.data : m;
      expect(Array.from(now), what).toEqual(Array.from(before));
    };
    const a = randomMat(9, 6, 1);
    const bm = randomMat(6, 4, 2);
    const sym = symmetric(8, 3);
    const p = spd(8, 4);
    const rhs = randomMat(8, 3, 5);
    const x = randomMat(6, 1, 6).data;
    const before = [a, bm, sym, p, rhs, x].map(snap);
    const check = (what: string): void => {
      [a, bm, sym, p, rhs, x].forEach((m, i) => same(m, before[i], `${what} modified an input`));
    };
    b.gemm(false, false, 1, a, bm, 0, randomMat(9, 4, 7));
    check('gemm');
    b.gemm(true, false, 1, a, a, 1, randomMat(6, 6, 7));
    check('gemm^T');
    b.gemv(false, 1, a, x, 0, new Float64Array(9));
    check('gemv');
    b.gemv(true, 1, a, new Float64Array(9).fill(1), 0, new Float64Array(6));
    check('gemv^T');
    b.syevd(sym);
    check('syevd');
    b.eigvalsh(sym);
    check('eigvalsh');
    b.gesdd(a);
    check('gesdd');
    b.gesdd(t(a));
    check('gesdd (wide)');
    b.singularValues(a);
    check('singularValues');
    const l = b.potrf(p);
    check('potrf');
    const lBefore = snap(l);
    b.potrs(l, rhs);
    check('potrs');
    same(l, lBefore, 'potrs modified L');
    b.gesv(p, rhs);
    check('gesv');
  });
});
