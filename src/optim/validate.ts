/**
 * One-line validation of optimizer options, shared by the optimizer factories and
 * createOptimizer. Every message names the field and says what was expected, e.g.
 * `lr: expected a positive finite number, got -0.1`.
 */

import type { Mat } from '../linalg/mat.js';
import type { OptimizerState } from './optimizer.js';

/**
 * Formats a value for an error message: numbers as JS prints them, strings quoted.
 *
 * @example
 * describeValue(-0.1);  // '-0.1'
 * describeValue('sgd'); // '"sgd"'
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}

/**
 * A positive finite number, or throws `FIELD: expected a positive finite number, got V`.
 *
 * @example
 * positiveFinite('lr', 0.01); // 0.01
 * positiveFinite('lr', -0.1); // throws RangeError('lr: expected a positive finite number, got -0.1')
 */
export function positiveFinite(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${field}: expected a positive finite number, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * A number in [0, 1) (a decay rate such as momentum, beta1, alpha), or throws one line.
 *
 * @example
 * unitInterval('beta1', 0.9); // 0.9
 * unitInterval('beta1', 1);   // throws RangeError('beta1: expected a number in [0, 1), got 1')
 */
export function unitInterval(field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new RangeError(`${field}: expected a number in [0, 1), got ${describeValue(value)}`);
  }
  return value;
}

/**
 * A boolean, or throws `FIELD: expected true or false, got V`.
 *
 * @example
 * booleanOption('nesterov', true); // true
 */
export function booleanOption(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${field}: expected true or false, got ${describeValue(value)}`);
  return value;
}

/**
 * Checks the arguments of an update: as many gradients as parameters, equal shapes,
 * and the buffers an optimizer keeps (count and lengths). Allocation-free.
 *
 * @example
 * checkUpdateArgs('adam', params, grads, state, 2); // two buffers per parameter
 */
export function checkUpdateArgs(
  name: string,
  params: readonly Mat[],
  grads: readonly Mat[],
  state: OptimizerState,
  buffersPerParam: number,
): void {
  if (grads.length !== params.length) {
    throw new RangeError(`grads: expected ${params.length} gradients (one per parameter), got ${grads.length}`);
  }
  if (state.buffers.length !== buffersPerParam * params.length) {
    throw new RangeError(
      `state.buffers: ${name} expects ${buffersPerParam * params.length} buffers for ${params.length} parameters, got ${state.buffers.length}`,
    );
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i], g = grads[i];
    if (g.rows !== p.rows || g.cols !== p.cols) {
      throw new RangeError(`grads[${i}]: expected shape ${p.rows}x${p.cols} like params[${i}], got ${g.rows}x${g.cols}`);
    }
    for (let b = 0; b < buffersPerParam; b++) {
      const buf = state.buffers[b * params.length + i];
      if (buf.length !== p.data.length) {
        throw new RangeError(`state.buffers[${b * params.length + i}]: expected length ${p.data.length}, got ${buf.length}`);
      }
    }
  }
}
