import { checkCsrIndices, checkSampledIndices, checkSampledShapes, checkSpmmShapes } from './kernel-checks.js';
import { type Mat, assertShape } from './mat.js';

/**
 * A sparse matrix in compressed sparse row (CSR) form. Entries of row i are
 * colIdx/values[rowPtr[i] .. rowPtr[i+1]), columns ascending within a row.
 */
export interface SparseMat {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float64Array;
}

/**
 * The CSR pattern of the entries (rows[i], cols[i]), with `order[k]` = the input
 * position of the k-th stored entry, so that values can be scattered without search:
 * values[k] = v[order[k]]. Duplicate positions are kept (callers validate).
 *
 * @example
 * const { pattern, order } = csrPattern(2, 2, Int32Array.of(1, 0), Int32Array.of(0, 1));
 */
export function csrPattern(
  rows: number, cols: number, rowIdx: Int32Array, colIdx: Int32Array,
): { pattern: SparseMat; order: Int32Array } {
  const m = rowIdx.length;
  if (colIdx.length !== m) throw new RangeError(`cols: expected ${m} entries like rows, got ${colIdx.length}`);
  const rowPtr = new Int32Array(rows + 1);
  for (let i = 0; i < m; i++) {
    const r = rowIdx[i], c = colIdx[i];
    if (r < 0 || r >= rows) throw new RangeError(`rows[${i}]: expected an index in [0, ${rows}), got ${r}`);
    if (c < 0 || c >= cols) throw new RangeError(`cols[${i}]: expected an index in [0, ${cols}), got ${c}`);
    rowPtr[r + 1]++;
  }
  for (let r = 0; r < rows; r++) rowPtr[r + 1] += rowPtr[r];
  // Stable counting sort by row, then sort each row's slice by column.
  const order = new Int32Array(m);
  const fill = rowPtr.slice(0, rows);
  for (let i = 0; i < m; i++) order[fill[rowIdx[i]]++] = i;
  for (let r = 0; r < rows; r++) {
    const slice = order.subarray(rowPtr[r], rowPtr[r + 1]);
    slice.sort((a, b) => colIdx[a] - colIdx[b] || a - b);
  }
  const sortedCols = new Int32Array(m);
  for (let k = 0; k < m; k++) sortedCols[k] = colIdx[order[k]];
  return { pattern: { rows, cols, rowPtr, colIdx: sortedCols, values: new Float64Array(m) }, order };
}

/**
 * The js backend's spmm: out <- alpha op(S) B + beta out, op(S) = S (B cols x k, out
 * rows x k) or S^T (B rows x k, out cols x k). O(nnz k). Checks as Backend.spmm says.
 *
 * @example
 * spmm(false, 1, s, b, 0, zeros(s.rows, b.cols)); // S B
 */
export function spmm(trans: boolean, alpha: number, s: SparseMat, b: Mat, beta: number, out: Mat): Mat {
  return spmmChecked('spmm', trans, alpha, s, b, beta, out, 'b');
}

/**
 * out <- alpha S B + beta out, for S (r x c) sparse and B (c x k) dense. O(nnz k).
 * The js kernel; everything above src/linalg calls `Backend.spmm` instead.
 *
 * @example
 * sparseTimesDense(s, b, zeros(s.rows, b.cols));
 */
export function sparseTimesDense(s: SparseMat, b: Mat, out: Mat, alpha = 1, beta = 0): Mat {
  return spmmChecked('sparseTimesDense', false, alpha, s, b, beta, out, 'b');
}

/**
 * out <- alpha S^T C + beta out, for S (r x c) sparse and C (r x k) dense. O(nnz k).
 * The js kernel; everything above src/linalg calls `Backend.spmm` instead.
 *
 * @example
 * sparseTransposeTimesDense(s, c, zeros(s.cols, c.cols));
 */
export function sparseTransposeTimesDense(s: SparseMat, c: Mat, out: Mat, alpha = 1, beta = 0): Mat {
  return spmmChecked('sparseTransposeTimesDense', true, alpha, s, c, beta, out, 'c');
}

function spmmChecked(where: string, trans: boolean, alpha: number, s: SparseMat, b: Mat, beta: number, out: Mat, bName: string): Mat {
  checkSpmmShapes(where, trans, s, b, out, bName);
  checkCsrIndices(where, s);
  const o = out.data;
  if (beta === 0) o.fill(0);
  else if (beta !== 1) for (let i = 0; i < o.length; i++) o[i] *= beta;
  if (trans) transposeKernel(s, b.data, b.cols, o, alpha);
  else kernel(s, b.data, b.cols, o, alpha);
  return out;
}

/** o += alpha S B, B and o row-major with k columns. */
function kernel(s: SparseMat, bd: Float64Array, k: number, o: Float64Array, alpha: number): void {
  const { rowPtr, colIdx, values } = s;
  for (let i = 0; i < s.rows; i++) {
    const oi = i * k;
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const v = alpha * values[p];
      const bj = colIdx[p] * k;
      for (let q = 0; q < k; q++) o[oi + q] += v * bd[bj + q];
    }
  }
}

/** o += alpha S^T C, C and o row-major with k columns. */
function transposeKernel(s: SparseMat, cd: Float64Array, k: number, o: Float64Array, alpha: number): void {
  const { rowPtr, colIdx, values } = s;
  for (let i = 0; i < s.rows; i++) {
    const ci = i * k;
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const v = alpha * values[p];
      const oj = colIdx[p] * k;
      for (let q = 0; q < k; q++) o[oj + q] += v * cd[ci + q];
    }
  }
}

/**
 * The js backend's sampledProduct (SDDMM): out[i] <- left[rows[i], :] . rightT[cols[i], :],
 * the entries (rows[i], cols[i]) of left rightT^T without forming it. O(len k).
 *
 * @example
 * sampledProduct(Int32Array.of(0), Int32Array.of(1), l, rt, new Float64Array(1)); // (L R^T)[0, 1]
 */
export function sampledProduct(rows: Int32Array, cols: Int32Array, left: Mat, rightT: Mat, out: Float64Array): Float64Array {
  checkSampledShapes(rows, cols, left, rightT, out);
  checkSampledIndices(rows, cols, left.rows, rightT.rows);
  const k = left.cols, l = left.data, rt = rightT.data;
  for (let i = 0; i < out.length; i++) {
    const a = rows[i] * k, b = cols[i] * k;
    let s0 = 0, s1 = 0, q = 0;
    for (; q + 1 < k; q += 2) {
      s0 += l[a + q] * rt[b + q];
      s1 += l[a + q + 1] * rt[b + q + 1];
    }
    if (q < k) s0 += l[a + q] * rt[b + q];
    out[i] = s0 + s1;
  }
  return out;
}

/** The dense form of S (for tests, logging and small problems). */
export function sparseToDense(s: SparseMat, out?: Mat): Mat {
  const d = out ?? { rows: s.rows, cols: s.cols, data: new Float64Array(s.rows * s.cols) };
  assertShape('sparseToDense: out', d, s.rows, s.cols);
  d.data.fill(0);
  for (let i = 0; i < s.rows; i++) {
    for (let p = s.rowPtr[i]; p < s.rowPtr[i + 1]; p++) d.data[i * s.cols + s.colIdx[p]] += s.values[p];
  }
  return d;
}
