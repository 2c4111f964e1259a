import type { Backend } from './backend.js';
import { expm } from './expm.js';
import { type Mat, frobeniusNorm, identity, sub, zeros } from './mat.js';
import { Random } from '../rng/random.js';
import { haarOrthogonal } from '../rng/orthogonal.js';

/** One row of the self-check: a routine, the size, the error measured, the bound it must meet. */
export interface SelfCheckRow {
  routine: string;
  n: number;
  /** A normalized error, in units of n * eps (so about 1 or below is excellent). */
  error: number;
  /** The largest error (same units) that counts as correct. */
  bound: number;
  ms: number;
  ok: boolean;
}

const EPS = Number.EPSILON;

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

/** ||Q^T Q - I||_F for a matrix with (supposedly) orthonormal columns. */
function orthogonalityError(be: Backend, q: Mat): number {
  const g = be.gemm(true, false, 1, q, q, 0, zeros(q.cols, q.cols));
  return frobeniusNorm(sub(g, identity(q.cols)));
}

/**
 * A quick numerical check of a backend on a random n x n problem: GEMM against
 * a known product, eigen- and singular value decompositions by reconstruction and
 * orthogonality, Cholesky by reconstruction, expm by exp(A) exp(-A) = I. Errors are
 * reported in units of n * eps; a correct backend stays well below `bound`.
 *
 * @example
 * for (const row of selfCheck(backend(), 200)) console.log(row.routine, row.ok);
 */
export function selfCheck(be: Backend, n = 200, seed = 1): SelfCheckRow[] {
  const rng = Random.fromSeed(seed);
  const unit = n * EPS;
  const rows: SelfCheckRow[] = [];
  const add = (routine: string, error: number, ms: number, bound = 50): void => {
    rows.push({ routine, n, error, bound, ms, ok: Number.isFinite(error) && error <= bound });
  };

  // GEMM: Q^T Q for a Haar orthogonal Q must be the identity.
  const q = haarOrthogonal(rng, n);
  const [qtq, tg] = timed(() => be.gemm(true, false, 1, q, q, 0, zeros(n, n)));
  add('gemm', frobeniusNorm(sub(qtq, identity(n))) / Math.sqrt(n) / unit, tg);

  const g = rng.normalMat(n, n);
  const sym = be.gemm(false, true, 1 / n, g, g, 0, zeros(n, n)); // symmetric PSD, well scaled
  for (let i = 0; i < n; i++) sym.data[i * n + i] += 1; // and positive definite
  const scale = frobeniusNorm(sym);

  const [eig, te] = timed(() => be.syevd(sym));
  const vl = zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vl.data[i * n + j] = eig.vectors.data[i * n + j] * eig.values[j];
  const rec = be.gemm(false, true, 1, vl, eig.vectors, 0, zeros(n, n));
  add('syevd', Math.max(frobeniusNorm(sub(rec, sym)) / scale, orthogonalityError(be, eig.vectors) / Math.sqrt(n)) / unit, te);

  const [svd, ts] = timed(() => be.gesdd(g));
  const us = zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) us.data[i * n + j] = svd.u.data[i * n + j] * svd.s[j];
  const grec = be.gemm(false, true, 1, us, svd.v, 0, zeros(n, n));
  const svdErr = Math.max(frobeniusNorm(sub(grec, g)) / frobeniusNorm(g),
    orthogonalityError(be, svd.u) / Math.sqrt(n), orthogonalityError(be, svd.v) / Math.sqrt(n));
  add('gesdd', svdErr / unit, ts);

  const [l, tc] = timed(() => be.potrf(sym));
  const llt = be.gemm(false, true, 1, l, l, 0, zeros(n, n));
  add('potrf', frobeniusNorm(sub(llt, sym)) / scale / unit, tc);

  const small = rng.normalMat(n, n, 1 / Math.sqrt(n)); // spectral norm about 2
  const [ea, tx] = timed(() => expm(small, be));
  const neg = zeros(n, n);
  for (let i = 0; i < n * n; i++) neg.data[i] = -small.data[i];
  const prod = be.gemm(false, false, 1, ea, expm(neg, be), 0, zeros(n, n));
  // exp(A) exp(-A) = I is as accurate as exp's condition number allows: a looser bound.
  add('expm', frobeniusNorm(sub(prod, identity(n))) / Math.sqrt(n) / unit, tx, 500);
  return rows;
}
