/**
 * Dense float64 matrices, row-major, with an explicit shape.
 *
 * A `Mat` is plain data (no methods) so that it crosses worker boundaries,
 * serializes and is shared by both backends without conversion.
 *
 * @example
 * const a = matFrom([[1, 2], [3, 4]]);
 * get(a, 1, 0); // 3
 */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  /** Entry (i, j) is data[i * cols + j]; length is exactly rows * cols. */
  readonly data: Float64Array;
}

function checkDim(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name}: expected a non-negative integer, got ${value}`);
  }
}

/** A rows x cols matrix of zeros. */
export function zeros(rows: number, cols: number): Mat {
  checkDim('rows', rows);
  checkDim('cols', cols);
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Wraps existing storage without copying. */
export function matOf(rows: number, cols: number, data: Float64Array): Mat {
  checkDim('rows', rows);
  checkDim('cols', cols);
  if (data.length !== rows * cols) {
    throw new RangeError(`data: expected length ${rows * cols} for a ${rows}x${cols} matrix, got ${data.length}`);
  }
  return { rows, cols, data };
}

/** A matrix from nested arrays, e.g. matFrom([[1, 2], [3, 4]]). */
export function matFrom(rowsOfValues: readonly (readonly number[])[]): Mat {
  const rows = rowsOfValues.length;
  const cols = rows === 0 ? 0 : rowsOfValues[0].length;
  const out = zeros(rows, cols);
  for (let i = 0; i < rows; i++) {
    const r = rowsOfValues[i];
    if (r.length !== cols) throw new RangeError(`row ${i}: expected ${cols} entries, got ${r.length}`);
    out.data.set(r, i * cols);
  }
  return out;
}

/** Nested arrays, for printing and JSON. */
export function toArrays(a: Mat): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

export function identity(n: number): Mat {
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  return out;
}

/** A square matrix with `values` on its diagonal. */
export function diag(values: ArrayLike<number>): Mat {
  const n = values.length;
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = values[i];
  return out;
}

/** The main diagonal, min(rows, cols) entries. */
export function diagonal(a: Mat): Float64Array {
  const k = Math.min(a.rows, a.cols);
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) out[i] = a.data[i * a.cols + i];
  return out;
}

export function get(a: Mat, i: number, j: number): number {
  return a.data[i * a.cols + j];
}

export function set(a: Mat, i: number, j: number, value: number): void {
  a.data[i * a.cols + j] = value;
}

export function copy(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** A^T, blocked so that both reads and writes stay in cache. */
export function transpose(a: Mat, out: Mat = zeros(a.cols, a.rows)): Mat {
  assertShape('out', out, a.cols, a.rows);
  const { rows, cols } = a;
  const src = a.data;
  const dst = out.data;
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) dst[j * rows + i] = src[i * cols + j];
      }
    }
  }
  return out;
}

/** alpha * A + beta * B, elementwise. */
export function addScaled(a: Mat, b: Mat, alpha = 1, beta = 1, out: Mat = zeros(a.rows, a.cols)): Mat {
  assertSameShape('b', b, a);
  assertSameShape('out', out, a);
  const x = a.data, y = b.data, z = out.data;
  for (let i = 0; i < z.length; i++) z[i] = alpha * x[i] + beta * y[i];
  return out;
}

export function add(a: Mat, b: Mat, out?: Mat): Mat {
  return addScaled(a, b, 1, 1, out);
}

export function sub(a: Mat, b: Mat, out?: Mat): Mat {
  return addScaled(a, b, 1, -1, out);
}

export function scale(a: Mat, alpha: number, out: Mat = zeros(a.rows, a.cols)): Mat {
  assertSameShape('out', out, a);
  const x = a.data, z = out.data;
  for (let i = 0; i < z.length; i++) z[i] = alpha * x[i];
  return out;
}

export function trace(a: Mat): number {
  const k = Math.min(a.rows, a.cols);
  let s = 0;
  for (let i = 0; i < k; i++) s += a.data[i * a.cols + i];
  return s;
}

/** ||A||_F, scaled so that entries near the overflow or underflow threshold do not spoil it. */
export function frobeniusNorm(a: Mat): number {
  return norm2(a.data);
}

/** Euclidean norm of a vector, robust to overflow and underflow (the LAPACK dnrm2 idea). */
export function norm2(x: ArrayLike<number>): number {
  let amax = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]);
    if (v > amax || Number.isNaN(v)) amax = v;
  }
  if (amax === 0 || !Number.isFinite(amax)) return amax;
  // Scale only when squares could over/underflow; otherwise the plain sum is exact enough and faster.
  if (amax > 1e-150 && amax < 1e150) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    return Math.sqrt(s);
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / amax;
    s += v * v;
  }
  return amax * Math.sqrt(s);
}

export function maxAbs(a: Mat): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const v = Math.abs(a.data[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/** (A + A^T) / 2, for matrices that are symmetric up to rounding. */
export function symmetrize(a: Mat, out: Mat = zeros(a.rows, a.cols)): Mat {
  assertSquare('a', a);
  assertSameShape('out', out, a);
  const n = a.rows, x = a.data, z = out.data;
  for (let i = 0; i < n; i++) {
    z[i * n + i] = x[i * n + i];
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (x[i * n + j] + x[j * n + i]);
      z[i * n + j] = v;
      z[j * n + i] = v;
    }
  }
  return out;
}

/** Columns [c0, c1) as a new matrix. */
export function sliceCols(a: Mat, c0: number, c1: number): Mat {
  const k = c1 - c0;
  const out = zeros(a.rows, k);
  for (let i = 0; i < a.rows; i++) out.data.set(a.data.subarray(i * a.cols + c0, i * a.cols + c1), i * k);
  return out;
}

/** Rows [r0, r1) as a view that shares storage (rows are contiguous in row-major order). */
export function rowsView(a: Mat, r0: number, r1: number): Mat {
  return { rows: r1 - r0, cols: a.cols, data: a.data.subarray(r0 * a.cols, r1 * a.cols) };
}

export function isFiniteMat(a: Mat): boolean {
  const x = a.data;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

export function assertShape(name: string, a: Mat, rows: number, cols: number): void {
  if (a.rows !== rows || a.cols !== cols) {
    throw new RangeError(`${name}: expected shape ${rows}x${cols}, got ${a.rows}x${a.cols}`);
  }
}

export function assertSameShape(name: string, a: Mat, like: Mat): void {
  assertShape(name, a, like.rows, like.cols);
}

export function assertSquare(name: string, a: Mat): void {
  if (a.rows !== a.cols) throw new RangeError(`${name}: expected a square matrix, got ${a.rows}x${a.cols}`);
}
