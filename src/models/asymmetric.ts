/**
 * The shallow asymmetric factorization W = U V^T, U n1 x k, V n2 x k.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, assertShape, zeros } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import { adjointTimes, adjointTransposeTimes } from '../problems/operator.js';
import type { Problem } from '../problems/problem.js';
import { type ModelOptions, Objective, checkParams, isIntAtLeast } from './core.js';
import type { LossKind, Model } from './model.js';

/**
 * W = U V^T. With G = dL/dW = c A*(r): dL/dU = G V and dL/dV = G^T U, each one GEMM
 * or one O(nnz k) sparse product. Factor order: U, V. Evaluations allocate nothing.
 *
 * @example
 * const model = new AsymmetricModel(problem, 'mse', 10);
 * const loss = model.lossAndGradient([u, v], [gu, gv]);
 */
export class AsymmetricModel implements Model {
  readonly kind = 'asymmetric' as const;
  readonly n1: number;
  readonly n2: number;
  readonly loss: LossKind;
  readonly width: number;
  readonly factorNames: readonly string[] = ['U', 'V'];
  readonly factorShapes: ReadonlyArray<readonly [number, number]>;
  private readonly obj: Objective;
  private readonly be: Backend;
  private readonly w: Mat;

  constructor(problem: Problem, loss: LossKind, width: number, be: Backend = backend(), options: ModelOptions = {}) {
    if (!isIntAtLeast(width, 1)) throw new RangeError(`width: expected an integer >= 1, got ${String(width)}`);
    this.obj = new Objective(problem, loss, be, options);
    this.be = be;
    this.n1 = problem.n1;
    this.n2 = problem.n2;
    this.loss = loss;
    this.width = width;
    this.factorShapes = [[this.n1, width], [this.n2, width]];
    const product = this.obj.productForward;
    this.w = product ? zeros(0, 0) : zeros(this.n1, this.n2);
  }

  endToEnd(params: readonly Mat[], out: Mat): Mat {
    checkParams('endToEnd', this.factorNames, this.factorShapes, params);
    assertShape('endToEnd: out', out, this.n1, this.n2);
    return this.be.gemm(false, true, 1, params[0], params[1], 0, out);
  }

  lossAt(params: readonly Mat[]): number {
    checkParams('lossAt', this.factorNames, this.factorShapes, params);
    return this.residual(params[0], params[1], this.obj.rLoss);
  }

  lossAndGradient(params: readonly Mat[], grads: Mat[]): number {
    checkParams('lossAndGradient', this.factorNames, this.factorShapes, params);
    checkParams('lossAndGradient: grads', this.factorNames, this.factorShapes, grads);
    const u = params[0], v = params[1];
    const loss = this.residual(u, v, this.obj.rGrad);
    const g = this.obj.adjointForProducts();
    adjointTimes(g, v, grads[0], this.be);
    adjointTransposeTimes(g, u, grads[1], this.be);
    return loss;
  }

  endToEndGradient(out: Mat): Mat {
    return this.obj.endToEndGradient(out);
  }

  project(_params: Mat[]): void {}

  /** A(U V^T) - y into r; returns the loss. */
  private residual(u: Mat, v: Mat, r: Float64Array): number {
    const obj = this.obj;
    if (!obj.productForward) return obj.applyResidual(this.be.gemm(false, true, 1, u, v, 0, this.w), r);
    obj.op.applyProductT(u, v, r);
    return obj.finish(r);
  }
}
