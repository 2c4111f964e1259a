/** The optimizers: gd, GroupRMSprop, momentum (heavy ball, Nesterov), Adam; exact state serialization. */
export type { Optimizer, OptimizerState } from './optimizer.js';
export { gd, type GdOptions, type GdOptimizer } from './gd.js';
export { groupRmsprop, type GroupRmspropOptions, type GroupRmspropOptimizer } from './grouprmsprop.js';
export { momentum, type MomentumOptions, type MomentumOptimizer } from './momentum.js';
export { adam, type AdamOptions, type AdamOptimizer } from './adam.js';
export {
  createOptimizer,
  resolveOptimizerSpec,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerSpec,
  type ResolvedOptimizerSpec,
} from './create.js';
export {
  cloneOptimizerState,
  decodeExactNumber,
  deserializeOptimizerState,
  encodeExactNumber,
  optimizerStateFromJson,
  optimizerStateToJson,
  serializeOptimizerState,
  type ExactNumber,
  type OptimizerStateJson,
  type OptimizerStateMeta,
} from './state.js';
