/**
 * The exact baseline of the commuting case of Gunasekar et al. (2017): with diagonal
 * measurements A_i = diag(a_i), A(X) depends on diag(X) only, tr X is the sum of diag(X),
 * and diag(X) >= 0 for PSD X while every x >= 0 gives the PSD diag(x). So the minimum-trace
 * PSD X with A(X) = y can be taken diagonal, and its diagonal solves the linear program
 *
 *   minimize 1^T x  s.t.  A x = y,  x >= 0       (A: m x n, row i = a_i),
 *
 * with dual  maximize y^T lambda  s.t.  A^T lambda <= 1.
 *
 * Algorithm: a dense two-phase revised simplex method. Rows with y_i < 0 are negated (an
 * exact sign flip) so that the right-hand side b is >= 0; Phase I starts from the basis of
 * m artificial columns and minimizes their sum; Phase II minimizes 1^T x from the feasible
 * basis Phase I found. The basis matrix is small (m x m), so it is factorized afresh by LU
 * with partial pivoting at every iteration, and x_B and lambda are solved from it with one
 * step of iterative refinement: no product-form updates whose rounding could accumulate,
 * and at the end x_B = B^-1 y and lambda = B^-T 1_B are backward-stable solves with the
 * optimal basis, so x is accurate to rounding (what the alpha -> 0 experiment needs, down
 * to relative deviations of 1e-8 and beyond).
 *
 * Pricing: Dantzig's rule (most negative reduced cost), ratio ties broken towards an
 * artificial (it never re-enters, so each such pivot is progress) and then the largest
 * pivot (stability). After `degenerateLimit` (default 2 m + 50) consecutive degenerate
 * pivots, Bland's rule (smallest entering index, smallest leaving index among ratio ties)
 * until the next non-degenerate pivot: Bland's rule cannot cycle, so neither can the
 * mixture. Bland's rule is only the safety net: on commuting() problems (x* sparse, so
 * every vertex near the optimum is highly degenerate) it was measured to stall for
 * thousands of pivots (n = 100, m = 40: up to 1328 pivots with a limit of 20, against 52-107
 * with Dantzig and the artificial-first tie-break, whose longest degenerate run was 28).
 *
 * Infeasibility: Phase I ends with artificial sum w > tol ||y||_inf. Its optimal dual mu
 * (in the flipped rows) has a_j^T mu <= 0 for every column and b^T mu = w > 0, so
 * z = -S mu (S the sign flip) has A^T z >= 0 and y^T z < 0: a Farkas certificate, returned
 * scaled to y^T z = -1 (then A^T z >= -e means every x >= 0 with A x = y has
 * ||x||_1 >= 1/e: no such x exists when e = 0).
 *
 * Redundant rows (A rank-deficient, y consistent): an artificial that cannot be pivoted out
 * after Phase I stays basic at level 0 with cost 0 and is treated as fixed at 0 in the
 * ratio test, so it never becomes positive.
 *
 * Measured (js LU, commuting() problems with scale arora, rank 5, seeds 1-6, median of
 * repeated runs after warm-up, on a shared 2-core machine under load): n = 50, m = 20:
 * 28-48 pivots, 0.5-0.9 ms; n = 100, m = 40: 52-107 pivots, 8-16 ms; n = 200, m = 80:
 * 135-237 pivots, 0.1-0.2 s; n = m = 200: about 210 pivots, 0.75-1.0 s (each pivot
 * refactorizes the basis: O(m^3)). Certificates: residual, dual infeasibility and gap
 * about 1e-16 to 1e-15, min x about -1e-14 (zero-level basic variables).
 */

import { luFactor, luSolve, luSolveTransposed } from '../linalg/dense-lu.js';
import { LinalgError } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { DiagonalOperator } from '../problems/operators/diagonal.js';
import type { Problem } from '../problems/problem.js';

export interface MinL1Options {
  /**
   * Relative tolerance of pricing (reduced cost < -tol (1 + |a_j^T lambda|) enters), of
   * pivots (|u_i| > tol ||u||_inf) and of Phase I (w > tol ||y||_inf is infeasible).
   * Default 1e-9. It decides which basis is optimal, not how accurately x is computed.
   */
  tol?: number;
  /** Default 50 (m + n) + 100; exceeding it throws LinalgError. */
  maxIterations?: number;
  /**
   * Consecutive degenerate pivots before Bland's rule takes over (until the next
   * non-degenerate pivot). Default 2 m + 50; 0 means Bland's rule throughout.
   */
  degenerateLimit?: number;
}

export interface MinL1Certificate {
  /** ||A x - y||_inf / max(1, ||y||_inf). */
  primalResidual: number;
  /** min_j x_j: the most negative entry (>= 0 when x is exactly nonnegative). */
  minX: number;
  /** max(0, -min_j (1 - a_j^T lambda)). */
  dualInfeasibility: number;
  /** |1^T x - y^T lambda| / max(1, |1^T x|). */
  gap: number;
}

export interface FarkasCertificate {
  /** z with A^T z >= 0 (to rounding) and y^T z = -1. */
  z: Float64Array;
  /** min_j a_j^T z: >= 0 up to rounding. */
  minATz: number;
  /** y^T z (-1 up to rounding). */
  yTz: number;
}

export interface MinL1Result {
  status: 'optimal' | 'infeasible';
  /** The optimal x (n entries); when infeasible, Phase I's x (A x != y). */
  x: Float64Array;
  /** lambda (m entries), the optimal dual; when infeasible, the Farkas ray z. */
  dual: Float64Array;
  /** 1^T x. */
  objective: number;
  /** The m basic column indices; an index >= n is the artificial of row (index - n). */
  basis: Int32Array;
  /** Simplex pivots, both phases (with those that drive artificials out after Phase I). */
  iterations: number;
  /** Figures of (x, dual) as an optimality certificate (meaningful when optimal). */
  certificate: MinL1Certificate;
  /** Present exactly when infeasible. */
  farkas: FarkasCertificate | null;
}


/** The basis LU (P B = L U, src/linalg/dense-lu.ts) with its buffers and the singularity check. */
class Lu {
  private readonly lu: Float64Array;
  private readonly piv: Int32Array;
  private readonly work: Float64Array;
  constructor(private readonly k: number) {
    this.lu = new Float64Array(k * k);
    this.piv = new Int32Array(k);
    this.work = new Float64Array(k);
  }

  /** Factorizes `b` (copied). Throws LinalgError if a pivot vanishes against the matrix's scale. */
  factor(b: Float64Array): void {
    this.lu.set(b);
    let scale = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
    if (!luFactor(this.lu, this.k, this.piv, 1e-14 * scale)) {
      throw new LinalgError('minL1Nonnegative: the basis matrix is singular (a pivot below 1e-14 of its largest entry)');
    }
  }

  /** x <- B^-1 x in place. */
  solve(x: Float64Array): void {
    luSolve(this.lu, this.k, this.piv, x);
  }

  /** x <- B^-T x in place. */
  solveT(x: Float64Array): void {
    luSolveTransposed(this.lu, this.k, this.piv, x, this.work);
  }
}

function validate(a: Mat, y: Float64Array, o: MinL1Options): { tol: number; maxIterations: number; degenerateLimit: number } {
  if (!Number.isInteger(a.rows) || !Number.isInteger(a.cols) || a.rows < 1 || a.cols < 1) {
    throw new RangeError(`a: expected an m x n matrix with m, n >= 1, got ${a.rows}x${a.cols}`);
  }
  if (!(a.data instanceof Float64Array) || a.data.length !== a.rows * a.cols) {
    throw new RangeError(`a: expected ${a.rows * a.cols} entries for a ${a.rows}x${a.cols} matrix, got ${a.data?.length}`);
  }
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new RangeError(`a: entry [${Math.floor(i / a.cols)}, ${i % a.cols}] is ${a.data[i]} (expected finite values)`);
  }
  if (!(y instanceof Float64Array) || y.length !== a.rows) throw new RangeError(`y: expected a Float64Array of ${a.rows} values (the rows of a), got length ${y?.length}`);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new RangeError(`y: entry ${i} is ${y[i]} (expected finite values)`);
  }
  const tol = o.tol ?? 1e-9;
  if (typeof tol !== 'number' || !(tol > 0 && tol < 1e-2)) throw new RangeError(`tol: expected a number in (0, 0.01), got ${tol}`);
  const maxIterations = o.maxIterations ?? 50 * (a.rows + a.cols) + 100;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new RangeError(`maxIterations: expected an integer >= 1, got ${maxIterations}`);
  const degenerateLimit = o.degenerateLimit ?? 2 * a.rows + 50;
  if (!Number.isInteger(degenerateLimit) || degenerateLimit < 0) throw new RangeError(`degenerateLimit: expected an integer >= 0, got ${degenerateLimit}`);
  return { tol, maxIterations, degenerateLimit };
}

/**
 * The solution of  min 1^T x  s.t.  A x = y, x >= 0  by a two-phase dense simplex method,
 * with the optimal dual lambda (A^T lambda <= 1, y^T lambda = 1^T x) and the figures that
 * certify them; or `infeasible` with a Farkas ray z (A^T z >= 0, y^T z = -1).
 *
 * @throws RangeError for a malformed or non-finite `a` or `y`, or a bad option;
 *   LinalgError if the iteration limit is reached or a basis turns numerically singular.
 * @example
 * const r = minL1Nonnegative(matFrom([[1, 1, 0], [0, 1, 1]]), Float64Array.of(1, 1));
 * r.status; // 'optimal'
 * r.x; // Float64Array [0, 1, 0]; r.objective 1; r.dual [0, 1] (one of the optimal duals)
 * minL1Nonnegative(matFrom([[1, 1]]), Float64Array.of(-1)).farkas!.z; // [1]
 */
export function minL1Nonnegative(a: Mat, y: Float64Array, options: MinL1Options = {}): MinL1Result {
  const { tol, maxIterations, degenerateLimit } = validate(a, y, options);
  const m = a.rows, n = a.cols, ad = a.data;
  const total = n + m;
  // Sign flip so that b >= 0: row i of the working matrix is sign[i] * a_i.
  const sign = new Float64Array(m);
  const b = new Float64Array(m);
  let yInf = 0;
  for (let i = 0; i < m; i++) {
    sign[i] = y[i] < 0 ? -1 : 1;
    b[i] = Math.abs(y[i]);
    yInf = Math.max(yInf, b[i]);
  }
  /** Entry (r, j) of the working matrix [S A | I]. */
  const entry = (r: number, j: number): number => (j < n ? sign[r] * ad[r * n + j] : j - n === r ? 1 : 0);

  const basis = new Int32Array(m);
  for (let i = 0; i < m; i++) basis[i] = n + i;
  const isBasic = new Uint8Array(total);
  for (let i = 0; i < m; i++) isBasic[n + i] = 1;
  const cost = new Float64Array(total);

  const lu = new Lu(m);
  const bmat = new Float64Array(m * m);
  const xB = new Float64Array(m), lambda = new Float64Array(m), u = new Float64Array(m);
  const res = new Float64Array(m), g = new Float64Array(n);

  const factorBasis = (): void => {
    for (let r = 0; r < m; r++) for (let i = 0; i < m; i++) bmat[r * m + i] = entry(r, basis[i]);
    lu.factor(bmat);
  };
  /** x <- B^-1 rhs with one step of iterative refinement. */
  const solveRefined = (rhs: Float64Array, x: Float64Array, transposed: boolean): void => {
    x.set(rhs);
    if (transposed) lu.solveT(x);
    else lu.solve(x);
    for (let r = 0; r < m; r++) {
      let s = rhs[r];
      for (let i = 0; i < m; i++) s -= (transposed ? bmat[i * m + r] : bmat[r * m + i]) * x[i];
      res[r] = s;
    }
    if (transposed) lu.solveT(res);
    else lu.solve(res);
    for (let r = 0; r < m; r++) x[r] += res[r];
  };
  const cB = new Float64Array(m);
  /** Fresh factorization, x_B and lambda of the current basis. */
  const refresh = (): void => {
    factorBasis();
    solveRefined(b, xB, false);
    for (let i = 0; i < m; i++) cB[i] = cost[basis[i]];
    solveRefined(cB, lambda, true);
  };
  /** g_j = a_j^T lambda (working rows) for the real columns. */
  const priceAll = (): void => {
    g.fill(0);
    for (let r = 0; r < m; r++) {
      const l = lambda[r] * sign[r];
      if (l === 0) continue;
      const row = r * n;
      for (let j = 0; j < n; j++) g[j] += l * ad[row + j];
    }
  };

  let iterations = 0;

  /** Simplex iterations for the current costs until optimal. `phase2`: artificials are fixed at 0. */
  const runPhase = (phase2: boolean): void => {
    let degenerateRun = 0;
    for (;;) {
      refresh();
      priceAll();
      const bland = degenerateRun >= degenerateLimit;
      let q = -1, bestD = 0;
      // Only real columns enter: an artificial that left stays out (fixing it at 0 keeps
      // Phase I's conclusions valid, see the file comment).
      for (let j = 0; j < n; j++) {
        if (isBasic[j]) continue;
        const d = cost[j] - g[j];
        if (!(d < -tol * (1 + Math.abs(g[j])))) continue;
        if (bland) {
          q = j;
          break;
        }
        if (d < bestD) {
          bestD = d;
          q = j;
        }
      }
      if (q < 0) return;
      if (iterations >= maxIterations) throw new LinalgError(`minL1Nonnegative: no optimal basis after ${maxIterations} iterations (maxIterations)`);
      for (let r = 0; r < m; r++) u[r] = entry(r, q);
      solveRefined(u.slice(), u, false);
      let uInf = 0;
      for (let r = 0; r < m; r++) uInf = Math.max(uInf, Math.abs(u[r]));
      const pivTol = tol * uInf;
      // Basic values within rounding of 0 count as 0, so that degenerate rows tie exactly
      // (the tie-breaks, Bland's included, rely on it). Kept far below tol: treating a
      // genuinely positive value as 0 would push other basic values negative by as much.
      let xInf = 0;
      for (let r = 0; r < m; r++) xInf = Math.max(xInf, Math.abs(xB[r]));
      const zeroTol = 1e-12 * xInf;
      // Ratio test: theta_r = x_r / u_r over u_r > pivTol; in Phase II a basic artificial
      // is fixed at 0, so any |u_r| > pivTol blocks at theta = 0.
      let theta = Infinity;
      const ratio = new Float64Array(m).fill(Infinity);
      for (let r = 0; r < m; r++) {
        const fixed = phase2 && basis[r] >= n;
        if (fixed ? Math.abs(u[r]) > pivTol : u[r] > pivTol) {
          const xr = fixed || xB[r] <= zeroTol ? 0 : xB[r];
          ratio[r] = xr / Math.abs(u[r]);
          theta = Math.min(theta, ratio[r]);
        }
      }
      if (theta === Infinity) throw new LinalgError(`minL1Nonnegative: unbounded direction at column ${q} (impossible for this LP: numerical failure)`);
      let leave = -1;
      for (let r = 0; r < m; r++) {
        if (!(ratio[r] <= theta * (1 + 1e-9))) continue;
        if (leave < 0) leave = r;
        else if (bland) {
          if (basis[r] < basis[leave]) leave = r;
        } else {
          // Prefer an artificial (it never returns), then the largest pivot.
          const ar = basis[r] >= n, al = basis[leave] >= n;
          if (ar !== al ? ar : Math.abs(u[r]) > Math.abs(u[leave])) leave = r;
        }
      }
      degenerateRun = theta === 0 ? degenerateRun + 1 : 0;
      isBasic[basis[leave]] = 0;
      basis[leave] = q;
      isBasic[q] = 1;
      iterations++;
    }
  };

  // Phase I: minimize the sum of the artificials.
  for (let i = 0; i < m; i++) cost[n + i] = 1;
  runPhase(false);
  // runPhase returns right after a refresh: xB and lambda belong to the final basis.
  let w = 0;
  for (let i = 0; i < m; i++) if (basis[i] >= n) w += xB[i];

  if (w > tol * yInf) {
    // lambda is Phase I's optimal dual mu: z = -S mu, scaled to y^T z = -1.
    const z = new Float64Array(m);
    let yz = 0;
    for (let i = 0; i < m; i++) {
      z[i] = -sign[i] * lambda[i];
      yz += y[i] * z[i];
    }
    for (let i = 0; i < m; i++) z[i] /= -yz;
    const x = assemble(xB, basis, n);
    const farkas = { z, minATz: minAtz(a, z), yTz: dot(y, z) };
    return { status: 'infeasible', x, dual: z, objective: sum(x), basis: basis.slice(), iterations, certificate: certify(a, y, x, z), farkas };
  }

  // Drive basic artificials out by degenerate pivots on the largest entry of row r of
  // B^-1 A; a row with none is redundant and keeps its artificial (fixed at 0 in Phase II).
  const rowR = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    if (basis[r] < n) continue;
    factorBasis();
    rowR.fill(0);
    rowR[r] = 1;
    lu.solveT(rowR);
    let best = -1, bestV = 0, scale = 0;
    for (let j = 0; j < n; j++) {
      let s = 0, sa = 0;
      for (let i = 0; i < m; i++) {
        s += rowR[i] * sign[i] * ad[i * n + j];
        sa += Math.abs(rowR[i] * ad[i * n + j]);
      }
      scale = Math.max(scale, sa);
      if (!isBasic[j] && Math.abs(s) > bestV) {
        bestV = Math.abs(s);
        best = j;
      }
    }
    if (best >= 0 && bestV > tol * scale) {
      isBasic[basis[r]] = 0;
      basis[r] = best;
      isBasic[best] = 1;
      iterations++;
    }
  }

  // Phase II: minimize 1^T x; remaining artificials cost 0.
  for (let j = 0; j < n; j++) cost[j] = 1;
  for (let i = 0; i < m; i++) cost[n + i] = 0;
  runPhase(true);
  // runPhase ended on a fresh factorization: xB and lambda are the refined solves.
  const x = assemble(xB, basis, n);
  const dual = new Float64Array(m);
  for (let i = 0; i < m; i++) dual[i] = sign[i] * lambda[i];
  return { status: 'optimal', x, dual, objective: sum(x), basis: basis.slice(), iterations, certificate: certify(a, y, x, dual), farkas: null };
}

function assemble(xB: Float64Array, basis: Int32Array, n: number): Float64Array {
  const x = new Float64Array(n);
  // + 0 turns -0 (a zero-level basic variable solved from b = 0) into 0.
  for (let i = 0; i < basis.length; i++) if (basis[i] < n) x[basis[i]] = xB[i] + 0;
  return x;
}

function sum(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

function dot(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i] * q[i];
  return s;
}

/** A^T z (n entries). */
function atz(a: Mat, z: Float64Array): Float64Array {
  const m = a.rows, n = a.cols, g = new Float64Array(n);
  for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) g[j] += z[r] * a.data[r * n + j];
  return g;
}

function minAtz(a: Mat, z: Float64Array): number {
  return atz(a, z).reduce((lo, v) => Math.min(lo, v), Infinity);
}

function certify(a: Mat, y: Float64Array, x: Float64Array, lambda: Float64Array): MinL1Certificate {
  const m = a.rows, n = a.cols, ad = a.data;
  let rInf = 0, yInf = 0;
  for (let r = 0; r < m; r++) {
    let s = -y[r];
    for (let j = 0; j < n; j++) s += ad[r * n + j] * x[j];
    rInf = Math.max(rInf, Math.abs(s));
    yInf = Math.max(yInf, Math.abs(y[r]));
  }
  let minX = Infinity;
  for (let j = 0; j < n; j++) minX = Math.min(minX, x[j]);
  const slackMin = atz(a, lambda).reduce((lo, v) => Math.min(lo, 1 - v), Infinity);
  const p = sum(x), d = dot(y, lambda);
  return {
    primalResidual: rInf / Math.max(1, yInf),
    minX,
    dualInfeasibility: Math.max(0, -slackMin),
    gap: Math.abs(p - d) / Math.max(1, Math.abs(p)),
  };
}

/**
 * The exact minimum-trace PSD solution of a commuting problem (diagonal measurements,
 * generate.ts commuting()): X = diag(x) with x from minL1Nonnegative(A, y), A the m x n
 * matrix of the diagonals a_i. It is the alpha -> 0 limit of gradient flow from alpha I
 * (Gunasekar et al., Theorem 1 / Corollary 2).
 *
 * @throws RangeError if problem.op is not a DiagonalOperator; as minL1Nonnegative otherwise.
 * @example
 * const p = commuting({ n: 50, m: 20, rank: 5, seed: 1 });
 * const { x, result } = commutingBaseline(p);
 * result.certificate.gap; // about 4e-16; x is 50 x 50 diagonal with trace result.objective (95.385...)
 */
export function commutingBaseline(problem: Problem, options: MinL1Options = {}): { x: Mat; result: MinL1Result } {
  const op = problem.op;
  if (!(op instanceof DiagonalOperator)) throw new RangeError(`problem.op: expected a diagonal (commuting) operator, got ${String(op?.kind)}`);
  const result = minL1Nonnegative(op.diagonals, problem.y, options);
  const n = op.n;
  const x = zeros(n, n);
  for (let j = 0; j < n; j++) x.data[j * n + j] = result.x[j];
  return { x, result };
}
