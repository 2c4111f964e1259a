import type { Mat } from '../../src/linalg/mat.js';

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

type Numeric = ArrayLike<number> | Mat | number;

function values(x: Numeric): ArrayLike<number> {
  if (typeof x === 'number') return [x];
  if ('data' in x && 'rows' in x) return x.data;
  return x;
}

/**
 * numpy's allclose: |actual - expected| <= atol + rtol * |expected| elementwise.
 * Throws with the worst entry when it fails, so a failing test says where and by how much.
 */
export function assertAllclose(actual: Numeric, expected: Numeric, tol: Tolerance = {}, label = 'value'): void {
  const rtol = tol.rtol ?? 1e-12;
  const atol = tol.atol ?? 0;
  const a = values(actual);
  const e = values(expected);
  if (a.length !== e.length) throw new Error(`${label}: length ${a.length} != expected ${e.length}`);
  if (typeof actual === 'object' && typeof expected === 'object' && 'rows' in actual && 'rows' in expected) {
    if (actual.rows !== expected.rows || actual.cols !== expected.cols) {
      throw new Error(`${label}: shape ${actual.rows}x${actual.cols} != expected ${expected.rows}x${expected.cols}`);
    }
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    const allowed = atol + rtol * Math.abs(e[i]);
    const bad = !(diff <= allowed) && !(a[i] === e[i]);
    if (bad) {
      const excess = Number.isFinite(diff) ? diff / (allowed || Number.MIN_VALUE) : Infinity;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: not close at index ${worst}: actual ${a[worst]}, expected ${e[worst]}, ` +
        `|diff| ${Math.abs(a[worst] - e[worst]).toExponential(3)} > atol ${atol} + rtol ${rtol} * |expected|`,
    );
  }
}
