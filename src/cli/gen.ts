/**
 * `implab gen <kind> --out P.npz [options]`: generate a problem file. A thin layer:
 * parse and validate the options (one-line errors naming the option), call the
 * generator in src/problems/generate.ts, write the .npz (compressed, atomically,
 * never over an existing file without --force) and print one summary line.
 */

import * as fs from 'node:fs';
import { Argument, Command, InvalidArgumentError } from 'commander';
import { FileError } from '../io/errors.js';
import { readNpzFile, writeNpzFile } from '../io/files.js';
import { type TruthSpec, commuting, completion, movielens, razin2x2, sensing } from '../problems/generate.js';
import { problemToNd } from '../problems/file.js';
import { truthFromNd } from '../problems/ground-truth.js';
import type { Problem } from '../problems/problem.js';
import { choice, finiteNumber, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from './options.js';

export const GEN_KINDS = ['sensing', 'completion', 'commuting', 'razin2x2', 'movielens'] as const;
export type GenKind = (typeof GEN_KINDS)[number];

/** The parsed options of `implab gen` (undefined = not given). */
export interface GenOptions {
  out: string;
  force?: boolean;
  seed?: number;
  n?: number;
  n1?: number;
  n2?: number;
  m?: number;
  rank?: number;
  truth?: string;
  spectrumDecay?: number;
  truthNorm?: number;
  scale?: 'arora' | 'unit' | 'isometric';
  symmetric?: boolean;
  psd?: boolean;
  noise?: number;
  noiseRelative?: number;
  sampling?: 'uniform' | 'powerlaw';
  powerlawExponent?: number;
  testFraction?: number;
  perturbed?: number;
  ratings?: string;
  rows?: 'items' | 'users';
  trainRows?: number;
  trainFraction?: number;
}

type OptionKey = Exclude<keyof GenOptions, 'out' | 'force'>;

/** Which options each kind takes (besides --out and --force). */
const APPLICABLE: Record<GenKind, readonly OptionKey[]> = {
  sensing: ['seed', 'n', 'n1', 'n2', 'm', 'rank', 'truth', 'spectrumDecay', 'truthNorm', 'scale', 'symmetric', 'psd', 'noise', 'noiseRelative'],
  completion: ['seed', 'n', 'n1', 'n2', 'm', 'rank', 'truth', 'spectrumDecay', 'truthNorm', 'sampling', 'powerlawExponent', 'psd', 'noise', 'testFraction'],
  commuting: ['seed', 'n', 'm', 'rank', 'scale', 'noise'],
  razin2x2: ['perturbed'],
  movielens: ['ratings', 'rows', 'trainRows', 'trainFraction', 'seed'],
};

/** camelCase option key -> its flag, e.g. spectrumDecay -> --spectrum-decay. */
function flag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

// --- option parsers (shared ones in ./options.js; commander reports their messages on one line)

function fraction(name: string, lowOpen: boolean) {
  return (v: string): number => {
    const n = v.trim() === '' ? NaN : Number(v);
    const ok = Number.isFinite(n) && (lowOpen ? n > 0 : n >= 0) && n <= 1;
    if (!ok) throw new InvalidArgumentError(`${name}: expected a number in ${lowOpen ? '(0, 1]' : '[0, 1]'}, got "${v}"`);
    return n;
  };
}

function truthOption(v: string): string {
  if (['asymmetric', 'psd', 'psd-spectrum'].includes(v) || (v.startsWith('file:') && v.length > 5)) return v;
  throw new InvalidArgumentError(`--truth: expected asymmetric, psd, psd-spectrum or file:PATH, got "${v}"`);
}

// --- from options to a problem ------------------------------------------------

/** A CLI-facing error: one line, naming the option. */
function bad(option: string, problem: string): Error {
  return new Error(`${option}: ${problem}`);
}

/** Re-labels a library RangeError ("testFraction: ...") with the option's flag ("--test-fraction: ..."). */
function relabel(err: unknown): unknown {
  if (err instanceof RangeError) {
    const m = /^([a-zA-Z][a-zA-Z0-9]*): (.*)$/.exec(err.message);
    if (m) return new Error(`${flag(m[1] === 'powerLawExponent' ? 'powerlawExponent' : m[1])}: ${m[2]}`);
  }
  return err;
}

function dims(o: GenOptions): { n1: number; n2: number } {
  if (o.n !== undefined && (o.n1 !== undefined || o.n2 !== undefined)) throw bad('--n', `give either --n (square) or --n1 and --n2, not both`);
  if ((o.n1 === undefined) !== (o.n2 === undefined)) throw bad(o.n1 === undefined ? '--n1' : '--n2', `required with ${o.n1 === undefined ? '--n2' : '--n1'}`);
  if (o.n1 !== undefined && o.n2 !== undefined) return { n1: o.n1, n2: o.n2 };
  const n = o.n ?? 100;
  return { n1: n, n2: n };
}

function requireM(o: GenOptions, kind: GenKind): number {
  if (o.m === undefined) throw bad('--m', `required for "gen ${kind}" (the number of ${kind === 'completion' ? 'observed entries' : 'measurements'})`);
  return o.m;
}

function truthSpec(o: GenOptions): TruthSpec | undefined {
  const t = o.truth;
  if (t === undefined) return undefined;
  if (t.startsWith('file:')) return { kind: 'given', xStar: truthFromNd(readNpzFile(t.slice(5)), t.slice(5)) };
  return t as TruthSpec;
}

function checkRank(o: GenOptions, n1: number, n2: number): void {
  if (o.rank !== undefined && o.rank > Math.min(n1, n2)) throw bad('--rank', `${o.rank} exceeds min(n1, n2) = ${Math.min(n1, n2)} of a ${n1}x${n2} matrix`);
}

function checkPsdTruth(o: GenOptions, n1: number, n2: number): void {
  const psdTruth = o.truth === 'psd' || o.truth === 'psd-spectrum';
  if (o.psd && o.truth === 'asymmetric') throw bad('--truth', 'asymmetric is not PSD; with --psd use psd, psd-spectrum or file:PATH');
  if ((o.psd || psdTruth) && n1 !== n2) throw bad(o.psd ? '--psd' : '--truth', `the PSD setting needs a square matrix, got ${n1}x${n2}`);
}

function readRatings(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileError(path, 'no such file');
    if (code === 'EISDIR') throw new FileError(path, 'is a directory');
    if (code === 'EACCES' || code === 'EPERM') throw new FileError(path, 'permission denied');
    throw new FileError(path, (err as Error).message);
  }
}

/**
 * The problem `implab gen KIND` would write for these options (validated; no file
 * is touched except --truth file:PATH and --ratings, which are read).
 *
 * @throws Error whose one-line message names the offending option.
 * @example
 * const p = genProblem('completion', { out: 'P.npz', n: 100, m: 2000, rank: 5 });
 */
export function genProblem(kind: GenKind, o: GenOptions): Problem {
  for (const key of Object.keys(o) as (keyof GenOptions)[]) {
    if (key === 'out' || key === 'force' || o[key] === undefined) continue;
    if (!APPLICABLE[kind].includes(key)) throw bad(flag(key), `not an option of "gen ${kind}" (it takes ${APPLICABLE[kind].map(flag).join(', ') || 'no options besides --out and --force'})`);
  }
  if (o.spectrumDecay !== undefined && o.truth !== 'psd-spectrum') throw bad('--spectrum-decay', 'only used with --truth psd-spectrum');
  if (o.powerlawExponent !== undefined && o.sampling !== 'powerlaw') throw bad('--powerlaw-exponent', 'only used with --sampling powerlaw');
  if (o.truthNorm !== undefined && o.truth?.startsWith('file:')) throw bad('--truth-norm', 'only for a generated truth (--truth file:PATH is used as is)');
  if (o.noiseRelative !== undefined && o.noiseRelative > 0 && o.noise !== undefined && o.noise > 0) throw bad('--noise-relative', 'give either --noise (absolute) or --noise-relative, not both');
  const seed = o.seed ?? 1;
  try {
    switch (kind) {
      case 'sensing': {
        const { n1, n2 } = dims(o);
        const m = requireM(o, kind);
        checkRank(o, n1, n2);
        checkPsdTruth(o, n1, n2);
        if (o.symmetric && n1 !== n2) throw bad('--symmetric', `symmetric measurements need a square matrix, got ${n1}x${n2}`);
        const truth = truthSpec(o) ?? (o.psd ? 'psd' : 'asymmetric');
        return sensing({
          n1, n2, m, rank: o.rank, truth, spectrumDecay: o.spectrumDecay, truthNorm: o.truthNorm, scale: o.scale,
          symmetric: o.symmetric ?? false, noise: o.noise, noiseRelative: o.noiseRelative, seed,
          psd: o.psd || o.truth === 'psd' || o.truth === 'psd-spectrum',
        });
      }
      case 'completion': {
        const { n1, n2 } = dims(o);
        const m = requireM(o, kind);
        if (m > n1 * n2) throw bad('--m', `${m} exceeds the ${n1 * n2} entries of a ${n1}x${n2} matrix`);
        checkRank(o, n1, n2);
        checkPsdTruth(o, n1, n2);
        return completion({
          n1, n2, m, rank: o.rank, truth: truthSpec(o), spectrumDecay: o.spectrumDecay, truthNorm: o.truthNorm, sampling: o.sampling,
          powerLawExponent: o.powerlawExponent, symmetric: o.psd ?? false, noise: o.noise, testFraction: o.testFraction, seed,
        });
      }
      case 'commuting': {
        const n = o.n ?? 100;
        const m = requireM(o, kind);
        if (o.rank !== undefined && o.rank > n) throw bad('--rank', `${o.rank} exceeds n = ${n}`);
        return commuting({ n, m, rank: o.rank, scale: o.scale, noise: o.noise, seed });
      }
      case 'razin2x2':
        return razin2x2({ perturbed: o.perturbed });
      case 'movielens': {
        if (o.ratings === undefined) throw bad('--ratings', 'required for "gen movielens" (the path of a ratings TSV, e.g. ../shared/data/movielens-100k/ratings.tsv)');
        if (o.trainRows !== undefined && o.trainFraction !== undefined) throw bad('--train-fraction', 'give either --train-rows (the first K ratings train) or --train-fraction (a seeded random split), not both');
        if (o.seed !== undefined && o.trainFraction === undefined) throw bad('--seed', 'only used with --train-fraction (the first-K split is not random)');
        const text = readRatings(o.ratings);
        try {
          return movielens({
            ratingsTsv: text, source: o.ratings, rowsAre: o.rows,
            split: o.trainFraction !== undefined ? { kind: 'random', trainFraction: o.trainFraction, seed } : { kind: 'first', k: o.trainRows ?? 10000 },
          });
        } catch (err) {
          if (err instanceof RangeError && err.message.startsWith('train rows:')) throw bad('--train-rows', err.message.slice('train rows: '.length));
          throw err;
        }
      }
    }
  } catch (err) {
    throw relabel(err);
  }
}

function summary(kind: GenKind, p: Problem, out: string): string {
  const parts = [`${kind}`, `${p.n1}x${p.n2}`, `m = ${p.y.length}`, `operator ${p.op.kind}`];
  if (p.psd) parts.push('psd');
  if (p.test) parts.push(`${p.test.y.length} test entries`);
  return `wrote ${out}: ${parts.join(', ')}`;
}

/**
 * Adds `implab gen <kind>` to a program.
 *
 * @example
 * const program = new Command('implab').exitOverride();
 * registerGen(program);
 * program.parse(['gen', 'razin2x2', '--out', 'R.npz'], { from: 'user' });
 */
export function registerGen(program: Command): void {
  program
    .command('gen')
    .description('generate a problem file (.npz)')
    .addArgument(new Argument('<kind>', 'problem kind').choices(GEN_KINDS))
    .requiredOption('--out <file>', 'the problem file to write (.npz)')
    .option('--force', 'overwrite --out if it exists')
    .option('--seed <seed>', 'random seed (default 1)', nonNegativeInt('--seed'))
    .option('--n <n>', 'square size n x n (default 100)', positiveInt('--n'))
    .option('--n1 <n1>', 'rows (with --n2)', positiveInt('--n1'))
    .option('--n2 <n2>', 'columns (with --n1)', positiveInt('--n2'))
    .option('--m <m>', 'measurements (sensing, commuting) or observed entries (completion)', positiveInt('--m'))
    .option('--rank <r>', 'rank of the ground truth (default 5; psd-spectrum: n)', positiveInt('--rank'))
    .option('--truth <kind>', 'asymmetric | psd | psd-spectrum | file:PATH (X_star, W or X of an .npz)', truthOption)
    .option('--spectrum-decay <a>', 'psd-spectrum eigenvalues k^-a (default 1.5)', finiteNumber('--spectrum-decay'))
    .option('--truth-norm <f>', 'Frobenius norm of the generated truth (default sqrt(n1 n2))', positiveNumber('--truth-norm'))
    .option('--scale <scale>', 'sensing entries: arora = N(0, 1/n^2), unit = N(0, 1), isometric = N(0, 1/m) (default arora)', choice('--scale', ['arora', 'unit', 'isometric'] as const))
    .option('--symmetric', 'sensing: symmetrize each A_i, (A + A^T)/2')
    .option('--psd', 'the PSD setting (completion: symmetric sampling, observing (i,j) observes (j,i))')
    .option('--noise <sigma>', 'standard deviation of Gaussian noise on y (default 0)', nonNegativeNumber('--noise'))
    .option('--noise-relative <level>', 'sensing: Gaussian noise with ||noise|| = level ||A(X_star)|| exactly', nonNegativeNumber('--noise-relative'))
    .option('--sampling <how>', 'completion: uniform | powerlaw (default uniform)', choice('--sampling', ['uniform', 'powerlaw'] as const))
    .option('--powerlaw-exponent <a>', 'powerlaw: p_i proportional to rank^-a (default 1)', nonNegativeNumber('--powerlaw-exponent'))
    .option('--test-fraction <f>', 'completion: fraction of the unobserved entries held out as test entries (default 0)', fraction('--test-fraction', false))
    .option('--perturbed <eps>', 'razin2x2: the perturbed family with (1,1) = eps', finiteNumber('--perturbed'))
    .option('--ratings <path>', 'movielens: the ratings TSV')
    .option('--rows <what>', 'movielens: rows are items or users (default items)', choice('--rows', ['items', 'users'] as const))
    .option('--train-rows <K>', 'movielens: the first K ratings train (default 10000)', positiveInt('--train-rows'))
    .option('--train-fraction <f>', 'movielens: a random fraction trains (with --seed)', fraction('--train-fraction', true))
    .action((kind: GenKind, opts: GenOptions) => {
      if (!opts.force && fs.existsSync(opts.out)) throw new FileError(opts.out, 'already exists (refusing to overwrite it without --force)');
      const problem = genProblem(kind, opts);
      writeNpzFile(opts.out, problemToNd(problem), { compress: true, overwrite: opts.force === true });
      console.log(summary(kind, problem, opts.out));
    });
}
