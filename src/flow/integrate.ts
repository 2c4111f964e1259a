/**
 * One entry point for the gradient-flow integrators of src/flow, the method named by a
 * string (as it comes from a config file or the command line).
 */

import type { OdeResult, OdeRhs } from './adaptive.js';
import { dop853 } from './dop853.js';
import { dopri5 } from './dopri5.js';
import { type RosenbrockOptions, rodas4 } from './rosenbrock.js';

export type { OdeOptions, OdeResult, OdeRhs, OdeState } from './adaptive.js';

/** The adaptive methods: Dormand–Prince 5(4) and 8(5,3) (explicit), RODAS4 (Rosenbrock, L-stable, for stiff flows). */
export type OdeMethod = 'dopri5' | 'dop853' | 'rodas4';

/** The method names, for validation and help texts. */
export const ODE_METHODS: readonly OdeMethod[] = ['dopri5', 'dop853', 'rodas4'];

/** The common options, and the Jacobian options of rodas4 (ignored by the explicit methods). */
export type IntegrateOptions = RosenbrockOptions;

/**
 * Integrates y' = f(t, y) from (t0, y0) to tEnd with the named method (see dopri5, dop853,
 * rodas4; rodas4's result also has `jacobianEvaluations`).
 *
 * @throws RangeError naming a bad method or option.
 * @example
 * const r = integrate('dop853', (t, y, dy) => { dy[0] = -y[0]; }, 0, Float64Array.of(1), 1, { rtol: 1e-12, atol: 1e-14 });
 * r.y[0]; // 0.367879441171..., e^-1
 */
export function integrate(method: OdeMethod, f: OdeRhs, t0: number, y0: Float64Array, tEnd: number, options: IntegrateOptions = {}): OdeResult {
  if (method === 'dopri5') return dopri5(f, t0, y0, tEnd, options);
  if (method === 'dop853') return dop853(f, t0, y0, tEnd, options);
  if (method === 'rodas4') return rodas4(f, t0, y0, tEnd, options);
  throw new RangeError(`method: expected one of ${ODE_METHODS.join(', ')}, got ${String(method)}`);
}
