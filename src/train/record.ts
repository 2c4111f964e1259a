/**
 * One logged step's figures (a line of history.jsonl) from the end-to-end matrix W and
 * dL/dW: the training loop and the gradient-flow runs log the same record, so every
 * figure, table and report reads both alike.
 */

import type { Backend } from '../linalg/backend.js';
import type { Mat } from '../linalg/mat.js';
import { heldOutLoss } from '../metrics/held-out.js';
import { spectralFigures } from '../metrics/spectral.js';
import type { LossKind } from '../models/model.js';
import type { Problem } from '../problems/problem.js';
import type { HistoryRecord } from './loop.js';

export interface RecordOptions {
  problem: Problem;
  loss: LossKind;
  /** Leading singular values to log (also the alignment block size). */
  k: number;
  /** Exponent of the logged Schatten quasi-norm. */
  schattenP: number;
  /** Record W itself (row-major). */
  logMatrix: boolean;
  backend: Backend;
}

const finite = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

/**
 * The history record of `step` with training loss `loss` at end-to-end matrix `w`, whose
 * loss gradient is `grad` (dL/dW). All spectral figures come from one SVD of W.
 *
 * @example
 * const rec = historyRecord(100, loss, w, g, { problem, loss: 'mse', k: 10, schattenP: 1, logMatrix: false, backend: be });
 * rec.effective_rank;
 */
export function historyRecord(step: number, loss: number, w: Mat, grad: Mat, o: RecordOptions): HistoryRecord {
  const f = spectralFigures(w, { grad, xStar: o.problem.xStar, k: o.k, schattenP: o.schattenP, backend: o.backend });
  const top = Array.from(f.top);
  return {
    step,
    loss: finite(loss),
    test_loss: o.problem.test ? finite(heldOutLoss(w, o.problem.test, o.loss)) : null,
    recon_mse: finite(f.reconMse),
    recon_rel: finite(f.reconRel),
    nuclear_norm: finite(f.nuclearNorm),
    schatten_2_over_N: finite(f.schatten),
    effective_rank: finite(f.effectiveRank),
    singular_values: top.every(Number.isFinite) ? top : null,
    grad_align_diag: finite(f.gradAlignDiag),
    grad_align_offdiag: finite(f.gradAlignOffdiag),
    w: o.logMatrix && w.data.every(Number.isFinite) ? Array.from(w.data) : null,
  };
}
