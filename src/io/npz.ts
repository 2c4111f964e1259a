/**
 * NumPy .npz archives (a zip of .npy members, as np.savez and
 * np.savez_compressed write them) and the conversions between NdArray and the
 * project's types (Mat, vectors, index arrays, flags).
 *
 * Browser-safe: no Node imports.
 */

import type { Mat } from '../linalg/mat.js';
import { FormatError } from './errors.js';
import { checkNdArray, encodeNpy, formatShape, parseNpy, type NdArray } from './npy.js';
import { readZip, writeZip } from './zip.js';

const NPY_SUFFIX = '.npy';

/**
 * Reads an .npz archive into a map from array name (the member name without
 * `.npy`) to array, in archive order. `source` names the archive in errors.
 *
 * @throws FormatError naming `source` (and the member): not a zip archive,
 *   truncation, a CRC mismatch, a malformed member, a duplicate name, or a
 *   member that is not a .npy file.
 * @example
 * const arrays = readNpz(bytes, 'P.npz');
 * arrays.get('y')?.shape; // [100]
 */
export function readNpz(bytes: Uint8Array, source: string): Map<string, NdArray> {
  const out = new Map<string, NdArray>();
  for (const member of readZip(bytes, source)) {
    const where = `${source}: member "${member.name}"`;
    if (!member.name.endsWith(NPY_SUFFIX)) throw new FormatError(where, 'not a .npy member (the name should end in .npy)');
    const key = member.name.slice(0, -NPY_SUFFIX.length);
    if (out.has(key)) throw new FormatError(where, 'duplicate member name');
    out.set(key, parseNpy(member.data, where));
  }
  return out;
}

/**
 * Encodes arrays as an .npz archive that `np.load` opens: one `NAME.npy`
 * member per entry, in order, stored (default) or deflated (`compress: true`,
 * as np.savez_compressed). The output is deterministic (fixed timestamps).
 *
 * @throws RangeError for an empty name or an inconsistent array.
 * @example
 * const bytes = encodeNpz({ y: ndFromVector([1, 2, 3]) }, { compress: true });
 * readNpz(bytes, 'P.npz').get('y')?.data; // Float64Array [1, 2, 3]
 */
export function encodeNpz(
  entries: Record<string, NdArray> | Map<string, NdArray>,
  options: { compress?: boolean } = {},
): Uint8Array {
  const list = entries instanceof Map ? [...entries] : Object.entries(entries);
  const members = list.map(([name, nd]) => {
    if (name.length === 0) throw new RangeError('npz: array names must not be empty');
    checkNdArray(nd, `npz array "${name}"`);
    return { name: name + NPY_SUFFIX, data: encodeNpy(nd) };
  });
  return writeZip(members, { compress: options.compress === true });
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

function fieldError(nd: NdArray | undefined, field: string, source: string, expected: string): FormatError {
  const where = `${source}: field "${field}"`;
  if (nd === undefined) return new FormatError(where, `missing (expected ${expected})`);
  return new FormatError(where, `expected ${expected}, got a ${nd.dtype} array of shape ${formatShape(nd.shape)}`);
}

/** The entries as float64, from any numeric dtype (bool refused); int64 must be exactly representable. */
function toFloat64(nd: NdArray, field: string, source: string, expected: string): Float64Array {
  switch (nd.dtype) {
    case 'float64':
      return nd.data as Float64Array;
    case 'float32':
    case 'int32':
      return Float64Array.from(nd.data as Float32Array | Int32Array);
    case 'int64': {
      const src = nd.data as BigInt64Array;
      const out = new Float64Array(src.length);
      const limit = BigInt(Number.MAX_SAFE_INTEGER);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v > limit || v < -limit) {
          throw new FormatError(`${source}: field "${field}"`, `entry ${i} (${v}) is beyond 2^53 and cannot be represented as float64 exactly`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    default:
      throw fieldError(nd, field, source, expected);
  }
}

/**
 * An NdArray of a matrix: float64, shape [rows, cols], sharing the Mat's storage.
 *
 * @example
 * encodeNpz({ X: ndFromMat(matFrom([[1, 2], [3, 4]])) });
 */
export function ndFromMat(m: Mat): NdArray {
  return { dtype: 'float64', shape: [m.rows, m.cols], data: m.data };
}

/**
 * The matrix held by a 2-D array. float32, int32 and int64 are converted to
 * float64; a float64 array's storage is shared, not copied. `field` and
 * `source` name the array and its file in errors.
 *
 * @throws FormatError if the array is missing, not 2-D, or bool.
 * @example
 * const X = matFromNd(arrays.get('X_star'), 'X_star', 'P.npz'); // X.rows, X.cols
 */
export function matFromNd(nd: NdArray | undefined, field: string, source: string): Mat {
  const expected = 'a 2-D numeric array';
  if (nd === undefined || nd.shape.length !== 2) throw fieldError(nd, field, source, expected);
  return { rows: nd.shape[0], cols: nd.shape[1], data: toFloat64(nd, field, source, expected) };
}

/**
 * The float64 vector held by a 1-D numeric array (float32 and integers converted).
 *
 * @throws FormatError if the array is missing, not 1-D, or bool.
 * @example
 * const y = vectorFromNd(arrays.get('y'), 'y', 'P.npz'); // Float64Array
 */
export function vectorFromNd(nd: NdArray | undefined, field: string, source: string): Float64Array {
  const expected = 'a 1-D numeric array';
  if (nd === undefined || nd.shape.length !== 1) throw fieldError(nd, field, source, expected);
  return toFloat64(nd, field, source, expected);
}

/** Bounds for indicesFromNd: every value must lie in [min, max). */
export interface IndexBounds {
  /** Smallest allowed value (default 0: negative values are refused). */
  min?: number;
  /** One past the largest allowed value, e.g. the number of rows (default 2^31). */
  max?: number;
}

/**
 * The integers held by a 1-D int64 or int32 array, as an Int32Array, each
 * checked to lie in [min, max) (default [0, 2^31)); e.g. row indices with
 * `{ max: n1 }`. Float and bool arrays are refused.
 *
 * @throws FormatError naming the field, the offending entry and the bounds.
 * @example
 * const rows = indicesFromNd(arrays.get('rows'), 'rows', 'P.npz', { max: n1 });
 */
export function indicesFromNd(nd: NdArray | undefined, field: string, source: string, bounds: IndexBounds = {}): Int32Array {
  const min = bounds.min ?? 0;
  const max = bounds.max ?? 2 ** 31;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= -(2 ** 31) && max <= 2 ** 31)) {
    throw new RangeError(`indicesFromNd: bounds must be integers within the int32 range, got [${min}, ${max})`);
  }
  if (nd === undefined || nd.shape.length !== 1 || (nd.dtype !== 'int64' && nd.dtype !== 'int32')) {
    throw fieldError(nd, field, source, 'a 1-D integer array (int64 or int32)');
  }
  const src = nd.data as BigInt64Array | Int32Array;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    // Compare as bigint for int64 so that huge values cannot be rounded into range.
    const ok = typeof v === 'bigint' ? v >= BigInt(min) && v < BigInt(max) : v >= min && v < max;
    if (!ok) {
      throw new FormatError(`${source}: field "${field}"`, `entry ${i} is ${v}, expected an integer in [${min}, ${max})`);
    }
    out[i] = Number(v);
  }
  return out;
}

/**
 * A float64 1-D NdArray of a vector (a Float64Array is shared, anything else copied).
 *
 * @example
 * encodeNpz({ y: ndFromVector([0.5, 1.5]) });
 */
export function ndFromVector(v: Float64Array | ArrayLike<number>): NdArray {
  const data = v instanceof Float64Array ? v : Float64Array.from(v);
  return { dtype: 'float64', shape: [data.length], data };
}

/**
 * An int64 1-D NdArray of integers (indices, a shape such as [n1, n2]).
 *
 * @throws RangeError if a value is not a safe integer.
 * @example
 * encodeNpz({ shape: ndFromIndices([n1, n2]), rows: ndFromIndices(rows) });
 */
export function ndFromIndices(values: ArrayLike<number>): NdArray {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isSafeInteger(v)) throw new RangeError(`ndFromIndices: entry ${i} is ${v}, expected an integer`);
    data[i] = BigInt(v);
  }
  return { dtype: 'int64', shape: [data.length], data };
}

/**
 * A bool NdArray (1-D unless `shape` is given) of flags: true or non-zero is 1.
 *
 * @example
 * encodeNpz({ psd: ndFromBool([true]) });
 */
export function ndFromBool(values: ArrayLike<boolean | number>, shape: number[] = [values.length]): NdArray {
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i] ? 1 : 0;
  const nd: NdArray = { dtype: 'bool', shape: shape.slice(), data };
  checkNdArray(nd, 'ndFromBool');
  return nd;
}
