/**
 * Exact serialization of optimizer state (and the number encoding the training
 * checkpoint uses): every float64 comes back bit for bit, including -0, NaN and the
 * infinities, so that a resumed run continues exactly.
 */

import type { NdArray } from '../io/npy.js';
import type { OptimizerState } from './optimizer.js';

/** A float64 as JSON keeps it exactly: a number, or "NaN", "Infinity", "-Infinity", "-0". */
export type ExactNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

/**
 * Encodes a float64 for JSON without loss. Finite numbers stay numbers (JSON's
 * shortest round-trip form is exact); -0 and the non-finite values become strings.
 *
 * @example
 * JSON.stringify(encodeExactNumber(-0)); // '"-0"'
 * encodeExactNumber(0.1);                // 0.1
 */
export function encodeExactNumber(x: number): ExactNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

/**
 * The inverse of encodeExactNumber. `field` names the value in errors.
 *
 * @throws TypeError `FIELD: expected a number ...` for anything else.
 * @example
 * decodeExactNumber('-Infinity', 'v'); // -Infinity
 */
export function decodeExactNumber(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  switch (value) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
    default:
      throw new TypeError(`${field}: expected a number (or "NaN", "Infinity", "-Infinity", "-0"), got ${JSON.stringify(value) ?? String(value)}`);
  }
}

/** An OptimizerState as JSON (buffers as arrays of ExactNumber): for small states and tests. */
export interface OptimizerStateJson {
  step: number;
  buffers: ExactNumber[][];
  scalars: Record<string, ExactNumber>;
}

/** The scalars and step of an optimizer state, for JSON metadata beside an .npz of its buffers. */
export interface OptimizerStateMeta {
  step: number;
  /** Number of buffers, stored as `${prefix}buffer_${i}` in the .npz. */
  buffers: number;
  scalars: Record<string, ExactNumber>;
}

/**
 * A deep copy (fresh buffers).
 *
 * @example
 * const saved = cloneOptimizerState(state);
 */
export function cloneOptimizerState(state: OptimizerState): OptimizerState {
  return { step: state.step, buffers: state.buffers.map((b) => b.slice()), scalars: { ...state.scalars } };
}

function encodeScalars(scalars: Record<string, number>): Record<string, ExactNumber> {
  const out: Record<string, ExactNumber> = {};
  for (const [k, v] of Object.entries(scalars)) out[k] = encodeExactNumber(v);
  return out;
}

function decodeScalars(value: unknown, field: string): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${field}: expected an object of numbers`);
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) out[k] = decodeExactNumber(v, `${field}.${k}`);
  return out;
}

function decodeStep(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${field}: expected a non-negative integer, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

/**
 * The state as plain JSON data (exact: see encodeExactNumber).
 *
 * @example
 * const text = JSON.stringify(optimizerStateToJson(state));
 * optimizerStateFromJson(JSON.parse(text)); // equal to state, bit for bit
 */
export function optimizerStateToJson(state: OptimizerState): OptimizerStateJson {
  return {
    step: state.step,
    buffers: state.buffers.map((b) => Array.from(b, encodeExactNumber)),
    scalars: encodeScalars(state.scalars),
  };
}

/**
 * The inverse of optimizerStateToJson, validating the shape of the data.
 *
 * @throws TypeError naming the bad field (`optimizer.step: expected ...`).
 * @example
 * const state = optimizerStateFromJson(JSON.parse(text));
 */
export function optimizerStateFromJson(json: unknown, field = 'optimizer'): OptimizerState {
  if (typeof json !== 'object' || json === null) throw new TypeError(`${field}: expected an object`);
  const j = json as Record<string, unknown>;
  const step = decodeStep(j.step, `${field}.step`);
  if (!Array.isArray(j.buffers)) throw new TypeError(`${field}.buffers: expected an array of arrays`);
  const buffers = j.buffers.map((b, i) => {
    if (!Array.isArray(b)) throw new TypeError(`${field}.buffers[${i}]: expected an array of numbers`);
    return Float64Array.from(b, (x, k) => decodeExactNumber(x, `${field}.buffers[${i}][${k}]`));
  });
  return { step, buffers, scalars: decodeScalars(j.scalars, `${field}.scalars`) };
}

/**
 * Splits the state into float64 arrays (the buffers, named `${prefix}buffer_${i}`,
 * 1-D) and JSON metadata (step, buffer count, exact scalars): the checkpoint form.
 * The arrays share the state's storage.
 *
 * @example
 * const { arrays, meta } = serializeOptimizerState(state, 'optim_');
 * const back = deserializeOptimizerState(arrays, meta, 'optim_');
 */
export function serializeOptimizerState(
  state: OptimizerState,
  prefix = 'optim_',
): { arrays: Map<string, NdArray>; meta: OptimizerStateMeta } {
  const arrays = new Map<string, NdArray>();
  state.buffers.forEach((b, i) => arrays.set(`${prefix}buffer_${i}`, { dtype: 'float64', shape: [b.length], data: b }));
  return { arrays, meta: { step: state.step, buffers: state.buffers.length, scalars: encodeScalars(state.scalars) } };
}

/**
 * The inverse of serializeOptimizerState. Buffers are copied out of the arrays.
 *
 * @throws TypeError naming the missing or malformed field.
 * @example
 * const state = deserializeOptimizerState(readNpzFile('checkpoint.npz'), meta.optimizer, 'optim_');
 */
export function deserializeOptimizerState(
  arrays: Map<string, NdArray>,
  meta: unknown,
  prefix = 'optim_',
  field = 'optimizer',
): OptimizerState {
  if (typeof meta !== 'object' || meta === null) throw new TypeError(`${field}: expected an object`);
  const m = meta as Record<string, unknown>;
  const step = decodeStep(m.step, `${field}.step`);
  const count = decodeStep(m.buffers, `${field}.buffers`);
  const buffers: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}buffer_${i}`;
    const nd = arrays.get(name);
    if (nd === undefined) throw new TypeError(`${name}: missing (an optimizer buffer)`);
    if (nd.dtype !== 'float64' || nd.shape.length !== 1) {
      throw new TypeError(`${name}: expected a 1-D float64 array, got ${nd.dtype} of ${nd.shape.length} dimensions`);
    }
    buffers.push((nd.data as Float64Array).slice());
  }
  return { step, buffers, scalars: decodeScalars(m.scalars, `${field}.scalars`) };
}
