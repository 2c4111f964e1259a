import type { Mat } from '../linalg/mat.js';
import type { MeasurementOperator } from './operator.js';

/** Held-out entries (completion and ratings data), for the test loss. */
export interface HeldOutEntries {
  rows: Int32Array;
  cols: Int32Array;
  y: Float64Array;
}

/**
 * A problem: find W (n1 x n2) with A(W) ~ y. The file form is DESIGN's problem
 * file (.npz with shape, A or rows/cols, y, and optional X_star, test_*, psd).
 */
export interface Problem {
  readonly n1: number;
  readonly n2: number;
  readonly op: MeasurementOperator;
  readonly y: Float64Array;
  /** Ground truth, when known. */
  readonly xStar?: Mat;
  readonly test?: HeldOutEntries;
  /** The symmetric positive semidefinite setting (Gunasekar et al.): n1 = n2, X = U U^T. */
  readonly psd: boolean;
}
