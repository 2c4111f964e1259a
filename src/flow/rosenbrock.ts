/**
 * RODAS4: the 6-stage, order 4(3), L-stable and stiffly accurate Rosenbrock (Rosenbrock–
 * Wanner) method of Hairer and Wanner ("Solving Ordinary Differential Equations II",
 * 2nd ed., IV.7: the method, its embedded 3rd-order solution and its 3rd-order dense
 * output), run by the shared adaptive driver of ./adaptive.ts: rtol/atol step control,
 * output at requested times, a terminal event, onStep/stop and exact resume.
 *
 * A linearly implicit method for stiff problems: with J = df/dy at the step's start and
 * W = I/(h gamma) - J, each stage solves one linear system with W, factored once per
 * attempted step (LU with partial pivoting). In the transformed variables U_i of IV.7
 * (7.25), with gamma = 1/4,
 *
 *   W U_i = f(t + alpha_i h, y + sum_{j<i} a_ij U_j) + sum_{j<i} (c_ij / h) U_j + gamma_i h f_t,
 *   y1 = y + sum_{j<=5} a_6j U_j + U_6   (a_6j = a_5j for j < 5, a_65 = 1),
 *
 * and the embedded 3rd-order solution is y1 - U_6 (both are stage values: the method is
 * stiffly accurate, R(infinity) = 0), so U_6 is the error estimate: O(h^4), the driver's
 * controller exponent 1/4. Dense output (order 3):
 * y(t + theta h) = (1 - theta) y + theta (y1 + (1 - theta) (d_2 + theta d_3)), d_k = sum h_kj U_j.
 *
 * Jacobian: options.jacobian(t, y, J) (row-major n x n, J zeroed before the call) or, by
 * default, forward differences column by column: n evaluations of f with the step
 * delta_j = sqrt(eps) max(|y_j|, floor), floor = options.jacobianFloor (default 1e-5), and
 * the actually represented (y_j + delta_j) - y_j divided by. Above the floor the step is
 * the usual relative one; at or below it, sqrt(eps) floor = 1.5e-13, which keeps the
 * rounding error eps |f| / delta of the column of an exactly zero component coupled to O(1)
 * ones at ~1e-3 relative. No floor suits every scaling: Robertson's y_2 ~ 1e-13, whose
 * nonlinearity (3e7 y_2^2) lives at its own scale, wants a far smaller floor (1e-20: 410
 * steps to t = 1e11 at rtol 1e-6, as with the exact Jacobian; the default: 894).
 * Limit of any difference Jacobian: its error is ~ sqrt(eps) ||J|| (rounding in f), and
 * a step h is accurate only while that error is << 1/h. For a flow whose Jacobian spans
 * 1e4 ... 1e-8 (a gradient flow's late, slow phase) the step is then capped near
 * 1/(sqrt(eps) ||J||) ~ 1e4 instead of growing to ~t: pass the analytic Jacobian (the
 * Hessian) for long stiff horizons.
 * Non-autonomous f: the df/dt term is included, by one forward difference in t with
 * delta_t = sqrt(eps) max(|t|, 1e-3) (for an autonomous f it is exactly 0). So a Jacobian
 * costs n + 1 evaluations of f (1 with options.jacobian), counted in `evaluations`;
 * `jacobianEvaluations` counts Jacobians.
 *
 * The Jacobian belongs to the point (t, y): a step rejected by the controller is retried
 * from the same point with the same J (only W is refactored). A step costs 5 evaluations
 * of f for the stages, 1 more when accepted (f at the new point, the next step's first
 * stage), and one Jacobian per accepted step. Nothing is allocated per step.
 *
 * Resume: bit for bit as for the explicit methods; `evaluations` is larger by one (f at
 * the restart point), and by n + 1 more if the run stopped at maxSteps right after a
 * rejected attempt (the Jacobian at that point, already formed, is formed again).
 */

import { luFactor, luSolve } from '../linalg/dense-lu.js';
import { type OdeOptions, type OdeResult, type OdeRhs, type RkMethod, type RkStepper, runAdaptive } from './adaptive.js';

export type { OdeOptions, OdeResult, OdeRhs, OdeState } from './adaptive.js';

/** J <- df/dy at (t, y), row-major n x n (J[i n + j] = df_i/dy_j), zeroed before the call. Must not keep or modify y. */
export type OdeJacobian = (t: number, y: Float64Array, J: Float64Array) => void;

/** The options of rodas4: the common options and an analytic Jacobian. */
export interface RosenbrockOptions extends OdeOptions {
  /** df/dy; default: forward differences (n evaluations of f per Jacobian). */
  jacobian?: OdeJacobian;
  /** The forward-difference step of component j is sqrt(eps) max(|y_j|, jacobianFloor). Default 1e-5. Unused with `jacobian`. */
  jacobianFloor?: number;
}

/** The result of rodas4: the common result and the number of Jacobians formed in this call. */
export interface RosenbrockResult extends OdeResult {
  /** Jacobians formed in this call (by differences or options.jacobian); not carried over by resume. */
  jacobianEvaluations: number;
}

// RODAS4 (Hairer & Wanner, Solving ODEs II, IV.7; the coefficients of their code RODAS,
// method 1) in the transformed form (7.25). Nodes alpha_i and gamma_i = sum_j gamma_ij.
const GAMMA = 0.25;
const C2 = 0.386, C3 = 0.21, C4 = 0.63;
const D1 = 0.25, D2 = -0.1043, D3 = 0.1035, D4 = -0.3620000000000023e-1;
const A21 = 1.544;
const A31 = 0.9466785280815826, A32 = 0.2557011698983284;
const A41 = 3.314825187068521, A42 = 2.896124015972201, A43 = 0.9986419139977817;
const A51 = 1.221224509226641, A52 = 6.019134481288629, A53 = 12.53708332932087, A54 = -0.6878860361058950;
const C21 = -5.6688;
const C31 = -2.430093356833875, C32 = -0.2063599157091915;
const C41 = -0.1073529058151375, C42 = -9.594562251023355, C43 = -20.47028614809616;
const C51 = 7.496443313967647, C52 = -10.24680431464352, C53 = -33.99990352819905, C54 = 11.70890893206160;
const C61 = 8.083246795921522, C62 = -7.981132988064893, C63 = -31.52159432874371, C64 = 16.31930543123136;
const C65 = -6.058818238834054;
// Dense output.
const H21 = 10.12623508344586, H22 = -7.487995877610167, H23 = -34.80091861555747, H24 = -7.992771707568823;
const H25 = 1.025137723295662;
const H31 = -0.6762803392801253, H32 = 6.087714651680015, H33 = 16.43084320892478, H34 = 24.76722511418386;
const H35 = -6.594389125716872;

/**
 * The coefficients as data, for tests of the order conditions: gamma, the lower-triangular
 * a and c of the transformed form (rows 2..6, row 6 of a is that of y1 - U_6), the weights
 * m of y1 (in the U_i), the nodes alpha_i and gamma_i, and the dense-output rows h2, h3.
 *
 * @example
 * RODAS4_TABLEAU.alpha[4]; // 1: stages 5 and 6 are at t + h
 */
export const RODAS4_TABLEAU = {
  gamma: GAMMA,
  a: [[], [A21], [A31, A32], [A41, A42, A43], [A51, A52, A53, A54], [A51, A52, A53, A54, 1]],
  c: [[], [C21], [C31, C32], [C41, C42, C43], [C51, C52, C53, C54], [C61, C62, C63, C64, C65]],
  m: [A51, A52, A53, A54, 1, 1],
  alpha: [0, C2, C3, C4, 1, 1],
  gammaSum: [D1, D2, D3, D4, 0, 0],
  h2: [H21, H22, H23, H24, H25, 0],
  h3: [H31, H32, H33, H34, H35, 0],
} as const;

const SQRT_EPS = Math.sqrt(Number.EPSILON);
const T_FLOOR = 1e-3;


/** A counter of Jacobians, shared by the steppers of one run. */
export interface JacobianCounter {
  count: number;
}

function createRodas4(n: number, rhs: OdeRhs, jacobian: OdeJacobian | undefined, floor: number, counter: JacobianCounter): RkStepper {
  const f0 = new Float64Array(n), fNew = new Float64Array(n), fk = new Float64Array(n), ft = new Float64Array(n);
  const u1 = new Float64Array(n), u2 = new Float64Array(n), u3 = new Float64Array(n);
  const u4 = new Float64Array(n), u5 = new Float64Array(n), u6 = new Float64Array(n);
  const w = new Float64Array(n), yp = new Float64Array(n);
  const jac = new Float64Array(n * n), lu = new Float64Array(n * n), piv = new Int32Array(n);
  // Dense output: (1 - theta) r0 + theta (r1 + (1 - theta) (r2 + theta r3)).
  const r0 = new Float64Array(n), r1 = new Float64Array(n), r2 = new Float64Array(n), r3 = new Float64Array(n);
  let jacobianValid = false, tJac = 0, failed = false;

  /** J and f_t at (t, y), f0 = f(t, y). */
  function formJacobian(t: number, y: Float64Array): void {
    counter.count += 1;
    if (jacobian) {
      jac.fill(0);
      jacobian(t, y, jac);
    } else {
      yp.set(y);
      for (let j = 0; j < n; j++) {
        const yj = y[j];
        yp[j] = yj + SQRT_EPS * Math.max(Math.abs(yj), floor);
        const d = yp[j] - yj;
        rhs(t, yp, fk);
        yp[j] = yj;
        const inv = 1 / d;
        for (let i = 0; i < n; i++) jac[i * n + j] = (fk[i] - f0[i]) * inv;
      }
    }
    const tp = t + SQRT_EPS * Math.max(Math.abs(t), T_FLOOR);
    const dt = tp - t;
    rhs(tp, y, fk);
    for (let i = 0; i < n; i++) ft[i] = (fk[i] - f0[i]) / dt;
    jacobianValid = true;
    tJac = t;
  }

  return {
    f0,
    stages(t, y, h, tNew, y1) {
      if (!jacobianValid || t !== tJac) formJacobian(t, y);
      const g = 1 / (GAMMA * h);
      for (let i = 0, nn = n * n; i < nn; i++) lu[i] = -jac[i];
      for (let i = 0; i < n; i++) lu[i * n + i] += g;
      failed = !luFactor(lu, n, piv);
      if (failed) {
        // W singular (1/(gamma h) an eigenvalue of J): the driver rejects and shrinks h.
        y1.fill(Number.NaN);
        return;
      }
      const hi = 1 / h;
      for (let i = 0; i < n; i++) u1[i] = f0[i] + h * D1 * ft[i];
      luSolve(lu, n, piv, u1);

      for (let i = 0; i < n; i++) w[i] = y[i] + A21 * u1[i];
      rhs(t + C2 * h, w, fk);
      for (let i = 0; i < n; i++) u2[i] = fk[i] + h * D2 * ft[i] + hi * (C21 * u1[i]);
      luSolve(lu, n, piv, u2);

      for (let i = 0; i < n; i++) w[i] = y[i] + A31 * u1[i] + A32 * u2[i];
      rhs(t + C3 * h, w, fk);
      for (let i = 0; i < n; i++) u3[i] = fk[i] + h * D3 * ft[i] + hi * (C31 * u1[i] + C32 * u2[i]);
      luSolve(lu, n, piv, u3);

      for (let i = 0; i < n; i++) w[i] = y[i] + A41 * u1[i] + A42 * u2[i] + A43 * u3[i];
      rhs(t + C4 * h, w, fk);
      for (let i = 0; i < n; i++) u4[i] = fk[i] + h * D4 * ft[i] + hi * (C41 * u1[i] + C42 * u2[i] + C43 * u3[i]);
      luSolve(lu, n, piv, u4);

      for (let i = 0; i < n; i++) w[i] = y[i] + A51 * u1[i] + A52 * u2[i] + A53 * u3[i] + A54 * u4[i];
      rhs(tNew, w, fk);
      for (let i = 0; i < n; i++) u5[i] = fk[i] + hi * (C51 * u1[i] + C52 * u2[i] + C53 * u3[i] + C54 * u4[i]);
      luSolve(lu, n, piv, u5);

      for (let i = 0; i < n; i++) w[i] += u5[i];
      rhs(tNew, w, fk);
      for (let i = 0; i < n; i++) u6[i] = fk[i] + hi * (C61 * u1[i] + C62 * u2[i] + C63 * u3[i] + C64 * u4[i] + C65 * u5[i]);
      luSolve(lu, n, piv, u6);

      for (let i = 0; i < n; i++) y1[i] = w[i] + u6[i];
    },
    error(_h, sc) {
      if (failed) return Number.POSITIVE_INFINITY;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const q = u6[i] / sc[i];
        s += q * q;
      }
      return n === 0 ? 0 : Math.sqrt(s / n);
    },
    accept(tNew, y1) {
      rhs(tNew, y1, fNew);
    },
    prepareDense(_t, y, _h, y1) {
      for (let i = 0; i < n; i++) {
        r0[i] = y[i];
        r1[i] = y1[i];
        r2[i] = H21 * u1[i] + H22 * u2[i] + H23 * u3[i] + H24 * u4[i] + H25 * u5[i];
        r3[i] = H31 * u1[i] + H32 * u2[i] + H33 * u3[i] + H34 * u4[i] + H35 * u5[i];
      }
    },
    dense(theta, out) {
      const t1 = 1 - theta;
      for (let i = 0; i < n; i++) out[i] = t1 * r0[i] + theta * (r1[i] + t1 * (r2[i] + theta * r3[i]));
    },
    advance() {
      f0.set(fNew);
      jacobianValid = false;
    },
  };
}

/**
 * RODAS4 for the adaptive driver, with the Jacobian from `jacobian` or forward differences
 * (step sqrt(eps) max(|y_j|, jacobianFloor)); `counter.count` grows by one per Jacobian.
 *
 * @throws RangeError naming `jacobian` (not a function) or `jacobianFloor` (not a finite number > 0).
 * @example
 * const counter = { count: 0 };
 * const r = runAdaptive(rodas4Method({}, counter), (t, y, dy) => { dy[0] = -1e6 * (y[0] - 1); }, 0, Float64Array.of(0), 1);
 * r.y[0]; // 1, in a few steps; counter.count === r.acceptedSteps
 */
export function rodas4Method(
  options: Pick<RosenbrockOptions, 'jacobian' | 'jacobianFloor'> = {}, counter: JacobianCounter = { count: 0 },
): RkMethod {
  const { jacobian } = options;
  const floor = options.jacobianFloor ?? 1e-5;
  if (jacobian !== undefined && typeof jacobian !== 'function') {
    throw new RangeError(`jacobian: expected a function (t, y, J) => void, got ${typeof jacobian}`);
  }
  if (!(floor > 0) || !Number.isFinite(floor)) throw new RangeError(`jacobianFloor: expected a finite number > 0, got ${floor}`);
  return { name: 'rodas4', order: 4, create: (n, rhs) => createRodas4(n, rhs, jacobian, floor, counter) };
}

/**
 * Integrates y' = f(t, y) from (t0, y0) to tEnd (tEnd > t0) with RODAS4, the L-stable
 * Rosenbrock method of order 4(3): for stiff problems, where an explicit method's step is
 * held at its stability limit (a gradient flow near a minimum, chemical kinetics).
 *
 * @throws RangeError naming a bad option or a non-finite y0.
 * @example
 * // y' = y (1 - y) from 1e-12 to t = 1e8: about 300 steps at rtol 1e-6 (dopri5 needs ~3e7).
 * const r = rodas4((t, y, dy) => { dy[0] = y[0] * (1 - y[0]); }, 0, Float64Array.of(1e-12), 1e8, { rtol: 1e-6, atol: 1e-22 });
 * r.y[0]; // 1
 */
export function rodas4(f: OdeRhs, t0: number, y0: Float64Array, tEnd: number, options: RosenbrockOptions = {}): RosenbrockResult {
  const counter: JacobianCounter = { count: 0 };
  const r = runAdaptive(rodas4Method(options, counter), f, t0, y0, tEnd, options);
  return { ...r, jacobianEvaluations: counter.count };
}
