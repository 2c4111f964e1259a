import type { Mat } from '../linalg/mat.js';

/**
 * An optimizer's state: plain, serializable data (numbers and Float64Arrays), so that
 * a checkpoint holds it exactly and a resumed run continues bit for bit.
 */
export interface OptimizerState {
  /** Updates taken so far. */
  step: number;
  /** Per-parameter buffers (momentum, second moments), in parameter order. */
  buffers: Float64Array[];
  /** Scalars (e.g. GroupRMSprop's global second moment). */
  scalars: Record<string, number>;
}

/**
 * An optimizer as an {init, update} pair in the optax style, with one difference made
 * for speed: update writes the new parameters and state in place instead of returning
 * new ones, so that a training step allocates nothing.
 */
export interface Optimizer {
  readonly name: string;
  init(params: readonly Mat[]): OptimizerState;
  /** params <- params - step(grads, state); state advanced. */
  update(params: Mat[], grads: readonly Mat[], state: OptimizerState): void;
}
