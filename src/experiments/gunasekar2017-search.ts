/**
 * Gunasekar et al. (2017), Figure 4: the exhaustive search over small PSD completion
 * problems. Every valid symmetric observation mask of a 3 x 3 PSD matrix, every assignment
 * of observed values on a uniform grid in [-1, 1]; instances with no PSD completion are
 * discarded; on the others the gradient flow of X = U U^T (U 3 x 3, half-sse loss) from
 * ||U_0||_F = alpha is compared with the minimum-trace (= minimum-nuclear-norm, for PSD X)
 * completion.
 *
 * Conventions:
 * - Positions: POSITIONS = (0,0), (1,1), (2,2), (0,1), (0,2), (1,2); a mask is a 6-bit number,
 *   bit p set when position p is observed. Masks 1..62 (not empty, not full).
 * - Grid: G odd, values k/h for k = -h..h, h = (G - 1)/2 (G = 5: -1, -0.5, 0, 0.5, 1).
 * - Order: masks ascending; within a mask, the grid levels of the observed positions
 *   (in POSITIONS order) as a base-G number, the last observed position fastest.
 *   instanceCount(G) = sum over masks of G^popcount = (1 + G)^6 - 1 - G^6.
 * - An observed off-diagonal (i, j) observes both X[i][j] and X[j][i] (as generate.ts's
 *   symmetric completion): the flow's half-sse loss counts its residual twice. The
 *   minimum-trace baseline does not depend on this choice.
 *
 * The baseline is an exact 3 x 3 solver (minTraceCompletion3), not ADMM: on the grid many
 * instances are weakly infeasible or feasible only on the boundary of the PSD cone (e.g.
 * x00 = 0 with x01 = 0.5, or x00 = x11 = x01 = 1 with x02 != x12), where minNuclearNorm ends
 * `inaccurate` after its 20000 iterations (measured: ~80 ms each, objective ~1e2). The
 * solver decides feasibility from sign tests on polynomials of the observed values, which are
 * exact for the integer grid numerators the search passes it (the completion scales with the
 * data, so X = X(k) / h).
 *
 * rel_dev uses the flow's completion: X_inf with its observed diagonal entries set to their
 * observed values, so that it measures the flow's choice of the unobserved diagonal and not the
 * unfinished fit of the observed one (that part is ~sqrt(2 lossTol) and would dominate on the
 * slow instances whose observed zero diagonal decays like 1/t); rel_dev_raw keeps the raw
 * trace. rel_dist compares with the solver's minimizer, which need not be the unique one.
 *
 * Flow measurements (G = 3, the default tolerances, alphas 1e-1..1e-4): the flow's limit
 * can be far from the minimum trace (rel_dev up to 1.3 at alpha = 1e-4, e.g. x01 = x02 = -1,
 * x12 = 0 with no diagonal observed: trace 7.3 against 4), checked against plain gradient
 * descent with a small step; a degenerate top eigenvalue of A*(y) makes the limit depend on U_0.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend as defaultBackend } from '../linalg/select.js';
import { integrate } from '../flow/integrate.js';
import { modelFlow } from '../flow/model-flow.js';
import { createModel } from '../models/create.js';
import { initialize } from '../models/init.js';
import { CompletionOperator } from '../problems/operators/completion.js';
import type { Problem } from '../problems/problem.js';
import { Random } from '../rng/random.js';

/** The six symmetric positions of a 3 x 3 matrix, in mask-bit order. */
export const POSITIONS: ReadonlyArray<readonly [number, number]> = [[0, 0], [1, 1], [2, 2], [0, 1], [0, 2], [1, 2]];

const FULL_MASK = 63;
/** Largest grid size accepted: (1 + G)^6 instances must stay a modest, safe integer count. */
const MAX_GRID = 99;

// ---------------------------------------------------------------------------
// Enumeration
// ---------------------------------------------------------------------------

/** One search instance: which positions are observed and their values. */
export interface SearchInstance {
  index: number;
  /** Bit p set when POSITIONS[p] is observed. */
  mask: number;
  /** The observed positions (indices into POSITIONS), ascending. */
  observed: number[];
  /** Grid numerators k in [-h, h] of the observed positions; the value is k / h. */
  levels: number[];
  /** The observed values k / h. */
  values: number[];
}

function checkGrid(gridSize: number): number {
  if (!Number.isInteger(gridSize) || gridSize < 3 || gridSize > MAX_GRID || gridSize % 2 === 0) {
    throw new RangeError(`gridSize: expected an odd integer in [3, ${MAX_GRID}] (so that 0 is on the grid), got ${gridSize}`);
  }
  return (gridSize - 1) / 2;
}

function popcount(mask: number): number {
  let c = 0;
  for (let m = mask; m; m >>= 1) c += m & 1;
  return c;
}

/**
 * The number of instances on a grid of G points: sum over the 62 masks of G^(observed
 * positions) = sum_(k=1..5) C(6, k) G^k = (1 + G)^6 - 1 - G^6.
 *
 * @throws RangeError unless gridSize is an odd integer in [3, 99].
 * @example
 * instanceCount(3); // 3366
 * instanceCount(5); // 31030
 * instanceCount(7); // 144494
 */
export function instanceCount(gridSize: number): number {
  checkGrid(gridSize);
  return (1 + gridSize) ** 6 - 1 - gridSize ** 6;
}

/**
 * The instance at `index` in the enumeration order (masks ascending; within a mask the
 * observed positions' grid levels as a base-G number, the last position fastest).
 *
 * @throws RangeError for a bad gridSize or an index outside [0, instanceCount(G)).
 * @example
 * instanceAt(0, 5);  // { index: 0, mask: 1, observed: [0], levels: [-2], values: [-1] }
 * instanceAt(4, 5);  // mask 1 (x00 observed), x00 = 1
 */
export function instanceAt(index: number, gridSize: number): SearchInstance {
  const h = checkGrid(gridSize);
  const count = (1 + gridSize) ** 6 - 1 - gridSize ** 6;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`index: expected an integer in [0, ${count}) for gridSize ${gridSize}, got ${index}`);
  }
  let rest = index;
  let mask = 1;
  for (; mask < FULL_MASK; mask++) {
    const size = gridSize ** popcount(mask);
    if (rest < size) break;
    rest -= size;
  }
  const observed: number[] = [];
  for (let p = 0; p < 6; p++) if ((mask >> p) & 1) observed.push(p);
  const levels = new Array<number>(observed.length);
  for (let q = observed.length - 1; q >= 0; q--) {
    levels[q] = (rest % gridSize) - h;
    rest = Math.floor(rest / gridSize);
  }
  return { index, mask, observed, levels, values: levels.map((k) => k / h) };
}

/**
 * The indices of shard `shard` of `shards`: every index congruent to shard mod shards
 * (strided, so that every shard gets the same mix of masks and so the same work).
 *
 * @throws RangeError naming count, shard or shards when they are not integers with
 *   0 <= shard < shards.
 * @example
 * shardIndices(10, 1, 3); // [1, 4, 7]
 */
export function shardIndices(count: number, shard: number, shards: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count: expected an integer >= 0, got ${count}`);
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards: expected an integer >= 1, got ${shards}`);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) throw new RangeError(`shard: expected an integer in [0, ${shards}), got ${shard}`);
  const out: number[] = [];
  for (let i = shard; i < count; i += shards) out.push(i);
  return out;
}

// ---------------------------------------------------------------------------
// The exact minimum-trace PSD completion of a 3 x 3 partial matrix
// ---------------------------------------------------------------------------

export type MinTraceResult =
  | { status: 'solved'; trace: number; x: Mat }
  | { status: 'infeasible'; reason: string };

/** POSITIONS index of the off-diagonal (i, j), i != j. */
function offIndex(i: number, j: number): number {
  const a = Math.min(i, j), b = Math.max(i, j);
  return a === 0 ? 2 + b : 5;
}

/**
 * The minimum-trace PSD completion of a 3 x 3 symmetric partial matrix: min tr X over
 * X >= 0 with X[i][j] = X[j][i] = values[p] for every observed position p = (i, j).
 * `values` has 6 entries in POSITIONS order; those at unobserved positions are ignored.
 *
 * Exact, by cases on the observed off-diagonals E (every graph on 3 nodes is chordal, so
 * with at most 2 of them a completion exists iff every fully specified 2 x 2 block is PSD,
 * and the problem separates into 2 x 2 blocks coupled through a shared diagonal):
 * - |E| = 0: X diagonal (unobserved diagonal 0).
 * - |E| = 1, (a, b): x_aa x_bb >= y^2; one free diagonal: y^2 / d; two: both |y|.
 * - |E| = 2, path a - b - c: the two blocks through x_bb; free x_bb = t minimizes
 *   t + (free ends' y^2) / t subject to t >= y^2 / d of the observed ends; the missing
 *   x_ac = y_ab y_bc / x_bb (the Schur complement on b is then diagonal and >= 0).
 * - |E| = 3 with two diagonals observed: the third is b^T B^+ b (b in range(B) required);
 *   with one, x_ii = d > 0: the Schur complement on i is [[s_j, c], [c, s_k]], minimized at
 *   s_j = s_k = |c|; with none: the dual is max -<O, Z> over 3 x 3 correlation matrices Z.
 *   If y01 y02 y12 <= 0, Z = s s^T with X s = 0 gives X = Diag(sum_j |y_ij|) + O (a signed
 *   Laplacian), trace 2 sum |y_ij|. If y01 y02 y12 > 0, X = v v^T with v_i^2 = y_ij y_ik / y_jk
 *   when the |v_i| satisfy the triangle inequality (a rank-2 Z with Z v = 0 certifies it);
 *   otherwise, at the node i where |y_ij||y_ik| > |y_jk|(|y_ij| + |y_ik|), trace
 *   2(|y_ij| + |y_ik| - |y_jk|) with x_ii = |y_ij| + |y_ik|, x_jj = |y_ij| - |y_jk|,
 *   x_kk = |y_ik| - |y_jk| (a rank-1 Z certifies it).
 * Feasibility decisions are sign tests on products of the inputs: exact for integer inputs
 * (of modest size), up to rounding at the boundary otherwise. The minimizer is returned;
 * it need not be unique (e.g. only diagonals observed: any admissible off-diagonals).
 *
 * @throws RangeError when mask is not an integer in [0, 63] or an observed value is not finite.
 * @example
 * // observe x00 = 1 and x01 = 1: the minimum-trace completion has x11 = 1, trace 2
 * const r = minTraceCompletion3(0b001001, [1, 0, 0, 1, 0, 0]);
 * r.status === 'solved' && r.trace; // 2
 * minTraceCompletion3(0b000001, [-1, 0, 0, 0, 0, 0]).status; // 'infeasible'
 */
export function minTraceCompletion3(mask: number, values: ArrayLike<number>): MinTraceResult {
  if (!Number.isInteger(mask) || mask < 0 || mask > FULL_MASK) throw new RangeError(`mask: expected an integer in [0, 63], got ${mask}`);
  if (values.length !== 6) throw new RangeError(`values: expected 6 entries (POSITIONS order), got ${values.length}`);
  const obs = (p: number): boolean => ((mask >> p) & 1) === 1;
  for (let p = 0; p < 6; p++) {
    if (obs(p) && !Number.isFinite(values[p])) throw new RangeError(`values: entry ${p} is ${values[p]} (expected finite values)`);
  }
  const name = (i: number, j: number): string => `x${i}${j}`;
  const t = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    if (!obs(i)) continue;
    if (values[i] < 0) return { status: 'infeasible', reason: `${name(i, i)} = ${values[i]} < 0` };
    t[i] = values[i];
  }
  const edges: Array<[number, number]> = [];
  for (let p = 3; p < 6; p++) {
    if (!obs(p)) continue;
    const [i, j] = POSITIONS[p];
    const y = values[p];
    if (obs(i) && obs(j) && y * y > values[i] * values[j]) {
      return { status: 'infeasible', reason: `${name(i, j)}^2 > ${name(i, i)} ${name(j, j)}` };
    }
    if (y !== 0 && ((obs(i) && values[i] === 0) || (obs(j) && values[j] === 0))) {
      return { status: 'infeasible', reason: `${name(i, j)} != 0 with a zero diagonal` };
    }
    edges.push([i, j]);
  }
  const off = [0, 0, 0]; // X01, X02, X12 of the completion
  for (let p = 3; p < 6; p++) if (obs(p)) off[p - 3] = values[p];
  const y = (i: number, j: number): number => off[offIndex(i, j) - 3];

  if (edges.length === 1) {
    const [a, b] = edges[0];
    const v = y(a, b);
    if (!obs(a) && !obs(b)) t[a] = t[b] = Math.abs(v);
    else if (!obs(b)) t[b] = t[a] > 0 ? (v * v) / t[a] : 0;
    else if (!obs(a)) t[a] = t[b] > 0 ? (v * v) / t[b] : 0;
  } else if (edges.length === 2) {
    // The center b is the node on both edges.
    const deg = [0, 0, 0];
    for (const [i, j] of edges) {
      deg[i]++;
      deg[j]++;
    }
    const b = deg.indexOf(2);
    const a = (b + 1) % 3, c = (b + 2) % 3;
    const p = y(a, b), q = y(b, c);
    if (obs(b)) {
      if (!obs(a)) t[a] = t[b] > 0 ? (p * p) / t[b] : 0;
      if (!obs(c)) t[c] = t[b] > 0 ? (q * q) / t[b] : 0;
    } else if (obs(a) && obs(c)) {
      t[b] = Math.max(t[a] > 0 ? (p * p) / t[a] : 0, t[c] > 0 ? (q * q) / t[c] : 0);
    } else if (obs(a) || obs(c)) {
      // One observed end e (bound t_b >= y_e^2 / d_e), one free end f: t_b + y_f^2 / t_b.
      const [e, f, ye, yf] = obs(a) ? [a, c, p, q] : [c, a, q, p];
      t[b] = Math.max(t[e] > 0 ? (ye * ye) / t[e] : 0, Math.abs(yf));
      t[f] = t[b] > 0 ? (yf * yf) / t[b] : 0;
    } else {
      const r = Math.hypot(p, q);
      t[b] = r;
      t[a] = r > 0 ? (p * p) / r : 0;
      t[c] = r > 0 ? (q * q) / r : 0;
    }
    off[offIndex(a, c) - 3] = t[b] > 0 ? (p * q) / t[b] : 0;
  } else if (edges.length === 3) {
    const known = [0, 1, 2].filter((i) => obs(i));
    if (known.length === 3) throw new RangeError('mask: 63 observes every entry (nothing to complete)');
    if (known.length === 2) {
      const [i, j] = known;
      const k = 3 - i - j;
      const di = t[i], dj = t[j], yij = y(i, j), yik = y(i, k), yjk = y(j, k);
      const det = di * dj - yij * yij;
      if (det > 0) {
        t[k] = (dj * yik * yik - 2 * yij * yik * yjk + di * yjk * yjk) / det;
      } else if (di > 0) {
        // B = (1/di) w w^T, w = (di, yij): b must be a multiple of w.
        if (di * yjk !== yij * yik) return { status: 'infeasible', reason: `${name(i, i)} ${name(j, j)} = ${name(i, j)}^2 but (${name(i, k)}, ${name(j, k)}) is not in the range of that block` };
        t[k] = (yik * yik) / di;
      } else if (dj > 0) {
        if (dj * yik !== yij * yjk) return { status: 'infeasible', reason: `${name(i, i)} ${name(j, j)} = ${name(i, j)}^2 but (${name(i, k)}, ${name(j, k)}) is not in the range of that block` };
        t[k] = (yjk * yjk) / dj;
      } else {
        t[k] = 0; // di = dj = 0 forced every observed entry of rows i, j to 0 above
      }
    } else if (known.length === 1) {
      const i = known[0];
      const j = (i + 1) % 3, k = (i + 2) % 3;
      const yij = y(i, j), yik = y(i, k), yjk = y(j, k);
      if (t[i] > 0) {
        const c = Math.abs(yjk - (yij * yik) / t[i]);
        t[j] = (yij * yij) / t[i] + c;
        t[k] = (yik * yik) / t[i] + c;
      } else {
        t[j] = t[k] = Math.abs(yjk);
      }
    } else {
      const a01 = Math.abs(off[0]), a02 = Math.abs(off[1]), a12 = Math.abs(off[2]);
      if (off[0] * off[1] * off[2] <= 0) {
        t[0] = a01 + a02;
        t[1] = a01 + a12;
        t[2] = a02 + a12;
      } else {
        let violated = -1;
        for (let i = 0; i < 3; i++) {
          const j = (i + 1) % 3, k = (i + 2) % 3;
          const aij = Math.abs(y(i, j)), aik = Math.abs(y(i, k)), ajk = Math.abs(y(j, k));
          if (aij * aik > ajk * (aij + aik)) violated = i;
        }
        if (violated >= 0) {
          const i = violated, j = (i + 1) % 3, k = (i + 2) % 3;
          const aij = Math.abs(y(i, j)), aik = Math.abs(y(i, k)), ajk = Math.abs(y(j, k));
          t[i] = aij + aik;
          t[j] = aij - ajk;
          t[k] = aik - ajk;
        } else {
          t[0] = (off[0] * off[1]) / off[2];
          t[1] = (off[0] * off[2]) / off[1];
          t[2] = (off[1] * off[2]) / off[0];
        }
      }
    }
  }
  const x = zeros(3, 3);
  for (let i = 0; i < 3; i++) x.data[4 * i] = t[i];
  for (let p = 3; p < 6; p++) {
    const [i, j] = POSITIONS[p];
    x.data[3 * i + j] = x.data[3 * j + i] = off[p - 3];
  }
  return { status: 'solved', trace: t[0] + t[1] + t[2], x };
}

// ---------------------------------------------------------------------------
// The completion problem and the flow
// ---------------------------------------------------------------------------

/**
 * The 3 x 3 PSD completion problem of a mask and its values (6 entries, POSITIONS order):
 * every observed off-diagonal (i, j) is observed as both (i, j) and (j, i), entries in
 * row-major order.
 *
 * @throws RangeError for a mask outside [1, 62] or a non-finite observed value.
 * @example
 * const p = completionProblem3(0b001001, [1, 0, 0, 1, 0, 0]); // x00 = 1, x01 = x10 = 1
 * p.op.m; // 3
 */
export function completionProblem3(mask: number, values: ArrayLike<number>, be?: Backend): Problem {
  if (!Number.isInteger(mask) || mask < 1 || mask >= FULL_MASK) throw new RangeError(`mask: expected an integer in [1, 62], got ${mask}`);
  if (values.length !== 6) throw new RangeError(`values: expected 6 entries (POSITIONS order), got ${values.length}`);
  const entries: Array<[number, number, number]> = [];
  for (let p = 0; p < 6; p++) {
    if (!((mask >> p) & 1)) continue;
    if (!Number.isFinite(values[p])) throw new RangeError(`values: entry ${p} is ${values[p]} (expected finite values)`);
    const [i, j] = POSITIONS[p];
    entries.push([i, j, values[p]]);
    if (i !== j) entries.push([j, i, values[p]]);
  }
  entries.sort((u, v) => u[0] * 3 + u[1] - (v[0] * 3 + v[1]));
  const rows = Int32Array.from(entries, (e) => e[0]);
  const cols = Int32Array.from(entries, (e) => e[1]);
  const y = Float64Array.from(entries, (e) => e[2]);
  return { n1: 3, n2: 3, op: new CompletionOperator(3, 3, rows, cols, { backend: be }), y, psd: true };
}

export interface SearchOptions {
  /** Grid points in [-1, 1] (odd). */
  gridSize: number;
  /** The initialization norms ||U_0||_F. */
  alphas: readonly number[];
  /** This run's shard, in [0, shards). */
  shard: number;
  shards: number;
  /** Seeds the initial directions with the instance index; an integer in [0, 2^32). */
  seed: number;
  /** The integrator's relative tolerance. Default DEFAULT_RTOL. */
  rtol?: number;
  /** The integrator's absolute tolerance, as a multiple of alpha (atol = this * alpha). Default DEFAULT_ATOL_PER_ALPHA. */
  atol?: number;
  /** Longest flow time. Default DEFAULT_T_MAX. */
  tMax?: number;
  /** The flow stops when the loss falls to this (terminal event). Default DEFAULT_LOSS_TOL. */
  lossTol?: number;
  /** Step limit per flow (accepted and rejected). Default DEFAULT_MAX_STEPS. */
  maxSteps?: number;
}

/** Default rtol: the integration error in rel_dev is then far below the unfinished fit's (measured). */
export const DEFAULT_RTOL = 1e-10;
/** Default atol per unit alpha: the entries of U_0 are ~alpha/3, so the start is resolved to ~rtol for every alpha. */
export const DEFAULT_ATOL_PER_ALPHA = 1e-8;
/** Default time limit (the step limit binds first on the sublinear tails). */
export const DEFAULT_T_MAX = 1e6;
/**
 * Default loss threshold: residuals <= sqrt(2e-12) = 1.4e-6. Instances whose solution lies on
 * the boundary of the PSD cone (an observed zero diagonal, a singular observed 2 x 2 block)
 * converge sublinearly (loss ~ 1/t^2); an explicit method's step is capped there by stability
 * (h ~ 1, so dopri5 needed more than 1e4 steps on 2358 of the G = 7 flows), while the L-stable
 * rodas4 lets its step grow with t and reaches this loss on every instance. Measured on G = 3:
 * rel_dev moves by a median of 2.4e-7 and at most 6.1e-5 from lossTol 1e-12 to 1e-14, and by at
 * most 1e-9 from rtol 1e-10 to 1e-12.
 */
export const DEFAULT_LOSS_TOL = 1e-12;

/** Default step limit per flow (about 0.3 s on the native backend, 0.1 s on js, at n = 3). */
export const DEFAULT_MAX_STEPS = 10000;

/**
 * The default search: G = 7 (144494 instances, 16125 with a non-zero PSD completion) and four
 * alphas. Measured on one core, native backend (the default tolerances): G = 3 in 20 s, G = 5 in
 * 74 s (17.7 ms per solved instance), one eighth of G = 7 in 30 s; so G = 7 takes about
 * 4 minutes on one core, 2 on two.
 */
export const GUNASEKAR_SEARCH_DEFAULTS = { gridSize: 7, alphas: [1e-1, 1e-2, 1e-3, 1e-4] as readonly number[] };
/** The quick variant: G = 3 (3366 instances, 621 solved), 20 s on one core (native; js 14 s). */
export const GUNASEKAR_SEARCH_QUICK = { gridSize: 3, alphas: [1e-1, 1e-2, 1e-3, 1e-4] as readonly number[] };

export type FlowStatus = 'converged' | 't_max' | 'max_steps';

/** The flow from one alpha. */
export interface FlowRecord {
  alpha: number;
  status: FlowStatus;
  /** Flow time at the end (the event time when converged). */
  t: number;
  steps: number;
  loss: number;
  /** tr X_inf = ||U_inf||_F^2. */
  trace: number;
  /**
   * (tr C - tr_min) / tr_min, C the flow's completion: X_inf with its observed diagonal
   * entries set to their observed values (see the module comment: why not the raw trace).
   */
  rel_dev: number;
  /** (tr X_inf - tr_min) / tr_min, with the unfinished fit of the observed diagonal. */
  rel_dev_raw: number;
  /** ||X_inf - X_min||_F / ||X_min||_F (X_min is one minimizer; it may not be unique). */
  rel_dist: number;
}

export type BaselineStatus = 'solved' | 'infeasible' | 'trivial' | 'inaccurate';

/** One instance's row (plain JSON). */
export interface SearchRow {
  index: number;
  mask: number;
  observed: number[];
  values: number[];
  /** solved; infeasible (no PSD completion); trivial (tr_min = 0: X = 0); inaccurate (the baseline failed its check). */
  baseline: BaselineStatus;
  infeasible_reason?: string;
  tr_min?: number;
  /** The minimum-trace completion, row-major 3 x 3. */
  x_min?: number[];
  /** One per alpha, in the options' order (solved and inaccurate instances). */
  flows?: FlowRecord[];
}

interface Resolved {
  gridSize: number;
  alphas: number[];
  seed: number;
  rtol: number;
  atolPerAlpha: number;
  tMax: number;
  lossTol: number;
  maxSteps: number;
}

function positiveOption(name: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw new RangeError(`${name}: expected a finite number > 0, got ${String(x)}`);
  return x;
}

function maxStepsOption(v: number | undefined): number {
  const x = v ?? DEFAULT_MAX_STEPS;
  if (!Number.isInteger(x) || x < 1) throw new RangeError(`maxSteps: expected an integer >= 1, got ${String(x)}`);
  return x;
}

function resolve(o: SearchOptions): Resolved {
  checkGrid(o.gridSize);
  if (!Array.isArray(o.alphas) || o.alphas.length === 0) throw new RangeError('alphas: expected a non-empty list of positive numbers');
  o.alphas.forEach((a, i) => {
    if (typeof a !== 'number' || !(a > 0) || !Number.isFinite(a)) throw new RangeError(`alphas: entry ${i} is ${String(a)} (expected a finite number > 0)`);
  });
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32) throw new RangeError(`seed: expected an integer in [0, 2^32), got ${o.seed}`);
  return {
    gridSize: o.gridSize,
    alphas: [...o.alphas],
    seed: o.seed,
    rtol: positiveOption('rtol', o.rtol, DEFAULT_RTOL),
    atolPerAlpha: positiveOption('atol', o.atol, DEFAULT_ATOL_PER_ALPHA),
    tMax: positiveOption('tMax', o.tMax, DEFAULT_T_MAX),
    lossTol: positiveOption('lossTol', o.lossTol, DEFAULT_LOSS_TOL),
    maxSteps: maxStepsOption(o.maxSteps),
  };
}

/** The initial-direction stream of an instance: a function of (seed, index) only. */
function instanceStream(seed: number, index: number): Random {
  return Random.fromSeed((BigInt(seed) << 32n) | BigInt(index));
}

/** Whether X matches the observations exactly and is PSD to rounding. */
function baselineChecks(x: Mat, mask: number, values: ArrayLike<number>, be: Backend): boolean {
  for (let p = 0; p < 6; p++) {
    if (!((mask >> p) & 1)) continue;
    const [i, j] = POSITIONS[p];
    if (Math.abs(x.data[3 * i + j] - values[p]) > 1e-15 * Math.max(1, Math.abs(values[p]))) return false;
  }
  let tr = 0;
  for (let i = 0; i < 3; i++) tr += x.data[4 * i];
  return be.eigvalsh(x)[0] >= -1e-12 * Math.max(1, tr);
}

/**
 * One instance's row: the exact baseline, then (solved instances) one flow per alpha from
 * U_0 = alpha Û / ||Û||_F, Û Gaussian from the stream of (seed, index), the same Û for
 * every alpha. Integrated with rodas4 (L-stable: the slow tails are stiff) on modelFlow (psd model, width 3, half-sse) until
 * the loss falls to lossTol or t reaches tMax.
 *
 * @throws RangeError naming a bad option or index.
 * @example
 * const row = searchInstance(200, { gridSize: 3, alphas: [1e-1, 1e-3], shard: 0, shards: 1, seed: 0 });
 * row.baseline; // 'solved' | 'infeasible' | 'trivial' | 'inaccurate'
 * row.flows?.map((f) => f.rel_dev);
 */
export function searchInstance(index: number, options: SearchOptions, be: Backend = defaultBackend()): SearchRow {
  return runInstance(index, resolve(options), be);
}

function runInstance(index: number, o: Resolved, be: Backend): SearchRow {
  const inst = instanceAt(index, o.gridSize);
  const h = (o.gridSize - 1) / 2;
  const row: SearchRow = { index, mask: inst.mask, observed: inst.observed, values: inst.values, baseline: 'solved' };
  // The solver sees the integer numerators (exact decisions); X scales with the data.
  const levels6 = new Float64Array(6), values6 = new Float64Array(6);
  inst.observed.forEach((p, q) => {
    levels6[p] = inst.levels[q];
    values6[p] = inst.values[q];
  });
  const exact = minTraceCompletion3(inst.mask, levels6);
  if (exact.status === 'infeasible') {
    row.baseline = 'infeasible';
    row.infeasible_reason = exact.reason;
    return row;
  }
  const xMin = zeros(3, 3);
  for (let i = 0; i < 9; i++) xMin.data[i] = exact.x.data[i] / h;
  const trMin = exact.trace / h;
  row.tr_min = trMin;
  row.x_min = Array.from(xMin.data);
  if (inst.levels.every((k) => k === 0)) {
    row.baseline = 'trivial';
    return row;
  }
  if (!baselineChecks(xMin, inst.mask, values6, be)) row.baseline = 'inaccurate';

  const problem = completionProblem3(inst.mask, values6, be);
  const model = createModel({ kind: 'psd', width: 3 }, problem, 'half-sse', be);
  const flow = modelFlow(model);
  const dir = initialize({ kind: 'scaled-direction', xi: 1 }, model, problem, instanceStream(o.seed, index), be)[0];
  const lossTol = o.lossTol;
  const event = (_t: number, y: Float64Array): number => flow.loss(y) - lossTol;
  const y0 = new Float64Array(9);
  let xNorm = 0;
  for (let i = 0; i < 9; i++) xNorm += xMin.data[i] * xMin.data[i];
  xNorm = Math.sqrt(xNorm);
  row.flows = o.alphas.map((alpha) => {
    for (let i = 0; i < 9; i++) y0[i] = alpha * dir.data[i];
    const r = integrate('rodas4', flow.rhs, 0, y0, o.tMax, { rtol: o.rtol, atol: o.atolPerAlpha * alpha, maxSteps: o.maxSteps, event });
    const u = r.y;
    let tr = 0, trCompleted = 0, dist = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let xij = 0;
        for (let c = 0; c < 3; c++) xij += u[3 * i + c] * u[3 * j + c];
        if (i === j) {
          tr += xij;
          trCompleted += (inst.mask >> i) & 1 ? values6[i] : xij;
        }
        const d = xij - xMin.data[3 * i + j];
        dist += d * d;
      }
    }
    const status: FlowStatus = r.status === 'event' ? 'converged' : r.status === 'done' ? 't_max' : 'max_steps';
    return {
      alpha,
      status,
      t: r.t,
      steps: r.acceptedSteps,
      loss: flow.loss(u),
      trace: tr,
      rel_dev: (trCompleted - trMin) / trMin,
      rel_dev_raw: (tr - trMin) / trMin,
      rel_dist: Math.sqrt(dist) / xNorm,
    };
  });
  return row;
}

/**
 * The rows of one shard: instances index = shard, shard + shards, ... below
 * instanceCount(gridSize), in that order. A row depends only on (gridSize, seed, index,
 * alphas, tolerances), never on the sharding.
 *
 * @throws RangeError naming a bad option.
 * @example
 * const rows = searchInstances({ gridSize: 3, alphas: [1e-1, 1e-3], shard: 0, shards: 2, seed: 0 });
 * const summary = summarizeSearch(rows, [1e-1, 1e-3]);
 */
export function searchInstances(options: SearchOptions, be: Backend = defaultBackend()): SearchRow[] {
  const o = resolve(options);
  return shardIndices(instanceCount(o.gridSize), options.shard, options.shards).map((i) => runInstance(i, o, be));
}

/** The statistics of one alpha over the solved instances whose flow converged. */
export interface AlphaSummary {
  alpha: number;
  instances: number;
  max_rel_dev: number;
  median_rel_dev: number;
  /** Fraction with |rel_dev| <= 1e-3. */
  'frac_within_1e-3': number;
  max_rel_dist: number;
  /** Flows of this alpha that stopped at tMax or the step limit (excluded from the statistics). */
  not_converged: number;
}

export interface SearchSummary {
  alphas: AlphaSummary[];
  counts: {
    rows: number;
    solved: number;
    infeasible: number;
    trivial: number;
    inaccurate_baseline: number;
    /** Flows (all alphas) that did not reach lossTol. */
    flows_not_converged: number;
  };
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

/**
 * Per-alpha statistics of rel_dev over the solved instances whose flow converged (NaN
 * statistics when there are none), and the counts of discarded rows.
 *
 * @throws RangeError when a row has no flow for one of the alphas.
 * @example
 * const s = summarizeSearch(rows, [1e-1, 1e-3]);
 * s.alphas[1].max_rel_dev; // smaller than s.alphas[0].max_rel_dev
 */
export function summarizeSearch(rows: readonly SearchRow[], alphas: readonly number[]): SearchSummary {
  const counts = { rows: rows.length, solved: 0, infeasible: 0, trivial: 0, inaccurate_baseline: 0, flows_not_converged: 0 };
  const devs = alphas.map(() => [] as number[]);
  const dists = alphas.map(() => 0);
  const notConverged = alphas.map(() => 0);
  for (const row of rows) {
    if (row.baseline === 'infeasible') counts.infeasible++;
    else if (row.baseline === 'trivial') counts.trivial++;
    else if (row.baseline === 'inaccurate') counts.inaccurate_baseline++;
    else counts.solved++;
    for (const f of row.flows ?? []) if (f.status !== 'converged') counts.flows_not_converged++;
    if (row.baseline !== 'solved') continue;
    alphas.forEach((alpha, a) => {
      const f = row.flows?.find((g) => g.alpha === alpha);
      if (!f) throw new RangeError(`rows: row ${row.index} has no flow for alpha ${alpha}`);
      if (f.status !== 'converged') {
        notConverged[a]++;
        return;
      }
      devs[a].push(f.rel_dev);
      dists[a] = Math.max(dists[a], f.rel_dist);
    });
  }
  return {
    alphas: alphas.map((alpha, a) => {
      const s = Float64Array.from(devs[a]).sort();
      let within = 0;
      for (const d of s) if (Math.abs(d) <= 1e-3) within++;
      return {
        alpha,
        instances: s.length,
        max_rel_dev: s.length ? s[s.length - 1] : NaN,
        median_rel_dev: median(s),
        'frac_within_1e-3': s.length ? within / s.length : NaN,
        max_rel_dist: s.length ? dists[a] : NaN,
        not_converged: notConverged[a],
      };
    }),
    counts,
  };
}
