import type { Mat } from '../linalg/mat.js';

/** `mse` = (1/m) sum (A(W) - y)^2 (Arora et al.); `half-sse` = (1/2) sum (A(W) - y)^2 (Gunasekar et al.). */
export type LossKind = 'mse' | 'half-sse';

export type ModelKind = 'psd' | 'asymmetric' | 'deep' | 'udu';

/**
 * What is trained: W = U U^T (psd, U n x k), W = U V^T (asymmetric), W = W_N ... W_1
 * (deep; W_j is d_j x d_(j-1), d_0 = n2, d_N = n1), W = U diag(D) U^T (udu, with U
 * on the Frobenius ball of radius `radius` and D >= 0).
 */
export type ModelSpec =
  | { kind: 'psd'; width: number }
  | { kind: 'asymmetric'; width: number }
  | { kind: 'deep'; depth: number; widths?: number[] }
  | { kind: 'udu'; width: number; radius?: number };

/**
 * A factorized model bound to a problem and a loss. Parameters are a list of Mat in
 * `factorNames` order (the factor-file names: W1..WN, U, U V, U D; D is 1 x k).
 * After the first call, evaluations allocate nothing: workspaces are owned here.
 */
export interface Model {
  readonly kind: ModelKind;
  readonly n1: number;
  readonly n2: number;
  readonly loss: LossKind;
  readonly factorNames: readonly string[];
  /** [rows, cols] of each factor. */
  readonly factorShapes: ReadonlyArray<readonly [number, number]>;
  /** W from the factors, into out (n1 x n2). */
  endToEnd(params: readonly Mat[], out: Mat): Mat;
  /** The loss at params. */
  lossAt(params: readonly Mat[]): number;
  /** The loss, with the gradient w.r.t. every factor written into grads (same shapes as params). */
  lossAndGradient(params: readonly Mat[], grads: Mat[]): number;
  /** The gradient of the loss w.r.t. W at the last lossAndGradient call, dense (for logging). */
  endToEndGradient(out: Mat): Mat;
  /** Projects params onto the feasible set in place (udu); a no-op for the others. */
  project(params: Mat[]): void;
}
