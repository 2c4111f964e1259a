/**
 * The logistic y' = y (1 - y): a flow that crawls out of a tiny start, rises, then settles
 * at a stable equilibrium with f' = -1 (where an explicit method's step hits its stability
 * limit). Shared by the integrators' long-horizon tests.
 */
import type { OdeRhs } from '../../src/flow/adaptive.js';

export const logistic: OdeRhs = (_t, y, dy) => {
  dy[0] = y[0] * (1 - y[0]);
};

/** The exact solution from y(0) = y0. */
export function logisticExact(y0: number): (t: number) => number {
  return (t) => 1 / (1 + (1 / y0 - 1) * Math.exp(-t));
}
