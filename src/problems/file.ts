/**
 * The problem file of DESIGN (an .npz): `shape` int64 [2] = [n1, n2]; sensing `A`
 * [m, n1, n2] and `y` [m]; completion `rows`, `cols` int64 [m] and `y` [m]; optional
 * `X_star` [n1, n2], `test_rows`, `test_cols`, `test_y` (held-out entries) and `psd`
 * bool [1].
 *
 * Diagonal (commuting) and symmetric problems are saved as sensing with the dense A;
 * loading picks the cheapest exact operator again (operatorFromTensor). Loading
 * validates everything and throws a one-line FormatError naming the file and field.
 * Unknown extra fields are ignored. Browser-safe (no fs): pair with readNpzFile /
 * writeNpzFile for files on disk.
 */

import type { Mat } from '../linalg/mat.js';
import { FormatError } from '../io/errors.js';
import { formatShape, shapeSize, type NdArray } from '../io/npy.js';
import { indicesFromNd, ndFromBool, ndFromIndices, ndFromMat, ndFromVector, vectorFromNd } from '../io/npz.js';
import type { MeasurementOperator } from './operator.js';
import { CompletionOperator, findDuplicateEntry } from './operators/completion.js';
import { operatorFromTensor } from './operators/index.js';
import type { HeldOutEntries, Problem } from './problem.js';

/** The fields of a problem file, in the order problemToNd writes them. */
export const PROBLEM_FIELDS = ['shape', 'A', 'rows', 'cols', 'y', 'X_star', 'test_rows', 'test_cols', 'test_y', 'psd'] as const;

function completionEntries(op: MeasurementOperator): { rows: Int32Array; cols: Int32Array } {
  const o = op as Partial<Pick<CompletionOperator, 'rows' | 'cols'>>;
  if (!(o.rows instanceof Int32Array) || !(o.cols instanceof Int32Array)) {
    throw new TypeError('problemToNd: a completion operator must expose its rows and cols');
  }
  return { rows: o.rows, cols: o.cols };
}

/**
 * The arrays of a problem's file, in DESIGN's layout (psd always written).
 *
 * @example
 * writeNpzFile('P.npz', problemToNd(sensing({ n1: 20, n2: 20, m: 100, seed: 1 })), { compress: true });
 */
export function problemToNd(problem: Problem): Map<string, NdArray> {
  const { n1, n2, op } = problem;
  const out = new Map<string, NdArray>();
  out.set('shape', ndFromIndices([n1, n2]));
  if (op.kind === 'completion') {
    const { rows, cols } = completionEntries(op);
    out.set('rows', ndFromIndices(rows));
    out.set('cols', ndFromIndices(cols));
  } else {
    out.set('A', { dtype: 'float64', shape: [op.m, n1, n2], data: op.toDenseTensor() });
  }
  out.set('y', ndFromVector(problem.y));
  if (problem.xStar) out.set('X_star', ndFromMat(problem.xStar));
  if (problem.test) {
    out.set('test_rows', ndFromIndices(problem.test.rows));
    out.set('test_cols', ndFromIndices(problem.test.cols));
    out.set('test_y', ndFromVector(problem.test.y));
  }
  out.set('psd', ndFromBool([problem.psd]));
  return out;
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

function fieldError(source: string, field: string, problem: string): FormatError {
  return new FormatError(`${source}: field "${field}"`, problem);
}

/** A multi-index [i, j, k] of flat position p in a C-order array of the given shape. */
function multiIndex(p: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(p % shape[d]);
    p = Math.floor(p / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

/** The float64 entries of a numeric array of the given rank (any numeric dtype; bool refused), checked finite. */
function floats(arrays: Map<string, NdArray>, field: string, source: string, rank: number, what: string): { data: Float64Array; shape: number[] } {
  const nd = arrays.get(field);
  if (nd === undefined) throw fieldError(source, field, `missing (expected ${what})`);
  if (nd.dtype === 'bool' || nd.shape.length !== rank) {
    throw fieldError(source, field, `expected ${what}, got a ${nd.dtype} array of shape ${formatShape(nd.shape)}`);
  }
  const data = vectorFromNd({ dtype: nd.dtype, shape: [shapeSize(nd.shape)], data: nd.data }, field, source);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw fieldError(source, field, `entry ${multiIndex(i, nd.shape)} is ${data[i]} (expected finite values)`);
  }
  return { data, shape: nd.shape };
}

function duplicateMessage(a: number, b: number, rows: Int32Array, cols: Int32Array, y: Float64Array | undefined): string {
  const where = `entries ${a} and ${b} are both (${rows[a]}, ${cols[a]})`;
  if (y === undefined) return `${where}: each (row, col) may appear once`;
  const kind = y[a] === y[b] ? `duplicate entries with equal values ${y[a]}` : `duplicate entries with contradictory values ${y[a]} and ${y[b]}`;
  return `${where} (${kind}); each (row, col) may appear once`;
}

function entries(
  arrays: Map<string, NdArray>, source: string, n1: number, n2: number, names: { rows: string; cols: string; y: string },
): { rows: Int32Array; cols: Int32Array; y: Float64Array } {
  const rows = indicesFromNd(arrays.get(names.rows), names.rows, source, { max: n1 });
  const cols = indicesFromNd(arrays.get(names.cols), names.cols, source, { max: n2 });
  if (cols.length !== rows.length) throw fieldError(source, names.cols, `expected ${rows.length} entries like "${names.rows}", got ${cols.length}`);
  const y = floats(arrays, names.y, source, 1, `a 1-D float64 array of ${rows.length} values`).data;
  if (y.length !== rows.length) throw fieldError(source, names.y, `expected ${rows.length} values (one per entry of "${names.rows}"), got ${y.length}`);
  const dup = findDuplicateEntry(n1, n2, rows, cols);
  if (dup) throw new FormatError(`${source}: fields "${names.rows}", "${names.cols}"`, duplicateMessage(dup[0], dup[1], rows, cols, y));
  return { rows, cols, y };
}

/**
 * A problem from the arrays of a problem file (e.g. readNpzFile's result); `source`
 * names the file in errors. Float fields accept any numeric dtype (converted to
 * float64); index fields need int64 or int32; `psd` needs bool of shape (1,) (or a
 * 0-d bool).
 *
 * @throws FormatError, one line naming the file and field: a missing field, a wrong
 *   dtype or rank, shapes that disagree, an index out of range (naming the first
 *   offending entry), a duplicate (row, col) entry, a NaN or Inf value, psd with
 *   n1 != n2, or a file with both A and rows/cols.
 * @example
 * const problem = problemFromNd(readNpzFile('P.npz'), 'P.npz');
 */
export function problemFromNd(arrays: Map<string, NdArray>, source: string): Problem {
  const shapeNd = arrays.get('shape');
  const shape = indicesFromNd(shapeNd, 'shape', source, { min: 1 });
  if (shape.length !== 2) throw fieldError(source, 'shape', `expected 2 entries [n1, n2], got ${shape.length}`);
  const [n1, n2] = [shape[0], shape[1]];

  let psd = false;
  const psdNd = arrays.get('psd');
  if (psdNd !== undefined) {
    if (psdNd.dtype !== 'bool' || !(psdNd.shape.length === 0 || (psdNd.shape.length === 1 && psdNd.shape[0] === 1))) {
      throw fieldError(source, 'psd', `expected a bool array of shape (1,), got a ${psdNd.dtype} array of shape ${formatShape(psdNd.shape)}`);
    }
    psd = psdNd.data[0] !== 0;
    if (psd && n1 !== n2) throw fieldError(source, 'psd', `the PSD setting needs a square matrix, but shape is [${n1}, ${n2}]`);
  }

  const hasA = arrays.has('A');
  const hasEntries = arrays.has('rows') || arrays.has('cols');
  if (hasA && hasEntries) throw new FormatError(source, 'has both "A" (sensing) and "rows"/"cols" (completion); expected one kind of problem');
  if (!hasA && !hasEntries) throw new FormatError(source, 'missing field "A" (sensing) or "rows" and "cols" (completion)');

  let op: MeasurementOperator;
  let y: Float64Array;
  if (hasA) {
    const a = floats(arrays, 'A', source, 3, 'a 3-D float64 array [m, n1, n2]');
    const [m, a1, a2] = a.shape;
    if (a1 !== n1 || a2 !== n2) throw fieldError(source, 'A', `shape ${formatShape(a.shape)} disagrees with shape = [${n1}, ${n2}] (expected (m, ${n1}, ${n2}))`);
    y = floats(arrays, 'y', source, 1, `a 1-D float64 array of ${m} values`).data;
    if (y.length !== m) throw fieldError(source, 'y', `expected ${m} values (one per matrix of "A"), got ${y.length}`);
    op = operatorFromTensor(a.data, m, n1, n2);
  } else {
    const e = entries(arrays, source, n1, n2, { rows: 'rows', cols: 'cols', y: 'y' });
    y = e.y;
    op = new CompletionOperator(n1, n2, e.rows, e.cols);
  }

  let xStar: Mat | undefined;
  if (arrays.has('X_star')) {
    const x = floats(arrays, 'X_star', source, 2, `a 2-D float64 array of shape (${n1}, ${n2})`);
    if (x.shape[0] !== n1 || x.shape[1] !== n2) throw fieldError(source, 'X_star', `expected shape (${n1}, ${n2}) as "shape" says, got ${formatShape(x.shape)}`);
    xStar = { rows: n1, cols: n2, data: x.data };
  }

  let test: HeldOutEntries | undefined;
  const testNames = ['test_rows', 'test_cols', 'test_y'] as const;
  const present = testNames.filter((f) => arrays.has(f));
  if (present.length > 0) {
    const missing = testNames.find((f) => !arrays.has(f))!;
    if (present.length < 3) throw fieldError(source, missing, `missing (${present.map((f) => `"${f}"`).join(' and ')} ${present.length === 1 ? 'is' : 'are'} present; held-out entries need all three)`);
    test = entries(arrays, source, n1, n2, { rows: 'test_rows', cols: 'test_cols', y: 'test_y' });
  }
  return { n1, n2, op, y, xStar, test, psd };
}
