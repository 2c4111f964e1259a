/**
 * The shallow PSD factorization W = U U^T (Gunasekar et al. 2017), U n x k.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, assertShape, zeros } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import type { Problem } from '../problems/problem.js';
import { type ModelOptions, Objective, checkParams, isIntAtLeast, symmetrizedAdjointTimes } from './core.js';
import type { LossKind, Model } from './model.js';

/**
 * W = U U^T with U n x k (k = n is Gunasekar et al.'s full-dimensional case).
 * The gradient is dL/dU = (G + G^T) U with G = dL/dW = c A*(r): one GEMM (2 G U when
 * the operator's adjoint is symmetric), or two O(nnz k) sparse products for a
 * sparse G. Workspaces are allocated at construction; evaluations allocate nothing.
 *
 * @example
 * const model = new PsdModel(problem, 'half-sse', problem.n1);
 * const grads = [zeros(problem.n1, problem.n1)];
 * const loss = model.lossAndGradient([u], grads);
 */
export class PsdModel implements Model {
  readonly kind = 'psd' as const;
  readonly n1: number;
  readonly n2: number;
  readonly loss: LossKind;
  readonly width: number;
  readonly factorNames: readonly string[] = ['U'];
  readonly factorShapes: ReadonlyArray<readonly [number, number]>;
  private readonly obj: Objective;
  private readonly be: Backend;
  /** A*(r) is symmetric for every r (symmetric or diagonal A_i): (G + G^T) U = 2 G U. */
  private readonly symmetricAdjoint: boolean;
  private readonly w: Mat;
  private readonly gsum: Mat;

  constructor(problem: Problem, loss: LossKind, width: number, be: Backend = backend(), options: ModelOptions = {}) {
    if (problem.n1 !== problem.n2) throw new RangeError(`model: psd needs a square problem (n1 = n2), got ${problem.n1}x${problem.n2}`);
    if (!isIntAtLeast(width, 1)) throw new RangeError(`width: expected an integer >= 1, got ${String(width)}`);
    this.obj = new Objective(problem, loss, be, options);
    this.be = be;
    const n = problem.n1;
    this.n1 = this.n2 = n;
    this.loss = loss;
    this.width = width;
    this.factorShapes = [[n, width]];
    this.symmetricAdjoint = problem.op.kind === 'symmetric' || problem.op.kind === 'diagonal';
    const product = this.obj.productForward;
    this.w = product ? zeros(0, 0) : zeros(n, n);
    this.gsum = zeros(n, n);
  }

  endToEnd(params: readonly Mat[], out: Mat): Mat {
    checkParams('endToEnd', this.factorNames, this.factorShapes, params);
    assertShape('endToEnd: out', out, this.n1, this.n2);
    return this.be.gemm(false, true, 1, params[0], params[0], 0, out);
  }

  lossAt(params: readonly Mat[]): number {
    checkParams('lossAt', this.factorNames, this.factorShapes, params);
    return this.residual(params[0], this.obj.rLoss);
  }

  lossAndGradient(params: readonly Mat[], grads: Mat[]): number {
    checkParams('lossAndGradient', this.factorNames, this.factorShapes, params);
    checkParams('lossAndGradient: grads', this.factorNames, this.factorShapes, grads);
    const u = params[0], grad = grads[0], be = this.be, obj = this.obj;
    const loss = this.residual(u, obj.rGrad);
    symmetrizedAdjointTimes(obj, obj.adjoint(), u, this.symmetricAdjoint, this.gsum, grad, be);
    return loss;
  }

  endToEndGradient(out: Mat): Mat {
    return this.obj.endToEndGradient(out);
  }

  project(_params: Mat[]): void {}

  /** A(U U^T) - y into r; returns the loss. */
  private residual(u: Mat, r: Float64Array): number {
    const obj = this.obj;
    if (!obj.productForward) return obj.applyResidual(this.be.gemm(false, true, 1, u, u, 0, this.w), r);
    obj.op.applyProductT(u, u, r);
    return obj.finish(r);
  }
}
