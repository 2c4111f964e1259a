/**
 * The model factory: a ModelSpec, a problem and a loss in, a Model out.
 */

import type { Backend } from '../linalg/backend.js';
import { backend } from '../linalg/select.js';
import type { Problem } from '../problems/problem.js';
import { AsymmetricModel } from './asymmetric.js';
import { type ModelOptions, isIntAtLeast } from './core.js';
import { DeepModel } from './deep.js';
import type { LossKind, Model, ModelSpec } from './model.js';
import { PsdModel } from './psd.js';
import { UduModel } from './udu.js';

export { AsymmetricModel } from './asymmetric.js';
export { type ModelOptions, type SparseChoice, SPARSE_COST_RATIO, sparseIsCheaper } from './core.js';
export { DeepModel, deepDims } from './deep.js';
export { PsdModel } from './psd.js';
export { UduModel } from './udu.js';

/**
 * Builds the model a spec describes, bound to `problem` and `loss`, after checking the
 * spec against the problem. Every failure is one line naming the bad field: `model`
 * (unknown kind; psd and udu need n1 = n2), `width` (an integer >= 1), `depth` (an
 * integer >= 1), `widths` (hidden widths that do not chain), `radius` (positive),
 * `loss` (mse or half-sse).
 *
 * `options.sparse` chooses how a sparse adjoint is multiplied (see SparseChoice);
 * the default `auto` picks the faster form for the backend.
 *
 * @example
 * const model = createModel({ kind: 'deep', depth: 3 }, problem, 'mse');
 * const params = initialize({ kind: 'gaussian', scale: 1e-3 }, model, problem, Random.fromSeed(0));
 * const grads = model.factorShapes.map(([r, c]) => zeros(r, c));
 * const loss = model.lossAndGradient(params, grads);
 */
export function createModel(spec: ModelSpec, problem: Problem, loss: LossKind, be: Backend = backend(), options: ModelOptions = {}): Model {
  if (spec === null || typeof spec !== 'object') throw new RangeError(`model: expected a model spec object, got ${String(spec)}`);
  if (loss !== 'mse' && loss !== 'half-sse') throw new RangeError(`loss: expected "mse" or "half-sse", got "${String(loss)}"`);
  const { n1, n2 } = problem;
  switch (spec.kind) {
    case 'psd':
    case 'udu': {
      if (n1 !== n2) throw new RangeError(`model: ${spec.kind} needs a square problem (n1 = n2), got ${n1}x${n2}`);
      checkWidth(spec.width);
      if (spec.kind === 'psd') return new PsdModel(problem, loss, spec.width, be, options);
      return new UduModel(problem, loss, spec.width, spec.radius ?? 1, be, options);
    }
    case 'asymmetric':
      checkWidth(spec.width);
      return new AsymmetricModel(problem, loss, spec.width, be, options);
    case 'deep':
      return new DeepModel(problem, loss, spec.depth, spec.widths, be, options);
    default:
      throw new RangeError(`model: expected "psd", "asymmetric", "deep" or "udu", got "${String((spec as { kind?: unknown }).kind)}"`);
  }
}

function checkWidth(width: unknown): void {
  if (!isIntAtLeast(width, 1)) throw new RangeError(`width: expected an integer >= 1, got ${String(width)}`);
}
