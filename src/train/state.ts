/**
 * The training state a checkpoint holds, and its exact serialization: float64 arrays
 * (the parameters and optimizer buffers, for an .npz) plus JSON metadata (steps,
 * optimizer scalars, losses), every number coming back bit for bit.
 */

import type { NdArray } from '../io/npy.js';
import type { Mat } from '../linalg/mat.js';
import type { OptimizerState } from '../optim/optimizer.js';
import {
  cloneOptimizerState,
  decodeExactNumber,
  deserializeOptimizerState,
  encodeExactNumber,
  serializeOptimizerState,
  type ExactNumber,
  type OptimizerStateMeta,
} from '../optim/state.js';

/**
 * Everything needed to continue a run exactly. `step` updates have been taken;
 * `params` are the parameters after them (before update step + 1).
 */
export interface TrainState {
  step: number;
  params: Mat[];
  optimizer: OptimizerState;
  /** The loss at step 0 (it sets the divergence threshold); null before it is known. */
  initialLoss: number | null;
  /** The smallest finite loss evaluated so far (steps 0 .. step - 1, or .. step at the end), and its step. */
  bestLoss: number | null;
  bestStep: number | null;
  /**
   * The stall rule's reference loss and its step (TrainConfig.stallWindow); null or absent
   * when the rule is off or nothing is evaluated yet (a checkpoint without them restarts the
   * rule's window at the resumed step).
   */
  stallLoss?: number | null;
  stallStep?: number | null;
  /** Seconds spent in the training loop by earlier segments (not part of the exact-resume guarantee). */
  trainSeconds: number;
}

/** The JSON half of a serialized TrainState (checkpoint.json). */
export interface TrainStateMeta {
  format: 'implab-train-state';
  version: 1;
  step: number;
  /** Parameter arrays in order: their .npz names and shapes. */
  params: { name: string; rows: number; cols: number }[];
  /** The optimizer's name when known (checked on resume). */
  optimizerName: string | null;
  optimizer: OptimizerStateMeta;
  initialLoss: ExactNumber | null;
  bestLoss: ExactNumber | null;
  bestStep: number | null;
  /** Present when the stall rule has a reference (absent in older checkpoints). */
  stallLoss?: ExactNumber | null;
  stallStep?: number | null;
  trainSeconds: number;
}

const OPTIM_PREFIX = 'optim_';

/**
 * A deep copy (fresh parameter storage and optimizer buffers).
 *
 * @example
 * const saved = cloneTrainState(result.state);
 */
export function cloneTrainState(state: TrainState): TrainState {
  return {
    step: state.step,
    params: state.params.map((p) => ({ rows: p.rows, cols: p.cols, data: p.data.slice() })),
    optimizer: cloneOptimizerState(state.optimizer),
    initialLoss: state.initialLoss,
    bestLoss: state.bestLoss,
    bestStep: state.bestStep,
    stallLoss: state.stallLoss ?? null,
    stallStep: state.stallStep ?? null,
    trainSeconds: state.trainSeconds,
  };
}

/**
 * Splits a TrainState into float64 arrays and JSON metadata: the parameters as 2-D
 * arrays named `names[i]` (the model's factor names, so numpy users can read a
 * checkpoint; default `param_i`), the optimizer buffers as 1-D arrays
 * `optim_buffer_i`, and everything else in `meta` (JSON-safe, exact). The arrays
 * share the state's storage: encode them before the state changes.
 *
 * @throws RangeError for a wrong number of names or a duplicate name.
 * @example
 * const { arrays, meta } = serializeTrainState(state, { names: model.factorNames, optimizerName: opt.name });
 * writeNpzFile('checkpoint.npz', arrays, { overwrite: true });
 * fs.writeFileSync('checkpoint.json', JSON.stringify(meta));
 */
export function serializeTrainState(
  state: TrainState,
  options: { names?: readonly string[]; optimizerName?: string } = {},
): { arrays: Map<string, NdArray>; meta: TrainStateMeta } {
  const names = options.names ?? state.params.map((_, i) => `param_${i}`);
  if (names.length !== state.params.length) {
    throw new RangeError(`names: expected ${state.params.length} parameter names, got ${names.length}`);
  }
  const arrays = new Map<string, NdArray>();
  state.params.forEach((p, i) => {
    const name = names[i];
    if (arrays.has(name) || name.startsWith(OPTIM_PREFIX)) throw new RangeError(`names: "${name}" is duplicated or reserved`);
    arrays.set(name, { dtype: 'float64', shape: [p.rows, p.cols], data: p.data });
  });
  const opt = serializeOptimizerState(state.optimizer, OPTIM_PREFIX);
  for (const [k, v] of opt.arrays) arrays.set(k, v);
  const enc = (x: number | null): ExactNumber | null => (x === null ? null : encodeExactNumber(x));
  return {
    arrays,
    meta: {
      format: 'implab-train-state',
      version: 1,
      step: state.step,
      params: state.params.map((p, i) => ({ name: names[i], rows: p.rows, cols: p.cols })),
      optimizerName: options.optimizerName ?? null,
      optimizer: opt.meta,
      initialLoss: enc(state.initialLoss),
      bestLoss: enc(state.bestLoss),
      bestStep: state.bestStep,
      ...(state.stallStep !== null && state.stallStep !== undefined
        ? { stallLoss: enc(state.stallLoss ?? null), stallStep: state.stallStep }
        : {}),
      trainSeconds: state.trainSeconds,
    },
  };
}

function fail(source: string, field: string, problem: string): never {
  throw new TypeError(`${source}: ${field}: ${problem}`);
}

function nonNegInt(v: unknown, source: string, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(source, field, `expected a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The inverse of serializeTrainState: rebuilds the state from the arrays (copied) and
 * the metadata (as parsed from JSON), validating both. `source` names the checkpoint
 * in errors. If `expectOptimizer` is given, a checkpoint of another optimizer is refused.
 *
 * @throws TypeError `SOURCE: FIELD: problem` for a missing array, a wrong shape or
 *   dtype, malformed metadata, or an optimizer mismatch.
 * @example
 * const state = deserializeTrainState(readNpzFile('run/checkpoint.npz'), JSON.parse(text), 'run/checkpoint');
 */
export function deserializeTrainState(
  arrays: Map<string, NdArray>,
  meta: unknown,
  source = 'checkpoint',
  expectOptimizer?: string,
): TrainState {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail(source, 'meta', 'expected a JSON object');
  const m = meta as Record<string, unknown>;
  if (m.format !== 'implab-train-state') fail(source, 'format', `expected "implab-train-state", got ${JSON.stringify(m.format)}`);
  if (m.version !== 1) fail(source, 'version', `expected 1, got ${JSON.stringify(m.version)}`);
  const step = nonNegInt(m.step, source, 'step');
  if (!Array.isArray(m.params)) fail(source, 'params', 'expected an array of {name, rows, cols}');
  const params = (m.params as unknown[]).map((entry, i) => {
    const e = entry as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string') fail(source, `params[${i}]`, 'expected {name, rows, cols}');
    const rows = nonNegInt(e.rows, source, `params[${i}].rows`);
    const cols = nonNegInt(e.cols, source, `params[${i}].cols`);
    const nd = arrays.get(e.name);
    if (nd === undefined) fail(source, `array "${e.name}"`, 'missing (a parameter)');
    if (nd.dtype !== 'float64' || nd.shape.length !== 2 || nd.shape[0] !== rows || nd.shape[1] !== cols) {
      fail(source, `array "${e.name}"`, `expected float64 of shape [${rows}, ${cols}], got ${nd.dtype} of shape [${nd.shape.join(', ')}]`);
    }
    return { rows, cols, data: (nd.data as Float64Array).slice() };
  });
  const optimizerName = m.optimizerName;
  if (optimizerName !== null && optimizerName !== undefined && typeof optimizerName !== 'string') {
    fail(source, 'optimizerName', 'expected a string or null');
  }
  if (expectOptimizer !== undefined && typeof optimizerName === 'string' && optimizerName !== expectOptimizer) {
    fail(source, 'optimizerName', `the checkpoint is of optimizer "${optimizerName}", not "${expectOptimizer}"`);
  }
  let optimizer: OptimizerState;
  try {
    optimizer = deserializeOptimizerState(arrays, m.optimizer, OPTIM_PREFIX, 'optimizer');
  } catch (err) {
    throw new TypeError(`${source}: ${(err as Error).message}`);
  }
  const dec = (v: unknown, field: string): number | null => {
    if (v === null || v === undefined) return null;
    try {
      return decodeExactNumber(v, field);
    } catch (err) {
      throw new TypeError(`${source}: ${(err as Error).message}`);
    }
  };
  const bestStep = m.bestStep === null || m.bestStep === undefined ? null : nonNegInt(m.bestStep, source, 'bestStep');
  const stallStep = m.stallStep === null || m.stallStep === undefined ? null : nonNegInt(m.stallStep, source, 'stallStep');
  const trainSeconds = m.trainSeconds === undefined ? 0 : m.trainSeconds;
  if (typeof trainSeconds !== 'number' || !(trainSeconds >= 0)) fail(source, 'trainSeconds', 'expected a non-negative number');
  return {
    step,
    params,
    optimizer,
    initialLoss: dec(m.initialLoss, 'initialLoss'),
    bestLoss: dec(m.bestLoss, 'bestLoss'),
    bestStep,
    stallLoss: dec(m.stallLoss, 'stallLoss'),
    stallStep,
    trainSeconds,
  };
}
