/**
 * W = U diag(D) U^T with projected gradient descent (Hou, Sra, Yurtsever 2025):
 * U on the Frobenius ball of radius alpha (default 1), D >= 0.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, assertShape, frobeniusNorm, zeros } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import type { Problem } from '../problems/problem.js';
import { type ModelOptions, Objective, checkParams, isIntAtLeast, symmetrizedAdjointTimes } from './core.js';
import type { LossKind, Model } from './model.js';

/**
 * W = U diag(D) U^T, U n x k, D stored as a 1 x k Mat. Factor order: U, D.
 * With G = dL/dW and M = (G + G^T) U: dL/dU = M diag(D) and dL/dD_i = u_i^T G u_i
 * = (1/2) u_i . M[:, i]. `project` is the Euclidean projection onto
 * {||U||_F <= radius} x {D >= 0}. Evaluations allocate nothing.
 *
 * @example
 * const model = new UduModel(problem, 'half-sse', 20);
 * model.lossAndGradient([u, d], [gu, gd]);
 * model.project([u, d]); // ||u||_F <= 1, d >= 0
 */
export class UduModel implements Model {
  readonly kind = 'udu' as const;
  readonly n1: number;
  readonly n2: number;
  readonly loss: LossKind;
  readonly width: number;
  /** alpha, the radius of the Frobenius ball U is projected onto. */
  readonly radius: number;
  readonly factorNames: readonly string[] = ['U', 'D'];
  readonly factorShapes: ReadonlyArray<readonly [number, number]>;
  private readonly obj: Objective;
  private readonly be: Backend;
  private readonly symmetricAdjoint: boolean;
  /** U diag(D), n x k. */
  private readonly ud: Mat;
  private readonly w: Mat;
  private readonly gsum: Mat;
  /** (G + G^T) U, n x k. */
  private readonly mBuf: Mat;

  constructor(problem: Problem, loss: LossKind, width: number, radius = 1, be: Backend = backend(), options: ModelOptions = {}) {
    if (problem.n1 !== problem.n2) throw new RangeError(`model: udu needs a square problem (n1 = n2), got ${problem.n1}x${problem.n2}`);
    if (!isIntAtLeast(width, 1)) throw new RangeError(`width: expected an integer >= 1, got ${String(width)}`);
    if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0) {
      throw new RangeError(`radius: expected a positive finite number, got ${String(radius)}`);
    }
    this.obj = new Objective(problem, loss, be, options);
    this.be = be;
    const n = problem.n1;
    this.n1 = this.n2 = n;
    this.loss = loss;
    this.width = width;
    this.radius = radius;
    this.factorShapes = [[n, width], [1, width]];
    this.symmetricAdjoint = problem.op.kind === 'symmetric' || problem.op.kind === 'diagonal';
    const product = this.obj.productForward;
    this.ud = zeros(n, width);
    this.w = product ? zeros(0, 0) : zeros(n, n);
    this.gsum = zeros(n, n);
    this.mBuf = zeros(n, width);
  }

  endToEnd(params: readonly Mat[], out: Mat): Mat {
    checkParams('endToEnd', this.factorNames, this.factorShapes, params);
    assertShape('endToEnd: out', out, this.n1, this.n2);
    return this.be.gemm(false, true, 1, this.scaleColumns(params[0], params[1]), params[0], 0, out);
  }

  lossAt(params: readonly Mat[]): number {
    checkParams('lossAt', this.factorNames, this.factorShapes, params);
    return this.residual(params[0], params[1], this.obj.rLoss);
  }

  lossAndGradient(params: readonly Mat[], grads: Mat[]): number {
    checkParams('lossAndGradient', this.factorNames, this.factorShapes, params);
    checkParams('lossAndGradient: grads', this.factorNames, this.factorShapes, grads);
    const u = params[0], d = params[1].data, be = this.be, obj = this.obj, mm = this.mBuf;
    const loss = this.residual(u, params[1], obj.rGrad);
    // M = (G + G^T) U.
    symmetrizedAdjointTimes(obj, obj.adjoint(), u, this.symmetricAdjoint, this.gsum, mm, be);
    const n = this.n1, k = this.width, ud = u.data, md = mm.data, gu = grads[0].data, gd = grads[1].data;
    for (let i = 0; i < k; i++) gd[i] = 0;
    for (let r = 0; r < n; r++) {
      const o = r * k;
      for (let i = 0; i < k; i++) {
        const mv = md[o + i];
        gu[o + i] = mv * d[i];
        gd[i] += ud[o + i] * mv;
      }
    }
    for (let i = 0; i < k; i++) gd[i] *= 0.5;
    return loss;
  }

  endToEndGradient(out: Mat): Mat {
    return this.obj.endToEndGradient(out);
  }

  /** U <- U min(1, radius / ||U||_F); D <- max(D, 0). In place. */
  project(params: Mat[]): void {
    checkParams('project', this.factorNames, this.factorShapes, params);
    const u = params[0].data, d = params[1].data;
    const norm = frobeniusNorm(params[0]);
    if (norm > this.radius) {
      const s = this.radius / norm;
      for (let i = 0; i < u.length; i++) u[i] *= s;
    }
    for (let i = 0; i < d.length; i++) if (d[i] < 0) d[i] = 0;
  }

  /** U diag(D) into the owned buffer. */
  private scaleColumns(u: Mat, dm: Mat): Mat {
    const n = this.n1, k = this.width, x = u.data, d = dm.data, o = this.ud.data;
    for (let r = 0; r < n; r++) {
      const b = r * k;
      for (let i = 0; i < k; i++) o[b + i] = x[b + i] * d[i];
    }
    return this.ud;
  }

  /** A(U diag(D) U^T) - y into r; returns the loss. */
  private residual(u: Mat, d: Mat, r: Float64Array): number {
    const obj = this.obj;
    const ud = this.scaleColumns(u, d);
    if (!obj.productForward) return obj.applyResidual(this.be.gemm(false, true, 1, ud, u, 0, this.w), r);
    obj.op.applyProductT(ud, u, r);
    return obj.finish(r);
  }
}
