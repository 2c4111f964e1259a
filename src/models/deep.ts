/**
 * The deep factorization W = W_N ... W_1 (Arora, Cohen, Hu, Luo 2019), any depth
 * N >= 1 and any hidden widths. W_j is d_j x d_(j-1), d_0 = n2, d_N = n1.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, assertShape, transpose, zeros } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import { type AdjointResult, adjointTimes, adjointTransposeTimes } from '../problems/operator.js';
import type { Problem } from '../problems/problem.js';
import { EMPTY, type ModelOptions, Objective, checkParams, isIntAtLeast, scatterDense } from './core.js';
import type { LossKind, Model } from './model.js';

/**
 * The chain d_0..d_N of a depth-N product for an n1 x n2 problem.
 *
 * `widths` may hold the N - 1 hidden widths d_1..d_(N-1), or the whole chain
 * d_0..d_N (then d_0 must be n2 and d_N must be n1). Without it every hidden width
 * is min(n1, n2) (= n in the square case), so that no factor limits the rank of W.
 * Errors are one line naming `depth` or `widths`.
 *
 * @example
 * deepDims(100, 100, 3);          // [100, 100, 100, 100]
 * deepDims(8, 6, 3, [5, 7]);      // [6, 5, 7, 8]
 * deepDims(8, 6, 2, [6, 4, 8]);   // [6, 4, 8]
 */
export function deepDims(n1: number, n2: number, depth: number, widths?: readonly number[]): number[] {
  if (!isIntAtLeast(depth, 1)) throw new RangeError(`depth: expected an integer >= 1, got ${String(depth)}`);
  let hidden: number[];
  if (widths === undefined) {
    hidden = new Array<number>(depth - 1).fill(Math.min(n1, n2));
  } else {
    if (!Array.isArray(widths)) throw new RangeError(`widths: expected an array of integers, got ${typeof widths}`);
    for (let i = 0; i < widths.length; i++) {
      if (!isIntAtLeast(widths[i], 1)) throw new RangeError(`widths[${i}]: expected an integer >= 1, got ${String(widths[i])}`);
    }
    if (widths.length === depth - 1) hidden = [...widths];
    else if (widths.length === depth + 1) {
      if (widths[0] !== n2 || widths[depth] !== n1) {
        throw new RangeError(
          `widths: a full chain d_0..d_${depth} must start at n2 = ${n2} and end at n1 = ${n1}, got [${widths.join(', ')}]`,
        );
      }
      hidden = widths.slice(1, depth);
    } else {
      throw new RangeError(
        `widths: expected ${depth - 1} hidden widths d_1..d_${depth - 1} for depth ${depth} ` +
          `(or the ${depth + 1}-entry chain d_0..d_${depth}), got ${widths.length}`,
      );
    }
  }
  return [n2, ...hidden, n1];
}

/**
 * W = W_N ... W_1; factor order W1..WN (params[j - 1] = W_j, d_j x d_(j-1)).
 *
 * With G = dL/dW = c A*(r), dL/dW_j = P_j^T G S_j^T, where P_j = W_N...W_(j+1)
 * (n1 x d_j) and S_j = W_(j-1)...W_1 (d_(j-1) x n2). Two schedules, both O(N) GEMMs:
 *
 * - dense G (sensing; completion when dense GEMMs are cheaper, see SparseChoice):
 *   S_(j+1) = W_j S_j up the chain, W = W_N S_N, r = A(W) - y; then back down with
 *   B_N = G, dL/dW_j = B_j S_j^T, B_(j-1) = W_j^T B_j (and dL/dW_1 = B_1):
 *   3(N - 1) GEMMs, as reverse-mode differentiation does.
 * - sparse G (completion, diagonal): W is never formed. With the suffixes kept
 *   transposed, T_j = S_j^T (n2 x d_(j-1); T_3 = W_1^T W_2^T, T_(j+1) = T_j W_j^T, all
 *   GEMMs with transpose flags), r = A(W_N T_N^T) - y through applyProductT (O(m d),
 *   Backend.sampledProduct for completion), dL/dW_N = G T_N (spmm) and the reverse pass
 *   carried transposed, H_j = B_j^T (n2 x d_j): H_(N-1) = G^T W_N (spmm),
 *   dL/dW_j = H_j^T T_j, H_(j-1) = H_j W_j, down to dL/dW_2 = H_2^T W_1^T and
 *   dL/dW_1 = W_2^T H_2^T. For N >= 3 that is 3(N - 2) GEMMs (3 at depth 3, against 6
 *   dense) plus three O(nnz d) sparse products, and no transposition; depth 2 takes
 *   two O(n d) transposes instead of GEMMs.
 *
 * Workspaces are allocated at construction; evaluations allocate nothing.
 *
 * @example
 * const model = new DeepModel(problem, 'mse', 3);
 * const params = initialize({ kind: 'gaussian', scale: 1e-3 }, model, problem, rng);
 * const grads = model.factorShapes.map(([r, c]) => zeros(r, c));
 * model.lossAndGradient(params, grads);
 */
export class DeepModel implements Model {
  readonly kind = 'deep' as const;
  readonly n1: number;
  readonly n2: number;
  readonly loss: LossKind;
  readonly depth: number;
  /** d_0..d_N. */
  readonly dims: readonly number[];
  readonly factorNames: readonly string[];
  readonly factorShapes: ReadonlyArray<readonly [number, number]>;
  private readonly obj: Objective;
  private readonly be: Backend;
  /** The sparse schedule (transposed suffixes around applyProductT) rather than the dense one. */
  private readonly sparseSchedule: boolean;
  // Dense schedule: sChain[j] = S_j for 3 <= j <= N (S_2 is W_1); bBuf[j] = B_j for 2 <= j < N; wBuf = W.
  private sChain: Mat[] = [];
  private bBuf: Mat[] = [];
  private wBuf: Mat = EMPTY;
  // Sparse schedule: tChain[j] = T_j = S_j^T for 3 <= j <= N (and T_2 = W_1^T at depth 2);
  // hBuf[j] = H_j = B_j^T for 2 <= j < N (and H_1 = G^T W_2 at depth 2).
  private tChain: Mat[] = [];
  private hBuf: Mat[] = [];

  constructor(
    problem: Problem, loss: LossKind, depth: number, widths?: readonly number[], be: Backend = backend(), options: ModelOptions = {},
  ) {
    const dims = deepDims(problem.n1, problem.n2, depth, widths);
    this.obj = new Objective(problem, loss, be, options);
    this.be = be;
    this.n1 = problem.n1;
    this.n2 = problem.n2;
    this.loss = loss;
    this.depth = depth;
    this.dims = dims;
    this.factorNames = Array.from({ length: depth }, (_, i) => `W${i + 1}`);
    this.factorShapes = Array.from({ length: depth }, (_, i) => [dims[i + 1], dims[i]] as const);
    this.sparseSchedule = this.obj.productForward;
    if (this.sparseSchedule) this.allocSparse();
    else this.allocDense();
  }

  endToEnd(params: readonly Mat[], out: Mat): Mat {
    checkParams('endToEnd', this.factorNames, this.factorShapes, params);
    assertShape('endToEnd: out', out, this.n1, this.n2);
    const N = this.depth;
    if (N === 1) {
      out.data.set(params[0].data);
      return out;
    }
    this.allocDense();
    return this.be.gemm(false, false, 1, params[N - 1], this.suffix(params), 0, out);
  }

  lossAt(params: readonly Mat[]): number {
    checkParams('lossAt', this.factorNames, this.factorShapes, params);
    return this.residual(params, this.obj.rLoss);
  }

  lossAndGradient(params: readonly Mat[], grads: Mat[]): number {
    checkParams('lossAndGradient', this.factorNames, this.factorShapes, params);
    checkParams('lossAndGradient: grads', this.factorNames, this.factorShapes, grads);
    const loss = this.residual(params, this.obj.rGrad);
    if (this.sparseSchedule) this.backwardSparse(params, grads, this.obj.adjoint());
    else this.backwardDense(params, grads, this.denseAdjoint());
    return loss;
  }

  endToEndGradient(out: Mat): Mat {
    return this.obj.endToEndGradient(out);
  }

  project(_params: Mat[]): void {}

  /** A(W) - y into r; returns the loss. */
  private residual(params: readonly Mat[], r: Float64Array): number {
    const op = this.obj.op, N = this.depth;
    if (N === 1) return this.obj.applyResidual(params[0], r);
    if (!this.sparseSchedule) return this.obj.applyResidual(this.be.gemm(false, false, 1, params[N - 1], this.suffix(params), 0, this.wBuf), r);
    op.applyProductT(params[N - 1], this.transposedSuffix(params), r);
    return this.obj.finish(r);
  }

  /** S_N = W_(N-1)...W_1 (N >= 2), through sChain. */
  private suffix(params: readonly Mat[]): Mat {
    let s = params[0];
    for (let j = 2; j < this.depth; j++) s = this.be.gemm(false, false, 1, params[j - 1], s, 0, this.sChain[j + 1]);
    return s;
  }

  /** T_N = S_N^T (N >= 2), through tChain: T_3 = W_1^T W_2^T, T_(j+1) = T_j W_j^T (T_2 = W_1^T by transposition). */
  private transposedSuffix(params: readonly Mat[]): Mat {
    const N = this.depth, t = this.tChain, be = this.be;
    if (N === 2) return transpose(params[0], t[2]);
    be.gemm(true, true, 1, params[0], params[1], 0, t[3]);
    for (let j = 3; j < N; j++) be.gemm(false, true, 1, t[j], params[j - 1], 0, t[j + 1]);
    return t[N];
  }

  /** G dense: the operator's, or a sparse one scattered into an owned buffer. */
  private denseAdjoint(): Mat {
    const g = this.obj.adjoint();
    if (g.kind === 'dense') return g.mat;
    return scatterDense(g.mat, this.obj.denseBuffer());
  }

  /** Reverse mode over the S chain left by residual(): 2(N - 1) GEMMs. */
  private backwardDense(params: readonly Mat[], grads: Mat[], g: Mat): void {
    const N = this.depth, be = this.be;
    if (N === 1) {
      grads[0].data.set(g.data);
      return;
    }
    let b = g;
    for (let j = N; j >= 2; j--) {
      const sj = j === 2 ? params[0] : this.sChain[j];
      be.gemm(false, true, 1, b, sj, 0, grads[j - 1]);
      const next = j === 2 ? grads[0] : this.bBuf[j - 1];
      be.gemm(true, false, 1, params[j - 1], b, 0, next);
      b = next;
    }
  }

  /** The transposed reverse pass over tChain (left by residual()); G sparse or dense. */
  private backwardSparse(params: readonly Mat[], grads: Mat[], g: AdjointResult): void {
    const N = this.depth, be = this.be, t = this.tChain, h = this.hBuf;
    if (N === 1) {
      if (g.kind === 'dense') grads[0].data.set(g.mat.data);
      else scatterDense(g.mat, grads[0]);
      return;
    }
    // dL/dW_N = G S_N^T = G T_N.
    adjointTimes(g, t[N], grads[N - 1], be);
    // H_(N-1) = (W_N^T G)^T = G^T W_N.
    const top = N === 2 ? h[1] : h[N - 1];
    adjointTransposeTimes(g, params[N - 1], top, be);
    if (N === 2) {
      transpose(top, grads[0]); // dL/dW_1 = W_2^T G = H_1^T
      return;
    }
    for (let j = N - 1; j >= 3; j--) {
      be.gemm(true, false, 1, h[j], t[j], 0, grads[j - 1]); // dL/dW_j = B_j S_j^T = H_j^T T_j
      be.gemm(false, false, 1, h[j], params[j - 1], 0, h[j - 1]); // H_(j-1) = H_j W_j
    }
    be.gemm(true, true, 1, h[2], params[0], 0, grads[1]); // dL/dW_2 = H_2^T W_1^T
    be.gemm(true, true, 1, params[1], h[2], 0, grads[0]); // dL/dW_1 = W_2^T H_2^T
  }

  private allocDense(): void {
    if (this.sChain.length > 0) return;
    const N = this.depth, d = this.dims;
    this.sChain = Array.from({ length: N + 1 }, (_, j) => (j >= 3 && j <= N ? zeros(d[j - 1], this.n2) : EMPTY));
    if (this.sparseSchedule) return; // endToEnd only needs the S chain
    this.bBuf = Array.from({ length: N + 1 }, (_, j) => (j >= 2 && j < N ? zeros(d[j], this.n2) : EMPTY));
    this.wBuf = N >= 2 ? zeros(this.n1, this.n2) : EMPTY;
  }

  private allocSparse(): void {
    const N = this.depth, d = this.dims, n2 = this.n2;
    this.tChain = Array.from({ length: N + 1 }, (_, j) => ((j >= 3 && j <= N) || (j === 2 && N === 2) ? zeros(n2, d[j - 1]) : EMPTY));
    this.hBuf = Array.from({ length: N + 1 }, (_, j) => ((j >= 2 && j < N) || (j === 1 && N === 2) ? zeros(n2, d[j]) : EMPTY));
  }
}
