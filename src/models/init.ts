/**
 * Initial points for every model: gaussian (the Arora convention), normal-end-to-end
 * (Razin and Cohen's), identity, orthogonal, balanced, scaled direction (Hou et al.), the
 * SVD start from A*(y) (Gunasekar et al.), and factors read from a factor file; the random
 * ones optionally redrawn until det(W(0)) > 0.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, frobeniusNorm, isFiniteMat, norm2, transpose, zeros } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import { sparseToDense } from '../linalg/sparse.js';
import type { Problem } from '../problems/problem.js';
import { haarOrthogonal } from '../rng/orthogonal.js';
import type { Random } from '../rng/random.js';
import { isIntAtLeast } from './core.js';
import type { Model } from './model.js';

/**
 * How to initialize. `scale` is the Arora et al. init scale (||W(0)||_F ~ scale sqrt(n));
 * `std` the standard deviation of every entry of W(0) (Razin and Cohen); `xi` the Frobenius
 * norm of every factor (Hou et al.); `rank` the rank of the SVD start; `factors` a factor
 * file's arrays by name (W1..WN, U, V, D). `positiveDet` (the random kinds): redraw, from the
 * same stream, until det(W(0)) > 0.
 */
export type InitSpec =
  | { kind: 'gaussian'; scale: number; positiveDet?: boolean }
  | { kind: 'normal-end-to-end'; std: number; positiveDet?: boolean }
  | { kind: 'identity'; scale: number }
  | { kind: 'orthogonal'; scale: number; positiveDet?: boolean }
  | { kind: 'balanced'; scale: number; positiveDet?: boolean }
  | { kind: 'scaled-direction'; xi: number; positiveDet?: boolean }
  | { kind: 'svd'; rank?: number }
  | { kind: 'file'; factors: Map<string, Mat> };

/** The init kinds that draw from the random stream (and so may take positiveDet). */
export const RANDOM_INIT_KINDS = ['gaussian', 'normal-end-to-end', 'orthogonal', 'balanced', 'scaled-direction'] as const;

/** Draws of a positiveDet initialization before giving up (each has det > 0 with probability about 1/2). */
export const POSITIVE_DET_ATTEMPTS = 1000;

/**
 * The per-factor standard deviation s of `normal-end-to-end`: the entries of a product of
 * independent factors with i.i.d. N(0, s^2) entries, F_N ... F_1 with F_j of shape
 * d_j x d_(j-1), have variance s^(2N) d_1 d_2 ... d_(N-1) (each entry is a sum over
 * d_1 ... d_(N-1) index paths of products of N independent zero-mean factors; distinct
 * paths are uncorrelated). So s = (std^2 / (d_1 ... d_(N-1)))^(1/(2N)); for N factors of
 * size d x d that is (std^2 / d^(N-1))^(1/(2N)).
 *
 * @example
 * endToEndFactorStd(1e-3, [2, 2, 2, 2, 2]); // depth 4, 2x2: (1e-6 / 8)^(1/8)
 */
export function endToEndFactorStd(std: number, dims: readonly number[]): number {
  const N = dims.length - 1;
  if (std === 0) return 0;
  let logHidden = 0;
  for (let j = 1; j < N; j++) logHidden += Math.log(dims[j]);
  return Math.exp((2 * Math.log(std) - logHidden) / (2 * N));
}

/**
 * The determinant of a square matrix, by Gaussian elimination with partial pivoting on a
 * copy (O(n^3); meant for the small matrices positiveDet applies to, and tests).
 *
 * @example
 * determinant(matFrom([[1, 2], [3, 4]])); // -2
 */
export function determinant(a: Mat): number {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`determinant: expected a square matrix, got ${a.rows}x${a.cols}`);
  const m = a.data.slice();
  let det = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[pivot * n + c])) pivot = r;
    const p = m[pivot * n + c];
    if (p === 0) return 0;
    if (pivot !== c) {
      for (let j = 0; j < n; j++) {
        const t = m[c * n + j];
        m[c * n + j] = m[pivot * n + j];
        m[pivot * n + j] = t;
      }
      det = -det;
    }
    det *= p;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / p;
      if (f !== 0) for (let j = c; j < n; j++) m[r * n + j] -= f * m[c * n + j];
    }
  }
  return det;
}

/**
 * The matrices whose product is W, seen as a chain W = F_N ... F_1 with F_j of shape
 * d_j x d_(j-1): deep W_N...W_1; psd U U^T (d = n, k, n); asymmetric U V^T (d = n2, k, n1);
 * udu U (D) U^T as psd, with D = 1.
 */
interface Chain {
  N: number;
  dims: number[];
}

function chainOf(model: Model): Chain {
  const s = model.factorShapes;
  switch (model.kind) {
    case 'deep':
      return { N: s.length, dims: [s[0][1], ...s.map((x) => x[0])] };
    case 'psd':
    case 'udu':
      return { N: 2, dims: [model.n1, s[0][1], model.n1] };
    case 'asymmetric':
      return { N: 2, dims: [model.n2, s[0][1], model.n1] };
    default:
      throw new RangeError(`model: unknown kind "${String((model as { kind?: unknown }).kind)}"`);
  }
}

function ones(rows: number, cols: number): Mat {
  const m = zeros(rows, cols);
  m.data.fill(1);
  return m;
}

/** The leading rows x cols block of the identity, times c. */
function identityBlock(rows: number, cols: number, c = 1): Mat {
  const m = zeros(rows, cols);
  for (let i = 0; i < Math.min(rows, cols); i++) m.data[i * cols + i] = c;
  return m;
}

function scaleInPlace(a: Mat, c: number): Mat {
  const d = a.data;
  for (let i = 0; i < d.length; i++) d[i] *= c;
  return a;
}

/** A rows x cols Haar-random matrix with orthonormal columns (rows >= cols) or rows (rows < cols). */
function orthonormal(rng: Random, rows: number, cols: number): Mat {
  return rows >= cols ? haarOrthogonal(rng, rows, cols) : transpose(haarOrthogonal(rng, cols, rows));
}

/**
 * Every non-D factor made by `make(rows, cols)`, in factorNames order; D = 1 for udu.
 */
function perFactor(model: Model, make: (rows: number, cols: number) => Mat): Mat[] {
  return model.factorShapes.map(([r, c], i) => (model.kind === 'udu' && model.factorNames[i] === 'D' ? ones(r, c) : make(r, c)));
}

function checkScale(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${field}: expected a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * W = Pf diag(s) Qf^T (Pf n1 x r, Qf n2 x r) split across a chain as
 * F_j = Q_j diag(s^(1/N)) Q_(j-1)^T with Q_0 = Qf, Q_N = Pf and Q_j = middle(j) (d_j x r,
 * orthonormal columns) for 0 < j < N. Then F_N...F_1 = W and the chain is balanced:
 * F_(j+1)^T F_(j+1) = Q_j diag(s^(2/N)) Q_j^T = F_j F_j^T.
 */
function splitAcross(pf: Mat, s: Float64Array, qf: Mat, chain: Chain, middle: (j: number) => Mat, be: Backend): Mat[] {
  const { N, dims } = chain;
  const r = s.length;
  const root = Float64Array.from(s, (x) => Math.pow(x, 1 / N));
  const qs: Mat[] = [qf];
  for (let j = 1; j < N; j++) qs.push(middle(j));
  qs.push(pf);
  const out: Mat[] = [];
  for (let j = 1; j <= N; j++) {
    const qj = qs[j];
    const scaled = zeros(dims[j], r);
    for (let a = 0; a < dims[j]; a++) for (let b = 0; b < r; b++) scaled.data[a * r + b] = qj.data[a * r + b] * root[b];
    out.push(be.gemm(false, true, 1, scaled, qs[j - 1], 0, zeros(dims[j], dims[j - 1])));
  }
  return out;
}

/** The leading `cols` columns of a, as a new matrix. */
function leadingCols(a: Mat, cols: number): Mat {
  const out = zeros(a.rows, cols);
  for (let i = 0; i < a.rows; i++) out.data.set(a.data.subarray(i * a.cols, i * a.cols + cols), i * cols);
  return out;
}

/** Chain factors F_1..F_N as the model's parameters (asymmetric: U = F_2, V = F_1^T). */
function chainToParams(model: Model, fs: Mat[]): Mat[] {
  if (model.kind === 'asymmetric') return [fs[1], transpose(fs[0])];
  return fs;
}

/**
 * t A*(y), with t minimizing ||A(t A*(y)) - y||: the exact line-search gradient step
 * from W = 0 (scale-free, so it means the same for every operator and normalization).
 */
function spectralStart(problem: Problem): Mat {
  const op = problem.op;
  const g = op.adjoint(problem.y, 1);
  const x = g.kind === 'dense' ? { rows: g.mat.rows, cols: g.mat.cols, data: g.mat.data.slice() } : sparseToDense(g.mat);
  const z = op.apply(x, new Float64Array(op.m));
  let num = 0, den = 0;
  for (let i = 0; i < x.data.length; i++) num += x.data[i] * x.data[i];
  for (let i = 0; i < z.length; i++) den += z[i] * z[i];
  return scaleInPlace(x, den > 0 ? num / den : 0);
}

function checkRank(rank: unknown, max: number): number {
  if (rank === undefined) return max;
  if (!isIntAtLeast(rank, 1) || rank > max) throw new RangeError(`rank: expected an integer in [1, ${max}], got ${String(rank)}`);
  return rank;
}

function svdInit(spec: { rank?: number }, model: Model, problem: Problem, be: Backend): Mat[] {
  const x = spectralStart(problem);
  const chain = chainOf(model);
  if (model.kind === 'psd' || model.kind === 'udu') {
    const n = model.n1, k = chain.dims[1];
    const r = checkRank(spec.rank, Math.min(k, n));
    const sym = zeros(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sym.data[i * n + j] = 0.5 * (x.data[i * n + j] + x.data[j * n + i]);
    const { values, vectors } = be.syevd(sym);
    // Column c of U: the eigenvector of the (c+1)-th largest eigenvalue, times c_scale.
    const radius = model.kind === 'udu' ? ((model as { radius?: number }).radius ?? 1) : 1;
    const u = zeros(n, k);
    const d = zeros(1, k);
    const colScale = radius / Math.sqrt(r);
    for (let c = 0; c < r; c++) {
      const idx = n - 1 - c;
      const lam = Math.max(values[idx], 0);
      const f = model.kind === 'psd' ? Math.sqrt(lam) : colScale;
      for (let i = 0; i < n; i++) u.data[i * k + c] = vectors.data[i * n + idx] * f;
      d.data[c] = lam / (colScale * colScale);
    }
    return model.kind === 'psd' ? [u] : [u, d];
  }
  const r = checkRank(spec.rank, Math.min(...chain.dims));
  const svd = be.gesdd(x);
  const fs = splitAcross(leadingCols(svd.u, r), svd.s.slice(0, r), leadingCols(svd.v, r), chain,
    (j) => identityBlock(chain.dims[j], r), be);
  return chainToParams(model, fs);
}

function balancedInit(scale: number, model: Model, rng: Random, be: Backend): Mat[] {
  if (model.kind === 'psd' || model.kind === 'udu') {
    throw new RangeError(`init: balanced applies to deep and asymmetric models (U U^T is balanced for every U; use gaussian), got ${model.kind}`);
  }
  const chain = chainOf(model);
  const { n1, n2 } = model;
  const r = Math.min(...chain.dims);
  const svd = be.gesdd(rng.normalMat(n1, n2));
  const s = svd.s.slice(0, r);
  const target = scale * Math.sqrt(Math.sqrt(n1 * n2));
  const norm = norm2(s);
  for (let i = 0; i < r; i++) s[i] = norm > 0 ? (s[i] * target) / norm : 0;
  const fs = splitAcross(leadingCols(svd.u, r), s, leadingCols(svd.v, r), chain, (j) => haarOrthogonal(rng, chain.dims[j], r), be);
  return chainToParams(model, fs);
}

function fileInit(factors: Map<string, Mat>, model: Model): Mat[] {
  if (!(factors instanceof Map)) throw new RangeError('factors: expected a Map from factor names to matrices');
  const names = model.factorNames;
  for (const key of factors.keys()) {
    if (/^(W\d+|U|V|D)$/.test(key) && !names.includes(key)) {
      throw new RangeError(`${key}: not a factor of this ${model.kind} model (it has ${names.join(', ')})`);
    }
  }
  return names.map((name, i) => {
    const [rows, cols] = model.factorShapes[i];
    const f = factors.get(name);
    if (f === undefined) throw new RangeError(`${name}: missing from the factor file (a ${model.kind} model needs ${names.join(', ')})`);
    let m: Mat;
    if (f.rows === rows && f.cols === cols) m = { rows, cols, data: f.data.slice() };
    else if (name === 'D' && f.rows === cols && f.cols === 1) m = { rows: 1, cols, data: f.data.slice() };
    else throw new RangeError(`${name}: expected shape ${rows}x${cols}, got ${f.rows}x${f.cols}`);
    if (m.data.length !== rows * cols) throw new RangeError(`${name}: expected ${rows * cols} values, got ${m.data.length}`);
    if (!isFiniteMat(m)) {
      const at = m.data.findIndex((v) => !Number.isFinite(v));
      throw new RangeError(`${name}: expected finite values, got ${m.data[at]} at (${Math.floor(at / cols)}, ${at % cols})`);
    }
    return m;
  });
}

/**
 * Initial parameters for `model` (in its factorNames order, freshly allocated).
 *
 * - `gaussian` (Arora et al.): every factor i.i.d. N(0, s^2), drawn in factor order. With
 *   the product seen as a chain F_N...F_1 of shapes d_j x d_(j-1) (deep: W_j; psd and udu:
 *   U^T then U, N = 2; asymmetric: V^T then U), n = sqrt(n1 n2) and
 *   s = (scale^2 n / (d_0 d_1 ... d_N))^(1/(2N)), independent factors give
 *   E ||W(0)||_F^2 = scale^2 n exactly; with every width n this is DESIGN's
 *   s = scale^(1/N) / sqrt(n). (psd: U and U^T are not independent, and E ||U U^T||_F^2 is
 *   larger by (n + k + 1) / n, about 2 at k = n.) udu: D = 1.
 * - `normal-end-to-end` (Razin and Cohen): every factor i.i.d. N(0, s^2), drawn in factor
 *   order like `gaussian`, with s such that every entry of W(0) has standard deviation `std`:
 *   s = (std^2 / (d_1 ... d_(N-1)))^(1/(2N)) (endToEndFactorStd). Deep and asymmetric models
 *   only (their factors are independent; U U^T's are not).
 * - `identity`: every factor scale^(1/N) times the leading identity block; udu: D = 1.
 * - `orthogonal`: every factor scale^(1/N) times a Haar-random matrix with orthonormal
 *   columns (tall or square) or rows (wide); udu: D = 1.
 * - `balanced` (Arora, Cohen, Hazan 2018): a standard Gaussian n1 x n2 matrix, its SVD
 *   P S Q^T truncated to r = min(d_0..d_N) and rescaled so that ||W(0)||_F = scale sqrt(n),
 *   n = sqrt(n1 n2), split as W_j = Q_j S^(1/N) Q_(j-1)^T with Q_0 = Q, Q_N = P and Haar
 *   Q_j (d_j x r) in between; then W_(j+1)^T W_(j+1) = W_j W_j^T. Deep and asymmetric
 *   (U = P S^(1/2) Q_1^T, V = Q S^(1/2) Q_1^T); psd and udu throw (every U U^T is balanced).
 * - `scaled-direction` (Hou et al.): every factor xi U_hat / ||U_hat||_F, U_hat standard
 *   Gaussian, so ||factor||_F = xi; udu: D = 1.
 * - `svd` (Gunasekar et al.'s start at a bad optimum): X0 = t A*(y), t the exact
 *   line-search step from 0 (t = ||A*(y)||^2 / ||A(A*(y))||^2), and its top-`rank` part
 *   (default: as many as the widths allow) split across factors; columns beyond the rank
 *   are zero, so gradient descent stays at rank <= `rank`. psd: U = V_r Lambda_r^(1/2)
 *   from the eigenpairs of (X0 + X0^T)/2 (negative eigenvalues clipped to 0), so
 *   U U^T is the best PSD rank-r approximation; udu: the same eigenpairs with
 *   ||U||_F = radius and D = Lambda_r r / radius^2; asymmetric: U = P_r S_r^(1/2),
 *   V = Q_r S_r^(1/2) from X0's SVD; deep: W_j = Q_j S_r^(1/N) Q_(j-1)^T as for balanced,
 *   with leading identity blocks for the middle Q_j. Draws nothing from rng.
 * - `file`: the factors of a factor file by name (W1..WN, U, V, D), copied; D may be
 *   1 x k or k x 1. A missing factor, a factor another model would have (e.g. W4 for
 *   depth 3), a wrong shape or a non-finite value is a one-line error naming the factor.
 *
 * `positiveDet: true` (gaussian, normal-end-to-end, orthogonal, balanced, scaled-direction;
 * square problems): the whole draw is repeated, continuing the same random stream, until
 * det(W(0)) > 0 (Razin and Cohen's initialization), at most POSITIVE_DET_ATTEMPTS times. So
 * the result is a deterministic function of the seed. A hidden width below n makes W(0)
 * singular, which is an error up front.
 *
 * Initial points are not projected: call model.project for udu.
 *
 * @example
 * const model = createModel({ kind: 'deep', depth: 3 }, problem, 'mse');
 * const params = initialize({ kind: 'gaussian', scale: 1e-3 }, model, problem, Random.fromSeed(1));
 * model.lossAndGradient(params, grads);
 */
export function initialize(spec: InitSpec, model: Model, problem: Problem, rng: Random, be: Backend = backend()): Mat[] {
  if (problem.n1 !== model.n1 || problem.n2 !== model.n2) {
    throw new RangeError(`problem: the model is ${model.n1}x${model.n2} but the problem is ${problem.n1}x${problem.n2}`);
  }
  if (spec === null || typeof spec !== 'object') throw new RangeError(`init: expected an init spec object, got ${String(spec)}`);
  const positiveDet = (spec as { positiveDet?: unknown }).positiveDet;
  if (positiveDet === undefined || positiveDet === false) return draw(spec, model, problem, rng, be);
  if (positiveDet !== true) throw new RangeError(`positiveDet: expected true or false, got ${String(positiveDet)}`);
  if (!(RANDOM_INIT_KINDS as readonly string[]).includes(spec.kind)) {
    throw new RangeError(`positiveDet: applies to the random kinds (${RANDOM_INIT_KINDS.join(', ')}), got "${spec.kind}"`);
  }
  const { n1, n2 } = model;
  if (n1 !== n2) throw new RangeError(`positiveDet: needs a square problem (det(W)), got ${n1}x${n2}`);
  const narrowest = Math.min(...chainOf(model).dims);
  if (narrowest < n1) throw new RangeError(`positiveDet: a width of ${narrowest} below n = ${n1} makes det(W(0)) = 0 always`);
  const w = zeros(n1, n2);
  for (let attempt = 0; attempt < POSITIVE_DET_ATTEMPTS; attempt++) {
    const params = draw(spec, model, problem, rng, be);
    if (determinant(model.endToEnd(params, w)) > 0) return params;
  }
  throw new RangeError(`positiveDet: no draw with det(W(0)) > 0 in ${POSITIVE_DET_ATTEMPTS} attempts (is the scale 0?)`);
}

/** One draw of an initialization (no positiveDet). */
function draw(spec: InitSpec, model: Model, problem: Problem, rng: Random, be: Backend): Mat[] {
  switch (spec.kind) {
    case 'gaussian': {
      const scale = checkScale('scale', spec.scale);
      const { N, dims } = chainOf(model);
      const logN = 0.5 * (Math.log(model.n1) + Math.log(model.n2));
      let logProd = 0;
      for (const d of dims) logProd += Math.log(d);
      const s = scale === 0 ? 0 : Math.exp((2 * Math.log(scale) + logN - logProd) / (2 * N));
      return perFactor(model, (r, c) => rng.normalMat(r, c, s));
    }
    case 'normal-end-to-end': {
      const std = checkScale('std', spec.std);
      if (model.kind !== 'deep' && model.kind !== 'asymmetric') {
        throw new RangeError(`init: normal-end-to-end needs independent factors (deep or asymmetric), got a ${model.kind} model`);
      }
      const s = endToEndFactorStd(std, chainOf(model).dims);
      return perFactor(model, (r, c) => rng.normalMat(r, c, s));
    }
    case 'identity': {
      const c = Math.pow(checkScale('scale', spec.scale), 1 / chainOf(model).N);
      return perFactor(model, (r, cols) => identityBlock(r, cols, c));
    }
    case 'orthogonal': {
      const c = Math.pow(checkScale('scale', spec.scale), 1 / chainOf(model).N);
      return perFactor(model, (r, cols) => scaleInPlace(orthonormal(rng, r, cols), c));
    }
    case 'balanced':
      return balancedInit(checkScale('scale', spec.scale), model, rng, be);
    case 'scaled-direction': {
      const xi = checkScale('xi', spec.xi);
      return perFactor(model, (r, c) => {
        const g = rng.normalMat(r, c);
        const norm = frobeniusNorm(g);
        return scaleInPlace(g, norm > 0 ? xi / norm : 0);
      });
    }
    case 'svd':
      return svdInit(spec, model, problem, be);
    case 'file':
      return fileInit(spec.factors, model);
    default:
      throw new RangeError(
        `init: expected "gaussian", "normal-end-to-end", "identity", "orthogonal", "balanced", "scaled-direction", "svd" or "file", ` +
          `got "${String((spec as { kind?: unknown }).kind)}"`,
      );
  }
}
