/**
 * A problem described as data (what a run config's `problem` table holds) and the function
 * that builds it: a generator called with the run's data and sampling seeds, or a file.
 * Browser-safe: files are read through the `files` argument, never directly.
 */

import type { Backend } from '../linalg/backend.js';
import type { NdArray } from '../io/npy.js';
import { problemFromNd } from './file.js';
import {
  commuting,
  completion,
  movielens,
  razin2x2,
  sensing,
  type CommutingOptions,
  type CompletionOptions,
  type MovielensOptions,
  type Razin2x2Options,
  type SensingOptions,
} from './generate.js';
import type { Problem } from './problem.js';

type Generated<T> = Omit<T, 'seed' | 'samplingSeed' | 'backend' | 'truth'>;

/** The truths a config can name (a given matrix comes from a problem file instead). */
export type TruthName = 'asymmetric' | 'psd' | 'psd-spectrum';

export type ProblemConfig =
  | { kind: 'file'; file: string }
  | ({ kind: 'sensing'; truth?: TruthName } & Generated<SensingOptions>)
  | ({ kind: 'completion'; truth?: TruthName } & Generated<CompletionOptions>)
  | ({ kind: 'commuting' } & Omit<CommutingOptions, 'seed' | 'samplingSeed'>)
  | ({ kind: 'razin2x2' } & Razin2x2Options)
  | ({ kind: 'movielens'; file: string } & Omit<MovielensOptions, 'ratingsTsv' | 'source'>)
  /** No problem: a run that makes its own instances (the 3 x 3 completion search). */
  | { kind: 'none' };

/** Seeds of the ground truth (`data`) and of the measurements, noise and test entries (`sampling`). */
export interface ProblemSeeds {
  data: number;
  sampling: number;
}

/** How a problem file or a ratings file is read (Node: readNpzFile / readFileSync). */
export interface ProblemFiles {
  readNpz(file: string): Map<string, NdArray>;
  readText(file: string): string;
}

/** Drops keys whose value is null or undefined (a resolved config holds null for "absent"). */
function present<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

/**
 * Builds the problem a config describes. Generated kinds get `seed = seeds.data` and
 * `samplingSeed = seeds.sampling`; razin2x2 ignores the seeds; file kinds are read with `files`.
 *
 * @throws RangeError from the generator (one line naming the option), FormatError for a bad file.
 * @example
 * problemFromConfig({ kind: 'completion', n1: 100, n2: 100, m: 2000, rank: 5 }, { data: 1, sampling: 1 });
 */
export function problemFromConfig(config: ProblemConfig, seeds: ProblemSeeds, files?: ProblemFiles, be?: Backend): Problem {
  const needFiles = (): ProblemFiles => {
    if (!files) throw new Error(`problem.file: reading files is not available here (${config.kind} problem)`);
    return files;
  };
  const { kind, ...rest } = present(config) as ProblemConfig & Record<string, unknown>;
  const seeded = { seed: seeds.data, samplingSeed: seeds.sampling, ...(be ? { backend: be } : {}) };
  if (config.kind === 'none') throw new RangeError('problem: this run has none (its method generates its own instances)');
  switch (config.kind) {
    case 'file':
      return problemFromNd(needFiles().readNpz(config.file), config.file);
    case 'sensing':
      return sensing({ ...(rest as Generated<SensingOptions>), ...seeded });
    case 'completion':
      return completion({ ...(rest as Generated<CompletionOptions>), ...seeded });
    case 'commuting':
      return commuting({ ...(rest as Omit<CommutingOptions, 'seed'>), seed: seeds.data, samplingSeed: seeds.sampling });
    case 'razin2x2':
      return razin2x2(rest as Razin2x2Options);
    case 'movielens': {
      const { file, ...options } = rest as { file: string } & Omit<MovielensOptions, 'ratingsTsv' | 'source'>;
      return movielens({ ...options, ratingsTsv: needFiles().readText(file), source: file });
    }
    default:
      throw new RangeError(`problem.kind: expected one of file, sensing, completion, commuting, razin2x2, movielens, got "${String(kind)}"`);
  }
}
