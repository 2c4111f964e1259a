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
