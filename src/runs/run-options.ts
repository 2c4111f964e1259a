/** What every run of the run layer (train, flow) takes besides its config. */

import type { Backend } from '../linalg/backend.js';
import type { Problem } from '../problems/problem.js';

export interface RunOptions<R> {
  /** Replace the run files of an existing run directory. */
  force?: boolean;
  /** Called with each logged record (progress output). */
  onLog?: (record: R) => void;
  /** Polled every step; true stops the run (status `stopped`) with a checkpoint to resume from. */
  shouldStop?: () => boolean;
  /** Continuing: start over instead of failing when the checkpoint files do not match (sweeps). */
  restartOnBadCheckpoint?: boolean;
  backend?: Backend;
  /** The problem, already built (then config.problem only names it): a sweep generates problems in memory. */
  problem?: Problem;
  /** What config.json and summary.json record as the run's config. Default: the resolved run config. */
  savedConfig?: unknown;
}
