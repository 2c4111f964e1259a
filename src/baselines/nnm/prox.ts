/**
 * The prox of the objective: argmin_Z f(Z) + (rho/2) ||Z - V||_F^2.
 * - general, f = ||.||_*: singular value soft-thresholding by 1/rho (one thin SVD, gesdd);
 * - psd, f = tr + indicator of the PSD cone: eigenvalue shift by -1/rho and clip at 0
 *   of sym(V) (one syevd). Over all n x n matrices this is the prox of
 *   tr + indicator(symmetric PSD), so the antisymmetric part of V is dropped.
 * Returns f(Z), which the thresholded spectrum gives for free.
 */

import type { Backend } from '../../linalg/backend.js';
import type { Mat } from '../../linalg/mat.js';
import { symmetrizeInPlace } from '../certificate.js';

/** out <- sum_{j<k} left[:, j] w[j] right[:, j]^T (left n1 x K, right n2 x K, first k columns). */
function lowRank(left: Mat, w: Float64Array, right: Mat, k: number, out: Mat): void {
  const o = out.data, n1 = out.rows, n2 = out.cols, L = left.data, R = right.data, kl = left.cols, kr = right.cols;
  o.fill(0);
  for (let i = 0; i < n1; i++) {
    const row = i * n2;
    for (let j = 0; j < k; j++) {
      const a = L[i * kl + j] * w[j];
      if (a === 0) continue;
      for (let c = 0; c < n2; c++) o[row + c] += a * R[c * kr + j];
    }
  }
}

/** Z <- SVT(V, tau); returns ||Z||_* and the rank. */
export function proxNuclear(v: Mat, tau: number, be: Backend, out: Mat): { value: number; rank: number } {
  const { u, s, v: vv } = be.gesdd(v);
  let k = 0, value = 0;
  const w = new Float64Array(s.length);
  for (let j = 0; j < s.length; j++) {
    const t = s[j] - tau;
    if (t <= 0) break;
    w[j] = t;
    value += t;
    k++;
  }
  lowRankGemm(u, w, vv, k, out, be);
  return { value, rank: k };
}

/** Z <- P_PSD(sym(V) - tau I); returns tr(Z) and the rank. V is symmetrized in place. */
export function proxTracePsd(v: Mat, tau: number, be: Backend, out: Mat): { value: number; rank: number } {
  const { values, vectors } = be.syevd(symmetrizeInPlace(v));
  const n = values.length;
  // Keep eigenvalues > tau, largest first, as columns 0..k-1 of a reordered basis.
  let k = 0, value = 0;
  while (k < n && values[n - 1 - k] - tau > 0) k++;
  const q = { rows: n, cols: k, data: new Float64Array(n * k) };
  const w = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const src = n - 1 - j;
    w[j] = values[src] - tau;
    value += w[j];
    for (let i = 0; i < n; i++) q.data[i * k + j] = vectors.data[i * n + src];
  }
  lowRankGemm(q, w, q, k, out, be);
  return { value, rank: k };
}

/** out <- left[:, :k] diag(w) right[:, :k]^T with one GEMM when k is not tiny. */
function lowRankGemm(left: Mat, w: Float64Array, right: Mat, k: number, out: Mat, be: Backend): void {
  if (k <= 2) {
    lowRank(left, w, right, k, out);
    return;
  }
  const n1 = left.rows, n2 = right.rows;
  const a = { rows: n1, cols: k, data: new Float64Array(n1 * k) };
  const b = { rows: n2, cols: k, data: new Float64Array(n2 * k) };
  for (let i = 0; i < n1; i++) for (let j = 0; j < k; j++) a.data[i * k + j] = left.data[i * left.cols + j] * w[j];
  for (let i = 0; i < n2; i++) for (let j = 0; j < k; j++) b.data[i * k + j] = right.data[i * right.cols + j];
  be.gemm(false, true, 1, a, b, 0, out);
}
