/**
 * Seeded ground truths. Convention: every generated truth is rescaled so that
 * ||W*||_F = sqrt(n1 n2) (= n for square n x n), i.e. its entries have unit root mean
 * square, as in Arora et al. (2019) — except `psdWithSpectrum`, whose eigenvalues
 * are taken as given.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, frobeniusNorm, isFiniteMat, matOf, symmetrize, zeros } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import { FormatError } from '../io/errors.js';
import type { NdArray } from '../io/npy.js';
import { matFromNd } from '../io/npz.js';
import { haarOrthogonal } from '../rng/orthogonal.js';
import type { Random } from '../rng/random.js';

function checkSize(name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name}: expected an integer >= ${min}, got ${v}`);
}

function checkRank(rank: number, n1: number, n2: number): void {
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(n1, n2)) {
    throw new RangeError(`rank: expected an integer in [1, ${Math.min(n1, n2)}] for a ${n1}x${n2} matrix, got ${rank}`);
  }
}

/**
 * Scales x in place so that ||x||_F = target (x must not be zero). Returns x.
 *
 * @example
 * scaleToFrobenius(matFrom([[3, 4]]), 10); // [[6, 8]]
 */
export function scaleToFrobenius(x: Mat, target: number): Mat {
  const f = frobeniusNorm(x);
  if (!(f > 0) || !Number.isFinite(f)) throw new RangeError(`scaleToFrobenius: cannot rescale a matrix of Frobenius norm ${f}`);
  const s = target / f, d = x.data;
  for (let i = 0; i < d.length; i++) d[i] *= s;
  return x;
}

/**
 * Arora et al.'s asymmetric rank-r truth: W = U V^T / sqrt(r) with U (n1 x r) and
 * V (n2 x r) standard normal (U drawn first, row-major, then V), rescaled so that
 * ||W||_F = sqrt(n1 n2).
 *
 * @example
 * const W = aroraTruth(Random.fromSeed(1), 100, 100, 5); // ||W||_F = 100, rank 5
 */
export function aroraTruth(rng: Random, n1: number, n2: number, rank: number, be: Backend = backend()): Mat {
  checkSize('n1', n1);
  checkSize('n2', n2);
  checkRank(rank, n1, n2);
  const u = rng.normalMat(n1, rank);
  const v = rng.normalMat(n2, rank);
  const w = be.gemm(false, true, 1 / Math.sqrt(rank), u, v, 0, zeros(n1, n2));
  return scaleToFrobenius(w, Math.sqrt(n1 * n2));
}

/**
 * A PSD rank-r truth: X = U U^T with U (n x r) standard normal, made exactly symmetric
 * and rescaled so that ||X||_F = n (unit root-mean-square entries, as aroraTruth).
 *
 * @example
 * const X = psdTruth(Random.fromSeed(1), 50, 2); // symmetric PSD, rank 2, ||X||_F = 50
 */
export function psdTruth(rng: Random, n: number, rank: number, be: Backend = backend()): Mat {
  checkSize('n', n);
  checkRank(rank, n, n);
  const u = rng.normalMat(n, rank);
  const x = be.gemm(false, true, 1, u, u, 0, zeros(n, n));
  symmetrize(x, x);
  return scaleToFrobenius(x, n);
}

/**
 * The power-law spectrum k^-decay for k = 1..count (decay 1.5 by default).
 *
 * @example
 * powerLawSpectrum(3); // [1, 2^-1.5, 3^-1.5]
 */
export function powerLawSpectrum(count: number, decay = 1.5): Float64Array {
  checkSize('count', count);
  if (!Number.isFinite(decay)) throw new RangeError(`decay: expected a finite number, got ${decay}`);
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) out[k] = (k + 1) ** -decay;
  return out;
}

/**
 * A PSD matrix with the given eigenvalues: X = Q diag(lambda) Q^T with Q (n x r,
 * r = eigenvalues.length <= n) Haar-distributed orthonormal columns, made exactly
 * symmetric. The eigenvalues are used as given (not rescaled); they must be >= 0.
 *
 * @example
 * const X = psdWithSpectrum(Random.fromSeed(1), 50, powerLawSpectrum(50)); // eigenvalues k^-1.5
 */
export function psdWithSpectrum(rng: Random, n: number, eigenvalues: ArrayLike<number>, be: Backend = backend()): Mat {
  checkSize('n', n);
  const r = eigenvalues.length;
  if (r < 1 || r > n) throw new RangeError(`eigenvalues: expected between 1 and ${n} values, got ${r}`);
  for (let k = 0; k < r; k++) {
    const l = eigenvalues[k];
    if (!(l >= 0) || !Number.isFinite(l)) throw new RangeError(`eigenvalues[${k}]: expected a finite number >= 0, got ${l}`);
  }
  const q = haarOrthogonal(rng, n, r);
  const ql = zeros(n, r);
  for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) ql.data[i * r + k] = q.data[i * r + k] * eigenvalues[k];
  const x = be.gemm(false, true, 1, ql, q, 0, zeros(n, n));
  return symmetrize(x, x);
}

/**
 * A diagonal PSD truth for commuting measurements: `rank` diagonal positions chosen
 * uniformly, values |N(0, 1)|, rescaled so that ||X||_F = n. Returns the diagonal.
 *
 * @example
 * const d = diagonalPsdTruth(Random.fromSeed(1), 20, 3); // 3 positive entries, ||d||_2 = 20
 */
export function diagonalPsdTruth(rng: Random, n: number, rank: number): Float64Array {
  checkSize('n', n);
  checkRank(rank, n, n);
  const d = new Float64Array(n);
  const where = rng.sampleWithoutReplacement(n, rank);
  for (let k = 0; k < rank; k++) d[where[k]] = Math.abs(rng.normal());
  scaleToFrobenius(matOf(1, n, d), n);
  return d;
}

/** The field names `truthFromNd` looks for, in order. */
export const TRUTH_FIELDS = ['X_star', 'W', 'X'] as const;

/**
 * A ground truth read from .npz arrays: the first of `X_star` (a problem file), `W`
 * (a result file) or `X` (a baseline result) present. Checked for finiteness.
 *
 * @throws FormatError naming `source` and the field.
 * @example
 * const W = truthFromNd(readNpzFile('truth.npz'), 'truth.npz');
 */
export function truthFromNd(arrays: Map<string, NdArray>, source: string): Mat {
  const field = TRUTH_FIELDS.find((f) => arrays.has(f));
  if (field === undefined) throw new FormatError(source, `no ground truth (expected a field named ${TRUTH_FIELDS.join(', ')})`);
  const x = matFromNd(arrays.get(field), field, source);
  if (x.rows < 1 || x.cols < 1) throw new FormatError(`${source}: field "${field}"`, `expected a non-empty matrix, got shape ${x.rows}x${x.cols}`);
  if (!isFiniteMat(x)) {
    const i = x.data.findIndex((v) => !Number.isFinite(v));
    throw new FormatError(`${source}: field "${field}"`, `entry [${Math.floor(i / x.cols)}, ${i % x.cols}] is ${x.data[i]} (expected finite values)`);
  }
  return { rows: x.rows, cols: x.cols, data: x.data.slice() };
}
