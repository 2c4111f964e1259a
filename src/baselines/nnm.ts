/**
 * Minimum nuclear norm (general) and minimum trace over the PSD cone (psd), with a
 * dual certificate (issue 4; the convention is in ./certificate.ts).
 *
 * Algorithm: ADMM on the primal with the splitting X = Z,
 *   minimize f(Z) + indicator_C(X)  s.t.  X = Z,
 * f = ||.||_* (general) or tr + indicator(PSD) (psd), C = {X : |A(X) - y| <= eps}.
 * Each iteration is one projection onto C (./nnm/affine.ts: a clamp for completion,
 * one Cholesky solve with the m x m Gram matrix for sensing) and one prox of f
 * (./nnm/prox.ts: one thin SVD, or one symmetric eigendecomposition). Why this and
 * not an interior-point method: the per-iteration cost is one n x n decomposition
 * plus O(m n1 n2) (sensing) or O(m) (completion) work, against the (m + n^2)-sized
 * Newton systems of an IPM; the slow ADMM tail is kept short by over-relaxation
 * (alpha = 1.6), residual balancing of the penalty rho and a warm start at the
 * projection of 0 onto C (the minimum-Frobenius-norm point for eps = 0).
 * When C has no closed-form projection (sensing with eps > 0, or a rank-deficient
 * Gram matrix) the splitting is extended with s = A(X), s in the box (see affine.ts).
 *
 * Penalty: residual balancing (double / halve rho when the relative primal and dual
 * residuals differ by more than BALANCE), plus a stall rule: on some problems (100 x 100
 * completion, 5000 entries, eps = 1e-3) balancing settles on a rho whose tail is
 * sublinear (measured: pinf still 1.4e-7 after 20000 iterations); so every STALL_WINDOW
 * iterations, if the primal infeasibility is the largest figure and fell by less than
 * STALL_FACTOR, rho is doubled and balancing may no longer halve it below that value
 * (measured: solved in 7180 iterations instead).
 *
 * Measured (native backend, 2 threads, tol 1e-7, generate.ts problems with seed 1;
 * `seconds` as reported, setup included):
 *   completion 100x100 rank 5, 2000 entries, eps 0      630 it   0.84 s
 *   completion 100x100 rank 5, 2000 entries, eps 1e-3   640 it   0.80 s
 *   completion 100x100 rank 5, 5000 entries, eps 0       80 it   0.14 s
 *   completion 100x100 rank 5, 5000 entries, eps 1e-3  7180 it   7.9 s
 *   sensing 100x100 rank 5, 2000 measurements, eps 0    430 it   6.6 s (0.8 s Gram setup;
 *     each iteration streams the 160 MB operator twice)
 *   sensing 100x100 rank 5, 2000 measurements, eps 1e-3 690 it  10.1 s (extended form)
 *   psd sensing 100x100 rank 3, 900 symmetric, eps 0    180 it   0.77 s (CVXOPT: 82 s)
 * Tried and dropped: Anderson acceleration (type II, memory 10) on the state (Z, U):
 * about half the iterations but more time per iteration on these sizes, and no help on
 * the slow eps = 1e-3 case.
 *
 * The dual: with the Z-step last, W = rho U is a subgradient of f at Z (so
 * ||W||_2 <= 1, or lambda_max(W) <= 1), and at convergence W = A*(lambda). lambda is
 * read off as the least-squares fit G^-1 A(W) (project form; completion: the observed
 * entries of W) or as -rho u (extended form), then scaled to exact feasibility by
 * evaluateCertificate. The reported X is Z: exactly low rank (and PSD in the psd case);
 * its residual is reported as the primal infeasibility. For general problems in the
 * project form, X (the projection onto C, exactly feasible) is reported instead when
 * Z's residual is the only figure above tol and X's own certificate passes.
 *
 * Infeasibility rule: every `INFEASIBILITY_EVERY` iterations while the primal residual
 * is above tol, two candidate rays are tested -- the current (unscaled) dual estimate
 * and the persistent residual between the two blocks (project form: G^-1 A(X - Z);
 * extended form: s - A(X)), the minimal displacement vector that an infeasible ADMM
 * converges to. For a candidate lambda, t lambda with t = 1 / dualNorm(lambda) is dual
 * feasible, so every feasible X has objective >= (y^T lambda - eps||lambda||_1) /
 * dualNorm(lambda) (infinite when dualNorm <= 0: a Farkas certificate). The status is
 * `infeasible` when that bound exceeds INFEASIBLE_BOUND * max(1, ||y||, |p|): no
 * feasible point exists or every one is absurdly far from the iterate. The returned
 * `dual` is then that ray, normalized to unit length.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, norm2, zeros } from '../linalg/mat.js';
import { backend as defaultBackend } from '../linalg/select.js';
import type { Problem } from '../problems/problem.js';
import { evaluateCertificate, infeasibilityBound, type CertificateFigures } from './certificate.js';
import { affineSet } from './nnm/affine.js';
import { proxNuclear, proxTracePsd } from './nnm/prox.js';

export interface NnmOptions {
  /** minimize tr(X) over the PSD cone. Default: problem.psd. */
  psd?: boolean;
  /** Entrywise |A(X) - y| <= eps. Default 0. */
  eps?: number;
  /** Relative gap and infeasibilities at most tol means solved. Default 1e-7. */
  tol?: number;
  /** Default 20000. */
  maxIters?: number;
  backend?: Backend;
  /** Called at every convergence check (every CHECK_EVERY iterations). */
  onIteration?(it: number, gap: number, pinf: number, dinf: number): void;
}

export type NnmStatus = 'solved' | 'inaccurate' | 'infeasible';

export interface NnmResult {
  x: Mat;
  dual: Float64Array;
  status: NnmStatus;
  primalObjective: number;
  dualObjective: number;
  relativeGap: number;
  primalInfeasibility: number;
  dualInfeasibility: number;
  iterations: number;
  seconds: number;
}

const ALPHA = 1.6;
const CHECK_EVERY = 10;
const INFEASIBILITY_EVERY = 200;
const INFEASIBLE_BOUND = 1e8;
/** Residual balancing: rebalance rho when the relative residuals differ by more than this factor. */
const BALANCE = 5;
/** The stall rule (see the loop): window in iterations, and the decrease expected over it. */
const STALL_WINDOW = 300;
const STALL_FACTOR = 10;

function validate(problem: Problem, o: NnmOptions): { psd: boolean; eps: number; tol: number; maxIters: number } {
  const eps = o.eps ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`eps: expected a finite number >= 0, got ${eps}`);
  const tol = o.tol ?? 1e-7;
  if (typeof tol !== 'number' || !(tol > 0) || !Number.isFinite(tol)) throw new RangeError(`tol: expected a finite number > 0, got ${tol}`);
  const maxIters = o.maxIters ?? 20000;
  if (!Number.isInteger(maxIters) || maxIters < 1) throw new RangeError(`maxIters: expected an integer >= 1, got ${maxIters}`);
  const psd = o.psd ?? problem.psd;
  if (psd && problem.n1 !== problem.n2) throw new RangeError(`psd: the PSD setting needs a square problem, got ${problem.n1}x${problem.n2}`);
  const y = problem.y;
  if (y.length !== problem.op.m) throw new RangeError(`y: expected ${problem.op.m} values, got ${y.length}`);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new RangeError(`y: entry ${i} is ${y[i]} (expected finite values)`);
  }
  return { psd, eps, tol, maxIters };
}

function diffNorm(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * The minimum-nuclear-norm (or minimum-trace PSD) X with A(X) = y (or |A(X) - y| <= eps),
 * and the dual certificate lambda, scaled to exact feasibility.
 *
 * @throws RangeError naming the bad option (eps, tol, maxIters, psd) or a non-finite y.
 * @example
 * const r = minNuclearNorm(completion({ n1: 30, n2: 30, m: 400, rank: 2, seed: 1 }));
 * r.status; // 'solved'; r.relativeGap <= 1e-7 certifies ||r.x||_* optimal
 */
export function minNuclearNorm(problem: Problem, options: NnmOptions = {}): NnmResult {
  const { psd, eps, tol, maxIters } = validate(problem, options);
  const be = options.backend ?? defaultBackend();
  const t0 = performance.now();
  const { n1, n2 } = problem;
  const m = problem.op.m, y = problem.y;
  const aff = affineSet(problem, eps, be);
  const extended = aff.mode === 'extended';
  const prox = psd ? proxTracePsd : proxNuclear;

  const x = zeros(n1, n2), z = zeros(n1, n2), u = zeros(n1, n2);
  const v = zeros(n1, n2), xh = zeros(n1, n2), zOld = zeros(n1, n2), w = zeros(n1, n2);
  const tmp = zeros(n1, n2);
  // Extended form: s = A(X) in the box, with scaled dual us.
  const s = new Float64Array(m), us = new Float64Array(m), ax = new Float64Array(m), sOld = new Float64Array(m);
  const lambda = new Float64Array(m), sMinusU = new Float64Array(m);
  const clampBox = (val: number, i: number): number => Math.min(Math.max(val, y[i] - eps), y[i] + eps);

  // Warm start: X = Z = the projection of 0 onto C (extended form: s = clamp(0)).
  if (extended) {
    for (let i = 0; i < m; i++) s[i] = clampBox(0, i);
    aff.solveExtended(zeros(n1, n2), s, x, ax);
  } else aff.project(zeros(n1, n2), x);
  z.data.set(x.data);
  const yNorm = norm2(y);
  const xNorm = norm2(x.data);
  // rho so that the first threshold 1/rho is a tenth of the warm start's scale per direction.
  let rho = xNorm > 0 ? (10 * Math.sqrt(Math.min(n1, n2))) / xNorm : 1;

  let rhoFloor = 0, lastPinf = Infinity;
  let it = 0, objective = 0;
  let cert: CertificateFigures | null = null;
  let status: NnmStatus = 'inaccurate';
  let farkas: Float64Array | null = null;

  for (it = 1; it <= maxIters; it++) {
    const check = it % CHECK_EVERY === 0 || it === maxIters;
    // X-step.
    const vd = v.data, zd = z.data, ud = u.data;
    if (extended) {
      for (let i = 0; i < m; i++) sMinusU[i] = s[i] - us[i];
      for (let i = 0; i < vd.length; i++) vd[i] = zd[i] - ud[i];
      aff.solveExtended(v, sMinusU, x, ax);
    } else {
      for (let i = 0; i < vd.length; i++) vd[i] = zd[i] - ud[i];
      aff.project(v, x);
    }
    // Relaxation and Z-step.
    const xd = x.data, xhd = xh.data;
    for (let i = 0; i < xd.length; i++) xhd[i] = ALPHA * xd[i] + (1 - ALPHA) * zd[i];
    if (check) zOld.data.set(zd);
    for (let i = 0; i < vd.length; i++) vd[i] = xhd[i] + ud[i];
    objective = prox(v, 1 / rho, be, z).value;
    for (let i = 0; i < ud.length; i++) ud[i] += xhd[i] - zd[i];
    if (extended) {
      if (check) sOld.set(s);
      for (let i = 0; i < m; i++) {
        const sh = ALPHA * ax[i] + (1 - ALPHA) * s[i];
        s[i] = clampBox(sh + us[i], i);
        us[i] += sh - s[i];
      }
    }
    if (!check) continue;

    // The dual estimate and the certificate.
    if (extended) for (let i = 0; i < m; i++) lambda[i] = -rho * us[i];
    else {
      for (let i = 0; i < ud.length; i++) w.data[i] = rho * ud[i];
      aff.fit(w, lambda);
    }
    cert = evaluateCertificate(problem, z, lambda, { psd, eps, backend: be, primal: objective });
    options.onIteration?.(it, cert.relativeGap, cert.primalInfeasibility, cert.dualInfeasibility);
    if (!Number.isFinite(cert.relativeGap) || !Number.isFinite(cert.primalInfeasibility)) break;
    if (cert.relativeGap <= tol && cert.primalInfeasibility <= tol && cert.dualInfeasibility <= tol) {
      status = 'solved';
      break;
    }
    // General problems in the project form: X (the projection onto C) is exactly
    // feasible; when Z's residual is all that is left, X may already be certified.
    if (!psd && !extended && cert.relativeGap <= tol && cert.dualInfeasibility <= tol) {
      const cx = evaluateCertificate(problem, x, lambda, { psd, eps, backend: be });
      if (cx.relativeGap <= tol && cx.primalInfeasibility <= tol) {
        cert = cx;
        z.data.set(x.data);
        status = 'solved';
        break;
      }
    }

    // Infeasibility (see the header).
    if ((it % INFEASIBILITY_EVERY === 0 || it === maxIters) && cert.primalInfeasibility > tol) {
      const candidates: Float64Array[] = [lambda.slice()];
      if (extended) candidates.push(Float64Array.from(s, (si, i) => si - ax[i]));
      else {
        for (let i = 0; i < xd.length; i++) tmp.data[i] = xd[i] - zd[i];
        candidates.push(aff.fit(tmp, new Float64Array(m)));
      }
      const threshold = INFEASIBLE_BOUND * Math.max(1, yNorm, Math.abs(cert.primalObjective));
      for (const c of candidates) {
        if (infeasibilityBound(problem, c, { psd, eps, backend: be }) > threshold) {
          const nc = norm2(c);
          farkas = Float64Array.from(c, (t) => t / nc);
          break;
        }
      }
      if (farkas) {
        status = 'infeasible';
        break;
      }
    }

    // Residual balancing on relative residuals.
    let rPrim = diffNorm(xd, zd), rDual = rho * diffNorm(zd, zOld.data);
    let pScale = Math.max(norm2(xd), norm2(zd)), dScale = rho * norm2(ud);
    if (extended) {
      rPrim = Math.hypot(rPrim, diffNorm(ax, s));
      pScale = Math.max(pScale, norm2(s));
      rDual = Math.hypot(rDual, rho * diffNorm(s, sOld));
      dScale = Math.hypot(dScale, rho * norm2(us));
    }
    const ratio = (rPrim / Math.max(pScale, 1e-300)) / (rDual / Math.max(dScale, 1e-300));
    let factor = 1;
    if (ratio > BALANCE) factor = 2;
    else if (ratio < 1 / BALANCE && rho / 2 >= rhoFloor) factor = 0.5;
    // Stall rule: when the primal residual is the bottleneck and fell less than
    // STALL_FACTOR over the last STALL_WINDOW iterations, residual balancing has settled on a rho that is too small for
    // this problem (the tail is sublinear): double rho and do not let balancing undo it.
    if (it % STALL_WINDOW === 0) {
      const pinf = cert.primalInfeasibility;
      if (pinf > Math.max(cert.relativeGap, cert.dualInfeasibility) && pinf > lastPinf / STALL_FACTOR) {
        factor = 2;
        rhoFloor = 2 * rho;
      }
      lastPinf = pinf;
    }
    if (factor !== 1 && Number.isFinite(ratio)) {
      rho *= factor;
      for (let i = 0; i < ud.length; i++) ud[i] /= factor;
      if (extended) for (let i = 0; i < m; i++) us[i] /= factor;
    }
  }
  const iterations = Math.min(it, maxIters);
  cert ??= evaluateCertificate(problem, z, lambda, { psd, eps, backend: be, primal: objective });
  return {
    x: z,
    dual: farkas ?? cert.dual,
    status,
    primalObjective: cert.primalObjective,
    dualObjective: cert.dualObjective,
    relativeGap: cert.relativeGap,
    primalInfeasibility: cert.primalInfeasibility,
    dualInfeasibility: cert.dualInfeasibility,
    iterations,
    seconds: (performance.now() - t0) / 1000,
  };
}
