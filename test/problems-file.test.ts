import { describe, expect, it } from 'vitest';
import { FormatError } from '../src/io/errors.js';
import type { NdArray } from '../src/io/npy.js';
import { encodeNpz, ndFromBool, ndFromIndices, ndFromVector, readNpz } from '../src/io/npz.js';
import { commuting, completion, movielens, razin2x2, sensing } from '../src/problems/generate.js';
import { problemFromNd, problemToNd } from '../src/problems/file.js';
import { CompletionOperator } from '../src/problems/operators/index.js';
import type { Problem } from '../src/problems/problem.js';

function roundTrip(p: Problem, compress = true): Problem {
  const bytes = encodeNpz(problemToNd(p), { compress });
  return problemFromNd(readNpz(bytes, 'P.npz'), 'P.npz');
}

function expectSameProblem(a: Problem, b: Problem): void {
  expect([b.n1, b.n2, b.psd]).toEqual([a.n1, a.n2, a.psd]);
  expect(b.op.kind).toBe(a.op.kind);
  expect(b.op.m).toBe(a.op.m);
  expect(b.y).toEqual(a.y);
  if (a.op.kind === 'completion') {
    expect((b.op as CompletionOperator).rows).toEqual((a.op as CompletionOperator).rows);
    expect((b.op as CompletionOperator).cols).toEqual((a.op as CompletionOperator).cols);
  } else {
    expect(b.op.toDenseTensor()).toEqual(a.op.toDenseTensor());
  }
  expect(b.xStar?.data).toEqual(a.xStar?.data);
  expect(b.test?.rows).toEqual(a.test?.rows);
  expect(b.test?.cols).toEqual(a.test?.cols);
  expect(b.test?.y).toEqual(a.test?.y);
}

const TSV = 'user_id\titem_id\trating\n1\t3\t5\n2\t1\t3\n3\t4\t1\n1\t1\t4.5\n';

describe('problem files: round trip', () => {
  const cases: [string, () => Problem][] = [
    ['dense sensing', () => sensing({ n1: 6, n2: 7, m: 20, rank: 2, seed: 1, noise: 0.1 })],
    ['symmetric sensing', () => sensing({ n1: 6, n2: 6, m: 20, rank: 2, seed: 1, truth: 'psd', symmetric: true })],
    ['commuting (diagonal)', () => commuting({ n: 8, m: 5, rank: 2, seed: 1 })],
    ['completion with test entries', () => completion({ n1: 9, n2: 7, m: 30, rank: 2, seed: 1, testFraction: 0.3 })],
    ['symmetric powerlaw completion', () => completion({ n1: 9, n2: 9, m: 31, rank: 2, seed: 1, symmetric: true, sampling: 'powerlaw' })],
    ['razin2x2', () => razin2x2({ perturbed: 0.01 })],
    ['movielens', () => movielens({ ratingsTsv: TSV, split: { kind: 'first', k: 2 } })],
  ];
  it.each(cases)('%s', (_name, make) => {
    const p = make();
    expectSameProblem(p, roundTrip(p));
    expectSameProblem(p, roundTrip(p, false));
  });

  it('writes the DESIGN layout: dtypes and shapes', () => {
    const s = problemToNd(sensing({ n1: 3, n2: 4, m: 5, rank: 1, seed: 1 }));
    expect([...s.keys()]).toEqual(['shape', 'A', 'y', 'X_star', 'psd']);
    expect(s.get('shape')).toMatchObject({ dtype: 'int64', shape: [2] });
    expect(s.get('A')).toMatchObject({ dtype: 'float64', shape: [5, 3, 4] });
    expect(s.get('y')).toMatchObject({ dtype: 'float64', shape: [5] });
    expect(s.get('X_star')).toMatchObject({ dtype: 'float64', shape: [3, 4] });
    expect(s.get('psd')).toMatchObject({ dtype: 'bool', shape: [1] });
    const c = problemToNd(completion({ n1: 3, n2: 4, m: 5, rank: 1, seed: 1, testFraction: 1 }));
    expect([...c.keys()]).toEqual(['shape', 'rows', 'cols', 'y', 'X_star', 'test_rows', 'test_cols', 'test_y', 'psd']);
    expect(c.get('rows')).toMatchObject({ dtype: 'int64', shape: [5] });
    expect(c.get('test_y')).toMatchObject({ dtype: 'float64', shape: [7] });
  });
});

/** A valid small completion file's arrays, to break one field at a time. */
function completionArrays(): Map<string, NdArray> {
  return new Map<string, NdArray>([
    ['shape', ndFromIndices([3, 4])],
    ['rows', ndFromIndices([0, 2, 1])],
    ['cols', ndFromIndices([3, 0, 1])],
    ['y', ndFromVector([1, 2, 3])],
    ['X_star', { dtype: 'float64', shape: [3, 4], data: new Float64Array(12) }],
    ['test_rows', ndFromIndices([0, 1])],
    ['test_cols', ndFromIndices([0, 0])],
    ['test_y', ndFromVector([0, 0])],
    ['psd', ndFromBool([false])],
  ]);
}

function sensingArrays(): Map<string, NdArray> {
  return new Map<string, NdArray>([
    ['shape', ndFromIndices([2, 3])],
    ['A', { dtype: 'float64', shape: [2, 2, 3], data: Float64Array.from({ length: 12 }, (_, i) => i) }],
    ['y', ndFromVector([1, 2])],
  ]);
}

function loadError(arrays: Map<string, NdArray>): string {
  try {
    problemFromNd(arrays, 'P.npz');
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('expected problemFromNd to throw');
}

function edit(base: Map<string, NdArray>, changes: Record<string, NdArray | undefined>): Map<string, NdArray> {
  const m = new Map(base);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }
  return m;
}

const f64 = (shape: number[], values?: number[]): NdArray => ({ dtype: 'float64', shape, data: values ? Float64Array.from(values) : new Float64Array(shape.reduce((a, b) => a * b, 1)) });

describe('problem files: validation (one line naming the file and field)', () => {
  it('accepts the valid fixtures, ignoring unknown fields; psd may be 0-d', () => {
    const c = problemFromNd(edit(completionArrays(), { notes: ndFromVector([1]) }), 'P.npz');
    expect(c.op.kind).toBe('completion');
    expect(c.test!.y.length).toBe(2);
    const s = problemFromNd(edit(sensingArrays(), { psd: ndFromBool([false], []) }), 'P.npz');
    expect(s.op.kind).toBe('dense');
    // Integer y (e.g. ratings saved by numpy as int64) is converted.
    const yi = problemFromNd(edit(completionArrays(), { y: ndFromIndices([1, 2, 3]) }), 'P.npz');
    expect(Array.from(yi.y)).toEqual([1, 2, 3]);
  });

  it('missing fields', () => {
    expect(loadError(edit(completionArrays(), { shape: undefined }))).toBe('P.npz: field "shape": missing (expected a 1-D integer array (int64 or int32))');
    expect(loadError(edit(completionArrays(), { rows: undefined, cols: undefined }))).toBe('P.npz: missing field "A" (sensing) or "rows" and "cols" (completion)');
    expect(loadError(edit(completionArrays(), { cols: undefined }))).toBe('P.npz: field "cols": missing (expected a 1-D integer array (int64 or int32))');
    expect(loadError(edit(completionArrays(), { y: undefined }))).toBe('P.npz: field "y": missing (expected a 1-D float64 array of 3 values)');
    expect(loadError(edit(sensingArrays(), { y: undefined }))).toBe('P.npz: field "y": missing (expected a 1-D float64 array of 2 values)');
    expect(loadError(edit(completionArrays(), { test_cols: undefined }))).toBe('P.npz: field "test_cols": missing ("test_rows" and "test_y" are present; held-out entries need all three)');
    expect(loadError(edit(sensingArrays(), { rows: ndFromIndices([0, 1]) }))).toBe('P.npz: has both "A" (sensing) and "rows"/"cols" (completion); expected one kind of problem');
  });

  it('wrong dtype or rank', () => {
    expect(loadError(edit(completionArrays(), { shape: ndFromIndices([3, 4, 1]) }))).toBe('P.npz: field "shape": expected 2 entries [n1, n2], got 3');
    expect(loadError(edit(completionArrays(), { shape: ndFromIndices([3, 0]) }))).toBe('P.npz: field "shape": entry 1 is 0, expected an integer in [1, 2147483648)');
    expect(loadError(edit(completionArrays(), { rows: ndFromVector([0, 2, 1]) }))).toBe('P.npz: field "rows": expected a 1-D integer array (int64 or int32), got a float64 array of shape (3,)');
    expect(loadError(edit(completionArrays(), { y: ndFromBool([true, false, true]) }))).toBe('P.npz: field "y": expected a 1-D float64 array of 3 values, got a bool array of shape (3,)');
    expect(loadError(edit(sensingArrays(), { A: f64([2, 6]) }))).toBe('P.npz: field "A": expected a 3-D float64 array [m, n1, n2], got a float64 array of shape (2, 6)');
    expect(loadError(edit(completionArrays(), { X_star: f64([12]) }))).toBe('P.npz: field "X_star": expected a 2-D float64 array of shape (3, 4), got a float64 array of shape (12,)');
    expect(loadError(edit(completionArrays(), { psd: ndFromIndices([0]) }))).toBe('P.npz: field "psd": expected a bool array of shape (1,), got a int64 array of shape (1,)');
    expect(loadError(edit(completionArrays(), { psd: ndFromBool([true, true]) }))).toBe('P.npz: field "psd": expected a bool array of shape (1,), got a bool array of shape (2,)');
  });

  it('shapes that disagree', () => {
    expect(loadError(edit(sensingArrays(), { A: f64([2, 3, 2]) }))).toBe('P.npz: field "A": shape (2, 3, 2) disagrees with shape = [2, 3] (expected (m, 2, 3))');
    expect(loadError(edit(sensingArrays(), { y: ndFromVector([1, 2, 3]) }))).toBe('P.npz: field "y": expected 2 values (one per matrix of "A"), got 3');
    expect(loadError(edit(completionArrays(), { y: ndFromVector([1, 2]) }))).toBe('P.npz: field "y": expected 3 values (one per entry of "rows"), got 2');
    expect(loadError(edit(completionArrays(), { cols: ndFromIndices([3, 0]) }))).toBe('P.npz: field "cols": expected 3 entries like "rows", got 2');
    expect(loadError(edit(completionArrays(), { X_star: f64([4, 3]) }))).toBe('P.npz: field "X_star": expected shape (3, 4) as "shape" says, got (4, 3)');
    expect(loadError(edit(completionArrays(), { test_y: ndFromVector([1]) }))).toBe('P.npz: field "test_y": expected 2 values (one per entry of "test_rows"), got 1');
  });

  it('indices out of range, naming the first offending entry', () => {
    expect(loadError(edit(completionArrays(), { rows: ndFromIndices([0, 3, 5]) }))).toBe('P.npz: field "rows": entry 1 is 3, expected an integer in [0, 3)');
    expect(loadError(edit(completionArrays(), { cols: ndFromIndices([0, -1, 1]) }))).toBe('P.npz: field "cols": entry 1 is -1, expected an integer in [0, 4)');
    expect(loadError(edit(completionArrays(), { test_cols: ndFromIndices([0, 4]) }))).toBe('P.npz: field "test_cols": entry 1 is 4, expected an integer in [0, 4)');
  });

  it('duplicate entries, contradictory or not', () => {
    expect(loadError(edit(completionArrays(), { rows: ndFromIndices([0, 2, 0]), cols: ndFromIndices([3, 0, 3]) })))
      .toBe('P.npz: fields "rows", "cols": entries 0 and 2 are both (0, 3) (duplicate entries with contradictory values 1 and 3); each (row, col) may appear once');
    expect(loadError(edit(completionArrays(), { rows: ndFromIndices([0, 2, 0]), cols: ndFromIndices([3, 0, 3]), y: ndFromVector([1, 2, 1]) })))
      .toBe('P.npz: fields "rows", "cols": entries 0 and 2 are both (0, 3) (duplicate entries with equal values 1); each (row, col) may appear once');
    expect(loadError(edit(completionArrays(), { test_rows: ndFromIndices([1, 1]) })))
      .toBe('P.npz: fields "test_rows", "test_cols": entries 0 and 1 are both (1, 0) (duplicate entries with equal values 0); each (row, col) may appear once');
  });

  it('NaN or Inf in A, y, X_star, test_y', () => {
    const a = f64([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, NaN, 9, 10, 11]);
    expect(loadError(edit(sensingArrays(), { A: a }))).toBe('P.npz: field "A": entry [1, 0, 2] is NaN (expected finite values)');
    expect(loadError(edit(sensingArrays(), { y: ndFromVector([1, Infinity]) }))).toBe('P.npz: field "y": entry [1] is Infinity (expected finite values)');
    const x = f64([3, 4]);
    (x.data as Float64Array)[6] = -Infinity;
    expect(loadError(edit(completionArrays(), { X_star: x }))).toBe('P.npz: field "X_star": entry [1, 2] is -Infinity (expected finite values)');
    expect(loadError(edit(completionArrays(), { test_y: ndFromVector([0, NaN]) }))).toBe('P.npz: field "test_y": entry [1] is NaN (expected finite values)');
  });

  it('psd with n1 != n2', () => {
    expect(loadError(edit(completionArrays(), { psd: ndFromBool([true]) }))).toBe('P.npz: field "psd": the PSD setting needs a square matrix, but shape is [3, 4]');
  });

  it('diagonal and symmetric tensors load as the cheap operators', () => {
    const diag = f64([1, 2, 2], [1, 0, 0, 2]);
    expect(problemFromNd(new Map([['shape', ndFromIndices([2, 2])], ['A', diag], ['y', ndFromVector([1])]]), 'P.npz').op.kind).toBe('diagonal');
    const sym = f64([1, 2, 2], [1, 3, 3, 2]);
    expect(problemFromNd(new Map([['shape', ndFromIndices([2, 2])], ['A', sym], ['y', ndFromVector([1])]]), 'P.npz').op.kind).toBe('symmetric');
  });
});
