import { assertSameShape, frobeniusNorm, type Mat } from '../linalg/mat.js';

/** ||A - B||_F^2 = scale^2 * ssq, with scaling only when plain squares would over/underflow. */
function diffSquares(a: Mat, b: Mat): { scale: number; ssq: number } {
  assertSameShape('xStar', b, a);
  const x = a.data, y = b.data;
  let amax = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (d > amax || Number.isNaN(d)) amax = d;
  }
  if (amax === 0 || !Number.isFinite(amax)) return { scale: amax, ssq: amax === 0 ? 0 : 1 };
  if (amax > 1e-150 && amax < 1e150) {
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      const d = x[i] - y[i];
      s += d * d;
    }
    return { scale: 1, ssq: s };
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] - y[i]) / amax;
    s += d * d;
  }
  return { scale: amax, ssq: s };
}

/**
 * Arora et al.'s reconstruction error: mean((W - W*)^2) over all n1 n2 entries.
 *
 * @throws RangeError if the shapes differ.
 * @example
 * reconMse(matFrom([[1, 2]]), matFrom([[0, 0]])); // 2.5
 */
export function reconMse(w: Mat, xStar: Mat): number {
  const { scale, ssq } = diffSquares(w, xStar);
  const n = w.data.length;
  if (n === 0) return 0;
  return scale === 1 ? ssq / n : (scale * scale * ssq) / n;
}

/**
 * The relative reconstruction error ||W - W*||_F / ||W*||_F. When W* = 0 it is 0 for
 * W = 0 and Infinity otherwise.
 *
 * @throws RangeError if the shapes differ.
 * @example
 * reconRel(matFrom([[3, 4]]), matFrom([[0, 8]])); // 5 / 8
 */
export function reconRel(w: Mat, xStar: Mat): number {
  const { scale, ssq } = diffSquares(w, xStar);
  const diff = scale * Math.sqrt(ssq);
  const ref = frobeniusNorm(xStar);
  if (ref === 0) return diff === 0 ? 0 : Number.isNaN(diff) ? NaN : Infinity;
  return diff / ref;
}
