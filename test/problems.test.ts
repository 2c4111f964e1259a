import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, matOf, zeros } from '../src/linalg/mat.js';
import { type SparseMat, sparseToDense } from '../src/linalg/sparse.js';
import { Random } from '../src/rng/random.js';
import { type MeasurementOperator, adjointTimes, adjointTransposeTimes } from '../src/problems/operator.js';
import {
  CompletionOperator,
  DenseOperator,
  DiagonalOperator,
  SymmetricOperator,
  denseOperator,
  diagonalOperatorFromTensor,
  findDuplicateEntry,
  operatorFromTensor,
  packedIndex,
  packedSize,
  symmetricOperatorFromTensor,
} from '../src/problems/operators/index.js';
import { assertAllclose } from './helpers/allclose.js';
import { testBackends } from './helpers/backends.js';

// ---------------------------------------------------------------------------
// References: the plain definitions, on the dense [m, n1, n2] tensor.
// ---------------------------------------------------------------------------

function refApply(t: Float64Array, m: number, x: Mat): Float64Array {
  const nn = x.rows * x.cols;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let p = 0; p < nn; p++) s += t[i * nn + p] * x.data[p];
    out[i] = s;
  }
  return out;
}

function refAdjoint(t: Float64Array, m: number, n1: number, n2: number, r: Float64Array, scale: number): Mat {
  const nn = n1 * n2;
  const g = zeros(n1, n2);
  for (let i = 0; i < m; i++) for (let p = 0; p < nn; p++) g.data[p] += scale * r[i] * t[i * nn + p];
  return g;
}

function refProduct(l: Mat, r: Mat): Mat {
  const out = zeros(l.rows, r.cols);
  for (let i = 0; i < l.rows; i++) {
    for (let j = 0; j < r.cols; j++) {
      let s = 0;
      for (let q = 0; q < l.cols; q++) s += l.data[i * l.cols + q] * r.data[q * r.cols + j];
      out.data[i * r.cols + j] = s;
    }
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

function denseAdjoint(op: MeasurementOperator, r: Float64Array, scale: number): Mat {
  const g = op.adjoint(r, scale);
  return g.kind === 'dense' ? { ...g.mat, data: g.mat.data.slice() } : sparseToDense(g.mat);
}

function randomTensor(rng: Random, m: number, n1: number, n2: number): Float64Array {
  return rng.fillNormal(new Float64Array(m * n1 * n2));
}

function symmetricTensor(rng: Random, m: number, n: number): Float64Array {
  const t = randomTensor(rng, m, n, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) for (let k = j + 1; k < n; k++) t[i * n * n + k * n + j] = t[i * n * n + j * n + k];
  }
  return t;
}

function diagonalTensor(rng: Random, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[i * n * n + j * n + j] = rng.normal();
  return t;
}

/** Distinct random entries of an n1 x n2 matrix, in random order. */
function randomEntries(rng: Random, n1: number, n2: number, m: number): { rows: Int32Array; cols: Int32Array } {
  const pick = rng.sampleWithoutReplacement(n1 * n2, m);
  return { rows: Int32Array.from(pick, (p) => Math.floor(p / n2)), cols: Int32Array.from(pick, (p) => p % n2) };
}

/**
 * The contract every operator must meet, against the dense tensor that defines it:
 * apply, adjoint (and the adjoint identity), applyProduct for two widths, no
 * reallocation of the adjoint buffer, and argument checks.
 */
function checkOperator(op: MeasurementOperator, tensor: Float64Array, rng: Random): void {
  const { m, n1, n2 } = op;
  assertAllclose(op.toDenseTensor(), tensor, { rtol: 0, atol: 0 }, `${op.kind}: toDenseTensor`);
  for (let trial = 0; trial < 3; trial++) {
    const x = rng.normalMat(n1, n2);
    const r = rng.fillNormal(new Float64Array(m));
    const ax = op.apply(x, new Float64Array(m));
    assertAllclose(ax, refApply(tensor, m, x), { rtol: 1e-12, atol: 1e-12 * norm(x.data) * Math.sqrt(n1 * n2) }, `${op.kind}: apply`);
    const scale = 0.75;
    const g = denseAdjoint(op, r, scale);
    assertAllclose(g, refAdjoint(tensor, m, n1, n2, r, scale), { rtol: 1e-12, atol: 1e-12 * norm(r) * Math.sqrt(m) }, `${op.kind}: adjoint`);
    // Adjoint identity: <A(X), r> = <X, A*(r)>, relative to the size of the terms.
    const lhs = dot(ax, r);
    const rhs = dot(x.data, g.data) / scale;
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * norm(ax) * norm(r) + 1e-12 * norm(x.data) * norm(g.data) / scale);
    for (const k of [3, 1, 3, 5]) {
      const left = rng.normalMat(n1, k), right = rng.normalMat(k, n2);
      const got = op.applyProduct(left, right, new Float64Array(m));
      const want = refApply(tensor, m, refProduct(left, right));
      assertAllclose(got, want, { rtol: 1e-12, atol: 1e-12 * norm(left.data) * norm(right.data) * Math.sqrt(n1 * n2) }, `${op.kind}: applyProduct k=${k}`);
    }
  }
  // The adjoint lives in one owned buffer, overwritten per call.
  const r1 = rng.fillNormal(new Float64Array(m));
  const g1 = op.adjoint(r1, 1);
  const g2 = op.adjoint(r1, 2);
  expect(g2.mat).toBe(g1.mat);
  // Products with the adjoint: dense GEMM or sparse, same numbers.
  const b = rng.normalMat(n2, 2), c = rng.normalMat(n1, 2);
  const gd = denseAdjoint(op, r1, 1);
  const be = testBackends()[0];
  assertAllclose(adjointTimes(op.adjoint(r1, 1), b, zeros(n1, 2), be), refProduct(gd, b), { rtol: 1e-12, atol: 1e-12 * norm(gd.data) * norm(b.data) }, 'adjointTimes');
  const gdT = zeros(n2, n1);
  for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) gdT.data[j * n1 + i] = gd.data[i * n2 + j];
  assertAllclose(adjointTransposeTimes(op.adjoint(r1, 1), c, zeros(n2, 2), be), refProduct(gdT, c), { rtol: 1e-12, atol: 1e-12 * norm(gd.data) * norm(c.data) }, 'adjointTransposeTimes');
  // Argument checks.
  expect(() => op.apply(zeros(n1 + 1, n2), new Float64Array(m))).toThrow(/apply: x: expected shape/);
  expect(() => op.apply(zeros(n1, n2), new Float64Array(m + 1))).toThrow(/apply: out: expected length/);
  expect(() => op.applyProduct(zeros(n1, 2), zeros(3, n2), new Float64Array(m))).toThrow(/applyProduct: right: expected shape 2x/);
  expect(() => op.adjoint(new Float64Array(m + 1), 1)).toThrow(/adjoint: r: expected length/);
}

describe.each(testBackends().map((b) => [b.name, b] as [string, Backend]))('measurement operators (%s backend)', (_name, be) => {
  it('dense: apply, adjoint, applyProduct against the tensor definition (square and not)', () => {
    const rng = Random.fromSeed(11);
    for (const [m, n1, n2] of [[7, 4, 5], [30, 6, 6], [1, 1, 3], [50, 9, 4]]) {
      const t = randomTensor(rng, m, n1, n2);
      const op = denseOperator(t, m, n1, n2, { backend: be });
      expect(op.kind).toBe('dense');
      checkOperator(op, t, rng);
    }
  });

  it('symmetric (packed): matches the tensor definition and the dense operator, also on non-symmetric X', () => {
    const rng = Random.fromSeed(12);
    for (const [m, n] of [[9, 5], [40, 8], [3, 1], [20, 2]]) {
      const t = symmetricTensor(rng, m, n);
      const op = symmetricOperatorFromTensor(t, m, n, { backend: be });
      expect(op.kind).toBe('symmetric');
      expect(op.packed.cols).toBe(packedSize(n));
      checkOperator(op, t, rng);
      const dense = denseOperator(t, m, n, n, { backend: be });
      const x = rng.normalMat(n, n); // not symmetric
      assertAllclose(op.apply(x, new Float64Array(m)), dense.apply(x, new Float64Array(m)), { rtol: 1e-12, atol: 1e-13 * norm(x.data) * n }, 'symmetric vs dense apply');
      const r = rng.fillNormal(new Float64Array(m));
      const g = op.adjoint(r, 1).mat as Mat;
      assertAllclose(g, dense.adjoint(r, 1).mat as Mat, { rtol: 1e-12, atol: 1e-13 * norm(r) * Math.sqrt(m) }, 'symmetric vs dense adjoint');
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) expect(g.data[j * n + k]).toBe(g.data[k * n + j]);
    }
  });

  it('completion: O(m) apply, sparse adjoint equal to the dense one, applyProduct via R^T', () => {
    const rng = Random.fromSeed(13);
    for (const [n1, n2, m] of [[6, 7, 20], [10, 10, 100], [1, 5, 3], [12, 3, 1]]) {
      const { rows, cols } = randomEntries(rng, n1, n2, m);
      const op = new CompletionOperator(n1, n2, rows, cols);
      expect(op.adjoint(new Float64Array(m), 1).kind).toBe('sparse');
      const t = op.toDenseTensor();
      checkOperator(op, t, rng);
      const dense = denseOperator(t, m, n1, n2, { backend: be });
      const r = rng.fillNormal(new Float64Array(m));
      assertAllclose(sparseToDense(op.adjoint(r, -1.5).mat as SparseMat), dense.adjoint(r, -1.5).mat as Mat, { rtol: 1e-15, atol: 0 }, 'sparse vs dense adjoint');
    }
  });

  it('diagonal: matches the tensor definition and the dense operator', () => {
    const rng = Random.fromSeed(14);
    for (const [m, n] of [[4, 6], [25, 10], [1, 1], [8, 3]]) {
      const t = diagonalTensor(rng, m, n);
      const op = diagonalOperatorFromTensor(t, m, n, { backend: be });
      expect(op.kind).toBe('diagonal');
      checkOperator(op, t, rng);
      const dense = denseOperator(t, m, n, n, { backend: be });
      const r = rng.fillNormal(new Float64Array(m));
      const g = op.adjoint(r, 2).mat as Mat;
      // A caller scribbling on the previous result does not leak into the next one.
      g.data.fill(7);
      assertAllclose(op.adjoint(r, 2).mat as Mat, dense.adjoint(r, 2).mat as Mat, { rtol: 1e-12, atol: 1e-14 }, 'diagonal vs dense adjoint');
    }
  });
});

describe('operator construction', () => {
  it('operatorFromTensor picks diagonal, then symmetric, then dense', () => {
    const rng = Random.fromSeed(21);
    expect(operatorFromTensor(diagonalTensor(rng, 5, 4), 5, 4, 4).kind).toBe('diagonal');
    expect(operatorFromTensor(symmetricTensor(rng, 5, 4), 5, 4, 4).kind).toBe('symmetric');
    expect(operatorFromTensor(randomTensor(rng, 5, 4, 4), 5, 4, 4).kind).toBe('dense');
    expect(operatorFromTensor(randomTensor(rng, 5, 3, 4), 5, 3, 4).kind).toBe('dense');
    // A rectangular tensor that is zero off the main diagonal is still dense (diagonal needs n1 = n2).
    const rect = new Float64Array(2 * 2 * 3);
    rect[0] = 1;
    rect[6 + 4] = 2;
    expect(operatorFromTensor(rect, 2, 2, 3).kind).toBe('dense');
    // One asymmetric matrix among symmetric ones makes it dense.
    const almost = symmetricTensor(rng, 4, 3);
    almost[3 * 9 + 1] += 1e-15;
    expect(operatorFromTensor(almost, 4, 3, 3).kind).toBe('dense');
    // One off-diagonal entry among diagonal ones, symmetric: symmetric.
    const nearlyDiag = diagonalTensor(rng, 3, 3);
    nearlyDiag[9 + 1] = nearlyDiag[9 + 3] = 0.5;
    expect(operatorFromTensor(nearlyDiag, 3, 3, 3).kind).toBe('symmetric');
    expect(() => operatorFromTensor(new Float64Array(5), 1, 2, 2)).toThrow(/expected length 1\*2\*2 = 4, got 5/);
  });

  it('dense shares the tensor; symmetric and diagonal refuse tensors of the wrong structure', () => {
    const t = Float64Array.of(1, 2, 3, 4);
    const op = denseOperator(t, 1, 2, 2);
    expect(op.matrices.data).toBe(t);
    expect(op.toDenseTensor()).not.toBe(t);
    expect(() => symmetricOperatorFromTensor(t, 1, 2)).toThrow('symmetricOperatorFromTensor: A_0 is not symmetric (entry (0, 1) is 2, entry (1, 0) is 3)');
    expect(() => diagonalOperatorFromTensor(Float64Array.of(1, 0, 0, 1, 1, 5, 0, 1), 2, 2)).toThrow(/non-zero off-diagonal/);
    expect(() => new DenseOperator(matOf(1, 3, new Float64Array(3)), 2, 2)).toThrow(/expected shape 1x4, got 1x3/);
    expect(() => new SymmetricOperator(zeros(2, 5), 3)).toThrow(/expected shape 2x6, got 2x5/);
    expect(new DiagonalOperator(zeros(3, 4)).n).toBe(4);
  });

  it('packed indices run row by row over the upper triangle', () => {
    const n = 4;
    let p = 0;
    for (let j = 0; j < n; j++) for (let k = j; k < n; k++) expect(packedIndex(n, j, k)).toBe(p++);
    expect(p).toBe(packedSize(n));
  });

  it('completion rejects duplicate entries, out-of-range indices and mismatched lengths at construction', () => {
    expect(() => new CompletionOperator(3, 3, Int32Array.of(0, 2, 1, 2), Int32Array.of(1, 2, 0, 2)))
      .toThrow('CompletionOperator: entries 1 and 3 are both (2, 2); each (row, col) may be observed once');
    expect(findDuplicateEntry(3, 3, Int32Array.of(0, 1, 0, 0), Int32Array.of(1, 1, 1, 1))).toEqual([0, 2]);
    expect(findDuplicateEntry(3, 3, Int32Array.of(0, 1), Int32Array.of(1, 1))).toBeNull();
    expect(() => new CompletionOperator(3, 3, Int32Array.of(0, 3), Int32Array.of(1, 1))).toThrow('rows[1]: expected an index in [0, 3), got 3');
    expect(() => new CompletionOperator(3, 2, Int32Array.of(0, 1), Int32Array.of(1, 2))).toThrow('cols[1]: expected an index in [0, 2), got 2');
    expect(() => new CompletionOperator(3, 3, Int32Array.of(0, 1), Int32Array.of(1))).toThrow(/cols: expected 2 entries like rows, got 1/);
  });

  it('completion adjoint scatters into the same CSR values (no allocation per call)', () => {
    const op = new CompletionOperator(2, 3, Int32Array.of(1, 0, 1), Int32Array.of(0, 2, 2));
    const a = op.adjoint(Float64Array.of(1, 2, 3), 1);
    expect(a.kind).toBe('sparse');
    const values = (a.mat as SparseMat).values;
    const b = op.adjoint(Float64Array.of(4, 5, 6), 2);
    expect(b.mat).toBe(a.mat);
    expect((b.mat as SparseMat).values).toBe(values);
    expect(Array.from(sparseToDense(b.mat as SparseMat).data)).toEqual([0, 0, 10, 8, 0, 12]);
  });
});
