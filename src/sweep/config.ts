/**
 * The run config of `implab run`: one object describing everything that `implab gen`,
 * `train` and `nnm` take (problem, model, initializer, optimizer, loss, stopping,
 * logging, seeds), validated with zod, with every default filled in by
 * resolveRunConfig. Browser-safe: no node: imports (the library's types are imported
 * as types only, so this module pulls in no backend).
 *
 * Resolved-config rule (stable, because the run id is its hash): every setting with a
 * default holds it (the library's, the CLI's, or a derived one such as the rank of the
 * truth), in schema order. An optional setting with no default is OMITTED, so that
 * problem, model and init are exactly the library's objects (ModelSpec, InitConfig,
 * generator options) - e.g. model.widths, init.rank of svd, init.positiveDet, problem.perturbed, and
 * problem.spectrumDecay / powerLawExponent unless the truth / sampling uses them, and
 * problem.truthNorm / noiseRelative unless given - with
 * three exceptions that hold null instead, as the library's resolved types do: the
 * absent settings of `train` (it is the library's ResolvedTrainConfig: stopLoss,
 * stallWindow and stallRtol, logPerDecade, logPerLossDecade, checkpointEvery, schattenP) and `nnm.psd` (null = the problem's flag).
 * The schema accepts null for exactly those, so a saved resolved config reads back to
 * an equal one. `problem.n` (sensing, completion) is a shorthand for n1 = n2 = n,
 * resolved into n1 and n2 and not kept. A missing `name` is omitted.
 */

import { z } from 'zod';
import type { LossKind } from '../models/model.js';
import type { ResolvedOptimizerSpec } from '../optim/create.js';
import type { RatingsSplit } from '../problems/generate.js';
import type { ResolvedTrainConfig } from '../train/loop.js';
import type { FlowSettings } from '../flow/follow.js';
import type { SearchRunConfig } from '../runs/search-run.js';

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/**
 * A bad run config: ONE line, `<source>: <dotted.key>: <detail>`, where detail is
 * `expected <what>, got <value>` or `unknown key (expected one of ...)`.
 *
 * @example
 * try { resolveRunConfig({ problem: { kind: 'file', file: 'P.npz' }, model: { depth: 0 } }, 'sweep.toml'); }
 * catch (e) { (e as ConfigError).message; } // 'sweep.toml: model.depth: expected an integer >= 1, got 0'
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The file (or other origin) the config came from. */
  readonly source: string;
  /** The dotted key at fault ('' for the whole config). */
  readonly key: string;
  /** What is wrong, after the key. */
  readonly detail: string;

  constructor(source: string, key: string, detail: string) {
    const oneLine = detail.replace(/\s*\n\s*/g, ' ');
    super(key === '' ? `${source}: ${oneLine}` : `${source}: ${key}: ${oneLine}`);
    this.source = source;
    this.key = key;
    this.detail = oneLine;
  }
}

/**
 * Formats a value for an error message: numbers and booleans as JS prints them,
 * strings quoted, short lists and tables as compact JSON, `nothing` for a missing one.
 *
 * @example
 * describeConfigValue(0);        // '0'
 * describeConfigValue('dep');    // '"dep"'
 * describeConfigValue([1, 2]);   // '[1,2]'
 * describeConfigValue(undefined) // 'nothing'
 */
export function describeConfigValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty list';
    const text = safeJson(value);
    return text !== undefined && text.length <= 60 ? text : `a list of ${value.length} values`;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const text = safeJson(value);
    return text !== undefined && text.length <= 60 ? text : 'a table';
  }
  return typeof value;
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * A path as a dotted key: `['model', 'widths', 1]` -> `model.widths[1]`.
 *
 * @example
 * dottedKey(['model', 'widths', 1]); // 'model.widths[1]'
 */
export function dottedKey(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** The "what was expected" of an issue that carries no message of ours (parse-level fallback). */
function fallbackExpected(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const e = String(issue.expected);
      if (e === 'int') return 'an integer';
      if (e === 'boolean') return 'true or false';
      if (e === 'object') return 'a table';
      if (e === 'array') return 'a list';
      return article(e);
    }
    case 'too_small':
      if (issue.origin === 'array') return `a list of at least ${String(issue.minimum)} values`;
      if (issue.origin === 'string') return 'a non-empty string';
      return `a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `a list of at most ${String(issue.maximum)} values`;
      return `a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      return 'a valid value';
    case 'unrecognized_keys':
      return 'a known key';
    default:
      return 'a valid value';
  }
}

/** The parse-level error map: every issue gets an "expected" phrase, never zod's default text. */
const parseParams = { error: (issue: z.core.$ZodRawIssue) => fallbackExpected(issue) };

/**
 * The ConfigError for a failed parse: the first unknown key if any (a typo usually also
 * makes a required key look missing; the typo is the better report), else the first issue.
 */
function errorFromIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, source: string): ConfigError {
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (issue.code === 'unrecognized_keys') {
    return new ConfigError(source, dottedKey([...issue.path, issue.keys[0]]), `unknown key (expected ${issue.message})`);
  }
  const got = describeConfigValue(valueAt(raw, issue.path));
  return new ConfigError(source, dottedKey(issue.path), `expected ${issue.message}, got ${got}`);
}

/**
 * True for a plain table: an object with the Object or null prototype (smol-toml's
 * tables have a null one), not a list or a date.
 *
 * @example
 * isConfigTable({ a: 1 }); // true
 * isConfigTable([1]);      // false
 */
export function isConfigTable(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Date) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of config data with plain objects throughout, keys in their order
 * (a `__proto__` key stays an ordinary own key), dates as ISO strings.
 *
 * @example
 * plainConfigData(parse('a = { b = 1 }')); // { a: { b: 1 } } with Object prototypes
 */
export function plainConfigData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainConfigData);
  if (v instanceof Date) return v.toISOString();
  if (isConfigTable(v)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      Object.defineProperty(out, key, { value: plainConfigData(v[key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------
// Schema building blocks: every leaf carries its own "expected" phrase
// ---------------------------------------------------------------------------

const err = (what: string) => ({ error: what });

function integer(min: number, what = `an integer >= ${min}`) {
  return z.int(err(what)).min(min, err(what));
}
function positive(what = 'a positive number') {
  return z.number(err(what)).positive(err(what));
}
function nonNegative(what = 'a number >= 0') {
  return z.number(err(what)).min(0, err(what));
}
function finite(what = 'a finite number') {
  return z.number(err(what));
}
function decay(what = 'a number in [0, 1)') {
  return z.number(err(what)).min(0, err(what)).lt(1, err(what));
}
function boolean() {
  return z.boolean(err('true or false'));
}
function text(what = 'a non-empty string') {
  return z.string(err(what)).min(1, err(what));
}
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, err(`one of ${values.join(', ')}`));
}

/** A strict table (unknown keys rejected, the message lists the known ones). */
function table<const S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `one of ${keys}` : 'a table'),
  });
}

/** A discriminated union of strict tables; a bad discriminator lists the valid ones. */
function union<const D extends string, const O extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  discriminator: D,
  options: O,
) {
  const names: string[] = [];
  for (const o of options) {
    for (const v of o._zod.propValues?.[discriminator] ?? []) if (typeof v === 'string') names.push(v);
  }
  return z.discriminatedUnion(discriminator, options, {
    error: (issue) => (issue.code === 'invalid_union' ? `one of ${names.join(', ')}` : 'a table'),
  });
}

/** An optional setting with no default (omitted from the resolved config). */
function optional<T extends z.ZodType>(schema: T, description: string) {
  return schema.optional().describe(description);
}

/** An optional setting with no default that the resolved config holds as null (train, nnm.psd). */
function nullable<T extends z.ZodType>(schema: T, description: string) {
  return schema.nullable().optional().describe(description);
}

// ---------------------------------------------------------------------------
// Problem
// ---------------------------------------------------------------------------

const TRUTHS = ['asymmetric', 'psd', 'psd-spectrum'] as const;
/** FLOW_SOLVERS of src/flow/follow.ts (values, so not imported: this module imports the library's types only). */
const FLOW_SOLVERS = ['dopri5', 'dop853', 'rodas4', 'steer'] as const;
const FLOW_FORMS = ['factors', 'x'] as const;
/** What a run computes. */
export const RUN_METHODS = ['train', 'nnm', 'flow', 'pgd', 'search3x3'] as const;
export type RunMethod = (typeof RUN_METHODS)[number];
const MEASUREMENT_SCALES = ['arora', 'unit', 'isometric'] as const;

const squareSize = {
  n: optional(integer(1), 'Square size: n1 = n2 = n (a shorthand; give n, or n1 and n2; default 100).'),
  n1: optional(integer(1), 'Rows of W (with n2).'),
  n2: optional(integer(1), 'Columns of W (with n1).'),
};

const truthOptions = {
  rank: optional(integer(1), 'Rank of the ground truth. Default: n for psd-spectrum, else min(5, n1, n2).'),
  truth: optional(
    oneOf(TRUTHS),
    'Ground truth: asymmetric (U V^T / sqrt(r)), psd (U U^T) or psd-spectrum (eigenvalues k^-spectrumDecay), scaled to ||W*||_F = sqrt(n1 n2). Default asymmetric (psd with psd = true or symmetric completion).',
  ),
  spectrumDecay: optional(finite(), 'Exponent a of the psd-spectrum eigenvalues k^-a (only with truth = "psd-spectrum"; default 1.5).'),
  truthNorm: optional(positive(), 'Frobenius norm of the ground truth (the same draws, rescaled). Default sqrt(n1 n2).'),
  noise: nonNegative().default(0).describe('Standard deviation of the Gaussian noise added to y.'),
};

const problemFile = table({
  kind: z.literal('file').describe('A problem file (.npz, DESIGN format).'),
  file: text('a file path').describe('Path of the problem file.'),
}).describe('A problem read from a file.');

const problemSensing = table({
  kind: z.literal('sensing').describe('Matrix sensing with i.i.d. Gaussian measurement matrices.'),
  ...squareSize,
  m: integer(1).describe('Number of measurements.'),
  ...truthOptions,
  noiseRelative: optional(nonNegative(), 'Noise relative to the clean measurements: ||y - A(W*)|| = noiseRelative ||A(W*)|| exactly (not with noise > 0).'),
  scale: oneOf(MEASUREMENT_SCALES).default('arora')
    .describe('Measurement entries: arora = N(0, 1/(n1 n2)), unit = N(0, 1), isometric = N(0, 1/m) (E ||A(X)||^2 = ||X||_F^2; symmetric: for symmetric X).'),
  symmetric: boolean().default(false).describe('Symmetrize each A_i, (A_i + A_i^T)/2 (needs n1 = n2).'),
  psd: optional(boolean(), 'The PSD setting flag of the problem. Default: true exactly when the truth is psd or psd-spectrum.'),
}).describe('Generated matrix sensing (implab gen sensing).');

const problemCompletion = table({
  kind: z.literal('completion').describe('Matrix completion: observed entries of the ground truth.'),
  ...squareSize,
  m: integer(1).describe('Number of observed entries (symmetric: (i, j) and (j, i) count separately).'),
  ...truthOptions,
  sampling: oneOf(['uniform', 'powerlaw']).default('uniform').describe('How observed entries are drawn.'),
  powerLawExponent: optional(nonNegative(), 'Power-law exponent (only with sampling = "powerlaw"; default 1).'),
  symmetric: boolean().default(false).describe('Symmetric PSD completion: observing (i, j) observes (j, i); needs n1 = n2.'),
  testFraction: z.number(err('a number in [0, 1]')).min(0, err('a number in [0, 1]')).max(1, err('a number in [0, 1]')).default(0)
    .describe('Fraction of the unobserved entries held out as test entries.'),
}).describe('Generated matrix completion (implab gen completion).');

const problemCommuting = table({
  kind: z.literal('commuting').describe('Commuting (diagonal) sensing, Gunasekar et al.'),
  n: integer(1).default(100).describe('Size n of the n x n diagonal truth.'),
  m: integer(1).describe('Number of measurements.'),
  rank: optional(integer(1), 'Non-zero diagonal entries of the truth. Default min(5, n).'),
  scale: oneOf(MEASUREMENT_SCALES).default('arora').describe('Measurement entries: arora = N(0, 1/n^2), unit = N(0, 1), isometric = N(0, 1/m).'),
  noise: nonNegative().default(0).describe('Standard deviation of the Gaussian noise added to y.'),
}).describe('Generated commuting sensing (implab gen commuting).');

const problemRazin = table({
  kind: z.literal('razin2x2').describe("Razin and Cohen's 2x2 completion [[?, 1], [1, 0]]."),
  perturbed: optional(finite(), 'The perturbed family (0,1) = -2, (1,0) = 0.5, (1,1) = perturbed.'),
}).describe('Razin and Cohen 2x2 completion (implab gen razin2x2).');

const ratingsSplit = union('kind', [
  table({
    kind: z.literal('first').default('first').describe('The first k ratings in file order train.'),
    k: integer(1).default(10000).describe('Number of training ratings.'),
  }),
  table({
    kind: z.literal('random').describe('A random fraction trains.'),
    trainFraction: z.number(err('a number in (0, 1]')).positive(err('a number in (0, 1]')).max(1, err('a number in (0, 1]'))
      .describe('Fraction of the ratings that train.'),
    seed: optional(integer(0, 'a non-negative integer'), 'Seed of the random split. Default: seeds.sampling.'),
  }),
]);

const problemMovielens = table({
  kind: z.literal('movielens').describe('A completion problem from a ratings TSV (MovieLens 100K).'),
  file: text('a file path').describe('Path of the ratings TSV.'),
  rowsAre: oneOf(['items', 'users']).default('items').describe('Rows of W are items (Arora et al.) or users.'),
  split: ratingsSplit.prefault({}).describe('Which ratings train; the rest are test entries.'),
}).describe('MovieLens-style ratings data (implab gen movielens).');

const problemSchema = union('kind', [problemFile, problemSensing, problemCompletion, problemCommuting, problemRazin, problemMovielens])
  .describe('The problem: a file, or generated (kind = sensing, completion, commuting, razin2x2, movielens).');

// ---------------------------------------------------------------------------
// Model, init, optimizer, train, nnm, seeds
// ---------------------------------------------------------------------------

const width = () => integer(1).describe('k: U is n x k (k = n is full dimensional).');

const modelSchema = union('kind', [
  table({
    kind: z.literal('deep').default('deep').describe('W = W_N ... W_1.'),
    depth: integer(1).default(3).describe('Depth N.'),
    widths: optional(
      z.array(integer(1), err('a list of integers >= 1')),
      'Hidden widths d_1..d_(N-1) (or the whole chain d_0..d_N). Default: every hidden width min(n1, n2).',
    ),
  }).describe('Deep factorization W = W_N ... W_1.'),
  table({ kind: z.literal('psd').describe('W = U U^T.'), width: width() }).describe('Shallow PSD factorization U U^T.'),
  table({ kind: z.literal('asymmetric').describe('W = U V^T.'), width: width() }).describe('Shallow asymmetric factorization U V^T.'),
  table({
    kind: z.literal('udu').describe('W = U diag(D) U^T, ||U||_F <= radius, D >= 0 (Hou et al.).'),
    width: width(),
    radius: positive().default(1).describe('Frobenius radius of U.'),
  }).describe('U D U^T with projected gradient descent.'),
]).prefault({}).describe('What is trained (method = train).');

const initScale = () => positive().default(1e-3).describe('Init scale s (Arora et al.: ||W(0)||_F ~ s sqrt(n)).');

/** The random kinds' option: redraw until det(W(0)) > 0 (omitted when not given). */
const positiveDet = () =>
  optional(boolean(), 'Redraw the whole initialization (continuing the seeded stream) until det(W(0)) > 0 (square problems; Razin and Cohen). Default: no redraw.');

const initSchema = union('kind', [
  table({ kind: z.literal('gaussian').default('gaussian').describe('i.i.d. Gaussian factors (Arora convention).'), scale: initScale(), positiveDet: positiveDet() }),
  table({
    kind: z.literal('normal-end-to-end').describe('i.i.d. Gaussian factors scaled so that every entry of W(0) has standard deviation std (Razin and Cohen; deep and asymmetric models).'),
    std: positive().default(1e-3).describe('Standard deviation of the entries of the end-to-end matrix W(0).'),
    positiveDet: positiveDet(),
  }),
  table({ kind: z.literal('identity').describe('Each factor scale^(1/N) I.'), scale: initScale() }),
  table({ kind: z.literal('orthogonal').describe('Each factor scale^(1/N) times a Haar-random orthonormal matrix.'), scale: initScale(), positiveDet: positiveDet() }),
  table({ kind: z.literal('balanced').describe('Balanced start (deep and asymmetric models).'), scale: initScale(), positiveDet: positiveDet() }),
  table({
    kind: z.literal('scaled-direction').describe('Every factor xi U_hat / ||U_hat||_F (Hou et al.).'),
    xi: positive().default(1e-3).describe('Frobenius norm of every factor.'),
    positiveDet: positiveDet(),
  }),
  table({
    kind: z.literal('svd').describe("The top-rank part of t A*(y) (Gunasekar et al.'s start)."),
    rank: optional(integer(1), 'Rank of the start. Default: as many as the widths allow.'),
  }),
  table({ kind: z.literal('file').describe('Factors read from a factor file.'), file: text('a file path').describe('Path of the factor file (.npz).') }),
]).prefault({}).describe('How the initial point is chosen (seeded by seeds.init).');

const lr = (dflt: number) => positive().default(dflt).describe(`Step size (default ${dflt}, as the CLI).`);

const optimizerSchema = union('name', [
  table({ name: z.literal('gd').default('gd').describe('Plain gradient descent.'), lr: lr(0.01) }),
  table({
    name: z.literal('grouprmsprop').describe('GroupRMSprop of Arora et al. (one global second moment).'),
    lr: lr(1e-3),
    alpha: decay().default(0.99).describe('Decay of the global second moment, in [0, 1).'),
    eps: positive().default(1e-4).describe('Added to sqrt(v_hat).'),
  }),
  table({
    name: z.literal('momentum').describe('Gradient descent with momentum (PyTorch form).'),
    lr: lr(0.01),
    momentum: decay().default(0.9).describe('Momentum coefficient, in [0, 1).'),
    nesterov: boolean().default(false).describe("Nesterov's look-ahead form."),
  }),
  table({
    name: z.literal('adam').describe('Adam with bias correction.'),
    lr: lr(1e-3),
    beta1: decay().default(0.9).describe('First-moment decay, in [0, 1).'),
    beta2: decay().default(0.999).describe('Second-moment decay, in [0, 1).'),
    eps: positive().default(1e-8).describe('Added to sqrt(v_hat).'),
  }),
]).prefault({}).describe('The optimizer (method = train).');

const trainSchema = table({
  maxIters: integer(0).default(10000).describe('Stop after this many updates (status max_iters).'),
  stopLoss: nullable(nonNegative(), 'Stop when the training loss falls below this (status converged).'),
  stallWindow: nullable(integer(1), 'Stop (status stalled) when the loss has not fallen by the relative amount stallRtol for this many steps.'),
  stallRtol: nullable(z.number(err('a number in (0, 1)')).gt(0, err('a number in (0, 1)')).lt(1, err('a number in (0, 1)')),
    'The relative decrease that counts as progress for stallWindow. Default 1e-3 (only with stallWindow).'),
  logEvery: integer(1).default(100).describe('Log every this many steps (and at step 0 and the final step).'),
  logPerDecade: nullable(integer(1), 'Also log about this many steps per decade of steps.'),
  logPerLossDecade: nullable(integer(1), 'Also log at the first step the loss falls below each of 10^(-j/logPerLossDecade): that many records per decade of loss (and exactly at 1e-2, 1e-3, ...).'),
  logSingular: z.union([integer(0, 'a non-negative integer or "all"'), z.literal('all', err('a non-negative integer or "all"'))], err('a non-negative integer or "all"'))
    .default(10).describe('How many leading singular values to log ("all" = min(n1, n2)).'),
  logMatrix: boolean().default(false).describe('Record the end-to-end matrix W (row-major) in every history record (n1 n2 <= 64 only).'),
  checkpointEvery: nullable(integer(1), 'Write a resumable checkpoint every this many updates.'),
  divergenceFactor: positive().default(1e10).describe('Diverged when loss > max(divergenceFactor * initial loss, divergenceFloor).'),
  divergenceFloor: positive().default(1e30).describe('See divergenceFactor.'),
  schattenP: nullable(positive(), 'Exponent p of the logged Schatten quasi-norm. Default 2/N.'),
  keepHistory: boolean().default(true).describe('Keep every logged record in memory (TrainResult.history).'),
}).prefault({}).describe('Stopping and logging of the training loop (method = train).');

const nnmSchema = table({
  psd: nullable(boolean(), "Minimize tr(X) over PSD X. Default: the problem's psd flag."),
  eps: nonNegative().default(0).describe('Allow |A(X) - y| <= eps entrywise (0: equality).'),
  tol: positive().default(1e-7).describe('Relative gap and infeasibilities for status solved.'),
  maxIters: integer(1).default(20000).describe('Iteration limit.'),
}).prefault({}).describe('The minimum-nuclear-norm solve (method = nnm).');

const flowSchema = table({
  solver: oneOf(FLOW_SOLVERS).default('dopri5')
    .describe('dopri5 (Dormand-Prince 5(4)) or dop853 (8(5,3)) integrate the gradient flow with error control, rodas4 (Rosenbrock 4(3), L-stable, finite-difference Jacobian) where it is stiff; steer follows the steering path X <- exp(-eta S) X exp(-eta S) of Gunasekar et al. (psd model).'),
  form: oneOf(FLOW_FORMS).default('factors')
    .describe('factors: the flow of the model\'s factors; x: the factorization-free flow of X = U U^T, dX/dt = -(S X + X S) (psd model; steer always works on X).'),
  rtol: positive().default(1e-8).describe('Relative tolerance of the integrator (dopri5, dop853, rodas4).'),
  atol: positive().default(1e-14).describe('Absolute tolerance of the integrator (dopri5, dop853, rodas4); keep it below the entries of the initialization.'),
  eta: optional(positive(), 'Step of the steering path (solver = steer only; default 1e-3).'),
  tMax: positive().default(1e8).describe('The horizon: the flow is followed up to this time (status t_max).'),
  maxSteps: integer(1).default(1_000_000).describe('Step limit (status max_steps): attempted integrator steps (accepted + rejected), or steering steps.'),
  stopLoss: nullable(nonNegative(), 'Stop when the training loss falls below this (status converged), located on the dense output.'),
  logPerDecade: integer(1).default(10).describe('History records per decade of flow time t, from logFrom to tMax (and at t = 0 and the end).'),
  logFrom: positive().default(1e-2).describe('The first logged time after t = 0.'),
  logSingular: z.union([integer(0, 'a non-negative integer or "all"'), z.literal('all', err('a non-negative integer or "all"'))], err('a non-negative integer or "all"'))
    .default(10).describe('How many leading singular values to log ("all" = min(n1, n2)).'),
  logMatrix: boolean().default(false).describe('Record the end-to-end matrix W (row-major) in every history record (n1 n2 <= 64 only).'),
  checkpointEvery: nullable(integer(1), 'Write a resumable checkpoint every this many accepted steps.'),
}).prefault({}).describe('The gradient flow (method = flow).');

const pgdSchema = table({
  tol: positive().default(1e-10).describe('Stop when the gradient mapping is below tol ||A*(y)||_F (status converged).'),
  maxIters: integer(1).default(100_000).describe('Iteration limit (status max_iters).'),
  lossTol: nonNegative().default(0).describe('Also stop once (1/2)||A(X) - y||^2 <= lossTol.'),
}).prefault({}).describe('Projected gradient descent on X over the PSD cone, the rank-unconstrained reference (method = pgd).');

const searchSchema = table({
  gridSize: z.int(err('an odd integer >= 3')).min(3, err('an odd integer >= 3')).refine((g) => g % 2 === 1, err('an odd integer >= 3')).default(7)
    .describe('Observed values on this many evenly spaced points of [-1, 1] (odd: 0 is one of them).'),
  alphas: z.array(positive(), err('a list of positive numbers')).min(1, err('a list of positive numbers')).default([1e-1, 1e-2, 1e-3, 1e-4])
    .describe('Initialization scales ||U_0||_F of the flows.'),
  shard: integer(0).default(0).describe('This run computes the instances with index = shard (mod shards).'),
  shards: integer(1).default(1).describe('How many shards the instances are split into.'),
  rtol: positive().default(1e-10).describe('Relative tolerance of the integrator (dopri5).'),
  atolPerAlpha: positive().default(1e-8).describe('Absolute tolerance of the integrator, per unit alpha (atol = atolPerAlpha alpha).'),
  tMax: positive().default(1e6).describe('Flow horizon of one instance.'),
  lossTol: positive().default(1e-12).describe('A flow has converged when (1/2)||A(X) - y||^2 falls to this.'),
  maxSteps: integer(1).default(10_000).describe('Step limit of one flow (status max_steps; such flows are counted, not used in the statistics).'),
}).prefault({}).describe('The exhaustive search over 3 x 3 PSD completion problems of Gunasekar et al. (method = search3x3).');

const seed = (what: string) => integer(0, 'a non-negative integer').describe(what);

const seedsSchema = table({
  data: seed('Seeds the ground truth.').default(0),
  sampling: optional(seed('Seeds the measurements / observed entries, the noise and the random ratings split.'),
    'Seeds the measurements / observed entries, the noise and the random ratings split. Default: seeds.data.'),
  init: seed('Seeds the initialization.').default(0),
}).prefault({}).describe('Seeds: data (ground truth), sampling (measurements, noise), init (initialization).');

/**
 * The zod schema of one run config (input form: defaults are filled by parsing, the
 * derived ones by resolveRunConfig). Strict: unknown keys are rejected.
 *
 * @example
 * const ok = runConfigSchema.safeParse({ problem: { kind: 'razin2x2' } }).success; // true
 */
export const runConfigSchema = table({
  name: optional(text(), 'A free label (not part of the run id).'),
  method: oneOf(RUN_METHODS).default('train').describe(
    'train: a factorization by a gradient method; nnm: the minimum-nuclear-norm baseline; flow: the gradient flow of the model (or the steering path); ' +
    'pgd: projected gradient descent on X over the PSD cone; search3x3: one shard of the exhaustive 3 x 3 PSD completion search.'),
  problem: problemSchema.optional(),
  model: modelSchema,
  init: initSchema,
  optimizer: optimizerSchema,
  loss: oneOf(['mse', 'half-sse']).default('mse').describe('mse = (1/m) sum (A(W) - y)^2; half-sse = (1/2) sum (A(W) - y)^2.'),
  train: trainSchema,
  nnm: nnmSchema,
  flow: flowSchema,
  pgd: pgdSchema,
  search: searchSchema,
  seeds: seedsSchema,
}).describe('One implab run.');

/** A run config as written in a file (defaults may be left out). */
export type RunConfig = z.input<typeof runConfigSchema>;

// ---------------------------------------------------------------------------
// Resolved config
// ---------------------------------------------------------------------------

export type TruthKind = (typeof TRUTHS)[number];

/** How Gaussian measurement entries are scaled (src/problems/generate.ts MeasurementScale). */
export type MeasurementScaleName = (typeof MEASUREMENT_SCALES)[number];

/**
 * A problem with every default filled in: the generator's options (minus seeds and
 * backend), so it is a src/problems/spec.ts ProblemConfig. spectrumDecay is present
 * exactly for a psd-spectrum truth, powerLawExponent for powerlaw sampling, perturbed
 * when given; a random ratings split holds its seed (default seeds.sampling).
 */
export type ResolvedProblemConfig =
  | { kind: 'file'; file: string }
  | {
      kind: 'sensing'; n1: number; n2: number; m: number; rank: number; truth: TruthKind; spectrumDecay?: number; truthNorm?: number;
      noise: number; noiseRelative?: number; scale: MeasurementScaleName; symmetric: boolean; psd: boolean;
    }
  | {
      kind: 'completion'; n1: number; n2: number; m: number; rank: number; truth: TruthKind; spectrumDecay?: number; truthNorm?: number;
      noise: number; sampling: 'uniform' | 'powerlaw'; powerLawExponent?: number; symmetric: boolean; testFraction: number;
    }
  | { kind: 'commuting'; n: number; m: number; rank: number; scale: MeasurementScaleName; noise: number }
  | { kind: 'razin2x2'; perturbed?: number }
  | { kind: 'movielens'; file: string; rowsAre: 'items' | 'users'; split: RatingsSplit }
  /** method = search3x3, which generates its own instances. */
  | { kind: 'none' };

/** A ModelSpec with every default filled in (udu radius 1; deep widths only when given). */
export type ResolvedModelConfig =
  | { kind: 'deep'; depth: number; widths?: number[] }
  | { kind: 'psd'; width: number }
  | { kind: 'asymmetric'; width: number }
  | { kind: 'udu'; width: number; radius: number };

/** An InitConfig (src/runs/train-run.ts) with every default filled in (svd rank and positiveDet only when given). */
export type ResolvedInitConfig =
  | { kind: 'identity'; scale: number }
  | { kind: 'gaussian' | 'orthogonal' | 'balanced'; scale: number; positiveDet?: boolean }
  | { kind: 'normal-end-to-end'; std: number; positiveDet?: boolean }
  | { kind: 'scaled-direction'; xi: number; positiveDet?: boolean }
  | { kind: 'svd'; rank?: number }
  | { kind: 'file'; file: string };

/** The minimum-nuclear-norm settings; psd null = the problem's flag. */
export interface ResolvedNnmConfig {
  psd: boolean | null;
  eps: number;
  tol: number;
  maxIters: number;
}

export interface ResolvedSeeds {
  /** The ground truth. */
  data: number;
  /** Measurements or observed entries, noise, a random ratings split. */
  sampling: number;
  /** The initialization. */
  init: number;
}

/**
 * A run config with every default filled in: what is saved with the run and hashed
 * into its id (see the module comment for the omission / null rule). Every section is
 * present whatever the method (the train sections of an nnm run are resolved and
 * hashed too).
 */
export interface ResolvedRunConfig {
  /** The free label, when given (not part of the run id). */
  name?: string;
  method: RunMethod;
  problem: ResolvedProblemConfig;
  model: ResolvedModelConfig;
  init: ResolvedInitConfig;
  optimizer: ResolvedOptimizerSpec;
  loss: LossKind;
  train: ResolvedTrainConfig;
  nnm: ResolvedNnmConfig;
  /** Only with method = flow (absent otherwise, so that adding flows left the ids of other runs as they were). */
  flow?: ResolvedFlowConfig;
  /** Only with method = pgd. */
  pgd?: ResolvedPgdConfig;
  /** Only with method = search3x3. */
  search?: ResolvedSearchConfig;
  seeds: ResolvedSeeds;
}

/** The flow section resolved (the library's FlowSettings): eta only for the steering path, null where a setting is absent. */
export type ResolvedFlowConfig = FlowSettings;

export interface ResolvedPgdConfig {
  tol: number;
  maxIters: number;
  lossTol: number;
}

/** The search section resolved (the run layer's SearchRunConfig). */
export type ResolvedSearchConfig = SearchRunConfig;

type Parsed = z.output<typeof runConfigSchema>;

function isPsdTruth(t: TruthKind): boolean {
  return t === 'psd' || t === 'psd-spectrum';
}

/** n1, n2 of a sensing or completion problem: n (square), or n1 and n2, default 100 x 100. */
function resolveSize(p: { n?: number; n1?: number; n2?: number }, fail: (key: string, detail: string) => never): [number, number] {
  const { n, n1, n2 } = p;
  if (n !== undefined && (n1 !== undefined || n2 !== undefined)) {
    fail(n1 !== undefined ? 'problem.n1' : 'problem.n2', `expected either n (square) or n1 and n2, got both n = ${n} and ${n1 !== undefined ? `n1 = ${n1}` : `n2 = ${n2}`}`);
  }
  if ((n1 === undefined) !== (n2 === undefined)) {
    fail(n1 === undefined ? 'problem.n1' : 'problem.n2', `expected an integer >= 1 (n1 and n2 go together), got nothing`);
  }
  if (n1 !== undefined && n2 !== undefined) return [n1, n2];
  const size = n ?? 100;
  return [size, size];
}

/** The truth-related settings shared by sensing and completion, with the cross-field checks. */
function resolveTruth(
  p: { rank?: number; truth?: TruthKind; spectrumDecay?: number; truthNorm?: number },
  n1: number,
  n2: number,
  defaultTruth: TruthKind,
  fail: (key: string, detail: string) => never,
): { rank: number; truth: TruthKind; spectrumDecay?: number; truthNorm?: number } {
  const truth = p.truth ?? defaultTruth;
  if (isPsdTruth(truth) && n1 !== n2) fail('problem.truth', `expected a square problem for a ${truth} truth, got n1 = ${n1}, n2 = ${n2}`);
  const maxRank = Math.min(n1, n2);
  const rank = p.rank ?? (truth === 'psd-spectrum' ? maxRank : Math.min(5, maxRank));
  if (rank > maxRank) fail('problem.rank', `expected an integer in [1, ${maxRank}] (min(n1, n2)), got ${rank}`);
  if (p.spectrumDecay !== undefined && truth !== 'psd-spectrum') {
    fail('problem.spectrumDecay', `only used with truth = "psd-spectrum", got truth = "${truth}"`);
  }
  const norm = p.truthNorm !== undefined ? { truthNorm: p.truthNorm } : {};
  return truth === 'psd-spectrum' ? { rank, truth, spectrumDecay: p.spectrumDecay ?? 1.5, ...norm } : { rank, truth, ...norm };
}

function resolveProblem(p: NonNullable<Parsed['problem']>, samplingSeed: number, fail: (key: string, detail: string) => never): ResolvedProblemConfig {
  switch (p.kind) {
    case 'file':
      return { kind: 'file', file: p.file };
    case 'sensing': {
      const [n1, n2] = resolveSize(p, fail);
      if (p.psd === true && p.truth === 'asymmetric') fail('problem.psd', 'expected false with truth = "asymmetric" (the PSD setting needs a psd or psd-spectrum truth), got true');
      const t = resolveTruth(p, n1, n2, p.psd === true ? 'psd' : 'asymmetric', fail);
      const psd = p.psd ?? isPsdTruth(t.truth);
      if ((psd || p.symmetric) && n1 !== n2) {
        fail(psd ? 'problem.psd' : 'problem.symmetric', `expected a square problem, got n1 = ${n1}, n2 = ${n2}`);
      }
      if (p.noiseRelative !== undefined && p.noiseRelative > 0 && p.noise > 0) {
        fail('problem.noiseRelative', `expected either noise (absolute) or noiseRelative, got noise = ${p.noise} and noiseRelative = ${p.noiseRelative}`);
      }
      return {
        kind: 'sensing', n1, n2, m: p.m, ...t, noise: p.noise, ...(p.noiseRelative !== undefined ? { noiseRelative: p.noiseRelative } : {}),
        scale: p.scale, symmetric: p.symmetric, psd,
      };
    }
    case 'completion': {
      const [n1, n2] = resolveSize(p, fail);
      if (p.symmetric && n1 !== n2) fail('problem.symmetric', `expected a square problem, got n1 = ${n1}, n2 = ${n2}`);
      if (p.symmetric && p.truth === 'asymmetric') fail('problem.truth', 'expected psd or psd-spectrum for symmetric completion, got "asymmetric"');
      const t = resolveTruth(p, n1, n2, p.symmetric ? 'psd' : 'asymmetric', fail);
      if (p.m > n1 * n2) fail('problem.m', `expected at most ${n1 * n2} (the entries of a ${n1}x${n2} matrix), got ${p.m}`);
      if (p.powerLawExponent !== undefined && p.sampling !== 'powerlaw') {
        fail('problem.powerLawExponent', `only used with sampling = "powerlaw", got sampling = "${p.sampling}"`);
      }
      return {
        kind: 'completion', n1, n2, m: p.m, ...t, noise: p.noise, sampling: p.sampling,
        ...(p.sampling === 'powerlaw' ? { powerLawExponent: p.powerLawExponent ?? 1 } : {}),
        symmetric: p.symmetric, testFraction: p.testFraction,
      };
    }
    case 'commuting': {
      const rank = p.rank ?? Math.min(5, p.n);
      if (rank > p.n) fail('problem.rank', `expected an integer in [1, ${p.n}] (n), got ${rank}`);
      return { kind: 'commuting', n: p.n, m: p.m, rank, scale: p.scale, noise: p.noise };
    }
    case 'razin2x2':
      return p.perturbed === undefined ? { kind: 'razin2x2' } : { kind: 'razin2x2', perturbed: p.perturbed };
    case 'movielens': {
      const split: RatingsSplit = p.split.kind === 'first'
        ? { kind: 'first', k: p.split.k }
        : { kind: 'random', trainFraction: p.split.trainFraction, seed: p.split.seed ?? samplingSeed };
      return { kind: 'movielens', file: p.file, rowsAre: p.rowsAre, split };
    }
  }
}

function resolveModel(m: Parsed['model'], fail: (key: string, detail: string) => never): ResolvedModelConfig {
  switch (m.kind) {
    case 'deep': {
      const widths = m.widths;
      if (widths === undefined) return { kind: 'deep', depth: m.depth };
      if (widths.length !== m.depth - 1 && widths.length !== m.depth + 1) {
        fail('model.widths', `expected ${m.depth - 1} hidden widths d_1..d_${m.depth - 1} for depth ${m.depth} (or the ${m.depth + 1}-entry chain d_0..d_${m.depth}), got ${widths.length}`);
      }
      return { kind: 'deep', depth: m.depth, widths: [...widths] };
    }
    case 'psd':
    case 'asymmetric':
      return { kind: m.kind, width: m.width };
    case 'udu':
      return { kind: 'udu', width: m.width, radius: m.radius };
  }
}

function resolveInit(i: Parsed['init'], model: ResolvedModelConfig, fail: (key: string, detail: string) => never): ResolvedInitConfig {
  const det = (o: { positiveDet?: boolean }) => (o.positiveDet === undefined ? {} : { positiveDet: o.positiveDet });
  switch (i.kind) {
    case 'identity':
      return { kind: i.kind, scale: i.scale };
    case 'gaussian':
    case 'orthogonal':
    case 'balanced':
      if (i.kind === 'balanced' && (model.kind === 'psd' || model.kind === 'udu')) {
        fail('init.kind', `expected gaussian, identity, orthogonal, scaled-direction, svd or file for a ${model.kind} model (balanced applies to deep and asymmetric), got "balanced"`);
      }
      return { kind: i.kind, scale: i.scale, ...det(i) };
    case 'normal-end-to-end':
      if (model.kind === 'psd' || model.kind === 'udu') {
        fail('init.kind', `expected gaussian, identity, orthogonal, scaled-direction, svd or file for a ${model.kind} model (normal-end-to-end applies to deep and asymmetric), got "normal-end-to-end"`);
      }
      return { kind: 'normal-end-to-end', std: i.std, ...det(i) };
    case 'scaled-direction':
      return { kind: 'scaled-direction', xi: i.xi, ...det(i) };
    case 'svd':
      return i.rank === undefined ? { kind: 'svd' } : { kind: 'svd', rank: i.rank };
    case 'file':
      return { kind: 'file', file: i.file };
  }
}

function resolveOptimizer(o: Parsed['optimizer']): ResolvedOptimizerSpec {
  switch (o.name) {
    case 'gd':
      return { name: 'gd', lr: o.lr };
    case 'grouprmsprop':
      return { name: 'grouprmsprop', lr: o.lr, alpha: o.alpha, eps: o.eps };
    case 'momentum':
      return { name: 'momentum', lr: o.lr, momentum: o.momentum, nesterov: o.nesterov };
    case 'adam':
      return { name: 'adam', lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps };
  }
}

function resolveTrain(t: Parsed['train'], fail: (key: string, detail: string) => never): ResolvedTrainConfig {
  if ((t.stallWindow === null || t.stallWindow === undefined) && t.stallRtol !== null && t.stallRtol !== undefined) {
    fail('train.stallRtol', `only used with train.stallWindow, got stallRtol = ${t.stallRtol} and no stallWindow`);
  }
  return {
    maxIters: t.maxIters,
    stopLoss: t.stopLoss ?? null,
    stallWindow: t.stallWindow ?? null,
    stallRtol: t.stallWindow === null || t.stallWindow === undefined ? null : (t.stallRtol ?? 1e-3),
    logEvery: t.logEvery,
    logPerDecade: t.logPerDecade ?? null,
    logPerLossDecade: t.logPerLossDecade ?? null,
    logSingular: t.logSingular,
    logMatrix: t.logMatrix,
    checkpointEvery: t.checkpointEvery ?? null,
    divergenceFactor: t.divergenceFactor,
    divergenceFloor: t.divergenceFloor,
    schattenP: t.schattenP ?? null,
    keepHistory: t.keepHistory,
  };
}

/** LOG_MATRIX_MAX_ENTRIES of src/train/loop.ts (not imported: this module imports the library's types only). */
export const LOG_MATRIX_MAX_ENTRIES = 64;

/** n1 x n2 of a generated problem (null for a file: known only when it is read). */
function problemShape(p: ResolvedProblemConfig): [number, number] | null {
  switch (p.kind) {
    case 'sensing':
    case 'completion':
      return [p.n1, p.n2];
    case 'commuting':
      return [p.n, p.n];
    case 'razin2x2':
      return [2, 2];
    default:
      return null;
  }
}

/** The settings that need a small or a square W, checked where the problem's shape is known (else at run time). */
function checkShapeSettings(problem: ResolvedProblemConfig, init: ResolvedInitConfig, train: ResolvedTrainConfig, fail: (key: string, detail: string) => never): void {
  const shape = problemShape(problem);
  if (shape === null) return;
  const [n1, n2] = shape;
  if (train.logMatrix && n1 * n2 > LOG_MATRIX_MAX_ENTRIES) {
    fail('train.logMatrix', `expected false for a ${n1}x${n2} problem (W is logged only when n1 n2 <= ${LOG_MATRIX_MAX_ENTRIES}), got true`);
  }
  if ('positiveDet' in init && init.positiveDet === true && n1 !== n2) {
    fail('init.positiveDet', `expected false for a ${n1}x${n2} problem (det(W) needs a square one), got true`);
  }
}

function resolveFlow(f: Parsed['flow'], model: ResolvedModelConfig, problem: ResolvedProblemConfig, fail: (key: string, detail: string) => never): ResolvedFlowConfig {
  if (f.eta !== undefined && f.solver !== 'steer') fail('flow.eta', `only used with flow.solver = "steer", got solver = "${f.solver}"`);
  if ((f.solver === 'steer' || f.form === 'x') && model.kind !== 'psd') {
    fail('model.kind', `expected psd for ${f.solver === 'steer' ? 'the steering path' : 'the flow of X'} (it evolves X = U U^T), got "${model.kind}"`);
  }
  if (model.kind === 'udu') fail('model.kind', 'expected psd, asymmetric or deep for a flow (udu is projected: it has no gradient flow), got "udu"');
  if (!(f.logFrom < f.tMax)) fail('flow.logFrom', `expected a time below flow.tMax = ${f.tMax}, got ${f.logFrom}`);
  const shape = problemShape(problem);
  if (f.logMatrix && shape !== null && shape[0] * shape[1] > LOG_MATRIX_MAX_ENTRIES) {
    fail('flow.logMatrix', `expected false for a ${shape[0]}x${shape[1]} problem (W is logged only when n1 n2 <= ${LOG_MATRIX_MAX_ENTRIES}), got true`);
  }
  return {
    solver: f.solver,
    form: f.solver === 'steer' ? 'x' : f.form,
    rtol: f.rtol,
    atol: f.atol,
    ...(f.solver === 'steer' ? { eta: f.eta ?? 1e-3 } : {}),
    tMax: f.tMax,
    maxSteps: f.maxSteps,
    stopLoss: f.stopLoss ?? null,
    logPerDecade: f.logPerDecade,
    logFrom: f.logFrom,
    logSingular: f.logSingular,
    logMatrix: f.logMatrix,
    checkpointEvery: f.checkpointEvery ?? null,
  };
}

function resolveSearch(s: Parsed['search'], fail: (key: string, detail: string) => never): ResolvedSearchConfig {
  if (s.shard >= s.shards) fail('search.shard', `expected an integer in [0, ${s.shards - 1}] (below search.shards), got ${s.shard}`);
  return { gridSize: s.gridSize, alphas: [...s.alphas], shard: s.shard, shards: s.shards, rtol: s.rtol, atolPerAlpha: s.atolPerAlpha, tMax: s.tMax, lossTol: s.lossTol, maxSteps: s.maxSteps };
}

/**
 * Validates a run config (from a TOML or JSON file, or built in code) and fills in
 * every default: the library's (optimizer options, train settings), the CLI's
 * (maxIters 10000, logEvery 100, logSingular 10, lr per optimizer, init scale 1e-3,
 * n = 100) and the derived ones (rank from the truth, truth from psd / symmetric,
 * seeds.sampling = seeds.data). Missing discriminators default to model.kind = deep,
 * init.kind = gaussian, optimizer.name = gd. Resolving a resolved config returns an
 * equal one.
 *
 * @throws ConfigError, one line naming the key:
 *   `sweep.toml: model.depth: expected an integer >= 1, got 0`,
 *   `sweep.toml: model.dpeth: unknown key (expected one of kind, depth, widths)`,
 *   `sweep.toml: model.kind: expected one of deep, psd, asymmetric, udu, got "dep"`.
 * @example
 * const c = resolveRunConfig({ problem: { kind: 'sensing', n: 50, m: 1000 }, optimizer: { lr: 0.1 } }, 'sweep.toml');
 * c.problem; // { kind: 'sensing', n1: 50, n2: 50, m: 1000, rank: 5, truth: 'asymmetric', ... }
 * c.train.maxIters; // 10000
 */
export function resolveRunConfig(raw: unknown, source: string): ResolvedRunConfig {
  const r = runConfigSchema.safeParse(raw, parseParams);
  if (!r.success) throw errorFromIssues(r.error.issues, raw, source);
  const c = r.data;
  const fail = (key: string, detail: string): never => {
    throw new ConfigError(source, key, detail);
  };
  const model = resolveModel(c.model, fail);
  const seeds = { data: c.seeds.data, sampling: c.seeds.sampling ?? c.seeds.data, init: c.seeds.init };
  if (c.method === 'search3x3' && c.problem !== undefined) fail('problem', `not used by method = search3x3 (it makes its own 3 x 3 instances), got ${describeConfigValue(c.problem)}`);
  if (c.method !== 'search3x3' && c.problem === undefined) fail('problem', 'expected a table, got nothing');
  const problem: ResolvedProblemConfig = c.problem === undefined ? { kind: 'none' } : resolveProblem(c.problem, seeds.sampling, fail);
  const init = resolveInit(c.init, model, fail);
  const train = resolveTrain(c.train, fail);
  checkShapeSettings(problem, init, train, fail);
  return {
    ...(c.name !== undefined ? { name: c.name } : {}),
    method: c.method,
    problem,
    model,
    init,
    optimizer: resolveOptimizer(c.optimizer),
    loss: c.loss,
    train,
    nnm: { psd: c.nnm.psd ?? null, eps: c.nnm.eps, tol: c.nnm.tol, maxIters: c.nnm.maxIters },
    ...(c.method === 'flow' ? { flow: resolveFlow(c.flow, model, problem, fail) } : {}),
    ...(c.method === 'pgd' ? { pgd: { tol: c.pgd.tol, maxIters: c.pgd.maxIters, lossTol: c.pgd.lossTol } } : {}),
    ...(c.method === 'search3x3' ? { search: resolveSearch(c.search, fail) } : {}),
    seeds,
  };
}

/**
 * The JSON Schema (draft 2020-12) of a run config, for `implab schema`: the input
 * form, so keys with defaults are optional and show their default; every field has a
 * description.
 *
 * @example
 * console.log(JSON.stringify(runConfigJsonSchema(), null, 2));
 */
export function runConfigJsonSchema(): Record<string, unknown> {
  const schema = dropSafeIntegerBounds(z.toJSONSchema(runConfigSchema, { io: 'input', target: 'draft-2020-12' })) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'implab run config',
    ...schema,
    // problem is required, except by method = search3x3, which makes its own instances.
    anyOf: [
      { properties: {}, required: ['problem'] },
      { properties: { method: { const: 'search3x3', description: 'The one method that needs no problem.' } }, required: ['method'] },
    ],
    description:
      'One implab run (implab run CONFIG.toml). In a sweep file any key may also hold a list of such values ' +
      '(a grid axis; a list of lists where a list is expected), and a top-level `variants` list of partial configs ' +
      'is one more axis; this schema describes a single run.',
  };
}

/** The schema without zod's implicit integer bounds (+-2^53 - 1), which only add noise. */
function dropSafeIntegerBounds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropSafeIntegerBounds);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    if (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) continue;
    out[key] = dropSafeIntegerBounds(value);
  }
  return out;
}
