/** What every run of the run layer (train, flow) takes besides its config, and how it finds its checkpoint. */

import type { Backend } from '../linalg/backend.js';
import { FileError } from '../io/errors.js';
import { openRunDir, type StoredCheckpoint } from '../io/run-dir.js';
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

/**
 * The last checkpoint of the run in `runDir` (null when none was written). A process killed
 * between the two files of a checkpoint leaves a pair that does not match: with
 * `restartOnBadCheckpoint` (sweeps) that reads as null, and the run starts over (same config,
 * same seeds, same result); without it the FileError stands.
 *
 * @example
 * const ck = lastCheckpoint('runs/d3', options.restartOnBadCheckpoint === true);
 */
export function lastCheckpoint(runDir: string, restartOnBadCheckpoint: boolean): StoredCheckpoint | null {
  const rd = openRunDir(runDir, { resume: true });
  try {
    return rd.readCheckpoint();
  } catch (e) {
    if (!(restartOnBadCheckpoint && e instanceof FileError)) throw e;
    return null;
  } finally {
    rd.close();
  }
}
