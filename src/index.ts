/**
 * implab: a laboratory for the implicit regularization of gradient descent on
 * matrix factorizations. This entry point is the library; the CLI is src/cli.
 */
export * from './linalg/mat.js';
export type { Backend, BackendInfo, SymmetricEigen, ThinSvd } from './linalg/backend.js';
export { LinalgError } from './linalg/backend.js';
export { backend, getBackend, setBackend, nativeStatus, type BackendName, type NativeStatus } from './linalg/select.js';
export { expm } from './linalg/expm.js';
export { psdPower, symmetricFunction } from './linalg/symmetric-functions.js';
export { selfCheck, type SelfCheckRow } from './linalg/selfcheck.js';
export { Random, type RandomState } from './rng/random.js';
export { haarOrthogonal } from './rng/orthogonal.js';
export * from './io/index.js';
export * from './linalg/sparse.js';
export * from './problems/operator.js';
export type { Problem, HeldOutEntries } from './problems/problem.js';
export * from './problems/operators/index.js';
export * from './problems/generate.js';
export * from './problems/ground-truth.js';
export * from './problems/file.js';
export type { Model, ModelSpec, ModelKind, LossKind } from './models/model.js';
export * from './optim/index.js';
export * from './metrics/index.js';
export * from './train/index.js';
export { VERSION } from './version.js';
export { dopri5 } from './flow/dopri5.js';
export { dop853 } from './flow/dop853.js';
export { rodas4, type RosenbrockOptions } from './flow/rosenbrock.js';
export { integrate, ODE_METHODS, type OdeMethod } from './flow/integrate.js';
export type { OdeOptions, OdeResult, OdeRhs, OdeState } from './flow/adaptive.js';
export { modelFlow, type ModelFlow } from './flow/model-flow.js';
export { psdFlow, type PsdFlow } from './flow/psd-flow.js';
export { steer, SteerStepper, type SteerOptions, type SteerResult, type SteerState } from './flow/steer.js';
export { followFlow, resolveFlowSettings, flowRecordTimes, type FlowSettings, type FlowRecord, type FlowResult, type FlowStatus } from './flow/follow.js';
export { commutingFlowLimit, type CommutingLimit } from './flow/commuting.js';
export { minL1Nonnegative, commutingBaseline, type MinL1Result } from './baselines/min-l1-nonneg.js';
export { createModel } from './models/create.js';
export { initialize, type InitSpec } from './models/init.js';
export { minNuclearNorm, type NnmOptions, type NnmResult } from './baselines/nnm.js';
export { psdProjectedGradient } from './baselines/psd-pgd.js';
