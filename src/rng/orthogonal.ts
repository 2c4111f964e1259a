import { type Mat, zeros } from '../linalg/mat.js';
import type { Random } from './random.js';

/**
 * An n x k matrix (k <= n) with orthonormal columns, Haar-distributed: the Q of a
 * Gaussian matrix's QR factorization with R's diagonal made positive (Mezzadri 2007).
 * Gram–Schmidt on Gaussian columns yields exactly that Q; it is run twice per column
 * ("twice is enough", Giraud et al. 2005) so orthogonality holds to rounding.
 *
 * @example
 * const q = haarOrthogonal(Random.fromSeed(1), 5); // 5 x 5, q^T q = I
 */
export function haarOrthogonal(rng: Random, n: number, k: number = n): Mat {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n: expected a non-negative integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`k: expected an integer in [0, ${n}], got ${k}`);
  // Work on Q^T (k x n) so that each column being orthogonalized is a contiguous row.
  const qt = zeros(k, n);
  const d = qt.data;
  rng.fillNormal(d);
  for (let j = 0; j < k; j++) {
    const rj = j * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const rp = p * n;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += d[rp + i] * d[rj + i];
        for (let i = 0; i < n; i++) d[rj + i] -= dot * d[rp + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += d[rj + i] * d[rj + i];
    norm = Math.sqrt(norm);
    // A Gaussian column lies in the span of the previous ones with probability 0.
    for (let i = 0; i < n; i++) d[rj + i] /= norm;
  }
  const q = zeros(n, k);
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) q.data[i * k + j] = d[j * n + i];
  return q;
}
