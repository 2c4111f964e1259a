/**
 * Small kernels the js decompositions share: norms and hypotenuses that neither
 * overflow nor underflow, power-of-two scaling (exact), and row swaps.
 */

/** sqrt(a^2 + b^2) without overflow or destructive underflow. */
export function hypot2(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  if (x < y) {
    const t = x;
    x = y;
    y = t;
  }
  if (x === 0) return 0;
  const r = y / x;
  return x * Math.sqrt(1 + r * r);
}

/** Euclidean norm of x[from..to), scaling only when squares could over- or underflow. */
export function rangeNorm(x: Float64Array, from: number, to: number): number {
  let amax = 0;
  for (let i = from; i < to; i++) {
    const v = Math.abs(x[i]);
    if (v > amax) amax = v;
  }
  if (amax === 0) return 0;
  let s = 0;
  if (amax > 1e-150 && amax < 1e150) {
    for (let i = from; i < to; i++) s += x[i] * x[i];
    return Math.sqrt(s);
  }
  // Divide rather than multiply by 1 / amax, which overflows for subnormal amax.
  for (let i = from; i < to; i++) {
    const v = x[i] / amax;
    s += v * v;
  }
  return amax * Math.sqrt(s);
}

/**
 * A power of two 2^-e with 2^e about amax (so amax * 2^-e is in [1, 2), up to the
 * rounding of log2), returned as two factors whose product it is (a single factor
 * would overflow for subnormal amax). Multiplying by both factors in turn is exact
 * unless the result is subnormal.
 */
export function pow2ScaleFor(amax: number): [number, number] {
  const e = Math.floor(Math.log2(amax));
  const e1 = Math.trunc(-e / 2);
  const e2 = -e - e1;
  return [2 ** e1, 2 ** e2];
}

/** Swaps rows i and j of a row-major array with `width` columns. */
export function swapRows(x: Float64Array, width: number, i: number, j: number): void {
  const ri = i * width;
  const rj = j * width;
  for (let k = 0; k < width; k++) {
    const t = x[ri + k];
    x[ri + k] = x[rj + k];
    x[rj + k] = t;
  }
}
