import type { Mat } from './mat.js';
import type { SparseMat } from './sparse.js';

/** Eigen-decomposition of a symmetric matrix: A = V diag(values) V^T. */
export interface SymmetricEigen {
  /** All eigenvalues, ascending. */
  values: Float64Array;
  /** n x n, column j is the unit eigenvector of values[j]. */
  vectors: Mat;
}

/** Thin SVD: A = U diag(s) V^T with k = min(rows, cols). */
export interface ThinSvd {
  /** rows x k, orthonormal columns. */
  u: Mat;
  /** k singular values, descending, non-negative. */
  s: Float64Array;
  /** cols x k, orthonormal columns (V, not V^T). */
  v: Mat;
}

export interface BackendInfo {
  name: 'js' | 'native';
  /** The BLAS/LAPACK behind it, e.g. "OpenBLAS 0.3.21 (Haswell, pthreads)" or "none (pure TypeScript)". */
  blas: string;
  /** Threads BLAS may use now; "auto" picks per call (see the native backend). */
  threads: number | 'auto';
  /** Threads available to BLAS on this machine. */
  maxThreads: number;
}

/**
 * The numerical kernels everything above src/linalg calls. Two implementations:
 * "js" (pure TypeScript, runs in a browser) and "native" (OpenBLAS + LAPACKE).
 *
 * Inputs are never modified, except the output arguments that a routine names.
 * Symmetric inputs are read in full and assumed symmetric; callers that are only
 * symmetric up to rounding should symmetrize first.
 */
export interface Backend {
  readonly name: 'js' | 'native';
  info(): BackendInfo;
  /** Threads for BLAS/LAPACK: a count, or "auto" (the backend picks per call). No-op for js. */
  setThreads(threads: number | 'auto'): void;

  /** C <- alpha op(A) op(B) + beta C, op(X) = X or X^T. Returns C. With beta = 0, C's old contents (even NaN) are ignored. */
  gemm(transA: boolean, transB: boolean, alpha: number, a: Mat, b: Mat, beta: number, c: Mat): Mat;
  /** y <- alpha op(A) x + beta y. Returns y. With beta = 0, y's old contents are ignored. */
  gemv(trans: boolean, alpha: number, a: Mat, x: Float64Array, beta: number, y: Float64Array): Float64Array;

  /**
   * y <- alpha x + y (BLAS daxpy), in place. x and y have equal lengths; they may be
   * the same array but must not otherwise overlap.
   */
  axpy(alpha: number, x: Float64Array, y: Float64Array): void;
  /** x . y (BLAS ddot) for x and y of equal lengths; 0 when empty. Summation order is the backend's. */
  dot(x: Float64Array, y: Float64Array): number;

  /**
   * out <- alpha op(S) B + beta out for S sparse (CSR, rows x cols), op(S) = S or S^T
   * (`trans`), B and out dense: B is cols x k and out rows x k, or with `trans` B is
   * rows x k and out cols x k. O(nnz k). With beta = 0, out's old contents (even NaN)
   * are ignored. S must be a valid CSR matrix: rowPtr (rows + 1 offsets) starts at 0,
   * never decreases and ends at nnz; every column index is in [0, cols) (checked: a
   * RangeError names the first bad one). out must not share storage with B or S.
   * Returns out.
   */
  spmm(trans: boolean, alpha: number, s: SparseMat, b: Mat, beta: number, out: Mat): Mat;
  /**
   * Sampled dense-dense product (SDDMM) without forming the product: for every i,
   * out[i] <- left[rows[i], :] . rightT[cols[i], :], i.e. the entry (rows[i], cols[i])
   * of left rightT^T, for left (n1 x k) and rightT (n2 x k). rows, cols and out have
   * one element per entry; each index must be in range (a RangeError names the first
   * that is not). O(len k). out must not share storage with left or rightT. Returns out.
   *
   * @example
   * // residual entries of W = P Q^T at observed (rows[i], cols[i]):
   * be.sampledProduct(rows, cols, p, q, r);
   */
  sampledProduct(rows: Int32Array, cols: Int32Array, left: Mat, rightT: Mat, out: Float64Array): Float64Array;

  /** Eigenvalues (ascending) and eigenvectors of a symmetric matrix. */
  syevd(a: Mat): SymmetricEigen;
  /** Eigenvalues only (ascending), cheaper than syevd. */
  eigvalsh(a: Mat): Float64Array;

  /** Thin SVD, singular values descending. */
  gesdd(a: Mat): ThinSvd;
  /** Singular values only, descending. */
  singularValues(a: Mat): Float64Array;

  /** Cholesky factor: lower-triangular L with A = L L^T (upper triangle of L is zero). Throws LinalgError if A is not positive definite. */
  potrf(a: Mat): Mat;
  /** Solves A X = B given A's Cholesky factor L (from potrf). B is n x k. */
  potrs(l: Mat, b: Mat): Mat;
  /** Solves A X = B for square A by LU with partial pivoting. Throws LinalgError if A is singular. */
  gesv(a: Mat, b: Mat): Mat;
}

/** A numerical failure that the input caused (singular, not positive definite, no convergence). */
export class LinalgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinalgError';
  }
}
