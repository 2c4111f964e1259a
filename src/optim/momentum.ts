import type { Backend } from '../linalg/backend.js';
import type { Mat } from '../linalg/mat.js';
import { backend } from '../linalg/select.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { booleanOption, checkUpdateArgs, positiveFinite, unitInterval } from './validate.js';

/** Options of heavy-ball and Nesterov momentum. */
export interface MomentumOptions {
  /** Step size, positive and finite. */
  lr: number;
  /** Momentum coefficient mu in [0, 1). Default 0.9. */
  momentum?: number;
  /** Nesterov's look-ahead form instead of heavy ball. Default false. */
  nesterov?: boolean;
}

/** Momentum with its resolved options. */
export interface MomentumOptimizer extends Optimizer {
  readonly name: 'momentum';
  readonly options: Readonly<Required<MomentumOptions>>;
}

/**
 * Gradient descent with momentum, in PyTorch's form (no dampening), one velocity
 * buffer b per parameter (b_0 = 0):
 *
 *   heavy ball:  b <- mu b + g;  p <- p - lr b
 *   Nesterov:    b <- mu b + g;  p <- p - lr (g + mu b)
 *
 * With a constant lr these equal Polyak's v <- mu v - lr g; p <- p + v and
 * Sutskever et al.'s Nesterov form. State: `buffers[i]` = b of parameter i. In place,
 * allocation-free.
 *
 * Every pass is a Backend.axpy (on `be` when given, else on the backend in use at each
 * update): b <- b + (mu - 1) b (for mu >= 1/2, mu - 1 is exact, so with a fused
 * multiply-add this is mu b correctly rounded; else within two roundings of it),
 * b <- b + g, p <- p - lr b; Nesterov takes p <- p - lr g and
 * p <- p - (lr mu) b instead of the last. On native, 3 x 10^4 parameters take ~11 us
 * (heavy ball) against ~42 us for one fused JS loop.
 *
 * @throws RangeError naming `lr` or `momentum`; TypeError naming `nesterov`.
 * @example
 * const opt = momentum({ lr: 0.01, momentum: 0.9, nesterov: true });
 * const state = opt.init(params); // one zero buffer per parameter
 * opt.update(params, grads, state);
 */
export function momentum(options: MomentumOptions, be?: Backend): MomentumOptimizer {
  const lr = positiveFinite('lr', options.lr);
  const mu = unitInterval('momentum', options.momentum ?? 0.9);
  const nesterov = booleanOption('nesterov', options.nesterov ?? false);
  return {
    name: 'momentum',
    options: Object.freeze({ lr, momentum: mu, nesterov }),
    init(params: readonly Mat[]): OptimizerState {
      return { step: 0, buffers: params.map((p) => new Float64Array(p.data.length)), scalars: {} };
    },
    update(params: Mat[], grads: readonly Mat[], state: OptimizerState): void {
      checkUpdateArgs('momentum', params, grads, state, 1);
      const bk = be ?? backend();
      for (let k = 0; k < params.length; k++) {
        const p = params[k].data, g = grads[k].data, b = state.buffers[k];
        bk.axpy(mu - 1, b, b);
        bk.axpy(1, g, b);
        if (nesterov) {
          bk.axpy(-lr, g, p);
          bk.axpy(-lr * mu, b, p);
        } else {
          bk.axpy(-lr, b, p);
        }
      }
      state.step += 1;
    },
  };
}
