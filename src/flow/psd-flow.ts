/**
 * The gradient flow of the U U^T model written on X = U U^T itself (factorization-free),
 * as an ODE on the n² entries of X (row-major).
 *
 * Derivation. Let f(X) be the loss, r = A(X) - y and G = ∇f(X) = c A*(r) with c = 2/m
 * (mse) or 1 (half-sse); G need not be symmetric (asymmetric A_i). For F(U) = f(U U^T),
 * dF = <G, dU U^T + U dU^T> = <(G + G^T) U, dU>, so ∇_U F = S U with S = G + G^T. Along
 * U' = -S U,
 *   X' = U' U^T + U U'^T = -S U U^T - U U^T S = -(S X + X S),
 * which depends on U only through X: the flow closes on X, whatever the width of U (the
 * full-dimensional case k = n reaches every PSD X). S and X are symmetric, so
 * X S = (S X)^T and one product P = S X gives the whole right-hand side, -(P + P^T),
 * which is exactly symmetric in floating point; a Runge–Kutta combination of exactly
 * symmetric stages keeps the state exactly symmetric.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend as defaultBackend } from '../linalg/select.js';
import type { SparseChoice } from '../models/core.js';
import { sparseIsCheaper, sparsePlusTranspose } from '../models/core.js';
import type { LossKind } from '../models/model.js';
import type { AdjointResult, MeasurementOperator } from '../problems/operator.js';
import type { Problem } from '../problems/problem.js';
import type { OdeRhs } from './dopri5.js';

export interface PsdFlowOptions {
  /**
   * How S X is formed when the adjoint is sparse (completion): `always` two sparse
   * products G X + G^T X (O(nnz n)), `never` S scattered dense and one GEMM, `auto` by
   * the models' cost model (sparseIsCheaper). Same values up to rounding. Default `auto`.
   */
  sparse?: SparseChoice;
}

export interface PsdFlow {
  /** n (X is n x n). */
  readonly n: number;
  /** n², the length of the flat state. */
  readonly size: number;
  readonly lossKind: LossKind;
  /** c in ∇f(X) = c A*(r): 2/m for mse, 1 for half-sse. */
  readonly gradScale: number;
  /** dy <- -(S X + X S) at X = y (y symmetric, row-major n x n). Allocates nothing. */
  readonly rhs: OdeRhs;
  /** f(X) at X = y. */
  loss(y: Float64Array): number;
  /** r = A(X) - y_obs at X = y, into out (fresh when omitted). */
  residual(y: Float64Array, out?: Float64Array): Float64Array;
  /** S = ∇f(X) + ∇f(X)^T at X = y, dense, into out (fresh when omitted). */
  symmetricGradient(y: Float64Array, out?: Mat): Mat;
  /** The flat state of a symmetric X (checked: n x n, finite, symmetric to 1e-12 relative; stored symmetrized). */
  pack(x: Mat, out?: Float64Array): Float64Array;
  /** X of a flat state (a fresh matrix). */
  unpack(y: Float64Array): Mat;
}

/**
 * Checks that x is an n x n finite symmetric matrix (|x_ij - x_ji| <= 1e-12 max|x|);
 * with `psd`, also positive semidefinite (smallest eigenvalue >= -1e-10 max|lambda|).
 *
 * @throws RangeError naming `name` and what was expected.
 * @example
 * checkSymmetricState('x0', matFrom([[1, 0], [0, 2]]), 2, { psd: true, backend: backend() });
 */
export function checkSymmetricState(name: string, x: Mat, n: number, options: { psd?: boolean; backend?: Backend } = {}): void {
  if (x.rows !== n || x.cols !== n) throw new RangeError(`${name}: expected a ${n}x${n} matrix, got ${x.rows}x${x.cols}`);
  const d = x.data;
  if (d.length !== n * n) throw new RangeError(`${name}: expected ${n * n} entries, got ${d.length}`);
  let big = 0;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new RangeError(`${name}: entry [${Math.floor(i / n)}, ${i % n}] is ${d[i]} (expected finite values)`);
    big = Math.max(big, Math.abs(d[i]));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = Math.abs(d[i * n + j] - d[j * n + i]);
      if (a > 1e-12 * big) throw new RangeError(`${name}: expected a symmetric matrix, entries [${i}, ${j}] and [${j}, ${i}] differ by ${a.toExponential(2)}`);
    }
  }
  if (options.psd && n > 0) {
    const ev = (options.backend ?? defaultBackend()).eigvalsh(x);
    const top = Math.max(Math.abs(ev[0]), Math.abs(ev[n - 1]));
    if (ev[0] < -1e-10 * top) throw new RangeError(`${name}: expected a positive semidefinite matrix, smallest eigenvalue ${ev[0].toPrecision(3)}`);
  }
}

/**
 * x <- (x + x^T)/2 for a square x, in place: removes the rounding asymmetry of a product
 * that is symmetric in exact arithmetic.
 *
 * @example
 * symmetrizeInPlace(x); // x.data[1] === x.data[2] for a 2x2 x
 */
export function symmetrizeInPlace(x: Mat): void {
  const n = x.rows, d = x.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
}

/**
 * The measurement side shared by psdFlow and the steering path: at a symmetric X, the
 * residual, the loss, G = c A*(r), and from G either P = S X or S itself (S = G + G^T).
 * Owns every buffer; evaluations allocate nothing.
 *
 * @throws RangeError for a non-square problem, a bad loss kind or sparse choice, or a
 *   y of the wrong length.
 * @example
 * const sg = new SymmetricGradient(problem, 'half-sse', backend());
 * const loss = sg.evaluate(x); // r, loss and G at x
 * sg.timesState(x, p);         // p <- S x
 */
export class SymmetricGradient {
  readonly n: number;
  readonly m: number;
  readonly lossKind: LossKind;
  readonly gradScale: number;
  readonly op: MeasurementOperator;
  readonly y: Float64Array;
  readonly be: Backend;
  /** r = A(X) - y at the last evaluate. */
  readonly r: Float64Array;
  private readonly choice: SparseChoice;
  /** A*(r) is symmetric for every r (symmetric or diagonal A_i), so S = 2G. */
  private readonly symmetricAdjoint: boolean;
  private g: AdjointResult | undefined;
  private readonly s: Mat;

  constructor(problem: Problem, loss: LossKind, be: Backend, options: PsdFlowOptions = {}) {
    if (loss !== 'mse' && loss !== 'half-sse') throw new RangeError(`loss: expected "mse" or "half-sse", got "${String(loss)}"`);
    if (problem.n1 !== problem.n2) throw new RangeError(`problem: the PSD flow needs a square problem (n1 = n2), got ${problem.n1}x${problem.n2}`);
    const op = problem.op;
    if (op.n1 !== problem.n1 || op.n2 !== problem.n2) throw new RangeError(`problem: the operator is ${op.n1}x${op.n2} but the problem is ${problem.n1}x${problem.n2}`);
    if (problem.y.length !== op.m) throw new RangeError(`y: expected ${op.m} values (one per measurement), got ${problem.y.length}`);
    const choice = options.sparse ?? 'auto';
    if (choice !== 'auto' && choice !== 'always' && choice !== 'never') throw new RangeError(`sparse: expected "auto", "always" or "never", got "${String(choice)}"`);
    this.n = problem.n1;
    this.m = op.m;
    this.lossKind = loss;
    this.gradScale = loss === 'mse' ? (op.m > 0 ? 2 / op.m : 0) : 1;
    this.op = op;
    this.y = problem.y;
    this.be = be;
    this.r = new Float64Array(op.m);
    this.choice = choice;
    this.symmetricAdjoint = op.kind === 'symmetric' || op.kind === 'diagonal';
    this.s = zeros(this.n, this.n);
  }

  /** r <- A(X) - y and G <- c A*(r) (fused where the operator offers it); returns f(X). */
  evaluate(x: Mat): number {
    const r = this.r, y = this.y;
    if (this.op.residualAdjoint) {
      this.g = this.op.residualAdjoint(x, y, r, this.gradScale);
    } else {
      this.op.apply(x, r);
      for (let i = 0; i < r.length; i++) r[i] -= y[i];
      this.g = this.op.adjoint(r, this.gradScale);
    }
    let ss = 0;
    for (let i = 0; i < r.length; i++) ss += r[i] * r[i];
    return this.lossKind === 'mse' ? (this.m > 0 ? ss / this.m : 0) : 0.5 * ss;
  }

  /** f(X) alone (r updated, G not). */
  lossAt(x: Mat): number {
    const r = this.r, y = this.y;
    this.op.apply(x, r);
    let ss = 0;
    for (let i = 0; i < r.length; i++) {
      const v = r[i] - y[i];
      r[i] = v;
      ss += v * v;
    }
    this.g = undefined;
    return this.lossKind === 'mse' ? (this.m > 0 ? ss / this.m : 0) : 0.5 * ss;
  }

  private adjoint(): AdjointResult {
    if (this.g === undefined) throw new Error('SymmetricGradient: call evaluate(x) first');
    return this.g;
  }

  /** out <- S = G + G^T (dense) from the last evaluate. Returns out. */
  symmetric(out: Mat = this.s): Mat {
    const g = this.adjoint(), n = this.n, o = out.data;
    if (g.kind === 'dense') {
      const a = g.mat.data;
      if (this.symmetricAdjoint) {
        for (let i = 0; i < o.length; i++) o[i] = 2 * a[i];
      } else {
        for (let i = 0; i < n; i++) {
          o[i * n + i] = 2 * a[i * n + i];
          for (let j = i + 1; j < n; j++) o[i * n + j] = o[j * n + i] = a[i * n + j] + a[j * n + i];
        }
      }
      return out;
    }
    // CSR G scattered into G + G^T (a diagonal entry lands twice, as it should: 2 g_ii).
    return sparsePlusTranspose(g.mat, out);
  }

  /** out <- S X from the last evaluate (X symmetric). out must not be x. Returns out. */
  timesState(x: Mat, out: Mat): Mat {
    const g = this.adjoint(), n = this.n, be = this.be;
    if (this.op.kind === 'diagonal' && g.kind === 'dense') {
      // S = 2 diag(g): a row scaling, O(n²) instead of a GEMM.
      const a = g.mat.data, xd = x.data, o = out.data;
      for (let i = 0; i < n; i++) {
        const s = 2 * a[i * n + i], b = i * n;
        for (let j = 0; j < n; j++) o[b + j] = s * xd[b + j];
      }
      return out;
    }
    if (g.kind === 'dense') {
      if (this.symmetricAdjoint) return be.gemm(false, false, 2, g.mat, x, 0, out);
      return be.gemm(false, false, 1, this.symmetric(), x, 0, out);
    }
    const sm = g.mat;
    const sparse = this.choice === 'always' || (this.choice === 'auto' && sparseIsCheaper(sm.rowPtr[sm.rows], n, n, be));
    if (!sparse) return be.gemm(false, false, 1, this.symmetric(), x, 0, out);
    be.spmm(false, 1, sm, x, 0, out);
    return be.spmm(true, 1, sm, x, 1, out);
  }
}

/**
 * The U U^T gradient flow as an ODE on X = U U^T (see the module comment for the
 * derivation): X' = -(S X + X S), S = ∇f(X) + ∇f(X)^T, ∇f(X) = c A*(A(X) - y),
 * c = 2/m (mse) or 1 (half-sse). One product P = S X per evaluation (GEMM, two sparse
 * products for a sparse adjoint, or a row scaling for diagonal measurements); X S = P^T.
 * The state must be symmetric (pack checks); the flow keeps it so exactly.
 *
 * @throws RangeError for a non-square problem or a bad loss kind.
 * @example
 * const flow = psdFlow(problem, 'half-sse');
 * const r = dopri5(flow.rhs, 0, flow.pack(scale(identity(n), 1e-3)), 10, { rtol: 1e-10, atol: 1e-14 });
 * const x = flow.unpack(r.y); // X(10)
 */
export function psdFlow(problem: Problem, loss: LossKind, be: Backend = defaultBackend(), options: PsdFlowOptions = {}): PsdFlow {
  const sg = new SymmetricGradient(problem, loss, be, options);
  const n = sg.n, size = n * n;
  const x = zeros(n, n), p = zeros(n, n);
  const load = (y: Float64Array): void => {
    if (y.length !== size) throw new RangeError(`y: expected ${size} entries (X, ${n}x${n} row-major), got ${y.length}`);
    x.data.set(y);
  };
  const rhs: OdeRhs = (_t, y, dy) => {
    load(y);
    sg.evaluate(x);
    sg.timesState(x, p);
    const pd = p.data;
    for (let i = 0; i < n; i++) {
      dy[i * n + i] = -2 * pd[i * n + i];
      for (let j = i + 1; j < n; j++) dy[i * n + j] = dy[j * n + i] = -(pd[i * n + j] + pd[j * n + i]);
    }
  };
  return {
    n,
    size,
    lossKind: loss,
    gradScale: sg.gradScale,
    rhs,
    loss(y) {
      load(y);
      return sg.lossAt(x);
    },
    residual(y, out = new Float64Array(sg.m)) {
      if (out.length !== sg.m) throw new RangeError(`out: expected ${sg.m} entries, got ${out.length}`);
      load(y);
      sg.lossAt(x);
      out.set(sg.r);
      return out;
    },
    symmetricGradient(y, out = zeros(n, n)) {
      if (out.rows !== n || out.cols !== n) throw new RangeError(`out: expected a ${n}x${n} matrix, got ${out.rows}x${out.cols}`);
      load(y);
      sg.evaluate(x);
      return sg.symmetric(out);
    },
    pack(xm, out = new Float64Array(size)) {
      checkSymmetricState('x', xm, n);
      if (out.length !== size) throw new RangeError(`out: expected ${size} entries, got ${out.length}`);
      const d = xm.data;
      for (let i = 0; i < n; i++) {
        out[i * n + i] = d[i * n + i];
        for (let j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i] = 0.5 * (d[i * n + j] + d[j * n + i]);
      }
      return out;
    },
    unpack(y) {
      load(y);
      return { rows: n, cols: n, data: x.data.slice() };
    },
  };
}
