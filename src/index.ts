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
