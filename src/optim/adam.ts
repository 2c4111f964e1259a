import type { Mat } from '../linalg/mat.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkUpdateArgs, positiveFinite, unitInterval } from './validate.js';

/** Options of Adam (Kingma and Ba 2015). */
export interface AdamOptions {
  /** Step size, positive and finite. */
  lr: number;
  /** First-moment decay in [0, 1). Default 0.9. */
  beta1?: number;
  /** Second-moment decay in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v_hat), positive. Default 1e-8. */
  eps?: number;
}

/** Adam with its resolved options. */
export interface AdamOptimizer extends Optimizer {
  readonly name: 'adam';
  readonly options: Readonly<Required<AdamOptions>>;
}

/**
 * Adam with bias correction, elementwise, exactly as Algorithm 1 of Kingma and Ba
 * (m_0 = v_0 = 0, update t = 1, 2, ...):
 *
 *   m <- beta1 m + (1 - beta1) g
 *   v <- beta2 v + (1 - beta2) g^2
 *   p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 *
 * State: buffers[0 .. P-1] = m of each parameter, buffers[P .. 2P-1] = v. In place,
 * allocation-free.
 *
 * @throws RangeError naming `lr`, `beta1`, `beta2` or `eps`.
 * @example
 * const opt = adam({ lr: 1e-3 });     // beta1 0.9, beta2 0.999, eps 1e-8
 * const state = opt.init(params);     // 2 zero buffers per parameter
 * opt.update(params, grads, state);
 */
export function adam(options: AdamOptions): AdamOptimizer {
  const lr = positiveFinite('lr', options.lr);
  const beta1 = unitInterval('beta1', options.beta1 ?? 0.9);
  const beta2 = unitInterval('beta2', options.beta2 ?? 0.999);
  const eps = positiveFinite('eps', options.eps ?? 1e-8);
  return {
    name: 'adam',
    options: Object.freeze({ lr, beta1, beta2, eps }),
    init(params: readonly Mat[]): OptimizerState {
      const m = params.map((p) => new Float64Array(p.data.length));
      const v = params.map((p) => new Float64Array(p.data.length));
      return { step: 0, buffers: [...m, ...v], scalars: {} };
    },
    update(params: Mat[], grads: readonly Mat[], state: OptimizerState): void {
      checkUpdateArgs('adam', params, grads, state, 2);
      const t = state.step + 1;
      const bc1 = 1 - Math.pow(beta1, t);
      const bc2 = 1 - Math.pow(beta2, t);
      const n = params.length;
      for (let k = 0; k < n; k++) {
        const p = params[k].data, g = grads[k].data, m = state.buffers[k], v = state.buffers[n + k];
        for (let i = 0; i < p.length; i++) {
          const gi = g[i];
          const mi = beta1 * m[i] + (1 - beta1) * gi;
          const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
          m[i] = mi;
          v[i] = vi;
          p[i] -= (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
        }
      }
      state.step = t;
    },
  };
}
