import { LinalgError } from '../backend.js';
import { type Mat, zeros } from '../mat.js';
import { hypot2, pow2ScaleFor, rangeNorm } from './scaled-arith.js';

const EPS = 2 ** -52;




/**
 * Eigenvalues (ascending) and, when `wantVectors`, orthonormal eigenvectors of a
 * real symmetric matrix: A = V diag(values) V^T, column j of V belonging to values[j].
 *
 * Only the LOWER triangle of `a` (entries a[i][j] with i >= j) is read; the upper
 * triangle is assumed to mirror it and is ignored (it is still checked for NaN/Inf).
 *
 * Algorithm: A is scaled by a power of two so that max |a_ij| lies in [1, 2) (exact,
 * avoids overflow and underflow), reduced to tridiagonal form T = Q^T A Q by n - 2
 * Householder reflections (Q accumulated backwards when vectors are wanted), and T is
 * diagonalized by the implicit QL algorithm with Wilkinson shifts (implicit QR on
 * blocks graded the other way, whose large end is at the top), deflating an
 * off-diagonal e_i as soon as |e_i| <= eps (|d_i| + |d_(i+1)|). The eigenvectors are
 * kept transposed (one per row) so that every Householder and Givens update runs over
 * contiguous memory.
 *
 * Accuracy: backward stable, so |lambda_hat_i - lambda_i| <= p(n) eps ||A||_2 and the
 * computed V is orthogonal to working precision.
 *
 * @throws RangeError if `a` is not square.
 * @throws LinalgError if `a` holds NaN or infinity, or QL/QR fails to converge in 30 n
 *   iterations in all.
 * @example
 * const { values, vectors } = symmetricEigen(matFrom([[2, 1], [1, 2]]), true);
 * // values = [1, 3]
 */
export function symmetricEigen(a: Mat, wantVectors: boolean): { values: Float64Array; vectors: Mat | null } {
  if (a.rows !== a.cols) throw new RangeError(`a: expected a square matrix, got ${a.rows}x${a.cols}`);
  const n = a.rows;
  const src = a.data;
  let amax = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v !== v || v === Infinity || v === -Infinity) throw new LinalgError('a: contains NaN or infinity');
    const av = Math.abs(v);
    if (av > amax) amax = av;
  }
  if (n === 0) return { values: new Float64Array(0), vectors: wantVectors ? zeros(0, 0) : null };

  // Working copy, fully symmetric, built from the lower triangle and scaled by 2^-e.
  const w = new Float64Array(n * n);
  let f1 = 1;
  let f2 = 1;
  if (amax !== 0) [f1, f2] = pow2ScaleFor(amax);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const v = src[ri + j] * f1 * f2;
      w[ri + j] = v;
      w[j * n + i] = v;
    }
  }

  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tau = new Float64Array(n);
  const v = new Float64Array(n);
  const p = new Float64Array(n);

  // Householder tridiagonalization. Step k annihilates w[k][k+2..n-1] (and its mirror
  // in column k) with H_k = I - tau_k v v^T, v[k+1] = 1, acting on indices k+1..n-1.
  // The reflector's tail is stored in w[k][k+2..n-1], which is no longer needed.
  for (let k = 0; k < n - 2; k++) {
    const rk = k * n;
    const alpha = w[rk + k + 1];
    const xnorm = rangeNorm(w, rk + k + 2, rk + n);
    if (xnorm === 0) {
      tau[k] = 0;
      e[k] = alpha;
      continue;
    }
    const h = hypot2(alpha, xnorm);
    const beta = alpha >= 0 ? -h : h;
    const tk = (beta - alpha) / beta;
    const denom = alpha - beta; // |denom| = |alpha| + h: no cancellation
    v[k + 1] = 1;
    for (let j = k + 2; j < n; j++) {
      const vj = w[rk + j] / denom;
      v[j] = vj;
      w[rk + j] = vj;
    }
    w[rk + k + 1] = beta;
    e[k] = beta;
    tau[k] = tk;
    // p = tau W22 v; then w = p - (tau/2)(p^T v) v; W22 <- W22 - v w^T - w v^T.
    let pv = 0;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += w[ri + j] * v[j];
      s *= tk;
      p[i] = s;
      pv += s * v[i];
    }
    const kk = 0.5 * tk * pv;
    for (let i = k + 1; i < n; i++) p[i] -= kk * v[i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = v[i];
      const pi = p[i];
      for (let j = k + 1; j < n; j++) w[ri + j] -= vi * p[j] + pi * v[j];
    }
  }
  for (let i = 0; i < n; i++) d[i] = w[i * n + i];
  if (n >= 2) e[n - 2] = w[(n - 2) * n + n - 1];
  e[n - 1] = 0;

  // zt holds V^T: row r is an eigenvector. Start from Q^T = H_(n-3) ... H_0, formed by
  // right-multiplying the identity by H_(n-3), ..., H_0 (each touches rows k+1..n-1).
  let zt: Float64Array | null = null;
  if (wantVectors) {
    zt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) zt[i * n + i] = 1;
    for (let k = n - 3; k >= 0; k--) {
      const tk = tau[k];
      if (tk === 0) continue;
      const rk = k * n;
      for (let i = k + 1; i < n; i++) {
        const ri = i * n;
        let s = zt[ri + k + 1];
        for (let j = k + 2; j < n; j++) s += zt[ri + j] * w[rk + j];
        if (s === 0) continue;
        s *= tk;
        zt[ri + k + 1] -= s;
        for (let j = k + 2; j < n; j++) zt[ri + j] -= s * w[rk + j];
      }
    }
  }

  tridiagonalEigen(d, e, zt, n);

  // Sort ascending and undo the scaling.
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => d[x] - d[y]);
  const values = new Float64Array(n);
  const u1 = 1 / f1;
  const u2 = 1 / f2;
  for (let j = 0; j < n; j++) values[j] = d[order[j]] * u1 * u2;
  if (zt === null) return { values, vectors: null };
  const vec = zeros(n, n);
  const vd = vec.data;
  for (let j = 0; j < n; j++) {
    const rj = order[j] * n;
    for (let k = 0; k < n; k++) vd[k * n + j] = zt[rj + k];
  }
  return { values, vectors: vec };
}

/**
 * Diagonalizes the symmetric tridiagonal matrix (d, e) in place, e[i] coupling d[i]
 * and d[i+1] (e[n-1] is scratch). Each rotation is also applied to rows i, i+1 of zt
 * (the transposed eigenvector matrix) when given. Unreduced blocks are found by the
 * test |e_i| <= eps (|d_i| + |d_(i+1)|); a block is iterated by implicit QL when its
 * bottom diagonal entry is the larger in magnitude and by implicit QR otherwise, so
 * that the bulge is always chased from the large end toward the small one (the other
 * way, on strongly graded matrices, the rotations underflow and the iteration stalls).
 * Blocks whose entries are far from 1 are scaled by a power of two while iterated.
 */
function tridiagonalEigen(d: Float64Array, e: Float64Array, zt: Float64Array | null, n: number): void {
  const budget = 30 * n;
  let used = 0;
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n - 1) {
      if (Math.abs(e[end]) <= EPS * (Math.abs(d[end]) + Math.abs(d[end + 1]))) {
        e[end] = 0;
        break;
      }
      end++;
    }
    if (end > start) {
      let bmax = 0;
      for (let i = start; i <= end; i++) {
        const x = Math.abs(d[i]);
        const y = i < end ? Math.abs(e[i]) : 0;
        if (x > bmax) bmax = x;
        if (y > bmax) bmax = y;
      }
      let s1 = 1;
      let s2 = 1;
      const rescale = bmax < 2 ** -300 || bmax > 2 ** 300;
      if (rescale) {
        [s1, s2] = pow2ScaleFor(bmax);
        for (let i = start; i <= end; i++) {
          d[i] = d[i] * s1 * s2;
          if (i < end) e[i] = e[i] * s1 * s2;
        }
      }
      used +=
        Math.abs(d[end]) >= Math.abs(d[start])
          ? qlBlock(d, e, zt, n, start, end, budget - used)
          : qrBlock(d, e, zt, n, start, end, budget - used);
      if (rescale) {
        const u1 = 1 / s1;
        const u2 = 1 / s2;
        for (let i = start; i <= end; i++) {
          d[i] = d[i] * u1 * u2;
          if (i < end) e[i] = e[i] * u1 * u2;
        }
      }
    }
    start = end + 1;
  }
}

function noConvergence(n: number): LinalgError {
  return new LinalgError(`symmetricEigen: QL/QR iteration did not converge in ${30 * n} iterations (n = ${n})`);
}

/** Implicit QL with Wilkinson shifts on the unreduced block [lo, hi]; eigenvalues converge at the top. */
function qlBlock(
  d: Float64Array,
  e: Float64Array,
  zt: Float64Array | null,
  n: number,
  lo: number,
  hi: number,
  budget: number,
): number {
  let used = 0;
  for (let l = lo; l <= hi; l++) {
    for (;;) {
      let m = l;
      while (m < hi) {
        if (Math.abs(e[m]) <= EPS * (Math.abs(d[m]) + Math.abs(d[m + 1]))) {
          e[m] = 0;
          break;
        }
        m++;
      }
      if (m === l) break;
      if (++used > budget) throw noConvergence(n);
      // Wilkinson shift: the eigenvalue of the top 2x2 closer to d[l].
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = hypot2(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let split = false;
      // Chase from the bottom up; e[m] serves as scratch and is cleared at the end.
      for (let i = m - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = hypot2(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // An exact zero appeared: the block splits at i + 1.
          d[i + 1] -= p;
          split = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (zt !== null) {
          const ri = i * n;
          const ri1 = ri + n;
          for (let k = 0; k < n; k++) {
            const zi = zt[ri + k];
            const zi1 = zt[ri1 + k];
            zt[ri1 + k] = s * zi + c * zi1;
            zt[ri + k] = c * zi - s * zi1;
          }
        }
      }
      if (!split) {
        d[l] -= p;
        e[l] = g;
      }
      e[m] = 0;
    }
  }
  return used;
}

/** Implicit QR with Wilkinson shifts on the unreduced block [lo, hi]; eigenvalues converge at the bottom. */
function qrBlock(
  d: Float64Array,
  e: Float64Array,
  zt: Float64Array | null,
  n: number,
  lo: number,
  hi: number,
  budget: number,
): number {
  let used = 0;
  for (let h = hi; h >= lo; h--) {
    for (;;) {
      let m = h;
      while (m > lo) {
        if (Math.abs(e[m - 1]) <= EPS * (Math.abs(d[m - 1]) + Math.abs(d[m]))) {
          e[m - 1] = 0;
          break;
        }
        m--;
      }
      if (m === h) break;
      if (++used > budget) throw noConvergence(n);
      // Wilkinson shift: the eigenvalue of the bottom 2x2 closer to d[h].
      let g = (d[h - 1] - d[h]) / (2 * e[h - 1]);
      let r = hypot2(g, 1);
      g = d[m] - d[h] + e[h - 1] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let split = false;
      // Chase from the top down (the mirror image of the QL step).
      for (let j = m; j < h; j++) {
        const f = s * e[j];
        const b = c * e[j];
        r = hypot2(f, g);
        if (j > m) e[j - 1] = r;
        if (r === 0) {
          d[j] -= p;
          split = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[j] - p;
        r = (d[j + 1] - g) * s + 2 * c * b;
        p = s * r;
        d[j] = g + p;
        g = c * r - b;
        if (zt !== null) {
          const rj = j * n;
          const rj1 = rj + n;
          for (let k = 0; k < n; k++) {
            const zi = zt[rj1 + k];
            const zi1 = zt[rj + k];
            zt[rj + k] = s * zi + c * zi1;
            zt[rj1 + k] = c * zi - s * zi1;
          }
        }
      }
      if (!split) {
        d[h] -= p;
        e[h - 1] = g;
      }
    }
  }
  return used;
}
