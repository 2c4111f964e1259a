import { checkVectorPair } from '../kernel-checks.js';

/**
 * y <- alpha x + y, in place (the js backend's axpy).
 *
 * @example
 * axpy(-0.1, grad.data, param.data); // a gradient step
 */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  checkVectorPair('axpy', x, y);
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/**
 * x . y (the js backend's dot), with four partial sums (shorter dependency chains).
 *
 * @example
 * dot(g.data, g.data); // ||g||_F^2
 */
export function dot(x: Float64Array, y: Float64Array): number {
  checkVectorPair('dot', x, y);
  const n = x.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
    s2 += x[i + 2] * y[i + 2];
    s3 += x[i + 3] * y[i + 3];
  }
  for (; i < n; i++) s0 += x[i] * y[i];
  return (s0 + s1) + (s2 + s3);
}
