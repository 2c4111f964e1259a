/**
 * Seeded problem generators: matrix sensing, matrix completion (uniform or power-law
 * sampling, asymmetric or symmetric), commuting (diagonal) sensing, Razin and Cohen's
 * 2x2 completion, and MovieLens-style ratings data. The CLI (`implab gen`) is a thin
 * layer over these.
 *
 * Seeds: each generator splits `Random.fromSeed(seed)` into four streams, in this
 * order: truth, measurements (sensing matrices or sampled entries), noise, test
 * entries. So the ground truth depends only on the seed and the truth's own options
 * (sizes, rank, kind), never on m, the noise level or the sampling; and the first m'
 * sensing matrices of a problem with m > m' measurements are those of the smaller one.
 * With `samplingSeed`, the measurement, noise and test streams come from a second root,
 * `Random.fromSeed(samplingSeed)` split the same way (its first split unused), so that the
 * ground truth and the sampling can be varied separately (the seed axes of a sweep).
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import { FormatError } from '../io/errors.js';
import { parseRatings } from '../io/ratings.js';
import { Random } from '../rng/random.js';
import { aroraTruth, diagonalPsdTruth, powerLawSpectrum, psdTruth, psdWithSpectrum, scaleToFrobenius } from './ground-truth.js';
import type { MeasurementOperator } from './operator.js';
import { CompletionOperator, findDuplicateEntry } from './operators/completion.js';
import { DenseOperator } from './operators/dense.js';
import { DiagonalOperator } from './operators/diagonal.js';
import { SymmetricOperator, packedSize } from './operators/symmetric.js';
import type { HeldOutEntries, Problem } from './problem.js';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

/** How Gaussian measurement entries are scaled (see SensingOptions.scale). */
export type MeasurementScale = 'arora' | 'unit' | 'isometric';

/**
 * The standard deviation of the measurement entries for a scale: `arora` 1/sqrt(entries of
 * the matrix), `unit` 1, `isometric` 1/sqrt(m).
 *
 * @example
 * measurementStd('isometric', 900, 100 * 100); // 1/30
 */
export function measurementStd(scale: MeasurementScale, m: number, entries: number): number {
  switch (scale) {
    case 'arora':
      return 1 / Math.sqrt(entries);
    case 'unit':
      return 1;
    case 'isometric':
      return 1 / Math.sqrt(m);
    default:
      throw new RangeError(`scale: expected arora, unit or isometric, got "${String(scale)}"`);
  }
}

/**
 * The ground truth: `asymmetric` (Arora et al.: U V^T / sqrt(r), Gaussian U, V),
 * `psd` (U U^T, Gaussian U), `psd-spectrum` (Haar eigenvectors, eigenvalues
 * k^-decay for k = 1..rank), each rescaled so that ||W*||_F = sqrt(n1 n2); or a
 * given matrix, used as is.
 */
export type TruthSpec = 'asymmetric' | 'psd' | 'psd-spectrum' | { kind: 'given'; xStar: Mat };

interface TruthOptions {
  n1: number;
  n2: number;
  /** The rank of the generated truth. Default: n for psd-spectrum, else min(5, n1, n2). Ignored for a given truth. */
  rank?: number;
  /** Default 'asymmetric' (completion with `symmetric`: 'psd'). */
  truth?: TruthSpec;
  /** The exponent of the psd-spectrum eigenvalues k^-decay. Default 1.5. */
  spectrumDecay?: number;
  /**
   * The Frobenius norm of a generated truth (it is drawn as usual, then rescaled; the draws
   * do not change). Default sqrt(n1 n2). Not for a given truth (used as is).
   */
  truthNorm?: number;
  /** Standard deviation of the Gaussian noise added to y. Default 0. */
  noise?: number;
  seed: number;
  /** Seeds the measurements (or observed entries), the noise and the test entries instead of `seed`. */
  samplingSeed?: number;
  /** Backend for the truth's products. Default backend(). */
  backend?: Backend;
}

export interface SensingOptions extends TruthOptions {
  /** Number of measurements. */
  m: number;
  /**
   * `arora`: A_i entries N(0, 1/(n1 n2)) (N(0, 1/n^2) for n x n, Arora et al.); `unit`: N(0, 1);
   * `isometric`: N(0, 1/m), so that E ||A(X)||^2 = ||X||_F^2 for every X (symmetric
   * measurements: for every symmetric X), i.e. A is nearly an isometry on low-rank
   * matrices once m is large against their degrees of freedom. Default 'arora'.
   */
  scale?: MeasurementScale;
  /**
   * Noise relative to the clean measurements: y = b# + omega with omega = level ||b#|| z / ||z||,
   * z standard Gaussian (from the noise stream), so ||omega||_2 = level ||b#||_2 exactly.
   * Not together with a non-zero `noise`. Default 0.
   */
  noiseRelative?: number;
  /** Replace each A_i by (A_i + A_i^T)/2 (Gunasekar et al., Hou et al.); needs n1 = n2. The operator is then stored packed. Default false. */
  symmetric?: boolean;
  /** The PSD setting flag of the problem. Default: true exactly when the truth is psd or psd-spectrum. */
  psd?: boolean;
}

export interface CompletionOptions extends TruthOptions {
  /** Number of observed entries (for `symmetric`, counting (i, j) and (j, i) separately). */
  m: number;
  /** Default 'uniform'. */
  sampling?: 'uniform' | 'powerlaw';
  /** Power-law exponent a: row i is drawn with probability proportional to (pi(i) + 1)^-a for a random permutation pi. Default 1. */
  powerLawExponent?: number;
  /** Symmetric PSD completion: n1 = n2, a PSD truth, and observing (i, j) observes (j, i). Default false. */
  symmetric?: boolean;
  /** The fraction of the unobserved entries held out as test entries (noise-free truth values); 1 = all. Default 0. */
  testFraction?: number;
}

export interface CommutingOptions {
  n: number;
  m: number;
  /** Number of non-zero diagonal entries of the truth. Default min(5, n). */
  rank?: number;
  /** `arora`: a_i entries N(0, 1/n^2); `unit`: N(0, 1); `isometric`: N(0, 1/m) (E ||A(X)||^2 = ||X||_F^2 for diagonal X). Default 'arora'. */
  scale?: MeasurementScale;
  noise?: number;
  seed: number;
  /** Seeds the measurements and the noise instead of `seed`. */
  samplingSeed?: number;
}

export interface Razin2x2Options {
  /** The perturbed family (0,1) = -2, (1,0) = 0.5, (1,1) = eps, instead of [[?, 1], [1, 0]]. */
  perturbed?: number;
}

export type RatingsSplit = { kind: 'first'; k: number } | { kind: 'random'; trainFraction: number; seed: number };

export interface MovielensOptions {
  /** The contents of a ratings TSV (see src/io/ratings.ts). */
  ratingsTsv: string;
  /** Names the file in errors. Default 'ratings.tsv'. */
  source?: string;
  /** Rows of W are items (n1 = number of items, as Arora et al.) or users. Default 'items'. */
  rowsAre?: 'items' | 'users';
  /** Default: the first 10000 ratings train (Arora et al.), the rest are test entries. */
  split?: RatingsSplit;
}

// ---------------------------------------------------------------------------
// Checks and shared pieces
// ---------------------------------------------------------------------------

function intAtLeast(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name}: expected an integer >= ${min}, got ${v}`);
}

function nonNegative(name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${name}: expected a finite number >= 0, got ${v}`);
}

/** Split order shared by all generators. */
function streams(seed: number, samplingSeed?: number): { truth: Random; measure: Random; noise: Random; test: Random } {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed: expected an integer, got ${seed}`);
  if (samplingSeed !== undefined && !Number.isSafeInteger(samplingSeed)) throw new RangeError(`samplingSeed: expected an integer, got ${samplingSeed}`);
  const root = Random.fromSeed(seed);
  const truth = root.split();
  const sampling = samplingSeed === undefined ? root : Random.fromSeed(samplingSeed);
  if (samplingSeed !== undefined) sampling.split();
  return { truth, measure: sampling.split(), noise: sampling.split(), test: sampling.split() };
}

function isPsdSpec(t: TruthSpec): boolean {
  return t === 'psd' || t === 'psd-spectrum';
}

/** The default rank for a truth kind. */
function defaultRank(t: TruthSpec, n1: number, n2: number): number {
  return t === 'psd-spectrum' ? Math.min(n1, n2) : Math.min(5, n1, n2);
}

/** Largest |X - X^T| relative to max |X|, for a square X. */
function asymmetry(x: Mat): number {
  const n = x.rows, d = x.data;
  let worst = 0, big = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      worst = Math.max(worst, Math.abs(d[i * n + j] - d[j * n + i]));
      big = Math.max(big, Math.abs(d[i * n + j]));
    }
  }
  return big === 0 ? 0 : worst / big;
}

/** The truth for the options, and whether it is PSD by construction (or checked). */
function makeTruth(o: TruthOptions, spec: TruthSpec, rng: Random, be: Backend, wantPsd: boolean): Mat {
  const { n1, n2 } = o;
  if (typeof spec === 'object') {
    if (o.truthNorm !== undefined) throw new RangeError('truthNorm: only for a generated truth (a given truth is used as is)');
    const x = spec.xStar;
    if (x.rows !== n1 || x.cols !== n2) throw new RangeError(`truth: expected a ${n1}x${n2} matrix, got ${x.rows}x${x.cols}`);
    for (let i = 0; i < x.data.length; i++) {
      if (!Number.isFinite(x.data[i])) throw new RangeError(`truth: entry [${Math.floor(i / n2)}, ${i % n2}] is ${x.data[i]} (expected finite values)`);
    }
    const copy = { rows: n1, cols: n2, data: x.data.slice() };
    if (wantPsd) {
      if (n1 !== n2) throw new RangeError(`truth: the PSD setting needs a square matrix, got ${n1}x${n2}`);
      const a = asymmetry(copy);
      if (a > 1e-10) throw new RangeError(`truth: the PSD setting needs a symmetric matrix (relative asymmetry ${a.toExponential(2)})`);
      const ev = be.eigvalsh(copy);
      const top = Math.max(Math.abs(ev[0]), Math.abs(ev[ev.length - 1]));
      if (ev[0] < -1e-10 * top) throw new RangeError(`truth: the PSD setting needs a positive semidefinite matrix (smallest eigenvalue ${ev[0].toPrecision(3)})`);
      for (let i = 0; i < n1; i++) {
        for (let j = i + 1; j < n1; j++) {
          const v = 0.5 * (copy.data[i * n1 + j] + copy.data[j * n1 + i]);
          copy.data[i * n1 + j] = copy.data[j * n1 + i] = v;
        }
      }
    }
    return copy;
  }
  if (spec !== 'asymmetric' && spec !== 'psd' && spec !== 'psd-spectrum') throw new RangeError(`truth: expected asymmetric, psd, psd-spectrum or a given matrix, got "${String(spec)}"`);
  if (isPsdSpec(spec) && n1 !== n2) throw new RangeError(`truth: a ${spec} truth needs n1 = n2, got ${n1}x${n2}`);
  if (wantPsd && !isPsdSpec(spec)) throw new RangeError(`truth: the PSD setting needs a psd or psd-spectrum truth, got ${spec}`);
  const rank = o.rank ?? defaultRank(spec, n1, n2);
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(n1, n2)) {
    throw new RangeError(`rank: expected an integer in [1, ${Math.min(n1, n2)}] for a ${n1}x${n2} matrix, got ${rank}`);
  }
  const norm = o.truthNorm;
  if (norm !== undefined && !(Number.isFinite(norm) && norm > 0)) throw new RangeError(`truthNorm: expected a positive finite number, got ${norm}`);
  const rescale = (x: Mat): Mat => (norm === undefined ? x : scaleToFrobenius(x, norm));
  if (spec === 'asymmetric') return rescale(aroraTruth(rng, n1, n2, rank, be));
  if (spec === 'psd') return rescale(psdTruth(rng, n1, rank, be));
  const decay = o.spectrumDecay ?? 1.5;
  if (!Number.isFinite(decay)) throw new RangeError(`spectrumDecay: expected a finite number, got ${decay}`);
  return scaleToFrobenius(psdWithSpectrum(rng, n1, powerLawSpectrum(rank, decay), be), norm ?? n1);
}

function addNoise(y: Float64Array, sigma: number, rng: Random): void {
  if (sigma === 0) return;
  for (let i = 0; i < y.length; i++) y[i] += sigma * rng.normal();
}

/** y <- y + omega with ||omega|| = level ||y|| exactly (omega along a standard Gaussian draw). */
function addRelativeNoise(y: Float64Array, level: number, rng: Random): void {
  if (level === 0) return;
  const z = new Float64Array(y.length);
  rng.fillNormal(z);
  let zz = 0, yy = 0;
  for (let i = 0; i < y.length; i++) {
    zz += z[i] * z[i];
    yy += y[i] * y[i];
  }
  if (zz === 0) return;
  const c = (level * Math.sqrt(yy)) / Math.sqrt(zz);
  for (let i = 0; i < y.length; i++) y[i] += c * z[i];
}

/** A guard against tensors that cannot be allocated: 2^31 doubles is 16 GiB. */
function checkTensorSize(m: number, entries: number, what: string): void {
  const total = m * entries;
  if (total > 2 ** 31) throw new RangeError(`m: ${what} would hold ${m} x ${entries} = ${total} numbers (${(total * 8 / 2 ** 30).toFixed(0)} GiB); use fewer measurements or a smaller matrix`);
}

// ---------------------------------------------------------------------------
// Sensing
// ---------------------------------------------------------------------------

/**
 * Matrix sensing: y_i = <A_i, W*> + noise * N(0, 1) with i.i.d. Gaussian A_i, scaled
 * (`arora`: variance 1/(n1 n2), so with ||W*||_F = sqrt(n1 n2) each y_i has unit
 * variance; `unit`: variance 1; `isometric`: variance 1/m) and optionally symmetrized,
 * (A_i + A_i^T)/2 of the same Gaussian draws. A_i is drawn in full (row-major) in both
 * cases, so the symmetric problem is the symmetrization of the plain one with the same
 * seed. For symmetric X, <(B + B^T)/2, X> = <B, X>, so symmetrizing keeps E <A_i, X>^2 =
 * variance ||X||_F^2: with `isometric`, E ||A(X)||^2 = ||X||_F^2 (every X when not
 * symmetrized, every symmetric X when symmetrized). With `noiseRelative` the noise is
 * rescaled to ||y - A(W*)|| = noiseRelative ||A(W*)|| exactly.
 *
 * @throws RangeError naming the bad option.
 * @example
 * const p = sensing({ n1: 100, n2: 100, m: 2000, rank: 5, seed: 1 }); // Arora et al.
 * const q = sensing({ n1: 50, n2: 50, m: 500, rank: 2, truth: 'psd', symmetric: true, seed: 1 }); // Gunasekar et al.
 * const h = sensing({ n1: 100, n2: 100, m: 900, rank: 3, truth: 'psd', symmetric: true, scale: 'isometric',
 *   truthNorm: 1, noiseRelative: 1e-2, seed: 0 }); // Hou et al.
 */
export function sensing(o: SensingOptions): Problem {
  const { n1, n2, m } = o;
  intAtLeast('n1', n1, 1);
  intAtLeast('n2', n2, 1);
  intAtLeast('m', m, 1);
  const noise = o.noise ?? 0;
  nonNegative('noise', noise);
  const noiseRelative = o.noiseRelative ?? 0;
  nonNegative('noiseRelative', noiseRelative);
  if (noise > 0 && noiseRelative > 0) throw new RangeError(`noiseRelative: give either noise (absolute) or noiseRelative, got noise = ${noise} and noiseRelative = ${noiseRelative}`);
  const scaleKind = o.scale ?? 'arora';
  const std = measurementStd(scaleKind, m, n1 * n2);
  const symmetric = o.symmetric ?? false;
  if (symmetric && n1 !== n2) throw new RangeError(`symmetric: symmetric measurements need n1 = n2, got ${n1}x${n2}`);
  const spec = o.truth ?? 'asymmetric';
  const psd = o.psd ?? (typeof spec === 'string' && isPsdSpec(spec));
  if (psd && n1 !== n2) throw new RangeError(`psd: the PSD setting needs n1 = n2, got ${n1}x${n2}`);
  checkTensorSize(m, symmetric ? packedSize(n1) : n1 * n2, 'the sensing matrices');
  const be = o.backend ?? backend();
  const rng = streams(o.seed, o.samplingSeed);
  const xStar = makeTruth(o, spec, rng.truth, be, psd);

  let op: MeasurementOperator;
  if (symmetric) {
    const n = n1, s = packedSize(n);
    const packed = zeros(m, s);
    const a = new Float64Array(n * n);
    const half = 0.5 * std;
    for (let i = 0; i < m; i++) {
      rng.measure.fillNormal(a);
      let p = i * s;
      for (let j = 0; j < n; j++) {
        packed.data[p++] = std * a[j * n + j];
        for (let k = j + 1; k < n; k++) packed.data[p++] = half * (a[j * n + k] + a[k * n + j]);
      }
    }
    op = new SymmetricOperator(packed, n, { backend: o.backend });
  } else {
    const a = zeros(m, n1 * n2);
    rng.measure.fillNormal(a.data, 0, std);
    op = new DenseOperator(a, n1, n2, { backend: o.backend });
  }
  const y = op.apply(xStar, new Float64Array(m));
  addNoise(y, noise, rng.noise);
  addRelativeNoise(y, noiseRelative, rng.noise);
  return { n1, n2, op, y, xStar, psd };
}

// ---------------------------------------------------------------------------
// Completion: sampling positions
// ---------------------------------------------------------------------------

/** A set of non-negative integers below `space`: a byte map when small, else a Set. */
class PositionSet {
  private readonly bytes: Uint8Array | null;
  private readonly set: Set<number> | null;
  constructor(space: number) {
    this.bytes = space <= 2 ** 26 ? new Uint8Array(space) : null;
    this.set = this.bytes ? null : new Set<number>();
  }
  has(p: number): boolean {
    return this.bytes ? this.bytes[p] === 1 : this.set!.has(p);
  }
  add(p: number): void {
    if (this.bytes) this.bytes[p] = 1;
    else this.set!.add(p);
  }
}

/**
 * The positions a completion problem can observe, with their sampling weights
 * (summing to 1). Asymmetric: pos = i n2 + j, weight p_row(i) p_col(j).
 * Symmetric: pos = i n + j with i <= j, weight p(i)^2 on the diagonal and
 * 2 p(i) p(j) above it (the mass of the entries the position observes).
 */
interface Layout {
  /** Positions are integers in [0, space). */
  space: number;
  weight(pos: number): number;
  /** A position drawn with probability weight(pos). */
  draw(rng: Random): number;
  /** Every position, ascending. */
  forEach(f: (pos: number) => void): void;
}

/** Index drawn from a discrete distribution given its running sums (last = total). */
function drawFromCumulative(rng: Random, cum: Float64Array): number {
  const u = rng.uniform() * cum[cum.length - 1];
  let lo = 0, hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Sampling probabilities over n indices: uniform, or (pi(i) + 1)^-a normalized for a random permutation pi. */
function indexWeights(n: number, sampling: 'uniform' | 'powerlaw', exponent: number, rng: Random): { p: Float64Array; draw: (r: Random) => number } {
  const p = new Float64Array(n);
  if (sampling === 'uniform') {
    p.fill(1 / n);
    return { p, draw: (r) => r.int(n) };
  }
  const perm = rng.permutation(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += (p[i] = (perm[i] + 1) ** -exponent);
  const cum = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    p[i] /= total;
    cum[i] = s += p[i];
  }
  return { p, draw: (r) => drawFromCumulative(r, cum) };
}

/**
 * Positions in successive-sampling order: each next position is drawn from the
 * not-yet-drawn ones with probability proportional to its weight (sampling without
 * replacement). While most of the mass is undrawn this is done by rejection; then the
 * remaining positions are ordered by Efraimidis–Spirakis keys log(u)/w, which
 * continues the same process exactly.
 */
function* successiveOrder(layout: Layout, rng: Random): Generator<number, void, undefined> {
  const seen = new PositionSet(layout.space);
  let remaining = 1;
  let misses = 0;
  while (remaining > 0.25 && misses < 64) {
    const pos = layout.draw(rng);
    if (seen.has(pos)) {
      misses++;
      continue;
    }
    misses = 0;
    seen.add(pos);
    remaining -= layout.weight(pos);
    yield pos;
  }
  const rest: number[] = [];
  layout.forEach((pos) => {
    if (!seen.has(pos)) rest.push(pos);
  });
  const keys = new Float64Array(rest.length);
  for (let i = 0; i < rest.length; i++) keys[i] = Math.log(1 - rng.uniform()) / layout.weight(rest[i]);
  const idx = Array.from(rest.keys()).sort((a, b) => keys[b] - keys[a] || a - b);
  for (const i of idx) yield rest[i];
}

/**
 * k distinct indices of [0, weights.length), drawn one at a time, each with
 * probability proportional to its weight among those not yet drawn (successive
 * sampling, the "without replacement" of powerlaw completion), in the order drawn.
 *
 * @example
 * successiveSample([0.5, 0.3, 0.2], 2, Random.fromSeed(1)); // e.g. Int32Array [0, 2]
 */
export function successiveSample(weights: ArrayLike<number>, k: number, rng: Random): Int32Array {
  const n = weights.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`k: expected an integer in [0, ${n}], got ${k}`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(weights[i] > 0) || !Number.isFinite(weights[i])) throw new RangeError(`weights[${i}]: expected a finite number > 0, got ${weights[i]}`);
    total += weights[i];
  }
  const p = Float64Array.from(weights, (w) => w / total);
  const cum = new Float64Array(n);
  for (let i = 0, s = 0; i < n; i++) cum[i] = s += p[i];
  const layout: Layout = {
    space: n,
    weight: (pos) => p[pos],
    draw: (r) => drawFromCumulative(r, cum),
    forEach: (f) => {
      for (let i = 0; i < n; i++) f(i);
    },
  };
  const out = new Int32Array(k);
  let j = 0;
  if (k > 0) {
    for (const pos of successiveOrder(layout, rng)) {
      out[j++] = pos;
      if (j === k) break;
    }
  }
  return out;
}

function asymmetricLayout(n1: number, n2: number, rowsW: ReturnType<typeof indexWeights>, colsW: ReturnType<typeof indexWeights>): Layout {
  return {
    space: n1 * n2,
    weight: (pos) => rowsW.p[Math.floor(pos / n2)] * colsW.p[pos % n2],
    draw: (rng) => {
      const i = rowsW.draw(rng);
      return i * n2 + colsW.draw(rng);
    },
    forEach: (f) => {
      for (let p = 0; p < n1 * n2; p++) f(p);
    },
  };
}

function symmetricLayout(n: number, w: ReturnType<typeof indexWeights>): Layout {
  return {
    space: n * n,
    weight: (pos) => {
      const i = Math.floor(pos / n), j = pos % n;
      return (i === j ? 1 : 2) * w.p[i] * w.p[j];
    },
    draw: (rng) => {
      const i = w.draw(rng), j = w.draw(rng);
      return i <= j ? i * n + j : j * n + i;
    },
    forEach: (f) => {
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) f(i * n + j);
    },
  };
}

/**
 * Picks observed positions from the stream until they hold exactly m entries. A
 * symmetric off-diagonal position holds two; with one entry left only a diagonal
 * position fits, and later off-diagonal ones are passed over. If none is left, the
 * last diagonal position taken is swapped for the first passed-over pair.
 */
function pickPositions(order: Iterable<number>, m: number, n: number, symmetric: boolean): number[] {
  const taken: number[] = [];
  if (!symmetric) {
    for (const pos of order) {
      if (taken.length === m) break;
      taken.push(pos);
    }
    return taken;
  }
  let count = 0;
  let passed = -1;
  for (const pos of order) {
    if (count === m) break;
    const diag = Math.floor(pos / n) === pos % n;
    const size = diag ? 1 : 2;
    if (count + size <= m) {
      taken.push(pos);
      count += size;
    } else if (passed < 0) {
      passed = pos;
    }
  }
  if (count < m) {
    // Every diagonal position is taken and one entry is missing: trade one diagonal for a pair.
    let k = taken.length - 1;
    while (Math.floor(taken[k] / n) !== taken[k] % n) k--;
    taken.splice(k, 1);
    taken.push(passed);
  }
  return taken;
}

/** Row-major sorted entries (rows, cols) of the given positions; symmetric ones expanded to both triangles. */
function entriesOf(positions: number[], n2: number, symmetric: boolean): { rows: Int32Array; cols: Int32Array; pos: number[] } {
  const list: number[] = [];
  for (const p of positions) {
    list.push(p);
    if (symmetric) {
      const i = Math.floor(p / n2), j = p % n2;
      if (i !== j) list.push(j * n2 + i);
    }
  }
  list.sort((a, b) => a - b);
  const rows = new Int32Array(list.length), cols = new Int32Array(list.length);
  for (let k = 0; k < list.length; k++) {
    rows[k] = Math.floor(list[k] / n2);
    cols[k] = list[k] % n2;
  }
  return { rows, cols, pos: list };
}

/**
 * Matrix completion: m entries of the truth observed, sampled without replacement
 * either uniformly or by a power law over rows and columns (Gunasekar et al.'s
 * non-incoherent sampling): row i has probability p_i proportional to
 * (pi(i) + 1)^-a (a = `powerLawExponent`, default 1, pi a seeded random permutation of
 * the rows; likewise columns), and entries are drawn one by one from those not yet
 * drawn with probability proportional to p_row p_col.
 *
 * Symmetric (PSD) completion samples positions i <= j (each with the probability mass
 * of the entries it observes) and emits both (i, j) and (j, i) with the same value.
 * Entries are sorted row-major. Noise, when asked, is one draw per observed position.
 * Held-out test entries (`testFraction`) are a uniform sample of the unobserved
 * entries (positions, when symmetric), with noise-free values.
 *
 * @throws RangeError naming the bad option (m larger than the number of entries, ...).
 * @example
 * const p = completion({ n1: 100, n2: 100, m: 2000, rank: 5, seed: 1 }); // Arora et al.
 * const q = completion({ n1: 50, n2: 50, m: 800, symmetric: true, sampling: 'powerlaw', seed: 2 });
 */
export function completion(o: CompletionOptions): Problem {
  const { n1, n2, m } = o;
  intAtLeast('n1', n1, 1);
  intAtLeast('n2', n2, 1);
  intAtLeast('m', m, 1);
  if (n1 * n2 > 2 ** 31 - 1) throw new RangeError(`n1, n2: a ${n1}x${n2} matrix has too many entries for int32 positions`);
  if (m > n1 * n2) throw new RangeError(`m: ${m} exceeds the ${n1 * n2} entries of a ${n1}x${n2} matrix`);
  const noise = o.noise ?? 0;
  nonNegative('noise', noise);
  const sampling = o.sampling ?? 'uniform';
  if (sampling !== 'uniform' && sampling !== 'powerlaw') throw new RangeError(`sampling: expected uniform or powerlaw, got "${String(sampling)}"`);
  const exponent = o.powerLawExponent ?? 1;
  if (!Number.isFinite(exponent) || exponent < 0) throw new RangeError(`powerLawExponent: expected a finite number >= 0, got ${exponent}`);
  const testFraction = o.testFraction ?? 0;
  if (!(testFraction >= 0 && testFraction <= 1)) throw new RangeError(`testFraction: expected a number in [0, 1], got ${testFraction}`);
  const symmetric = o.symmetric ?? false;
  if (symmetric && n1 !== n2) throw new RangeError(`symmetric: symmetric completion needs n1 = n2, got ${n1}x${n2}`);
  const spec = o.truth ?? (symmetric ? 'psd' : 'asymmetric');
  const psd = symmetric || (typeof spec === 'string' && isPsdSpec(spec));
  if (psd && n1 !== n2) throw new RangeError(`truth: a PSD truth needs n1 = n2, got ${n1}x${n2}`);
  const be = o.backend ?? backend();
  const rng = streams(o.seed, o.samplingSeed);
  const xStar = makeTruth(o, spec, rng.truth, be, psd);

  let layout: Layout;
  if (symmetric) {
    layout = symmetricLayout(n1, indexWeights(n1, sampling, exponent, rng.measure));
  } else {
    const rw = indexWeights(n1, sampling, exponent, rng.measure);
    const cw = indexWeights(n2, sampling, exponent, rng.measure);
    layout = asymmetricLayout(n1, n2, rw, cw);
  }
  const positions = pickPositions(successiveOrder(layout, rng.measure), m, n1, symmetric);

  // Values: one noise draw per position, in ascending position order.
  positions.sort((a, b) => a - b);
  const value = new Map<number, number>();
  for (const p of positions) {
    const v = xStar.data[p] + (noise === 0 ? 0 : noise * rng.noise.normal());
    value.set(p, v);
  }
  const { rows, cols, pos } = entriesOf(positions, n2, symmetric);
  const y = new Float64Array(pos.length);
  for (let k = 0; k < pos.length; k++) {
    const p = pos[k];
    const i = Math.floor(p / n2), j = p % n2;
    y[k] = value.get(symmetric && i > j ? j * n2 + i : p)!;
  }

  let test: HeldOutEntries | undefined;
  if (testFraction > 0) {
    const observed = new PositionSet(n1 * n2);
    for (const p of positions) observed.add(p);
    const free: number[] = [];
    layout.forEach((p) => {
      if (!observed.has(p)) free.push(p);
    });
    const k = Math.round(testFraction * free.length);
    const pick = rng.test.sampleWithoutReplacement(free.length, k);
    const chosen = Array.from(pick, (i) => free[i]);
    const t = entriesOf(chosen, n2, symmetric);
    const ty = new Float64Array(t.pos.length);
    for (let q = 0; q < ty.length; q++) ty[q] = xStar.data[t.pos[q]];
    test = { rows: t.rows, cols: t.cols, y: ty };
  }
  const op = new CompletionOperator(n1, n2, rows, cols, { backend: o.backend });
  return { n1, n2, op, y, xStar, test, psd };
}

// ---------------------------------------------------------------------------
// Commuting, Razin–Cohen, MovieLens
// ---------------------------------------------------------------------------

/**
 * Commuting measurements (Gunasekar et al., Theorem 1 and Corollary 2): A_i =
 * diag(a_i) with i.i.d. Gaussian a_i (`arora`: N(0, 1/n^2), `unit`: N(0, 1)), and a
 * diagonal PSD truth with `rank` non-zero entries (|N(0, 1)| at random positions,
 * rescaled so that ||X*||_F = n). The problem is PSD.
 *
 * @example
 * const p = commuting({ n: 20, m: 10, rank: 3, seed: 1 }); // p.op.kind === 'diagonal'
 */
export function commuting(o: CommutingOptions): Problem {
  const { n, m } = o;
  intAtLeast('n', n, 1);
  intAtLeast('m', m, 1);
  const rank = o.rank ?? Math.min(5, n);
  if (!Number.isInteger(rank) || rank < 1 || rank > n) throw new RangeError(`rank: expected an integer in [1, ${n}], got ${rank}`);
  const noise = o.noise ?? 0;
  nonNegative('noise', noise);
  const std = measurementStd(o.scale ?? 'arora', m, n * n);
  checkTensorSize(m, n, 'the diagonal measurements');
  const rng = streams(o.seed, o.samplingSeed);
  const d = diagonalPsdTruth(rng.truth, n, rank);
  const xStar = zeros(n, n);
  for (let j = 0; j < n; j++) xStar.data[j * n + j] = d[j];
  const a = zeros(m, n);
  rng.measure.fillNormal(a.data, 0, std);
  const op = new DiagonalOperator(a);
  const y = op.apply(xStar, new Float64Array(m));
  addNoise(y, noise, rng.noise);
  return { n1: n, n2: n, op, y, xStar, psd: true };
}

/**
 * Razin and Cohen's 2x2 completion [[?, 1], [1, 0]]: (0, 1) = 1, (1, 0) = 1,
 * (1, 1) = 0 observed, (0, 0) not. With `perturbed: eps` the values are (0, 1) = -2,
 * (1, 0) = 0.5, (1, 1) = eps. There is no ground truth (the problem is about which
 * completion gradient descent picks). Not PSD.
 *
 * @example
 * razin2x2().y; // Float64Array [1, 1, 0]
 * razin2x2({ perturbed: 1e-3 }).y; // [-2, 0.5, 0.001]
 */
export function razin2x2(o: Razin2x2Options = {}): Problem {
  const eps = o.perturbed;
  if (eps !== undefined && !Number.isFinite(eps)) throw new RangeError(`perturbed: expected a finite number, got ${eps}`);
  const rows = Int32Array.of(0, 1, 1), cols = Int32Array.of(1, 0, 1);
  const y = eps === undefined ? Float64Array.of(1, 1, 0) : Float64Array.of(-2, 0.5, eps);
  return { n1: 2, n2: 2, op: new CompletionOperator(2, 2, rows, cols), y, psd: false };
}

/**
 * A completion problem from a ratings TSV (MovieLens 100K: 1682 items x 943 users).
 * Rows are items (default, as Arora et al.) or users; indices are the file's 1-based
 * ids minus 1, and n1, n2 are the largest ids in the whole file. The first K ratings
 * in file order train (`{ kind: 'first', k }`, default K = 10000), or a seeded random
 * fraction does (`{ kind: 'random', trainFraction, seed }`); the rest are held-out
 * test entries. Training entries keep their file order.
 *
 * @throws FormatError for a malformed file or a rating given twice; RangeError for a bad split.
 * @example
 * const p = movielens({ ratingsTsv: readFileSync('ratings.tsv', 'utf8') }); // 1682 x 943, m = 10000, 90000 test
 */
export function movielens(o: MovielensOptions): Problem {
  const source = o.source ?? 'ratings.tsv';
  const rowsAre = o.rowsAre ?? 'items';
  if (rowsAre !== 'items' && rowsAre !== 'users') throw new RangeError(`rowsAre: expected items or users, got "${String(rowsAre)}"`);
  const split = o.split ?? { kind: 'first', k: 10000 };
  const r = parseRatings(o.ratingsTsv, source);
  const total = r.ratings.length;
  if (total === 0) throw new FormatError(source, 'no ratings after the header');
  const [allRows, allCols, n1, n2] = rowsAre === 'items' ? [r.items, r.users, r.nItems, r.nUsers] : [r.users, r.items, r.nUsers, r.nItems];
  const dup = findDuplicateEntry(n1, n2, allRows, allCols);
  if (dup) {
    const [a, b] = dup;
    const same = r.ratings[a] === r.ratings[b] ? 'the same rating' : `contradictory ratings ${r.ratings[a]} and ${r.ratings[b]}`;
    throw new FormatError(`${source}: line ${b + 2}`, `user ${r.users[b] + 1} rates item ${r.items[b] + 1} again (first on line ${a + 2}, ${same})`);
  }

  const isTrain = new Uint8Array(total);
  if (split.kind === 'first') {
    if (!Number.isInteger(split.k) || split.k < 1 || split.k > total) throw new RangeError(`train rows: expected an integer in [1, ${total}] (the file has ${total} ratings), got ${split.k}`);
    isTrain.fill(1, 0, split.k);
  } else if (split.kind === 'random') {
    const f = split.trainFraction;
    if (!(f > 0 && f <= 1)) throw new RangeError(`train fraction: expected a number in (0, 1], got ${f}`);
    const k = Math.max(1, Math.round(f * total));
    const perm = streams(split.seed).measure.permutation(total);
    for (let i = 0; i < k; i++) isTrain[perm[i]] = 1;
  } else {
    throw new RangeError(`split: expected kind "first" or "random", got "${String((split as { kind: unknown }).kind)}"`);
  }
  let m = 0;
  for (let i = 0; i < total; i++) m += isTrain[i];
  const rows = new Int32Array(m), cols = new Int32Array(m), y = new Float64Array(m);
  const tr = new Int32Array(total - m), tc = new Int32Array(total - m), ty = new Float64Array(total - m);
  for (let i = 0, a = 0, b = 0; i < total; i++) {
    if (isTrain[i]) {
      rows[a] = allRows[i];
      cols[a] = allCols[i];
      y[a++] = r.ratings[i];
    } else {
      tr[b] = allRows[i];
      tc[b] = allCols[i];
      ty[b++] = r.ratings[i];
    }
  }
  const test = total > m ? { rows: tr, cols: tc, y: ty } : undefined;
  return { n1, n2, op: new CompletionOperator(n1, n2, rows, cols), y, test, psd: false };
}

