import type { Backend } from '../linalg/backend.js';
import type { Mat } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkUpdateArgs, positiveFinite, unitInterval } from './validate.js';

/** Options of GroupRMSprop (Arora, Cohen, Hu, Luo 2019). */
export interface GroupRmspropOptions {
  /** Base step size, positive and finite. */
  lr: number;
  /** Decay of the global second moment, in [0, 1). Default 0.99. */
  alpha?: number;
  /** Added to sqrt(v_hat) in the denominator, positive. Default 1e-4. */
  eps?: number;
}

/** GroupRMSprop with its resolved options. */
export interface GroupRmspropOptimizer extends Optimizer {
  readonly name: 'grouprmsprop';
  readonly options: Readonly<Required<GroupRmspropOptions>>;
}

/**
 * GroupRMSprop of Arora et al. (2019): ONE global scalar second moment shared by all
 * parameters, so that every factor moves by the same adaptive step size. At update t
 * (t = 1, 2, ...):
 *
 *   v     <- alpha v + (1 - alpha) sum over all parameters of ||g||_F^2   (v_0 = 0)
 *   v_hat  = v / (1 - alpha^t)
 *   step   = lr / (sqrt(v_hat) + eps)
 *   p     <- p - step * g   for every parameter.
 *
 * State: `scalars.v` (the global second moment), no buffers. In place, allocation-free.
 * The sum of squares is one Backend.dot per gradient and the step one Backend.axpy per
 * parameter, on `be` when given, else on the backend in use at each update.
 *
 * @throws RangeError naming `lr`, `alpha` or `eps` when out of range.
 * @example
 * const opt = groupRmsprop({ lr: 1e-3 });       // alpha 0.99, eps 1e-4
 * const state = opt.init(params);               // { step: 0, buffers: [], scalars: { v: 0 } }
 * opt.update(params, grads, state);
 */
export function groupRmsprop(options: GroupRmspropOptions, be?: Backend): GroupRmspropOptimizer {
  const lr = positiveFinite('lr', options.lr);
  const alpha = unitInterval('alpha', options.alpha ?? 0.99);
  const eps = positiveFinite('eps', options.eps ?? 1e-4);
  return {
    name: 'grouprmsprop',
    options: Object.freeze({ lr, alpha, eps }),
    init(): OptimizerState {
      return { step: 0, buffers: [], scalars: { v: 0 } };
    },
    update(params: Mat[], grads: readonly Mat[], state: OptimizerState): void {
      checkUpdateArgs('grouprmsprop', params, grads, state, 0);
      const v0 = state.scalars.v;
      if (typeof v0 !== 'number') throw new RangeError('state.scalars.v: expected a number (a GroupRMSprop state)');
      const b = be ?? backend();
      let sq = 0;
      for (let k = 0; k < grads.length; k++) sq += b.dot(grads[k].data, grads[k].data);
      const t = state.step + 1;
      const v = alpha * v0 + (1 - alpha) * sq;
      const vHat = v / (1 - Math.pow(alpha, t));
      const step = lr / (Math.sqrt(vHat) + eps);
      for (let k = 0; k < params.length; k++) b.axpy(-step, grads[k].data, params[k].data);
      state.scalars.v = v;
      state.step = t;
    },
  };
}
