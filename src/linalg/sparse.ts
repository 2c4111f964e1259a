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
 * out <- alpha S B + beta out, for S (r x c) sparse and B (c x k) dense. O(nnz k).
 *
 * @example
 * sparseTimesDense(s, b, zeros(s.rows, b.cols));
 */
export function sparseTimesDense(s: SparseMat, b: Mat, out: Mat, alpha = 1, beta = 0): Mat {
  if (b.rows !== s.cols) throw new RangeError(`sparseTimesDense: b: expected ${s.cols} rows, got ${b.rows}`);
  const k = b.cols;
  assertShape('sparseTimesDense: out', out, s.rows, k);
  const o = out.data, bd = b.data, { rowPtr, colIdx, values } = s;
  if (beta === 0) o.fill(0);
  else if (beta !== 1) for (let i = 0; i < o.length; i++) o[i] *= beta;
  for (let i = 0; i < s.rows; i++) {
    const oi = i * k;
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const v = alpha * values[p];
      const bj = colIdx[p] * k;
      for (let q = 0; q < k; q++) o[oi + q] += v * bd[bj + q];
    }
  }
  return out;
}

/**
 * out <- alpha S^T C + beta out, for S (r x c) sparse and C (r x k) dense. O(nnz k).
 *
 * @example
 * sparseTransposeTimesDense(s, c, zeros(s.cols, c.cols));
 */
export function sparseTransposeTimesDense(s: SparseMat, c: Mat, out: Mat, alpha = 1, beta = 0): Mat {
  if (c.rows !== s.rows) throw new RangeError(`sparseTransposeTimesDense: c: expected ${s.rows} rows, got ${c.rows}`);
  const k = c.cols;
  assertShape('sparseTransposeTimesDense: out', out, s.cols, k);
  const o = out.data, cd = c.data, { rowPtr, colIdx, values } = s;
  if (beta === 0) o.fill(0);
  else if (beta !== 1) for (let i = 0; i < o.length; i++) o[i] *= beta;
  for (let i = 0; i < s.rows; i++) {
    const ci = i * k;
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const v = alpha * values[p];
      const oj = colIdx[p] * k;
      for (let q = 0; q < k; q++) o[oj + q] += v * cd[ci + q];
    }
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
