import type { Mat } from '../linalg/mat.js';
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
 * @throws RangeError naming `lr` or `momentum`; TypeError naming `nesterov`.
 * @example
 * const opt = momentum({ lr: 0.01, momentum: 0.9, nesterov: true });
 * const state = opt.init(params); // one zero buffer per parameter
 * opt.update(params, grads, state);
 */
export function momentum(options: MomentumOptions): MomentumOptimizer {
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
      for (let k = 0; k < params.length; k++) {
        const p = params[k].data, g = grads[k].data, b = state.buffers[k];
        if (nesterov) {
          for (let i = 0; i < p.length; i++) {
            const bi = mu * b[i] + g[i];
            b[i] = bi;
            p[i] -= lr * (g[i] + mu * bi);
          }
        } else {
          for (let i = 0; i < p.length; i++) {
            const bi = mu * b[i] + g[i];
            b[i] = bi;
            p[i] -= lr * bi;
          }
        }
      }
      state.step += 1;
    },
  };
}
