/** The training loop and its exactly serializable state. */
export {
  defaultSchattenP,
  resolveTrainConfig,
  train,
  type HistoryRecord,
  type ResolvedTrainConfig,
  type TrainArgs,
  type TrainConfig,
  type TrainHooks,
  type TrainResult,
  type TrainStatus,
} from './loop.js';
export { cloneTrainState, deserializeTrainState, serializeTrainState, type TrainState, type TrainStateMeta } from './state.js';
export { historyRecord, type RecordOptions } from './record.js';
