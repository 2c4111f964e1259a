import type { Mat } from '../linalg/mat.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkUpdateArgs, positiveFinite } from './validate.js';

/** Options of plain gradient descent. */
export interface GdOptions {
  /** Step size (learning rate), positive and finite. */
  lr: number;
}

/** Plain gradient descent, with its resolved options. */
export interface GdOptimizer extends Optimizer {
  readonly name: 'gd';
  readonly options: Readonly<GdOptions>;
}

/**
 * Plain gradient descent: p <- p - lr * g for every parameter. Stateless apart from
 * the step count (no buffers, no scalars). Updates in place, allocates nothing.
 *
 * @throws RangeError `lr: expected a positive finite number, got ...`.
 * @example
 * const opt = gd({ lr: 0.01 });
 * const state = opt.init(params);
 * model.lossAndGradient(params, grads);
 * opt.update(params, grads, state); // params moved by -0.01 * grads
 */
export function gd(options: GdOptions): GdOptimizer {
  const lr = positiveFinite('lr', options.lr);
  return {
    name: 'gd',
    options: Object.freeze({ lr }),
    init(): OptimizerState {
      return { step: 0, buffers: [], scalars: {} };
    },
    update(params: Mat[], grads: readonly Mat[], state: OptimizerState): void {
      checkUpdateArgs('gd', params, grads, state, 0);
      for (let k = 0; k < params.length; k++) {
        const p = params[k].data, g = grads[k].data;
        for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
      }
      state.step += 1;
    },
  };
}
