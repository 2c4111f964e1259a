import type { Mat } from '../linalg/mat.js';
import type { LossKind } from '../models/model.js';
import type { HeldOutEntries } from '../problems/problem.js';

/**
 * The loss on held-out entries (the test loss), the same kind as the training loss:
 * `mse` = (1/m) sum (W[r_i, c_i] - y_i)^2, `half-sse` = (1/2) sum (...)^2, read
 * straight from W. An empty set gives NaN for mse and 0 for half-sse.
 *
 * @throws RangeError for an index outside W or lists of different lengths.
 * @example
 * heldOutLoss(W, problem.test!, 'mse');
 */
export function heldOutLoss(w: Mat, test: HeldOutEntries, loss: LossKind): number {
  const { rows, cols, y } = test;
  const m = y.length;
  if (rows.length !== m || cols.length !== m) {
    throw new RangeError(`test: rows, cols and y must have the same length, got ${rows.length}, ${cols.length}, ${m}`);
  }
  let s = 0;
  for (let i = 0; i < m; i++) {
    const r = rows[i], c = cols[i];
    if (!(r >= 0 && r < w.rows && c >= 0 && c < w.cols)) {
      throw new RangeError(`test: entry ${i} at (${r}, ${c}) lies outside the ${w.rows}x${w.cols} matrix`);
    }
    const d = w.data[r * w.cols + c] - y[i];
    s += d * d;
  }
  return loss === 'mse' ? s / m : 0.5 * s;
}
