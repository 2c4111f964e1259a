import { describe, expect, it } from 'vitest';
import {
  add, addScaled, diag, diagonal, frobeniusNorm, get, identity, isFiniteMat, matFrom, matOf, maxAbs, norm2,
  rowsView, scale, sliceCols, sub, symmetrize, toArrays, trace, transpose, zeros,
} from '../src/linalg/mat.js';
import { Random } from '../src/rng/random.js';

describe('Mat helpers', () => {
  it('builds, reads and prints row-major matrices', () => {
    const a = matFrom([[1, 2, 3], [4, 5, 6]]);
    expect([a.rows, a.cols]).toEqual([2, 3]);
    expect(get(a, 1, 0)).toBe(4);
    expect(toArrays(a)).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(toArrays(identity(2))).toEqual([[1, 0], [0, 1]]);
    expect(toArrays(diag([2, 3]))).toEqual([[2, 0], [0, 3]]);
    expect(Array.from(diagonal(a))).toEqual([1, 5]);
    expect(trace(a)).toBe(6);
  });

  it('rejects bad shapes with a message naming the field', () => {
    expect(() => zeros(-1, 2)).toThrow('rows: expected a non-negative integer, got -1');
    expect(() => matOf(2, 2, new Float64Array(3))).toThrow('data: expected length 4 for a 2x2 matrix, got 3');
    expect(() => matFrom([[1, 2], [3]])).toThrow('row 1: expected 2 entries, got 1');
    expect(() => add(zeros(2, 2), zeros(2, 3))).toThrow('b: expected shape 2x2, got 2x3');
    expect(() => symmetrize(zeros(2, 3))).toThrow('a: expected a square matrix, got 2x3');
  });

  it('transposes exactly across block boundaries', () => {
    const r = Random.fromSeed(1);
    for (const [m, n] of [[0, 3], [1, 1], [31, 33], [70, 5], [64, 64]]) {
      const a = r.normalMat(m, n);
      const t = transpose(a);
      expect([t.rows, t.cols]).toEqual([n, m]);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(get(t, j, i)).toBe(get(a, i, j));
      expect(transpose(t).data).toEqual(a.data);
    }
  });

  it('elementwise arithmetic', () => {
    const a = matFrom([[1, 2], [3, 4]]), b = matFrom([[10, 20], [30, 40]]);
    expect(toArrays(add(a, b))).toEqual([[11, 22], [33, 44]]);
    expect(toArrays(sub(b, a))).toEqual([[9, 18], [27, 36]]);
    expect(toArrays(addScaled(a, b, 2, -0.5))).toEqual([[-3, -6], [-9, -12]]);
    expect(toArrays(scale(a, -1))).toEqual([[-1, -2], [-3, -4]]);
    expect(toArrays(symmetrize(matFrom([[1, 2], [4, 5]])))).toEqual([[1, 3], [3, 5]]);
    expect(toArrays(sliceCols(matFrom([[1, 2, 3], [4, 5, 6]]), 1, 3))).toEqual([[2, 3], [5, 6]]);
    const v = rowsView(a, 1, 2);
    v.data[0] = 99; // a view shares storage
    expect(get(a, 1, 0)).toBe(99);
    expect(maxAbs(matFrom([[1, -7], [3, 2]]))).toBe(7);
    expect(isFiniteMat(a)).toBe(true);
    expect(isFiniteMat(matFrom([[1, NaN]]))).toBe(false);
  });

  it('norms are exact on Pythagorean triples and do not overflow or underflow', () => {
    expect(frobeniusNorm(matFrom([[3, 4]]))).toBe(5);
    expect(norm2([3e200, 4e200])).toBeCloseTo(5e200, -186);
    expect(norm2([3e-200, 4e-200]) / 5e-200).toBeCloseTo(1, 15);
    expect(norm2([])).toBe(0);
    expect(Number.isNaN(norm2([1, NaN]))).toBe(true);
    expect(norm2([Infinity, 1])).toBe(Infinity);
  });
});
