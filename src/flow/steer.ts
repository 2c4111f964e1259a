/**
 * Gunasekar et al. (2017), section 5: the "steering" path
 *   X_{k+1} = exp(-η S_k) X_k exp(-η S_k),   S_k = ∇f(X_k) + ∇f(X_k)^T,
 * a multiplicative discretization of the factorization-free flow X' = -(S X + X S)
 * (src/flow/psd-flow.ts): expanding, X_{k+1} = X_k - η (S_k X_k + X_k S_k) + O(η²), so
 * the path at t = k η follows the flow to first order in η. Each step is a congruence
 * by the symmetric positive definite E = exp(-η S_k), so X stays symmetric PSD (and
 * keeps its rank) exactly, unlike an Euler step.
 *
 * exp(-η S) comes from the symmetric eigendecomposition S = V diag(λ) V^T:
 * E = V diag(exp(-η λ)) V^T. Per step: one residual and adjoint, one syevd and three
 * n x n GEMMs (E, E X, (E X) E).
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend as defaultBackend } from '../linalg/select.js';
import type { LossKind } from '../models/model.js';
import type { Problem } from '../problems/problem.js';
import { SymmetricGradient, checkSymmetricState, symmetrizeInPlace } from './psd-flow.js';

/** Where a steering path is: X_k and k. */
export interface SteerState {
  x: Mat;
  k: number;
}

export interface SteerOptions {
  /** Step η > 0 (the path at step k approximates the flow at t = k η). */
  eta: number;
  /** Stop after this many steps in total (counting from step 0, also when resuming). */
  maxSteps: number;
  /** Stop (status `converged`) once the loss is <= stopLoss. Default: never. */
  stopLoss?: number;
  /** The step the start is at, when resuming a path (X_k0 given as x0). Default 0. */
  startStep?: number;
  /**
   * Called at the start (k = startStep) and after every step with k, X_k (the stepper's
   * own buffer: copy to keep) and f(X_k); returning true stops the run (status `stopped`).
   */
  onStep?: (k: number, x: Mat, loss: number) => boolean | void;
}

export interface SteerResult {
  /** X at the end (a fresh matrix). */
  x: Mat;
  /** The step count reached (k of x). */
  steps: number;
  /** f(x). */
  loss: number;
  /** `diverged`: the loss or X stopped being finite (x, steps and loss are then the last finite point's). */
  status: 'converged' | 'max_steps' | 'stopped' | 'diverged';
}

/**
 * A resumable steering path with preallocated buffers: state X_k and k, plus f(X_k)
 * and S_k, which are computed when the state is set and after each step (so a step
 * costs one residual/adjoint evaluation, one syevd and three GEMMs). Steps allocate
 * only what the backend's syevd returns.
 *
 * @throws RangeError for a bad problem, loss, eta or start (n x n, finite, symmetric, PSD).
 * @example
 * const st = new SteerStepper(problem, 'half-sse', 1e-3, { x: scale(identity(n), 1e-6), k: 0 });
 * while (st.k < 1000) st.step();
 * const { x, k } = st.state(); // resume later with new SteerStepper(problem, 'half-sse', 1e-3, { x, k })
 */
export class SteerStepper {
  readonly n: number;
  readonly eta: number;
  private readonly sg: SymmetricGradient;
  private readonly be: Backend;
  private readonly xBuf: Mat;
  private readonly sBuf: Mat;
  private readonly wBuf: Mat;
  private readonly eBuf: Mat;
  private readonly tBuf: Mat;
  private readonly ex: Float64Array;
  private kNow = 0;
  private lossNow = NaN;

  constructor(problem: Problem, loss: LossKind, eta: number, start: SteerState, be: Backend = defaultBackend()) {
    if (!(eta > 0) || !Number.isFinite(eta)) throw new RangeError(`eta: expected a finite number > 0, got ${eta}`);
    this.sg = new SymmetricGradient(problem, loss, be);
    this.be = be;
    this.eta = eta;
    const n = (this.n = this.sg.n);
    this.xBuf = zeros(n, n);
    this.sBuf = zeros(n, n);
    this.wBuf = zeros(n, n);
    this.eBuf = zeros(n, n);
    this.tBuf = zeros(n, n);
    this.ex = new Float64Array(n);
    this.load(start);
  }

  /** k of the current X_k. */
  get k(): number {
    return this.kNow;
  }

  /** f(X_k). */
  get loss(): number {
    return this.lossNow;
  }

  /** X_k: the stepper's own buffer (overwritten by the next step). */
  get x(): Mat {
    return this.xBuf;
  }

  /** Whether X_k and f(X_k) are finite (a step from a non-finite state throws). */
  get finite(): boolean {
    if (!Number.isFinite(this.lossNow)) return false;
    const d = this.xBuf.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
    return true;
  }

  /** A copy of (X_k, k), to resume from. */
  state(): SteerState {
    return { x: { rows: this.n, cols: this.n, data: this.xBuf.data.slice() }, k: this.kNow };
  }

  /** Sets the state (checked: X n x n, finite, symmetric, PSD; k a non-negative integer); X is stored symmetrized. */
  load(start: SteerState): void {
    checkSymmetricState('x0', start.x, this.n, { psd: true, backend: this.be });
    if (!Number.isInteger(start.k) || start.k < 0) throw new RangeError(`k: expected an integer >= 0, got ${start.k}`);
    this.xBuf.data.set(start.x.data);
    symmetrizeInPlace(this.xBuf);
    this.kNow = start.k;
    this.lossNow = this.sg.evaluate(this.xBuf);
  }

  /** X_{k+1} = exp(-η S_k) X_k exp(-η S_k); k += 1. Returns f(X_{k+1}). */
  step(): number {
    if (!Number.isFinite(this.lossNow)) throw new RangeError(`state: the loss at step ${this.kNow} is ${this.lossNow}; the path diverged`);
    const n = this.n, be = this.be, eta = this.eta;
    const { values, vectors } = be.syevd(this.sg.symmetric(this.sBuf));
    // W = V diag(exp(-η λ)), E = W V^T.
    const ex = this.ex, v = vectors.data, w = this.wBuf.data;
    for (let j = 0; j < n; j++) ex[j] = Math.exp(-eta * values[j]);
    for (let i = 0; i < n; i++) {
      const b = i * n;
      for (let j = 0; j < n; j++) w[b + j] = v[b + j] * ex[j];
    }
    be.gemm(false, true, 1, this.wBuf, vectors, 0, this.eBuf);
    // E symmetric exactly, so that X <- E X E is an exact congruence up to the products' rounding.
    symmetrizeInPlace(this.eBuf);
    be.gemm(false, false, 1, this.eBuf, this.xBuf, 0, this.tBuf);
    be.gemm(false, false, 1, this.tBuf, this.eBuf, 0, this.xBuf);
    symmetrizeInPlace(this.xBuf);
    this.kNow += 1;
    const d = this.xBuf.data;
    let ok = true;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) { ok = false; break; }
    this.lossNow = ok ? this.sg.evaluate(this.xBuf) : NaN;
    return this.lossNow;
  }
}

/**
 * Runs the steering path from x0 (symmetric PSD, n x n) with step eta until the loss
 * reaches stopLoss, onStep returns true, maxSteps steps are done, or the path stops
 * being finite.
 *
 * @throws RangeError naming a bad option or start.
 * @example
 * const r = steer(problem, 'half-sse', scale(identity(n), 1e-6), { eta: 1e-2, maxSteps: 10000, stopLoss: 1e-10 });
 * r.status; // 'converged'
 */
export function steer(problem: Problem, loss: LossKind, x0: Mat, options: SteerOptions, be: Backend = defaultBackend()): SteerResult {
  const { eta, maxSteps } = options;
  if (!Number.isInteger(maxSteps) || maxSteps < 0) throw new RangeError(`maxSteps: expected an integer >= 0, got ${maxSteps}`);
  const stopLoss = options.stopLoss ?? -Infinity;
  if (Number.isNaN(stopLoss)) throw new RangeError('stopLoss: expected a number, got NaN');
  const k0 = options.startStep ?? 0;
  if (!Number.isInteger(k0) || k0 < 0) throw new RangeError(`startStep: expected an integer >= 0, got ${k0}`);
  const onStep = options.onStep;
  const st = new SteerStepper(problem, loss, eta, { x: x0, k: k0 }, be);
  // The last finite point, kept for a diverged result.
  const last = zeros(st.n, st.n);
  let lastK = st.k, lastLoss = st.loss;
  last.data.set(st.x.data);
  const result = (status: SteerResult['status']): SteerResult =>
    status === 'diverged'
      ? { x: last, steps: lastK, loss: lastLoss, status }
      : { x: { rows: st.n, cols: st.n, data: st.x.data.slice() }, steps: st.k, loss: st.loss, status };

  if (!st.finite) return result('diverged');
  for (;;) {
    const stop = onStep?.(st.k, st.x, st.loss) === true;
    if (st.loss <= stopLoss) return result('converged');
    if (stop) return result('stopped');
    if (st.k >= maxSteps) return result('max_steps');
    last.data.set(st.x.data);
    lastK = st.k;
    lastLoss = st.loss;
    st.step();
    if (!st.finite) return result('diverged');
  }
}
