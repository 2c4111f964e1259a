import type { Backend, BackendInfo, SymmetricEigen, ThinSvd } from '../backend.js';
import { type Mat } from '../mat.js';
import { sampledProduct, spmm } from '../sparse.js';
import { axpy, dot } from './blas1.js';
import { gemm, gemv } from './gemm.js';
import { symmetricEigen } from './syevd.js';
import { jacobiSvd } from './svd.js';
import { cholesky, choleskySolve } from './cholesky.js';
import { luSolve } from './lu.js';

/**
 * The pure-TypeScript backend: no dependency, runs in Node and in a browser.
 * Eigenvalues by Householder tridiagonalization and implicit QL; the SVD by
 * one-sided Jacobi after a pivoted QR, which keeps small singular values
 * accurate relative to their size on graded matrices (see svd.ts). The sparse
 * kernels are src/linalg/sparse.ts, the vector ones blas1.ts.
 */
export const jsBackend: Backend = {
  name: 'js',
  info(): BackendInfo {
    return { name: 'js', blas: 'none (pure TypeScript)', threads: 1, maxThreads: 1 };
  },
  setThreads(): void {
    // Single-threaded by design; parallelism comes from sweep workers.
  },
  gemm,
  gemv,
  axpy,
  dot,
  spmm,
  sampledProduct,
  syevd(a: Mat): SymmetricEigen {
    const r = symmetricEigen(a, true);
    return { values: r.values, vectors: r.vectors! };
  },
  eigvalsh(a: Mat): Float64Array {
    return symmetricEigen(a, false).values;
  },
  gesdd(a: Mat): ThinSvd {
    const r = jacobiSvd(a, true);
    return { u: r.u!, s: r.s, v: r.v! };
  },
  singularValues(a: Mat): Float64Array {
    return jacobiSvd(a, false).s;
  },
  potrf: cholesky,
  potrs: choleskySolve,
  gesv: luSolve,
};
