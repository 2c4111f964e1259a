/**
 * Dense LU with partial pivoting on preallocated row-major buffers, for the small systems
 * solved in loops (Rosenbrock stages, simplex bases), where a Backend call would allocate.
 */

/**
 * In-place LU factorization with partial pivoting of the row-major n x n matrix a:
 * P a = L U, L unit lower (below the diagonal), U upper; piv[k] is the row swapped with k.
 * Returns false (a partly overwritten) if a pivot is at most `tiny` (default 0) in magnitude or
 * not finite.
 *
 * @example
 * const a = Float64Array.of(0, 1, 2, 3), piv = new Int32Array(2);
 * luFactor(a, 2, piv); // true; piv = [1, 1], a = [2, 3, 0, 1]
 */
export function luFactor(a: Float64Array, n: number, piv: Int32Array, tiny = 0): boolean {
  for (let k = 0; k < n; k++) {
    let p = k, big = Math.abs(a[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]);
      if (v > big) {
        big = v;
        p = i;
      }
    }
    if (!(big > tiny) || !Number.isFinite(big)) return false;
    piv[k] = p;
    if (p !== k) {
      const rk = k * n, rp = p * n;
      for (let j = 0; j < n; j++) {
        const s = a[rk + j];
        a[rk + j] = a[rp + j];
        a[rp + j] = s;
      }
    }
    const rk = k * n;
    const inv = 1 / a[rk + k];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const l = a[ri + k] * inv;
      a[ri + k] = l;
      if (l !== 0) for (let j = k + 1; j < n; j++) a[ri + j] -= l * a[rk + j];
    }
  }
  return true;
}

/**
 * Solves A x = b in place (b becomes x) from luFactor's output.
 *
 * @example
 * const a = Float64Array.of(0, 1, 2, 3), piv = new Int32Array(2), b = Float64Array.of(1, 5);
 * luFactor(a, 2, piv);
 * luSolve(a, 2, piv, b); // b = [1, 1]
 */
export function luSolve(lu: Float64Array, n: number, piv: Int32Array, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = piv[k];
    if (p !== k) {
      const s = b[k];
      b[k] = b[p];
      b[p] = s;
    }
  }
  for (let i = 1; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let j = 0; j < i; j++) s -= lu[ri + j] * b[j];
    b[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= lu[ri + j] * b[j];
    b[i] = s / lu[ri + i];
  }
}

/**
 * Solves A^T x = b in place (b becomes x) from luFactor's output (A^T = U^T L^T P), with a
 * work buffer of n entries.
 *
 * @example
 * const a = Float64Array.of(0, 1, 2, 3), piv = new Int32Array(2), b = Float64Array.of(2, 4);
 * luFactor(a, 2, piv);
 * luSolveTransposed(a, 2, piv, b, new Float64Array(2)); // b = [1, 1]: A^T [1, 1] = [2, 4]
 */
export function luSolveTransposed(lu: Float64Array, n: number, piv: Int32Array, b: Float64Array, work: Float64Array): void {
  for (let r = 0; r < n; r++) {
    let s = b[r];
    for (let j = 0; j < r; j++) s -= lu[j * n + r] * work[j];
    work[r] = s / lu[r * n + r];
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = work[r];
    for (let j = r + 1; j < n; j++) s -= lu[j * n + r] * work[j];
    work[r] = s;
  }
  for (let c = n - 1; c >= 0; c--) {
    const p = piv[c];
    if (p !== c) {
      const t = work[c];
      work[c] = work[p];
      work[p] = t;
    }
  }
  b.set(work);
}
