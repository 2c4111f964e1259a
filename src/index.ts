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
export { VERSION } from './version.js';
