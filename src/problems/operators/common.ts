/**
 * Argument checks shared by the measurement operators. They are O(1) (shapes and
 * lengths only), so the hot paths can afford them on every call.
 */

import type { Backend } from '../../linalg/backend.js';
import type { Mat } from '../../linalg/mat.js';
import { backend } from '../../linalg/select.js';

/** Options every operator constructor takes. */
export interface OperatorOptions {
  /**
   * The backend for gemm/gemv. Default: `backend()` looked up at each call, so that
   * `setBackend` takes effect on operators built earlier.
   */
  backend?: Backend;
}

/**
 * The backend an operator should use now.
 *
 * @example
 * pickBackend(this.be).gemv(false, 1, a, x, 0, out);
 */
export function pickBackend(fixed: Backend | undefined): Backend {
  return fixed ?? backend();
}

/**
 * Throws unless n1, n2 >= 1 and m >= 0 are integers.
 *
 * @example
 * checkDims('DenseOperator', n1, n2, m);
 */
export function checkDims(what: string, n1: number, n2: number, m: number): void {
  for (const [name, v, min] of [['n1', n1, 1], ['n2', n2, 1], ['m', m, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${what}: ${name}: expected an integer >= ${min}, got ${v}`);
  }
}

/**
 * Throws unless x is rows x cols.
 *
 * @example
 * checkMat('DenseOperator.apply: x', x, n1, n2);
 */
export function checkMat(where: string, x: Mat, rows: number, cols: number): void {
  if (x.rows !== rows || x.cols !== cols) throw new RangeError(`${where}: expected shape ${rows}x${cols}, got ${x.rows}x${x.cols}`);
}

/**
 * Throws unless v has the given length.
 *
 * @example
 * checkVec('DenseOperator.apply: out', out, m);
 */
export function checkVec(where: string, v: Float64Array, length: number): void {
  if (v.length !== length) throw new RangeError(`${where}: expected length ${length}, got ${v.length}`);
}

/**
 * Checks L (n1 x k) and R (k x n2) and returns k.
 *
 * @example
 * const k = checkFactors('DenseOperator.applyProduct', left, right, n1, n2);
 */
export function checkFactors(where: string, left: Mat, right: Mat, n1: number, n2: number): number {
  const k = left.cols;
  checkMat(`${where}: left`, left, n1, k);
  checkMat(`${where}: right`, right, k, n2);
  return k;
}

/**
 * Checks L (n1 x k) and R (n2 x k), the factors of L R^T, and returns k.
 *
 * @example
 * const k = checkFactorsT('CompletionOperator.applyProductT', left, rightT, n1, n2);
 */
export function checkFactorsT(where: string, left: Mat, rightT: Mat, n1: number, n2: number): number {
  const k = left.cols;
  checkMat(`${where}: left`, left, n1, k);
  checkMat(`${where}: rightT`, rightT, n2, k);
  return k;
}

/**
 * About how many bytes of the measurement matrix one block of `fusedResidualAdjoint` covers:
 * small enough to stay in a core's L2 cache between its two products. Measured on the 2-core
 * development machine (1 MiB L2 per core, 32 MiB L3) with 900 x 5050 packed symmetric
 * matrices (36 MB, n = 100): ~12-row blocks (485 KB) and ~24-row blocks were fastest, ~35%
 * below the two full GEMVs; much smaller blocks pay the per-call overhead.
 */
export const FUSED_BLOCK_BYTES = 512 * 1024;

/**
 * Matrices smaller than this are not split (one block: the two GEMVs of the unfused path).
 * Blocking only pays when the matrix does not stay in cache between the two products; below
 * that it costs calls, and with BLAS on "auto" threads each small block GEMV would be threaded.
 * Measured as above: at 16 MB (n = 100, m = 400) fused and unfused took the same time; at
 * 4 MB (n = 50, m = 400) blocks were ~30% slower on "auto" threads.
 */
export const FUSED_MIN_BYTES = 16 * 1024 * 1024;

/** Row-block views of a matrix and of the vectors it is used with (built once, reused every call). */
export interface RowBlocks {
  /** The matrix whose rows the blocks cover. */
  p: Mat;
  /** The residual buffer the views below are of. */
  r: Float64Array;
  starts: number[];
  mats: Mat[];
  rViews: Float64Array[];
}

/**
 * The row blocks of p for `fusedResidualAdjoint` with residual buffer r (reusing `cache`
 * when it was built for the same p and r, so that steady-state calls allocate nothing):
 * about FUSED_BLOCK_BYTES each, or one block for a matrix under `minBytes`.
 *
 * @example
 * this.blocks = rowBlocks(this.packed, r, this.blocks);
 */
export function rowBlocks(p: Mat, r: Float64Array, cache: RowBlocks | undefined, minBytes = FUSED_MIN_BYTES): RowBlocks {
  if (cache && cache.p === p && cache.r === r) return cache;
  const small = 8 * p.rows * p.cols < minBytes;
  const rows = small ? Math.max(1, p.rows) : Math.max(1, Math.floor(FUSED_BLOCK_BYTES / (8 * Math.max(1, p.cols))));
  const out: RowBlocks = { p, r, starts: [], mats: [], rViews: [] };
  for (let i0 = 0; i0 < p.rows; i0 += rows) {
    const b = Math.min(rows, p.rows - i0);
    out.starts.push(i0);
    out.mats.push({ rows: b, cols: p.cols, data: p.data.subarray(i0 * p.cols, (i0 + b) * p.cols) });
    out.rViews.push(r.subarray(i0, i0 + b));
  }
  return out;
}

/**
 * r <- P v - y and g <- scale P^T r, reading P (m x s) once: block by block of rows, the
 * block's residual and then its share of P^T r, while the block is still in cache. Two
 * GEMVs over the whole of P would read it twice, and a measurement matrix too large for
 * the caches (symmetric sensing at n = 100, m = 900: 36 MB) is bound by memory traffic.
 * The sum over blocks rounds differently from one GEMV (same values up to rounding).
 *
 * @example
 * fusedResidualAdjoint(be, rowBlocks(p, r, cache), w, y, 1, g);
 */
export function fusedResidualAdjoint(be: Backend, blocks: RowBlocks, v: Float64Array, y: Float64Array, scale: number, g: Float64Array): void {
  const r = blocks.r;
  for (let k = 0; k < blocks.mats.length; k++) {
    const blk = blocks.mats[k], rb = blocks.rViews[k], i0 = blocks.starts[k];
    be.gemv(false, 1, blk, v, 0, rb);
    for (let i = 0; i < rb.length; i++) r[i0 + i] -= y[i0 + i];
    be.gemv(true, scale, blk, rb, k === 0 ? 0 : 1, g);
  }
  if (blocks.mats.length === 0) g.fill(0);
}
