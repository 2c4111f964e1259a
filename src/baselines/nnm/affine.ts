/**
 * The affine half of the ADMM splitting: the constraint set C = {X : |A(X) - y| <= eps}.
 *
 * Two forms, picked by `affineSet`:
 * - `project`: the Euclidean projection onto C in closed form. Completion (A A* = I,
 *   an entry selection): clamp the observed entries into [y - eps, y + eps]. Sensing with
 *   eps = 0 and a well-conditioned Gram matrix G = A A*: X = V - A*(G^-1 (A(V) - y)),
 *   G factored once by Cholesky (potrf), each step one potrs.
 * - `extended`: sensing with eps > 0 (the projection onto a slab of a non-orthogonal A is
 *   a QP) or with a rank-deficient G (duplicate rows). The solver then splits s = A(X)
 *   with s in the box, and its X-step is the linear solve (I + A*A) X = b, by Woodbury
 *   X = b - A*((I + G)^-1 A(b)); I + G is always positive definite.
 */

import type { Backend } from '../../linalg/backend.js';
import { LinalgError } from '../../linalg/backend.js';
import { type Mat, matOf, zeros } from '../../linalg/mat.js';
import { CompletionOperator, DenseOperator, SymmetricOperator } from '../../problems/operators/index.js';
import type { Problem } from '../../problems/problem.js';
import { adjointDense } from '../certificate.js';

export interface AffineSet {
  readonly mode: 'project' | 'extended';
  /** project mode: out <- the projection of v onto C. */
  project(v: Mat, out: Mat): void;
  /** project mode: the least-squares lambda of A*(lambda) = w, i.e. G^-1 A(w). */
  fit(w: Mat, out: Float64Array): Float64Array;
  /**
   * extended mode: out <- (I + A*A)^-1 b for b = c + A*(r), and ax <- A(out). With G kept,
   * this reads the operator twice (A(c) and one adjoint), not four times:
   * A(b) = A(c) + G r, q = (I + G)^-1 A(b), out = c + A*(r - q), A(out) = A(b) - G q.
   */
  solveExtended(c: Mat, r: Float64Array, out: Mat, ax: Float64Array): void;
}

/** Below this ratio of the smallest squared Cholesky pivot to the largest diagonal entry of G, G is treated as rank deficient. */
const GRAM_CONDITION_FLOOR = 1e-10;

/** The m x m Gram matrix G_ij = <A_i, A_j>, by one GEMM over the operator's rows. */
export function gramMatrix(problem: Problem, be: Backend): Mat {
  const op = problem.op, m = op.m;
  let rowsMat: Mat;
  if (op instanceof DenseOperator) rowsMat = op.matrices;
  else if (op instanceof SymmetricOperator) {
    // <A_i, A_j> = sum_diag a_i a_j + 2 sum_offdiag a_i a_j on the packed upper triangles.
    const n = op.n, s = op.packed.cols, src = op.packed.data;
    rowsMat = zeros(m, s);
    const d = rowsMat.data, r2 = Math.SQRT2;
    for (let i = 0; i < m; i++) {
      let p = i * s;
      for (let j = 0; j < n; j++) {
        d[p] = src[p];
        p++;
        for (let k = j + 1; k < n; k++, p++) d[p] = r2 * src[p];
      }
    }
  } else rowsMat = matOf(m, op.n1 * op.n2, op.toDenseTensor());
  return be.gemm(false, true, 1, rowsMat, rowsMat, 0, zeros(m, m));
}

function choleskyOrNull(g: Mat, be: Backend): Mat | null {
  let big = 0;
  for (let i = 0; i < g.rows; i++) big = Math.max(big, g.data[i * g.cols + i]);
  try {
    const l = be.potrf(g);
    let small = Infinity;
    for (let i = 0; i < l.rows; i++) small = Math.min(small, l.data[i * l.cols + i] ** 2);
    return small > GRAM_CONDITION_FLOOR * big ? l : null;
  } catch (e) {
    if (e instanceof LinalgError) return null;
    throw e;
  }
}

/** The constraint set of the problem in its cheapest exact form. */
export function affineSet(problem: Problem, eps: number, be: Backend): AffineSet {
  const op = problem.op, y = problem.y, m = op.m;
  if (op instanceof CompletionOperator) {
    const rows = op.rows, cols = op.cols, n2 = op.n2;
    return {
      mode: 'project',
      project(v, out) {
        if (out !== v) out.data.set(v.data);
        const d = out.data;
        for (let i = 0; i < m; i++) {
          const k = rows[i] * n2 + cols[i];
          d[k] = Math.min(Math.max(d[k], y[i] - eps), y[i] + eps);
        }
      },
      fit(w, out) {
        return op.apply(w, out);
      },
      solveExtended() {
        throw new Error('affineSet: completion uses the project form');
      },
    };
  }
  const g = gramMatrix(problem, be);
  const work = new Float64Array(m);
  const adjTo = (r: Float64Array, out: Mat): Mat => adjointDense(problem, r, out);
  const tmp = zeros(op.n1, op.n2);
  const l = eps === 0 ? choleskyOrNull(g, be) : null;
  if (l) {
    return {
      mode: 'project',
      project(v, out) {
        op.apply(v, work);
        for (let i = 0; i < m; i++) work[i] -= y[i];
        const z = be.potrs(l, matOf(m, 1, work)).data;
        adjTo(z, tmp);
        const a = v.data, t = tmp.data, o = out.data;
        for (let i = 0; i < o.length; i++) o[i] = a[i] - t[i];
      },
      fit(w, out) {
        op.apply(w, work);
        out.set(be.potrs(l, matOf(m, 1, work)).data);
        return out;
      },
      solveExtended() {
        throw new Error('affineSet: this problem uses the project form');
      },
    };
  }
  const g1 = { rows: m, cols: m, data: g.data.slice() };
  for (let i = 0; i < m; i++) g1.data[i * m + i] += 1;
  const l1 = be.potrf(g1);
  const gv = new Float64Array(m), coef = new Float64Array(m);
  return {
    mode: 'extended',
    project() {
      throw new Error('affineSet: this problem uses the extended form');
    },
    fit() {
      throw new Error('affineSet: this problem uses the extended form');
    },
    solveExtended(c, r, out, ax) {
      op.apply(c, work);
      be.gemv(false, 1, g, r, 0, gv);
      for (let i = 0; i < m; i++) work[i] += gv[i];
      const q = be.potrs(l1, matOf(m, 1, work)).data;
      for (let i = 0; i < m; i++) coef[i] = r[i] - q[i];
      adjTo(coef, tmp);
      const a = c.data, t = tmp.data, o = out.data;
      for (let i = 0; i < o.length; i++) o[i] = a[i] + t[i];
      be.gemv(false, 1, g, q, 0, gv);
      for (let i = 0; i < m; i++) ax[i] = work[i] - gv[i];
    },
  };
}
