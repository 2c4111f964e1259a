/**
 * The browser-safe part of the I/O layer: .npy and .npz encoding and parsing,
 * zip archives, CRC-32 and the errors. Reading and writing files on disk is in
 * ./files.js (Node only), deliberately not re-exported here.
 */

export { crc32 } from './crc32.js';
export { FileError, FormatError } from './errors.js';
export { checkNdArray, encodeNpy, formatShape, parseNpy, shapeSize, type DType, type NdArray } from './npy.js';
export {
  encodeNpz,
  indicesFromNd,
  matFromNd,
  ndFromBool,
  ndFromIndices,
  ndFromMat,
  ndFromVector,
  readNpz,
  vectorFromNd,
  type IndexBounds,
} from './npz.js';
export { readZip, writeZip, type ZipMember, type ZipWriteOptions } from './zip.js';
export { parseRatings, RATINGS_HEADER, type Ratings } from './ratings.js';
