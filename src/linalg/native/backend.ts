import type { Backend, BackendInfo, SymmetricEigen, ThinSvd } from '../backend.js';
import { LinalgError } from '../backend.js';
import { checkSampledShapes, checkSpmmShapes, checkVectorPair } from '../kernel-checks.js';
import { axpy as jsAxpy, dot as jsDot } from '../js/blas1.js';
import type { Mat } from '../mat.js';
import type { SparseMat } from '../sparse.js';

/**
 * The functions native/implab.cc exports. Matrices are row-major Float64Arrays
 * with explicit dimensions; arguments named as outputs are written in place.
 * LAPACK wrappers return LAPACK's `info` (0 ok, > 0 numerical failure) or
 * NOT_FINITE when the input holds NaN or +-Inf.
 */
export interface NativeAddon {
  readonly ABI_VERSION: number;
  readonly NOT_FINITE: number;
  dgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float64Array, b: Float64Array, beta: number, c: Float64Array,
  ): void;
  dgemv(trans: boolean, m: number, n: number, alpha: number, a: Float64Array, x: Float64Array, beta: number, y: Float64Array): void;
  daxpy(alpha: number, x: Float64Array, y: Float64Array): void;
  ddot(x: Float64Array, y: Float64Array): number;
  /** out <- alpha op(S) B + beta out, S m x n CSR; checks the CSR arrays (messages say "spmm"). */
  dspmm(
    trans: boolean, m: number, n: number, k: number, alpha: number,
    rowPtr: Int32Array, colIdx: Int32Array, values: Float64Array, b: Float64Array, beta: number, out: Float64Array,
  ): void;
  /** out[i] <- left[rows[i], :] . rightT[cols[i], :], left nl x k, rightT nr x k; checks the indices. */
  dsampled(nl: number, nr: number, k: number, rows: Int32Array, cols: Int32Array, left: Float64Array, rightT: Float64Array, out: Float64Array): void;
  dsyevd(n: number, a: Float64Array, w: Float64Array, vectors: boolean): number;
  dgesdd(m: number, n: number, a: Float64Array, s: Float64Array, u: Float64Array | null, v: Float64Array | null): number;
  dpotrf(n: number, a: Float64Array): number;
  dpotrs(n: number, k: number, l: Float64Array, b: Float64Array): number;
  dgesv(n: number, k: number, a: Float64Array, b: Float64Array): number;
  setNumThreads(threads: number): void;
  getNumThreads(): number;
  getNumProcs(): number;
  getConfig(): string;
  getCorename(): string;
}

/** The ABI_VERSION this file was written against. */
export const NATIVE_ABI_VERSION = 2;

export type ThreadSetting = number | 'auto';

/**
 * Parses IMPLAB_THREADS: unset or empty means "auto"; otherwise an integer >= 1
 * or "auto". Anything else throws one line naming the variable.
 */
export function parseThreadsEnv(value: string | undefined): ThreadSetting {
  const v = value?.trim();
  if (v === undefined || v === '' || v.toLowerCase() === 'auto') return 'auto';
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n) && n >= 1) return n;
  }
  throw new Error(`IMPLAB_THREADS: expected an integer >= 1 or "auto", got "${value}"`);
}

/**
 * The "auto" thread rule: how many BLAS threads a call of the given shape gets
 * (`max`, all OpenBLAS may use, or 1).
 *
 * Measured on the 2-core development machine (AMD EPYC under KVM, Debian
 * OpenBLAS 0.3.21 running its Haswell kernels) by alternating 1- and 2-thread
 * bursts of the same call; ratios below are 1-thread time / 2-thread time. The
 * second thread only pays when the second core is idle: with another process
 * busy on it, 2 threads lost even where they otherwise win (syevd n = 1000: 0.88,
 * gesdd 2000x200: 0.51, dgetrf n = 300: 0.13). The thresholds are therefore set
 * where 2 threads win clearly on an idle machine, not at the first break-even.
 * A process that shares the cores with others (sweep workers, one per core)
 * should set IMPLAB_THREADS=1.
 */
export const autoThreads = {
  /** 70^3: 1.28, 100^3: 1.54, 256^3: 1.87, 1000^3: 1.95; OpenBLAS itself runs m*n*k <= 64^3 on one
   *  thread. Few rows of C lose: m = 8 or 24 against n = k = 400 gave 0.80 and 0.88 (m = 32: 1.77). */
  gemm(m: number, n: number, k: number, max: number): number {
    return m * n * k > 262_144 && m >= 32 ? max : 1;
  },
  /** 100x100: 0.5 (OpenBLAS threads it from m*n > 9216), 200x200: 1.25, 400x400: 1.9,
   *  skinny 64x4096 and 2000x100: 2.1, 900x10000: 1.5-2.1. */
  gemv(m: number, n: number, max: number): number {
    return m * n >= 40_000 ? max : 1;
  },
  /** Values and vectors: n = 100: 0.87, 200: 0.78, 300: 0.76-1.14 (depends on the machine's load),
   *  400: 1.00, 500: 1.28, 700: 1.42, 1000: 1.47. */
  syevd(n: number, max: number): number {
    return n >= 500 ? max : 1;
  },
  /** Thin SVD, by m n min(m, n): 100^2: 0.72, 200^2: 0.76, 300^2: 0.76-1.17, 400^2: 0.92, 1000x100: 0.90,
   *  2000x200: 1.15 idle but 0.51 under load, 500^2: 1.36, 3000x300: 1.27, 1000^2: 1.49. */
  gesdd(m: number, n: number, max: number): number {
    return m * n * Math.min(m, n) >= 1e8 ? max : 1;
  },
  /** n = 100-200: 0.5-1.0, 300-400: 0.8-1.3, 500: 1.24, 700: 1.27, 1000: 1.59. */
  potrf(n: number, max: number): number {
    return n >= 500 ? max : 1;
  },
  /** Two triangular solves: 0.88-0.94 on 2 threads for k = 4 at every n up to 1000; n = 1000, k = 10: 1.09. */
  potrs(n: number, k: number, max: number): number {
    return n * n * k >= 8_000_000 ? max : 1;
  },
  /** dgetrf + solves: n <= 500: 1.0 idle and as low as 0.13 under load, 600: 1.12, 800: 1.34, 1000: 1.5. */
  gesv(n: number, max: number): number {
    return n >= 600 ? max : 1;
  },
};

/**
 * Calls this small run the js kernels instead of crossing into the addon: a call through
 * N-API costs about 0.4 us (gemm) or 0.2 us (axpy, dot) before any arithmetic, which is more
 * than the whole product in TypeScript. Measured on the development machine, one thread
 * (js backend / addon, ns per call): gemm 2x2x2 50 / 420, 3x3x3 100 / 480, 4x4x4 130-220 / 430,
 * 6x6x6 350-390 / 450, 8x8x8 720-950 / 470; axpy (dot) of length 4: 27 (6) / 225 (212),
 * 64: 100 (60) / 235 (260), 256: 300 (150) / 240 (220). The limits sit where TypeScript is
 * clearly ahead, not at break-even. This is what makes a 2x2 deep factorization (Razin and
 * Cohen's completion, millions of steps) run at the speed of the js backend, ~1 us per depth-4
 * training step against ~5.7 us through the addon. Small gemm goes through a scratch buffer, so
 * C may share storage with A or B as with the addon; axpy and dot are the js backend's.
 */
export const SMALL_CALLS = {
  /** m * n * k at most this: js gemm. */
  gemmMultiplyAdds: 64,
  /** Vectors at most this long: js axpy and dot. */
  vectorLength: 64,
};

/** Scratch of smallGemm: m * n <= m * n * k <= SMALL_CALLS.gemmMultiplyAdds. */
const smallScratch = new Float64Array(SMALL_CALLS.gemmMultiplyAdds);

/**
 * C <- alpha op(A) op(B) + beta C for m n k <= SMALL_CALLS.gemmMultiplyAdds, k >= 1: the
 * products go to a scratch buffer first, so C may alias A or B; beta = 0 ignores C's contents.
 */
function smallGemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Mat, b: Mat, beta: number, c: Mat): void {
  const ad = a.data, bd = b.data, cd = c.data, t = smallScratch, lda = a.cols, ldb = b.cols;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (transA ? ad[p * lda + i] : ad[i * lda + p]) * (transB ? bd[j * ldb + p] : bd[p * ldb + j]);
      t[i * n + j] = sum;
    }
  }
  const size = m * n;
  if (alpha === 0) t.fill(0, 0, size); // BLAS does not read A and B then
  if (beta === 0) for (let i = 0; i < size; i++) cd[i] = alpha * t[i];
  else for (let i = 0; i < size; i++) cd[i] = alpha * t[i] + beta * cd[i];
}

export interface NativeBackendOptions {
  /** Where IMPLAB_THREADS is read from (default: process.env). */
  env?: Record<string, string | undefined>;
}

/** OpenBLAS's thread count is process-wide: one record per loaded addon, shared by every backend over it. */
interface ThreadState {
  current: number;
  max: number;
}
const threadStates = new WeakMap<NativeAddon, ThreadState>();

function processEnv(): Record<string, string | undefined> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

function checkInfo(addon: NativeAddon, info: number, routine: string, failure: (info: number) => string): void {
  if (info === 0) return;
  if (info === addon.NOT_FINITE) throw new LinalgError(`${routine}: contains NaN or infinity`);
  if (info > 0) throw new LinalgError(`${routine}: ${failure(info)}`);
  throw new Error(`${routine}: LAPACK rejected argument ${-info} (an implab bug; please report it)`);
}

function square(routine: string, a: Mat): number {
  if (a.rows !== a.cols) throw new RangeError(`${routine}: expected a square matrix, got ${a.rows}x${a.cols}`);
  return a.rows;
}

function mat(rows: number, cols: number, data: Float64Array): Mat {
  return { rows, cols, data };
}

/**
 * The Backend over the OpenBLAS/LAPACKE addon. Inputs are copied where LAPACK
 * would overwrite them; outputs are freshly allocated (gemm/gemv write into the
 * given C / y). IMPLAB_THREADS is read at the first call that needs it, so a
 * bad value fails that call with one clear line (loading never throws). gemm, axpy
 * and dot calls below SMALL_CALLS run the js kernels (same results up to rounding).
 */
export function createNativeBackend(addon: NativeAddon, options: NativeBackendOptions = {}): Backend {
  let state = threadStates.get(addon);
  if (!state) {
    // The count OpenBLAS starts with honours OPENBLAS_NUM_THREADS / OMP_NUM_THREADS,
    // else it is the number of cores: that is the most "auto" will use.
    const initial = Math.max(1, addon.getNumThreads());
    state = { current: initial, max: initial };
    threadStates.set(addon, state);
  }
  const threads = state;
  let setting: ThreadSetting | undefined;

  function resolved(): ThreadSetting {
    setting ??= parseThreadsEnv((options.env ?? processEnv()).IMPLAB_THREADS);
    return setting;
  }

  /** Sets OpenBLAS to `auto` threads (or to the fixed count), calling into OpenBLAS only on a change. */
  function use(auto: (max: number) => number): void {
    const s = resolved();
    setCount(s === 'auto' ? auto(threads.max) : s);
  }

  function setCount(want: number): void {
    if (want !== threads.current) {
      addon.setNumThreads(want);
      threads.current = addon.getNumThreads();
    }
  }

  const core = addon.getCorename().trim();
  const blas = `${addon.getConfig().trim()} (core: ${core || 'unknown'})`;

  return {
    name: 'native',

    info(): BackendInfo {
      const s = resolved();
      if (s === 'auto') return { name: 'native', blas, threads: 'auto', maxThreads: threads.max };
      use(() => s); // report what OpenBLAS really runs (it caps counts above its build limit)
      return { name: 'native', blas, threads: threads.current, maxThreads: threads.max };
    },

    setThreads(t: number | 'auto'): void {
      if (t !== 'auto' && !(Number.isSafeInteger(t) && t >= 1)) {
        throw new RangeError(`setThreads: expected an integer >= 1 or "auto", got ${String(t)}`);
      }
      setting = t;
      if (t !== 'auto') use(() => t);
    },

    gemm(transA: boolean, transB: boolean, alpha: number, a: Mat, b: Mat, beta: number, c: Mat): Mat {
      const m = transA ? a.cols : a.rows;
      const k = transA ? a.rows : a.cols;
      const kb = transB ? b.cols : b.rows;
      const n = transB ? b.rows : b.cols;
      if (k !== kb) {
        throw new RangeError(`gemm: inner dimensions differ: op(A) is ${m}x${k}, op(B) is ${kb}x${n}`);
      }
      if (c.rows !== m || c.cols !== n) {
        throw new RangeError(`gemm: c: expected shape ${m}x${n}, got ${c.rows}x${c.cols}`);
      }
      const s = resolved(); // a bad IMPLAB_THREADS fails the first call, small or not
      if (k > 0 && m * n * k <= SMALL_CALLS.gemmMultiplyAdds) {
        smallGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        return c;
      }
      // No closure here (as `use` takes): gemm runs at every training step.
      setCount(s === 'auto' ? autoThreads.gemm(m, n, k, threads.max) : s);
      addon.dgemm(transA, transB, m, n, k, alpha, a.data, b.data, beta, c.data);
      return c;
    },

    gemv(trans: boolean, alpha: number, a: Mat, x: Float64Array, beta: number, y: Float64Array): Float64Array {
      const lx = trans ? a.rows : a.cols;
      const ly = trans ? a.cols : a.rows;
      if (x.length !== lx) throw new RangeError(`gemv: x: expected length ${lx}, got ${x.length}`);
      if (y.length !== ly) throw new RangeError(`gemv: y: expected length ${ly}, got ${y.length}`);
      use((max) => autoThreads.gemv(a.rows, a.cols, max));
      addon.dgemv(trans, a.rows, a.cols, alpha, a.data, x, beta, y);
      return y;
    },

    axpy(alpha: number, x: Float64Array, y: Float64Array): void {
      checkVectorPair('axpy', x, y);
      const s = resolved();
      if (y.length <= SMALL_CALLS.vectorLength) {
        jsAxpy(alpha, x, y);
        return;
      }
      // OpenBLAS runs short vectors (n <= 10000) on one thread whatever the setting, so
      // "auto" leaves the count alone (no switching between GEMMs); a fixed count applies.
      setCount(s === 'auto' ? threads.current : s);
      addon.daxpy(alpha, x, y);
    },

    dot(x: Float64Array, y: Float64Array): number {
      checkVectorPair('dot', x, y);
      const s = resolved();
      if (x.length <= SMALL_CALLS.vectorLength) return jsDot(x, y);
      setCount(s === 'auto' ? threads.current : s);
      return addon.ddot(x, y);
    },

    spmm(trans: boolean, alpha: number, s: SparseMat, b: Mat, beta: number, out: Mat): Mat {
      checkSpmmShapes('spmm', trans, s, b, out);
      // The addon's own loops (single-threaded); it checks the CSR indices.
      addon.dspmm(trans, s.rows, s.cols, b.cols, alpha, s.rowPtr, s.colIdx, s.values, b.data, beta, out.data);
      return out;
    },

    sampledProduct(rows: Int32Array, cols: Int32Array, left: Mat, rightT: Mat, out: Float64Array): Float64Array {
      checkSampledShapes(rows, cols, left, rightT, out);
      addon.dsampled(left.rows, rightT.rows, left.cols, rows, cols, left.data, rightT.data, out);
      return out;
    },

    syevd(a: Mat): SymmetricEigen {
      const n = square('syevd', a);
      const work = a.data.slice();
      const values = new Float64Array(n);
      use((max) => autoThreads.syevd(n, max));
      checkInfo(addon, addon.dsyevd(n, work, values, true), 'syevd', (i) => `eigensolver did not converge (info ${i})`);
      return { values, vectors: mat(n, n, work) };
    },

    eigvalsh(a: Mat): Float64Array {
      const n = square('eigvalsh', a);
      const work = a.data.slice();
      const values = new Float64Array(n);
      use((max) => autoThreads.syevd(n, max));
      checkInfo(addon, addon.dsyevd(n, work, values, false), 'eigvalsh', (i) => `eigensolver did not converge (info ${i})`);
      return values;
    },

    gesdd(a: Mat): ThinSvd {
      const { rows: m, cols: n } = a;
      const k = Math.min(m, n);
      const work = a.data.slice();
      const s = new Float64Array(k);
      const u = new Float64Array(m * k);
      const v = new Float64Array(n * k);
      use((max) => autoThreads.gesdd(m, n, max));
      checkInfo(addon, addon.dgesdd(m, n, work, s, u, v), 'gesdd', (i) => `SVD did not converge (info ${i})`);
      return { u: mat(m, k, u), s, v: mat(n, k, v) };
    },

    singularValues(a: Mat): Float64Array {
      const { rows: m, cols: n } = a;
      const work = a.data.slice();
      const s = new Float64Array(Math.min(m, n));
      use((max) => autoThreads.gesdd(m, n, max));
      checkInfo(addon, addon.dgesdd(m, n, work, s, null, null), 'singularValues', (i) => `SVD did not converge (info ${i})`);
      return s;
    },

    potrf(a: Mat): Mat {
      const n = square('potrf', a);
      const work = a.data.slice();
      use((max) => autoThreads.potrf(n, max));
      checkInfo(addon, addon.dpotrf(n, work), 'potrf', (i) => `matrix is not positive definite (leading minor ${i})`);
      return mat(n, n, work);
    },

    potrs(l: Mat, b: Mat): Mat {
      const n = square('potrs', l);
      if (b.rows !== n) throw new RangeError(`potrs: b: expected ${n} rows, got ${b.rows}`);
      const x = b.data.slice();
      use((max) => autoThreads.potrs(n, b.cols, max));
      addon.dpotrs(n, b.cols, l.data, x);
      return mat(n, b.cols, x);
    },

    gesv(a: Mat, b: Mat): Mat {
      const n = square('gesv', a);
      if (b.rows !== n) throw new RangeError(`gesv: b: expected ${n} rows, got ${b.rows}`);
      const work = a.data.slice();
      const x = b.data.slice();
      use((max) => autoThreads.gesv(n, max));
      checkInfo(addon, addon.dgesv(n, b.cols, work, x), 'gesv', (i) => `matrix is singular (U[${i - 1},${i - 1}] = 0)`);
      return mat(n, b.cols, x);
    },
  };
}
