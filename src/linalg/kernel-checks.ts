/**
 * Argument checks of the vector and sparse kernels (axpy, dot, spmm, sampledProduct),
 * shared by both backends so that a bad call fails with the same one line on either.
 * The O(1) checks (lengths, shapes, shared storage) run in TypeScript for both; the
 * O(nnz) index checks run here for the js backend and inside the addon for native
 * (which must check them anyway before it touches memory), with the same messages.
 */

import { type Mat, assertShape } from './mat.js';
import type { SparseMat } from './sparse.js';

/**
 * Whether two typed arrays share any byte of storage.
 *
 * @example
 * const a = new Float64Array(4);
 * sharesStorage(a.subarray(0, 2), a.subarray(1, 3)); // true
 */
export function sharesStorage(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** axpy / dot: x and y of equal lengths (axpy: y may be x itself, but not a part of it). */
export function checkVectorPair(where: 'axpy' | 'dot', x: Float64Array, y: Float64Array): void {
  if (y.length !== x.length) throw new RangeError(`${where}: y: expected length ${x.length} like x, got ${y.length}`);
  if (where === 'axpy' && x !== y && sharesStorage(x, y)) throw new RangeError('axpy: y: must not partly overlap x');
}

/**
 * The O(1) checks of out <- alpha op(S) B + beta out: B's rows, out's shape, the CSR
 * arrays' lengths, and no shared storage between out and B or S. `bName` names B in
 * messages (`c` for sparseTransposeTimesDense).
 */
export function checkSpmmShapes(where: string, trans: boolean, s: SparseMat, b: Mat, out: Mat, bName = 'b'): void {
  const inRows = trans ? s.rows : s.cols;
  const outRows = trans ? s.cols : s.rows;
  if (b.rows !== inRows) {
    throw new RangeError(`${where}: ${bName}: expected ${inRows} rows (op(S) is ${outRows}x${inRows}), got ${b.rows}`);
  }
  assertShape(`${where}: out`, out, outRows, b.cols);
  if (s.rowPtr.length !== s.rows + 1) {
    throw new RangeError(`${where}: s.rowPtr: expected length ${s.rows + 1} (rows + 1), got ${s.rowPtr.length}`);
  }
  if (s.colIdx.length !== s.values.length) {
    throw new RangeError(`${where}: s.colIdx: expected ${s.values.length} entries like s.values, got ${s.colIdx.length}`);
  }
  if (sharesStorage(out.data, b.data)) throw new RangeError(`${where}: out: must not share storage with ${bName}`);
  if (sharesStorage(out.data, s.values)) throw new RangeError(`${where}: out: must not share storage with s.values`);
}

/**
 * The O(nnz) CSR checks: rowPtr starts at 0, never decreases and ends at nnz; every
 * column index is in [0, cols). The addon runs the same checks with the same messages.
 */
export function checkCsrIndices(where: string, s: SparseMat): void {
  const { rowPtr, colIdx } = s, nnz = colIdx.length, n = s.cols;
  if (rowPtr[0] !== 0) throw new RangeError(`${where}: s.rowPtr[0]: expected 0, got ${rowPtr[0]}`);
  for (let i = 0; i < s.rows; i++) {
    const a = rowPtr[i], b = rowPtr[i + 1];
    if (b < a || b > nnz) throw new RangeError(`${where}: s.rowPtr[${i + 1}]: expected an offset in [${a}, ${nnz}], got ${b}`);
  }
  if (rowPtr[s.rows] !== nnz) {
    throw new RangeError(`${where}: s.rowPtr[${s.rows}]: expected ${nnz} (the number of stored entries), got ${rowPtr[s.rows]}`);
  }
  for (let p = 0; p < nnz; p++) {
    const c = colIdx[p];
    if (!(c >= 0 && c < n)) throw new RangeError(`${where}: s.colIdx[${p}]: expected an index in [0, ${n}), got ${c}`);
  }
}

/** The O(1) checks of sampledProduct: matching lengths and widths, no shared storage with out. */
export function checkSampledShapes(rows: Int32Array, cols: Int32Array, left: Mat, rightT: Mat, out: Float64Array): void {
  const m = rows.length;
  if (cols.length !== m) throw new RangeError(`sampledProduct: cols: expected ${m} entries like rows, got ${cols.length}`);
  if (out.length !== m) throw new RangeError(`sampledProduct: out: expected length ${m} like rows, got ${out.length}`);
  if (rightT.cols !== left.cols) {
    throw new RangeError(`sampledProduct: rightT: expected ${left.cols} columns like left, got ${rightT.cols}`);
  }
  if (sharesStorage(out, left.data) || sharesStorage(out, rightT.data)) {
    throw new RangeError('sampledProduct: out: must not share storage with left or rightT');
  }
}

/** The O(len) index checks of sampledProduct (js; the addon runs the same with the same messages). */
export function checkSampledIndices(rows: Int32Array, cols: Int32Array, n1: number, n2: number): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i], c = cols[i];
    if (!(r >= 0 && r < n1)) throw new RangeError(`sampledProduct: rows[${i}]: expected an index in [0, ${n1}), got ${r}`);
    if (!(c >= 0 && c < n2)) throw new RangeError(`sampledProduct: cols[${i}]: expected an index in [0, ${n2}), got ${c}`);
  }
}
