/** The papers' metrics: norms, effective rank, reconstruction errors, held-out loss, gradient alignment. */
export { nuclearNorm } from './nuclear.js';
export { schattenNorm } from './schatten.js';
export { effectiveRank } from './effective-rank.js';
export { reconMse, reconRel } from './reconstruction.js';
export { gradientAlignment, type GradientAlignment } from './alignment.js';
export { heldOutLoss } from './held-out.js';
export { spectralFigures, type SpectralFigures, type SpectralOptions } from './spectral.js';
export { isMat, singularValuesOf, type MatOrSingularValues } from './values.js';
