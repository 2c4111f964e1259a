/**
 * What every model shares: the residual r = A(W) - y, the loss, the scaled adjoint
 * G = c A*(r) (c = 2/m for mse, 1 for half-sse), and the choice between sparse
 * products and dense GEMMs for a sparse G.
 *
 * Internal to src/models: the public surface is the model classes and createModel.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, assertShape, zeros } from '../linalg/mat.js';
import { type SparseMat, sparseToDense } from '../linalg/sparse.js';
import type { AdjointResult, MeasurementOperator } from '../problems/operator.js';
import type { Problem } from '../problems/problem.js';
import type { LossKind } from './model.js';

/**
 * How a model multiplies by a sparse adjoint (completion, diagonal measurements):
 * `auto` picks by the cost model below, `always` keeps it sparse (O(nnz k) per
 * product, and the loss through `applyProductT`, W never formed), `never` scatters it
 * into a dense matrix and uses GEMMs (and forms W for the loss). All three give the same values
 * up to rounding; the choice only moves time.
 */
export type SparseChoice = 'auto' | 'always' | 'never';

/** Options every model constructor takes. */
export interface ModelOptions {
  /** See SparseChoice. Default `auto`. */
  sparse?: SparseChoice;
}

/**
 * The cost of one multiply-add in the backend's sparse kernels (Backend.spmm and
 * sampledProduct) relative to one inside `be.gemm`, per backend: sparse products win
 * when nnz * ratio < rows * cols. Calibrated on the 2-core development machine (AMD
 * EPYC, OpenBLAS Haswell kernels) by timing lossAndGradient with `sparse: 'always'`
 * against `'never'` on 100 x 100 completion at densities 5-60%: on native the two
 * break even at about 30% (depth 2, U U^T) to 40% (depths 3-4, U V^T) density; at
 * 20% (2000 entries) the sparse form takes ~124 us against ~162 us at depth 3. The
 * native kernels run ~0.06-0.07 ns per multiply-add (200k in 11-15 us, one thread)
 * against ~0.025 ns in a 100^3 GEMM on two threads. On js both sides are TypeScript
 * loops; they break even at 35% (deep, U V^T) and 25% (U U^T).
 */
export const SPARSE_COST_RATIO: Readonly<Record<'js' | 'native', number>> = { native: 3, js: 3 };

/**
 * Whether products with an nnz-entry sparse rows x cols matrix are cheaper done
 * sparsely than densely through `be` (see SPARSE_COST_RATIO).
 *
 * @example
 * sparseIsCheaper(2000, 100, 100, backend()); // true (20% dense) on both backends
 */
export function sparseIsCheaper(nnz: number, rows: number, cols: number, be: Backend): boolean {
  return nnz * SPARSE_COST_RATIO[be.name] < rows * cols;
}

/**
 * The one-line check every evaluation runs on its parameters (O(1) per factor).
 *
 * @example
 * checkParams('lossAt', ['U', 'V'], [[5, 2], [7, 2]], [u, v]); // throws "lossAt: V: expected shape 7x2, got ..."
 */
export function checkParams(
  where: string, names: readonly string[], shapes: ReadonlyArray<readonly [number, number]>, params: readonly Mat[],
): void {
  if (params.length !== names.length) {
    throw new RangeError(`${where}: expected ${names.length} factors (${names.join(', ')}), got ${params.length}`);
  }
  for (let i = 0; i < names.length; i++) {
    // The message is built only on failure: this runs every step, and a template string per
    // factor would be the step's only allocation.
    const p = params[i], r = shapes[i][0], c = shapes[i][1];
    if (p.rows !== r || p.cols !== c) assertShape(`${where}: ${names[i]}`, p, r, c);
  }
}

/**
 * The measurement side of a model, bound to a problem and a loss. Owns the residual
 * buffers: `rGrad` (the residual of the last lossAndGradient, kept for
 * endToEndGradient) and `rLoss` (for lossAt, so that a loss evaluation in between
 * does not disturb it).
 *
 * @example
 * const obj = new Objective(problem, 'mse', backend(), {});
 * obj.op.apply(w, obj.rGrad);
 * const loss = obj.finish(obj.rGrad);   // rGrad now holds A(W) - y
 * const g = obj.adjointForProducts();   // (2/m) A*(r), sparse or dense
 */
export class Objective {
  readonly op: MeasurementOperator;
  readonly y: Float64Array;
  readonly m: number;
  readonly n1: number;
  readonly n2: number;
  readonly loss: LossKind;
  /** dL/dW = gradScale * A*(r). */
  readonly gradScale: number;
  readonly rGrad: Float64Array;
  readonly rLoss: Float64Array;
  readonly be: Backend;
  readonly choice: SparseChoice;
  /** The loss goes through applyProductT (sparse) rather than through a formed W. */
  readonly productForward: boolean;
  /**
   * applyResidual into rGrad also computes the gradient's adjoint, in the same pass over the
   * measurement matrices (the operator's residualAdjoint: dense and symmetric sensing).
   */
  readonly fused: boolean;
  /** The adjoint computed by the last fused applyResidual, until adjoint() hands it out. */
  private pending: AdjointResult | undefined;
  private hasGradient = false;
  private dense: Mat | undefined;
  private denseResult: AdjointResult | undefined;
  private diag: SparseMat | undefined;
  private diagResult: AdjointResult | undefined;

  constructor(problem: Problem, loss: LossKind, be: Backend, options: ModelOptions) {
    const op = problem.op;
    if (loss !== 'mse' && loss !== 'half-sse') throw new RangeError(`loss: expected "mse" or "half-sse", got "${String(loss)}"`);
    const choice = options.sparse ?? 'auto';
    if (choice !== 'auto' && choice !== 'always' && choice !== 'never') {
      throw new RangeError(`sparse: expected "auto", "always" or "never", got "${String(choice)}"`);
    }
    if (op.n1 !== problem.n1 || op.n2 !== problem.n2) {
      throw new RangeError(`problem: the operator is ${op.n1}x${op.n2} but the problem is ${problem.n1}x${problem.n2}`);
    }
    if (problem.y.length !== op.m) throw new RangeError(`y: expected ${op.m} values (one per measurement), got ${problem.y.length}`);
    this.op = op;
    this.y = problem.y;
    this.m = op.m;
    this.n1 = op.n1;
    this.n2 = op.n2;
    this.loss = loss;
    this.gradScale = loss === 'mse' ? (op.m > 0 ? 2 / op.m : 0) : 1;
    this.rGrad = new Float64Array(op.m);
    this.rLoss = new Float64Array(op.m);
    this.be = be;
    this.choice = choice;
    const sparseOp = op.kind === 'completion' || op.kind === 'diagonal';
    this.productForward = choice === 'always'
      ? sparseOp
      : choice === 'auto' && (op.kind === 'diagonal' || (op.kind === 'completion' && sparseIsCheaper(op.m, op.n1, op.n2, be)));
    this.fused = typeof op.residualAdjoint === 'function';
  }

  /**
   * r <- A(W) - y; returns the loss. Into rGrad with a fused operator, G = gradScale A*(r) is
   * computed in the same pass and is what the next adjoint() returns.
   */
  applyResidual(w: Mat, r: Float64Array): number {
    if (this.fused && r === this.rGrad) {
      this.pending = this.op.residualAdjoint!(w, this.y, r, this.gradScale);
      let s = 0;
      for (let i = 0; i < r.length; i++) s += r[i] * r[i];
      return this.loss === 'mse' ? (this.m > 0 ? s / this.m : 0) : 0.5 * s;
    }
    if (r === this.rGrad) this.pending = undefined;
    this.op.apply(w, r);
    return this.finish(r);
  }

  /** r <- r - y (r holds A(W) on entry); returns the loss. */
  finish(r: Float64Array): number {
    const y = this.y;
    let s = 0;
    for (let i = 0; i < r.length; i++) {
      const v = r[i] - y[i];
      r[i] = v;
      s += v * v;
    }
    return this.loss === 'mse' ? (this.m > 0 ? s / this.m : 0) : 0.5 * s;
  }

  /**
   * G = gradScale A*(rGrad) as the operator returns it, except that a diagonal
   * operator's dense diagonal G is recast as sparse (O(n)) so that products with it
   * cost O(n k) instead of a GEMM.
   */
  adjoint(): AdjointResult {
    this.hasGradient = true;
    const pending = this.pending;
    this.pending = undefined;
    const g = pending ?? this.op.adjoint(this.rGrad, this.gradScale);
    if (this.op.kind === 'diagonal' && g.kind === 'dense' && this.choice !== 'never') return this.diagonalAsSparse(g.mat);
    return g;
  }

  /** Whether products with G should be sparse (see SparseChoice). */
  sparseProducts(g: AdjointResult): boolean {
    if (g.kind !== 'sparse') return false;
    if (this.choice !== 'auto') return this.choice === 'always';
    const s = g.mat;
    return sparseIsCheaper(s.rowPtr[s.rows], s.rows, s.cols, this.be);
  }

  /** G as the form products should use: sparse when sparseProducts says so, else dense (scattered into an owned buffer). */
  adjointForProducts(): AdjointResult {
    const g = this.adjoint();
    if (g.kind === 'dense' || this.sparseProducts(g)) return g;
    const d = this.denseBuffer();
    scatterDense(g.mat, d);
    this.denseResult ??= { kind: 'dense', mat: d };
    return this.denseResult;
  }

  /** An owned n1 x n2 buffer (allocated on first use). */
  denseBuffer(): Mat {
    this.dense ??= zeros(this.n1, this.n2);
    return this.dense;
  }

  /** dL/dW at the last lossAndGradient, dense, into out: recomputed from the kept residual. */
  endToEndGradient(out: Mat): Mat {
    if (!this.hasGradient) throw new Error('endToEndGradient: call lossAndGradient first');
    assertShape('endToEndGradient: out', out, this.n1, this.n2);
    const g = this.op.adjoint(this.rGrad, this.gradScale);
    if (g.kind === 'dense') out.data.set(g.mat.data);
    else sparseToDense(g.mat, out);
    return out;
  }

  private diagonalAsSparse(d: Mat): AdjointResult {
    const n = d.rows;
    if (this.diag === undefined) {
      const rowPtr = new Int32Array(n + 1), colIdx = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        rowPtr[i + 1] = i + 1;
        colIdx[i] = i;
      }
      this.diag = { rows: n, cols: n, rowPtr, colIdx, values: new Float64Array(n) };
      this.diagResult = { kind: 'sparse', mat: this.diag };
    }
    const v = this.diag.values, x = d.data;
    for (let i = 0; i < n; i++) v[i] = x[i * n + i];
    return this.diagResult as AdjointResult;
  }
}

/**
 * out <- G for G sparse: zero fill, then one scatter per entry (sparseToDense with the
 * CSR arrays hoisted into locals, about twice as fast on the hot path).
 *
 * @example
 * scatterDense(g, zeros(g.rows, g.cols));
 */
export function scatterDense(g: SparseMat, out: Mat): Mat {
  const n2 = g.cols, o = out.data, { rowPtr, colIdx, values } = g;
  o.fill(0);
  for (let i = 0; i < g.rows; i++) {
    const base = i * n2, end = rowPtr[i + 1];
    for (let p = rowPtr[i]; p < end; p++) o[base + colIdx[p]] += values[p];
  }
  return out;
}

/**
 * out <- G + G^T for G sparse (square), by scattering each entry twice. O(n^2 + nnz).
 *
 * @example
 * sparsePlusTranspose(g, zeros(g.rows, g.rows));
 */
export function sparsePlusTranspose(g: SparseMat, out: Mat): Mat {
  const n = g.rows, o = out.data, { rowPtr, colIdx, values } = g;
  o.fill(0);
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const j = colIdx[p], v = values[p];
      o[i * n + j] += v;
      o[j * n + i] += v;
    }
  }
  return out;
}

/**
 * out <- G + G^T for G dense (square); out must not alias G.
 *
 * @example
 * densePlusTranspose(matFrom([[1, 2], [3, 4]]), zeros(2, 2)); // [[2, 5], [5, 8]]
 */
export function densePlusTranspose(g: Mat, out: Mat): Mat {
  const n = g.rows, x = g.data, o = out.data;
  for (let i = 0; i < n; i++) {
    o[i * n + i] = 2 * x[i * n + i];
    for (let j = i + 1; j < n; j++) {
      const v = x[i * n + j] + x[j * n + i];
      o[i * n + j] = v;
      o[j * n + i] = v;
    }
  }
  return out;
}

/** An empty placeholder for unused slots of per-factor workspace arrays. */
export const EMPTY: Mat = { rows: 0, cols: 0, data: new Float64Array(0) };

/**
 * Whether x is an integer >= min.
 *
 * @example
 * isIntAtLeast(3, 1); // true
 * isIntAtLeast(2.5, 1); // false
 */
export function isIntAtLeast(x: unknown, min: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min;
}

/**
 * out <- (G + G^T) U for the current adjoint G (n x n) and U (n x k): the gradient
 * kernel of the symmetric models (U U^T and U D U^T). A symmetric G (symmetric or
 * diagonal measurements) needs one product; otherwise G + G^T is formed in `gsum`
 * (n x n workspace) unless sparse products are cheaper.
 *
 * @example
 * symmetrizedAdjointTimes(obj, obj.adjoint(), u, true, gsum, out, be);
 */
export function symmetrizedAdjointTimes(
  obj: Objective, g: AdjointResult, u: Mat, symmetricAdjoint: boolean, gsum: Mat, out: Mat, be: Backend,
): Mat {
  if (g.kind === 'sparse' && obj.sparseProducts(g)) {
    if (symmetricAdjoint) be.spmm(false, 2, g.mat, u, 0, out);
    else {
      be.spmm(false, 1, g.mat, u, 0, out);
      be.spmm(true, 1, g.mat, u, 1, out);
    }
  } else if (g.kind === 'sparse') {
    be.gemm(false, false, 1, sparsePlusTranspose(g.mat, gsum), u, 0, out);
  } else if (symmetricAdjoint) {
    be.gemm(false, false, 2, g.mat, u, 0, out);
  } else {
    be.gemm(false, false, 1, densePlusTranspose(g.mat, gsum), u, 0, out);
  }
  return out;
}
