import { LinalgError } from '../backend.js';
import { type Mat, zeros } from '../mat.js';
import { hypot2, pow2ScaleFor, rangeNorm, swapRows } from './scaled-arith.js';

const EPS = 2 ** -52;
/** Most Jacobi sweeps before giving up (convergence normally takes 5 to 10). */
const MAX_SWEEPS = 60;
/**
 * Scaled columns (the input is scaled so that max |a_ij| is in [1, 2)) whose norm is
 * below this are treated as exactly zero: their squares would underflow, so their
 * directions cannot be trusted. Jacobi does not rotate them, and their directions are
 * replaced by an orthonormal completion; their singular values are still reported as
 * computed.
 */
const NULL_NORM = 1e-140;
const NULL_NORM2 = NULL_NORM * NULL_NORM;

/** Optional counters, for benchmarks and tests. */
export interface JacobiSvdStats {
  /** Jacobi sweeps run, the last one being the sweep that found nothing to rotate. */
  sweeps: number;
  /** Plane rotations applied, all sweeps together. */
  rotations: number;
}

/**
 * Thin SVD A = U diag(s) V^T by one-sided (Hestenes) Jacobi preconditioned with a
 * Householder QR with column pivoting, after Drmač and Veselić.
 *
 * k = min(m, n); s has k entries, descending and non-negative; U is m x k and V is
 * n x k, both with orthonormal columns (V itself, not V^T). With `wantVectors` false
 * only s is computed (u and v are null), which is cheaper still.
 *
 * Algorithm (write A for A^T when m < n; the roles of U and V swap at the end):
 * 1. Scale A by a power of two so that max |a_ij| is in [1, 2) (exact).
 * 2. Householder QR with column pivoting (norm downdating with recomputation), A P = Q R.
 * 3. One-sided Jacobi on X = R^T: row-cyclic sweeps in which the column of largest
 *    norm among p..k-1 is moved to position p first (de Rijk's pivoting), and the pair
 *    (p, q) is rotated unless |x_p^T x_q| <= k eps ||x_p|| ||x_q||. The rotation is the
 *    one that diagonalizes the 2x2 Gram matrix, from zeta = cot(2 theta) =
 *    (||x_q||^2 - ||x_p||^2) / (2 x_p^T x_q), t = sign(zeta) / (|zeta| + sqrt(1 + zeta^2));
 *    both column norms are recomputed exactly during the rotation. A sweep without a
 *    rotation ends the iteration. X is stored transposed so that its columns (and the
 *    accumulated rotations W) are contiguous rows.
 * 4. X W = U_1 diag(s) gives R = W diag(s) U_1^T, so A = (Q W) diag(s) (P U_1)^T:
 *    U = Q W and V = P U_1. Columns of U_1 whose singular value is (numerically) zero
 *    are completed to an orthonormal set by Gram-Schmidt, twice, on unit vectors.
 *
 * Accuracy:
 * (i) It is backward stable, like any good SVD: the computed s_hat are the exact
 *     singular values of A + dA with ||dA||_2 <= p(m, n) eps ||A||_2, hence (Weyl)
 *     |s_hat_i - s_i| <= p(m, n) eps ||A||_2 for every i.
 * (ii) One-sided Jacobi is moreover accurate relative to each singular value: write
 *     A = B D with D diagonal (the column norms) and B with unit columns. Then
 *     |s_hat_i - s_i| / s_i <= p(m, n) eps kappa(B), kappa(B) = ||B||_2 ||B^+||_2
 *     (Demmel and Veselić 1992, "Jacobi's method is more accurate than QR"; Drmač and
 *     Veselić 2008, "New fast and accurate Jacobi SVD algorithm I/II", for the
 *     QR-preconditioned variant used here, the pivoted QR being column-wise backward
 *     stable). By van der Sluis, kappa(B) is within sqrt(n) of the best kappa any
 *     column scaling gives, so a graded matrix (well-conditioned B, wildly scaled D)
 *     gets every singular value to nearly full relative accuracy even when
 *     kappa(A) is 1e12 or more, where a bidiagonalization-based SVD only guarantees
 *     the small ones to eps ||A|| absolutely.
 * The relative bound assumes no underflow: after scaling, columns with norm below
 * about 1e-140 of the largest entry are treated as zero directions.
 *
 * @throws LinalgError if `a` holds NaN or infinity, or Jacobi has not converged after
 *   60 sweeps.
 * @example
 * const { u, s, v } = jacobiSvd(matFrom([[3, 0], [4, 5]]), true);
 * // s = [sqrt(45), sqrt(5)]
 */
export function jacobiSvd(
  a: Mat,
  wantVectors: boolean,
  stats?: JacobiSvdStats,
): { u: Mat | null; s: Float64Array; v: Mat | null } {
  const m0 = a.rows;
  const n0 = a.cols;
  const src = a.data;
  let amax = 0;
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    if (x !== x || x === Infinity || x === -Infinity) throw new LinalgError('a: contains NaN or infinity');
    const ax = Math.abs(x);
    if (ax > amax) amax = ax;
  }
  if (stats) {
    stats.sweeps = 0;
    stats.rotations = 0;
  }
  const n = Math.min(m0, n0);
  if (n === 0) {
    return { u: wantVectors ? zeros(m0, 0) : null, s: new Float64Array(0), v: wantVectors ? zeros(n0, 0) : null };
  }
  // Work on the tall matrix T (m x n, m >= n): T = A, or A^T when A is wide.
  const transposed = m0 < n0;
  const m = transposed ? n0 : m0;

  // At = T^T (n x m): row c is column c of T, so Householder QR runs on contiguous rows.
  let f1 = 1;
  let f2 = 1;
  if (amax !== 0) [f1, f2] = pow2ScaleFor(amax);
  const at = new Float64Array(n * m);
  if (transposed) {
    for (let i = 0; i < at.length; i++) at[i] = src[i] * f1 * f2;
  } else {
    for (let i = 0; i < m; i++) {
      const ri = i * n;
      for (let c = 0; c < n; c++) at[c * m + i] = src[ri + c] * f1 * f2;
    }
  }

  // --- Householder QR with column pivoting: T P = Q R. ---
  // Reflector j: H_j = I - tauq[j] v v^T, v[j] = 1, v[i] = at[j*m + i] for i > j.
  // R[i][c] = at[c*m + i] for i <= c.
  const perm = new Int32Array(n);
  const cn = new Float64Array(n); // norms of the trailing parts of the columns
  const cn0 = new Float64Array(n); // the same at their last exact computation
  const tauq = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    perm[c] = c;
    cn[c] = cn0[c] = rangeNorm(at, c * m, c * m + m);
  }
  const downTol = Math.sqrt(EPS);
  for (let j = 0; j < n; j++) {
    let pj = j;
    let best = cn[j];
    for (let c = j + 1; c < n; c++) {
      if (cn[c] > best) {
        best = cn[c];
        pj = c;
      }
    }
    if (pj !== j) {
      swapRows(at, m, j, pj);
      let t = cn[j];
      cn[j] = cn[pj];
      cn[pj] = t;
      t = cn0[j];
      cn0[j] = cn0[pj];
      cn0[pj] = t;
      const ip = perm[j];
      perm[j] = perm[pj];
      perm[pj] = ip;
    }
    const rj = j * m;
    let tj = 0;
    if (j < m - 1) {
      const alpha = at[rj + j];
      const xnorm = rangeNorm(at, rj + j + 1, rj + m);
      if (xnorm !== 0) {
        const h = hypot2(alpha, xnorm);
        const beta = alpha >= 0 ? -h : h;
        tj = (beta - alpha) / beta;
        const denom = alpha - beta;
        for (let i = j + 1; i < m; i++) at[rj + i] /= denom;
        at[rj + j] = beta;
      }
    }
    tauq[j] = tj;
    if (tj !== 0) {
      for (let c = j + 1; c < n; c++) {
        const rc = c * m;
        let s = at[rc + j];
        for (let i = j + 1; i < m; i++) s += at[rj + i] * at[rc + i];
        if (s === 0) continue;
        s *= tj;
        at[rc + j] -= s;
        for (let i = j + 1; i < m; i++) at[rc + i] -= s * at[rj + i];
      }
    }
    for (let c = j + 1; c < n; c++) {
      if (cn[c] === 0) continue;
      const r = Math.abs(at[c * m + j]) / cn[c];
      let t = 1 - r * r;
      if (t < 0) t = 0;
      const ratio = cn[c] / cn0[c];
      if (t * ratio * ratio <= downTol) {
        cn[c] = cn0[c] = rangeNorm(at, c * m + j + 1, c * m + m);
      } else {
        cn[c] *= Math.sqrt(t);
      }
    }
  }

  // --- One-sided Jacobi on X = R^T, stored as xt = X^T = R (row p = column p of X). ---
  const xt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let c = i; c < n; c++) xt[ri + c] = at[c * m + i];
  }
  // lo[p]: entries of row p before lo[p] are exactly zero (R is triangular), which
  // saves work in the first sweep.
  const lo = new Int32Array(n);
  for (let i = 0; i < n; i++) lo[i] = i;
  const wt = wantVectors ? new Float64Array(n * n) : null; // W^T: row p = column p of W
  if (wt !== null) for (let i = 0; i < n; i++) wt[i * n + i] = 1;
  const nrm2 = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let s = 0;
    const rp = p * n;
    for (let i = 0; i < n; i++) s += xt[rp + i] * xt[rp + i];
    nrm2[p] = s;
  }
  // sqrt(n) eps (as LAPACK dgesvj): U comes out orthogonal to about this level.
  const tol = Math.sqrt(Math.max(n, 2)) * EPS;
  let converged = n === 1;
  let sweeps = 0;
  let rotations = 0;
  while (!converged) {
    if (sweeps >= MAX_SWEEPS) {
      throw new LinalgError(`jacobiSvd: one-sided Jacobi did not converge in ${MAX_SWEEPS} sweeps (${m0}x${n0})`);
    }
    sweeps++;
    let rotThisSweep = 0;
    for (let p = 0; p < n - 1; p++) {
      // de Rijk: bring the column of largest norm among p..n-1 to position p.
      let pb = p;
      let big = nrm2[p];
      for (let q = p + 1; q < n; q++) {
        if (nrm2[q] > big) {
          big = nrm2[q];
          pb = q;
        }
      }
      if (pb !== p) {
        swapRows(xt, n, p, pb);
        if (wt !== null) swapRows(wt, n, p, pb);
        const t = nrm2[p];
        nrm2[p] = nrm2[pb];
        nrm2[pb] = t;
        const l = lo[p];
        lo[p] = lo[pb];
        lo[pb] = l;
      }
      const rp = p * n;
      for (let q = p + 1; q < n; q++) {
        const ap = nrm2[p];
        const aq = nrm2[q];
        // Columns at the underflow threshold are null directions: leave them alone.
        if (ap < NULL_NORM2 || aq < NULL_NORM2) continue;
        const rq = q * n;
        const lp = lo[p];
        const lq = lo[q];
        const dotFrom = lp > lq ? lp : lq;
        let g = 0;
        for (let i = dotFrom; i < n; i++) g += xt[rp + i] * xt[rq + i];
        if (!(Math.abs(g) > tol * Math.sqrt(ap) * Math.sqrt(aq))) continue;
        const zeta = (aq - ap) / (2 * g);
        let t: number;
        if (Math.abs(zeta) > 1e150) t = 0.5 / zeta;
        else t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        const from = lp < lq ? lp : lq;
        lo[p] = from;
        lo[q] = from;
        let np = 0;
        let nq = 0;
        for (let i = from; i < n; i++) {
          const xp = xt[rp + i];
          const xq = xt[rq + i];
          const yp = c * xp - s * xq;
          const yq = s * xp + c * xq;
          xt[rp + i] = yp;
          xt[rq + i] = yq;
          np += yp * yp;
          nq += yq * yq;
        }
        nrm2[p] = np;
        nrm2[q] = nq;
        if (wt !== null) {
          for (let i = 0; i < n; i++) {
            const wp = wt[rp + i];
            const wq = wt[rq + i];
            wt[rp + i] = c * wp - s * wq;
            wt[rq + i] = s * wp + c * wq;
          }
        }
        rotThisSweep++;
      }
    }
    rotations += rotThisSweep;
    if (rotThisSweep === 0) converged = true;
  }
  if (stats) {
    stats.sweeps = sweeps;
    stats.rotations = rotations;
  }

  // Singular values, sorted descending (de Rijk's pivoting leaves them nearly sorted).
  const sig = new Float64Array(n);
  for (let p = 0; p < n; p++) sig[p] = rangeNorm(xt, p * n, p * n + n);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => sig[y] - sig[x]);
  const s = new Float64Array(n);
  const u1 = 1 / f1;
  const u2 = 1 / f2;
  for (let j = 0; j < n; j++) s[j] = sig[order[j]] * u1 * u2;
  if (!wantVectors || wt === null) return { u: null, s, v: null };

  // Y = (P U_1)^T (n x n): row j is the unit vector x_(order[j]) / s_j, rows permuted
  // back to T's column order. Null directions are completed afterwards.
  const y = new Float64Array(n * n);
  const isNull = new Uint8Array(n);
  let nullCount = 0;
  for (let j = 0; j < n; j++) {
    const sj = sig[order[j]];
    const rj = j * n;
    if (!(nrm2[order[j]] >= NULL_NORM2)) {
      // The same test that kept Jacobi from rotating it.
      isNull[j] = 1;
      nullCount++;
      continue;
    }
    const rs = order[j] * n;
    const inv = 1 / sj;
    for (let c = 0; c < n; c++) y[rj + perm[c]] = xt[rs + c] * inv;
  }
  if (nullCount > 0) completeRows(y, n, isNull);

  // Z = (Q W)^T (n x m): row j = Q [w_(order[j]); 0], applying H_(n-1), ..., H_0.
  const z = new Float64Array(n * m);
  for (let j = 0; j < n; j++) z.set(wt.subarray(order[j] * n, order[j] * n + n), j * m);
  for (let jj = n - 1; jj >= 0; jj--) {
    const tj = tauq[jj];
    if (tj === 0) continue;
    const rv = jj * m;
    for (let r = 0; r < n; r++) {
      const rr = r * m;
      let sum = z[rr + jj];
      for (let i = jj + 1; i < m; i++) sum += at[rv + i] * z[rr + i];
      if (sum === 0) continue;
      sum *= tj;
      z[rr + jj] -= sum;
      for (let i = jj + 1; i < m; i++) z[rr + i] -= sum * at[rv + i];
    }
  }

  // T = Z^T diag(s) Y. For A = T: U = Z^T (m x n), V = Y^T (n x n); for A = T^T they swap.
  const zMat = transposeRaw(z, n, m); // m x n
  const yMat = transposeRaw(y, n, n); // n x n
  return transposed ? { u: yMat, s, v: zMat } : { u: zMat, s, v: yMat };
}



/** The transpose of a rows x cols row-major array, as a cols x rows Mat. */
function transposeRaw(x: Float64Array, rows: number, cols: number): Mat {
  const out = zeros(cols, rows);
  const o = out.data;
  for (let i = 0; i < rows; i++) {
    const ri = i * cols;
    for (let j = 0; j < cols; j++) o[j * rows + i] = x[ri + j];
  }
  return out;
}

/**
 * Fills the rows of y (n x n) flagged in isNull with unit vectors orthogonal to every
 * other row: candidates e_0, e_1, ... are orthogonalized twice (classical Gram-Schmidt
 * against the accepted rows) and kept when at least 1/sqrt(2n) of them survives; since
 * the residuals of all n candidates have squared norms summing to at least 1, a
 * candidate always qualifies before they run out.
 */
function completeRows(y: Float64Array, n: number, isNull: Uint8Array): void {
  const accepted: number[] = [];
  for (let j = 0; j < n; j++) if (!isNull[j]) accepted.push(j);
  const cand = new Float64Array(n);
  const minNorm2 = 1 / (2 * n);
  let next = 0;
  for (let j = 0; j < n; j++) {
    if (!isNull[j]) continue;
    let done = false;
    while (!done) {
      if (next >= n) throw new LinalgError('jacobiSvd: could not complete the singular vectors to an orthonormal set');
      cand.fill(0);
      cand[next++] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let a = 0; a < accepted.length; a++) {
          const ra = accepted[a] * n;
          let d = 0;
          for (let i = 0; i < n; i++) d += y[ra + i] * cand[i];
          if (d === 0) continue;
          for (let i = 0; i < n; i++) cand[i] -= d * y[ra + i];
        }
      }
      let nn = 0;
      for (let i = 0; i < n; i++) nn += cand[i] * cand[i];
      if (nn >= minNorm2) {
        const inv = 1 / Math.sqrt(nn);
        const rj = j * n;
        for (let i = 0; i < n; i++) y[rj + i] = cand[i] * inv;
        accepted.push(j);
        done = true;
      }
    }
  }
}
