/**
 * The Dormand–Prince 5(4) embedded Runge–Kutta method (Dormand and Prince 1980; the
 * coefficients, error estimate and 4th-order dense output as in Hairer, Nørsett and Wanner,
 * "Solving Ordinary Differential Equations I", II.4–II.6), run by the shared adaptive
 * driver of ./adaptive.ts: rtol/atol step-size control, output at requested times, a
 * terminal event (the first zero of g(t, y) from above, located on the dense output), a
 * per-step callback, and exact resume.
 *
 * Seven stages, the last one f at the new point (first same as last): 6 evaluations of f
 * per attempted step. The right-hand side writes into a buffer it is given; a step
 * allocates nothing.
 */

import { type OdeOptions, type OdeResult, type OdeRhs, type RkMethod, type RkStepper, runAdaptive } from './adaptive.js';

export type { OdeOptions, OdeResult, OdeRhs, OdeState } from './adaptive.js';
/** The options of dopri5 (the common options). */
export type Dopri5Options = OdeOptions;
/** The result of dopri5 (the common result). */
export type Dopri5Result = OdeResult;

// Butcher tableau (FSAL: the 7th stage is f at the new point).
const C2 = 1 / 5, C3 = 3 / 10, C4 = 4 / 5, C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40, A32 = 9 / 40;
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9;
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729;
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656;
const A71 = 35 / 384, A73 = 500 / 1113, A74 = 125 / 192, A75 = -2187 / 6784, A76 = 11 / 84;
// Error coefficients: 5th-order weights minus the embedded 4th-order ones.
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40;
// Dense output (Hairer's contd5).
const D1 = -12715105075 / 11282082432, D3 = 87487479700 / 32700410799, D4 = -10690763975 / 1880347072;
const D5 = 701980252875 / 199316789632, D6 = -1453857185 / 822651844, D7 = 69997945 / 29380423;

function createDopri5(n: number, rhs: OdeRhs): RkStepper {
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n);
  const k5 = new Float64Array(n), k6 = new Float64Array(n), k7 = new Float64Array(n);
  const ys = new Float64Array(n), w = new Float64Array(n);
  // Dense output of the last accepted step: y0 + theta (r2 + (1-theta) (r3 + theta (r4 + (1-theta) r5))).
  const r1 = new Float64Array(n), r2 = new Float64Array(n), r3 = new Float64Array(n), r4 = new Float64Array(n), r5 = new Float64Array(n);
  return {
    f0: k1,
    stages(t, y, h, tNew, y1) {
      for (let i = 0; i < n; i++) w[i] = y[i] + h * A21 * k1[i];
      rhs(t + C2 * h, w, k2);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
      rhs(t + C3 * h, w, k3);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
      rhs(t + C4 * h, w, k4);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
      rhs(t + C5 * h, w, k5);
      for (let i = 0; i < n; i++) ys[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
      rhs(tNew, ys, k6);
      for (let i = 0; i < n; i++) y1[i] = y[i] + h * (A71 * k1[i] + A73 * k3[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i]);
      rhs(tNew, y1, k7);
    },
    error(h, sc) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const q = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]) / sc[i];
        s += q * q;
      }
      return n === 0 ? 0 : Math.sqrt(s / n);
    },
    accept() {
      // k7 = f(tNew, y1) is already a stage.
    },
    prepareDense(_t, y, h, y1) {
      for (let i = 0; i < n; i++) {
        const diff = y1[i] - y[i];
        const bspl = h * k1[i] - diff;
        r1[i] = y[i];
        r2[i] = diff;
        r3[i] = bspl;
        r4[i] = diff - h * k7[i] - bspl;
        r5[i] = h * (D1 * k1[i] + D3 * k3[i] + D4 * k4[i] + D5 * k5[i] + D6 * k6[i] + D7 * k7[i]);
      }
    },
    dense(theta, out) {
      const t1 = 1 - theta;
      for (let i = 0; i < n; i++) out[i] = r1[i] + theta * (r2[i] + t1 * (r3[i] + theta * (r4[i] + t1 * r5[i])));
    },
    advance() {
      k1.set(k7);
    },
  };
}

/** Dormand–Prince 5(4) for the adaptive driver: error estimate O(h^5), 4th-order dense output. */
export const DOPRI5: RkMethod = { name: 'dopri5', order: 5, create: createDopri5 };

/**
 * Integrates y' = f(t, y) from (t0, y0) to tEnd (tEnd > t0) with Dormand–Prince 5(4).
 *
 * @throws RangeError naming a bad option or a non-finite y0.
 * @example
 * const r = dopri5((t, y, dy) => { dy[0] = -y[0]; }, 0, Float64Array.of(1), 1, { rtol: 1e-10 });
 * r.y[0]; // 0.36787944117..., e^-1
 */
export function dopri5(f: OdeRhs, t0: number, y0: Float64Array, tEnd: number, options: OdeOptions = {}): OdeResult {
  return runAdaptive(DOPRI5, f, t0, y0, tEnd, options);
}
