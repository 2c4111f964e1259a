/*
 * Backend.axpy, dot, spmm and sampledProduct on every backend testBackends() returns,
 * against naive loops written here, and the two backends against each other.
 *
 * Tolerances follow the standard bound for a k-term dot product computed in any order,
 * with or without FMA (Higham, Accuracy and Stability, 2nd ed., Sec. 3.1):
 * |fl(x.y) - x.y| <= gamma(k) |x|.|y|, gamma(k) = k u / (1 - k u), u = 2^-53. An entry of
 * alpha op(S) B + beta out is a dot product of (nnz of the row) + 1 terms with one more
 * rounding in alpha * s_ij, so gamma(terms + 1) times the same sum of magnitudes bounds
 * its error; the naive reference has at most the same error, so results are compared
 * to twice the bound.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, zeros } from '../src/linalg/mat.js';
import { type SparseMat, csrPattern } from '../src/linalg/sparse.js';
import { Random } from '../src/rng/random.js';
import { bothBackends, testBackends } from './helpers/backends.js';

const U = Number.EPSILON / 2;
const gamma = (k: number): number => (k * U) / (1 - k * U);

/** A Mat whose data starts `offset` doubles into its buffer (to reach every alignment). */
function matAt(rows: number, cols: number, offset: number, fill: (i: number) => number): Mat {
  const data = new Float64Array(rows * cols + 8).subarray(offset, offset + rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  return { rows, cols, data };
}

/** A random CSR matrix with about `density` of its entries stored; rows listed in `emptyRows` get none. */
function randomSparse(rng: Random, rows: number, cols: number, density: number, emptyRows: number[] = []): SparseMat {
  const ri: number[] = [], ci: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (emptyRows.includes(i)) continue;
    for (let j = 0; j < cols; j++) {
      if (rng.uniform() < density) {
        ri.push(i);
        ci.push(j);
      }
    }
  }
  const { pattern } = csrPattern(rows, cols, Int32Array.from(ri), Int32Array.from(ci));
  for (let p = 0; p < pattern.values.length; p++) pattern.values[p] = rng.normal();
  return pattern;
}

/** Naive alpha op(S) B + beta out0 with, per entry, the error bound of the comparison. */
function naiveSpmm(trans: boolean, alpha: number, s: SparseMat, b: Mat, beta: number, out0: Float64Array): { value: Float64Array; bound: Float64Array } {
  const outRows = trans ? s.cols : s.rows, k = b.cols;
  const value = new Float64Array(outRows * k), mag = new Float64Array(outRows * k), terms = new Int32Array(outRows);
  for (let i = 0; i < s.rows; i++) {
    for (let p = s.rowPtr[i]; p < s.rowPtr[i + 1]; p++) {
      const j = s.colIdx[p], v = s.values[p];
      const [o, src] = trans ? [j, i] : [i, j];
      terms[o]++;
      for (let q = 0; q < k; q++) {
        value[o * k + q] += alpha * v * b.data[src * k + q];
        mag[o * k + q] += Math.abs(alpha * v * b.data[src * k + q]);
      }
    }
  }
  const bound = new Float64Array(outRows * k);
  for (let e = 0; e < value.length; e++) {
    const old = beta === 0 ? 0 : beta * out0[e];
    value[e] += old;
    bound[e] = 2 * gamma(terms[Math.floor(e / Math.max(k, 1))] + 2) * (mag[e] + Math.abs(old));
  }
  return { value, bound };
}

function expectWithin(actual: Float64Array, expected: Float64Array, bound: Float64Array, label: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= bound[i]) && actual[i] !== expected[i]) {
      throw new Error(`${label}: entry ${i}: ${actual[i]} vs ${expected[i]}, error ${err} > bound ${bound[i]}`);
    }
  }
}

/** Naive sampled product with its bound (k-term dot products). */
function naiveSampled(rows: Int32Array, cols: Int32Array, left: Mat, rightT: Mat): { value: Float64Array; bound: Float64Array } {
  const k = left.cols, value = new Float64Array(rows.length), bound = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    let s = 0, m = 0;
    for (let q = 0; q < k; q++) {
      const t = left.data[rows[i] * k + q] * rightT.data[cols[i] * k + q];
      s += t;
      m += Math.abs(t);
    }
    value[i] = s;
    bound[i] = 2 * gamma(k) * m;
  }
  return { value, bound };
}

/** The (row, col) of every stored entry of s, in CSR order (runs of equal rows). */
function csrEntries(s: SparseMat): { rows: Int32Array; cols: Int32Array } {
  const rows = new Int32Array(s.colIdx.length);
  for (let i = 0; i < s.rows; i++) rows.fill(i, s.rowPtr[i], s.rowPtr[i + 1]);
  return { rows, cols: s.colIdx.slice() };
}

for (const be of testBackends()) {
  describe(`${be.name}: axpy and dot`, () => {
    const rng = Random.fromSeed(11);

    it('axpy: y <- alpha x + y within one rounding per entry (FMA or not), in place', () => {
      for (const n of [0, 1, 3, 17, 1000, 10_001]) {
        const x = rng.normalMat(1, n).data, y = rng.normalMat(1, n).data, y0 = y.slice();
        const alpha = -0.37;
        be.axpy(alpha, x, y);
        for (let i = 0; i < n; i++) {
          const want = y0[i] + alpha * x[i];
          expect(Math.abs(y[i] - want)).toBeLessThanOrEqual(2 * U * (Math.abs(alpha * x[i]) + Math.abs(y0[i])));
        }
      }
      // y may be x itself: x <- (1 + alpha) x.
      const x = Float64Array.of(1, -2, 4);
      be.axpy(0.5, x, x);
      expect(Array.from(x)).toEqual([1.5, -3, 6]);
      // Exact in dyadic arithmetic.
      const y = Float64Array.of(1, 2, 3);
      be.axpy(-0.25, Float64Array.of(4, 8, -4), y);
      expect(Array.from(y)).toEqual([0, 0, 4]);
    });

    it('dot: within gamma(n) sum |x_i y_i|; 0 for empty vectors', () => {
      expect(be.dot(new Float64Array(0), new Float64Array(0))).toBe(0);
      expect(be.dot(Float64Array.of(1, 2, 3), Float64Array.of(4, -5, 6))).toBe(12);
      for (const n of [1, 2, 5, 33, 1000, 10_001, 30_000]) {
        const x = rng.normalMat(1, n).data, y = rng.normalMat(1, n).data;
        let s = 0, m = 0;
        for (let i = 0; i < n; i++) {
          s += x[i] * y[i];
          m += Math.abs(x[i] * y[i]);
        }
        expect(Math.abs(be.dot(x, y) - s)).toBeLessThanOrEqual(2 * gamma(n) * m);
      }
    });

    it('refuse vectors of different lengths and partly overlapping storage, naming the argument', () => {
      expect(() => be.axpy(1, new Float64Array(3), new Float64Array(2))).toThrow(new RangeError('axpy: y: expected length 3 like x, got 2'));
      expect(() => be.dot(new Float64Array(3), new Float64Array(4))).toThrow(new RangeError('dot: y: expected length 3 like x, got 4'));
      const buf = new Float64Array(6);
      expect(() => be.axpy(1, buf.subarray(0, 4), buf.subarray(2, 6))).toThrow(new RangeError('axpy: y: must not partly overlap x'));
    });
  });

  describe(`${be.name}: spmm`, () => {
    const rng = Random.fromSeed(12);

    it('alpha op(S) B + beta out against naive loops: both transposes, alpha/beta, empty rows, every width and alignment', () => {
      const s = randomSparse(rng, 13, 9, 0.3, [0, 5, 12]);
      const cases: [number, number][] = [[1, 0], [2, 0.5], [-0.75, 1], [0, 2]];
      for (const trans of [false, true]) {
        for (const k of [0, 1, 3, 4, 8, 31, 32, 36, 37, 100]) {
          for (const offset of [0, 1, 2, 3]) {
            for (const [alpha, beta] of cases) {
              const inRows = trans ? s.rows : s.cols, outRows = trans ? s.cols : s.rows;
              const b = matAt(inRows, k, offset, () => rng.normal());
              const out = matAt(outRows, k, (offset + 1) % 4, () => rng.normal());
              const out0 = out.data.slice();
              if (beta === 0) out.data.fill(NaN); // beta = 0 ignores out, even NaN
              const { value, bound } = naiveSpmm(trans, alpha, s, b, beta, out0);
              expect(be.spmm(trans, alpha, s, b, beta, out)).toBe(out);
              expectWithin(out.data, value, bound, `trans=${trans} k=${k} offset=${offset} alpha=${alpha} beta=${beta}`);
            }
          }
        }
      }
    });

    it('an empty S (no entries, or no rows) gives beta out', () => {
      const { pattern } = csrPattern(4, 3, new Int32Array(0), new Int32Array(0));
      const b = matAt(3, 5, 0, (i) => i), out = matAt(4, 5, 0, () => 2);
      be.spmm(false, 1, pattern, b, 0.5, out);
      expect(Array.from(out.data)).toEqual(new Array(20).fill(1));
      const none: SparseMat = { rows: 0, cols: 3, rowPtr: Int32Array.of(0), colIdx: new Int32Array(0), values: new Float64Array(0) };
      expect(be.spmm(false, 1, none, b, 0, zeros(0, 5)).data.length).toBe(0);
      const t = matAt(3, 5, 0, () => NaN);
      be.spmm(true, 1, none, zeros(0, 5), 0, t);
      expect(Array.from(t.data)).toEqual(new Array(15).fill(0));
    });

    it('refuses bad shapes, bad CSR arrays and shared storage with one line naming the argument', () => {
      const s = randomSparse(rng, 6, 4, 0.5);
      const nnz = s.values.length;
      expect(() => be.spmm(false, 1, s, zeros(5, 2), 0, zeros(6, 2))).toThrow(new RangeError('spmm: b: expected 4 rows (op(S) is 6x4), got 5'));
      expect(() => be.spmm(true, 1, s, zeros(4, 2), 0, zeros(4, 2))).toThrow(new RangeError('spmm: b: expected 6 rows (op(S) is 4x6), got 4'));
      expect(() => be.spmm(false, 1, s, zeros(4, 2), 0, zeros(6, 3))).toThrow(new RangeError('spmm: out: expected shape 6x2, got 6x3'));
      const shortPtr = { ...s, rowPtr: s.rowPtr.subarray(0, 6) };
      expect(() => be.spmm(false, 1, shortPtr, zeros(4, 2), 0, zeros(6, 2))).toThrow(new RangeError('spmm: s.rowPtr: expected length 7 (rows + 1), got 6'));
      const fewCols = { ...s, colIdx: s.colIdx.subarray(0, nnz - 1) };
      expect(() => be.spmm(false, 1, fewCols, zeros(4, 2), 0, zeros(6, 2))).toThrow(
        new RangeError(`spmm: s.colIdx: expected ${nnz} entries like s.values, got ${nnz - 1}`),
      );
      const badCol = { ...s, colIdx: s.colIdx.slice() };
      badCol.colIdx[2] = 4;
      expect(() => be.spmm(false, 1, badCol, zeros(4, 2), 0, zeros(6, 2))).toThrow(new RangeError('spmm: s.colIdx[2]: expected an index in [0, 4), got 4'));
      badCol.colIdx[2] = -1;
      expect(() => be.spmm(true, 1, badCol, zeros(6, 2), 0, zeros(4, 2))).toThrow(new RangeError('spmm: s.colIdx[2]: expected an index in [0, 4), got -1'));
      const badPtr = { ...s, rowPtr: s.rowPtr.slice() };
      badPtr.rowPtr[3] = badPtr.rowPtr[2] - 1;
      expect(() => be.spmm(false, 1, badPtr, zeros(4, 2), 0, zeros(6, 2))).toThrow(/^spmm: s\.rowPtr\[3\]: expected an offset in \[\d+, \d+\], got -?\d+$/);
      const badEnd = { ...s, rowPtr: s.rowPtr.slice() };
      badEnd.rowPtr[6] = nnz - 1;
      expect(() => be.spmm(false, 1, badEnd, zeros(4, 2), 0, zeros(6, 2))).toThrow(
        new RangeError(`spmm: s.rowPtr[6]: expected ${nnz} (the number of stored entries), got ${nnz - 1}`),
      );
      const badStart = { ...s, rowPtr: s.rowPtr.slice() };
      badStart.rowPtr[0] = 1;
      expect(() => be.spmm(false, 1, badStart, zeros(4, 2), 0, zeros(6, 2))).toThrow(new RangeError('spmm: s.rowPtr[0]: expected 0, got 1'));
      const square = randomSparse(rng, 4, 4, 0.5), m = zeros(4, 4);
      expect(() => be.spmm(false, 1, square, m, 0, m)).toThrow(new RangeError('spmm: out: must not share storage with b'));
    });
  });

  describe(`${be.name}: sampledProduct`, () => {
    const rng = Random.fromSeed(13);

    it('out[i] = left[rows[i], :] . rightT[cols[i], :], in CSR order and in any order, every width and alignment', () => {
      const s = randomSparse(rng, 17, 11, 0.4, [3]);
      const csr = csrEntries(s);
      const m = csr.rows.length;
      const perm = rng.permutation(m);
      const shuffled = { rows: Int32Array.from(perm, (p) => csr.rows[p]), cols: Int32Array.from(perm, (p) => csr.cols[p]) };
      for (const k of [0, 1, 3, 4, 7, 8, 16, 20, 37, 100]) {
        for (const offset of [0, 1, 2, 3]) {
          const left = matAt(17, k, (offset + 2) % 4, () => rng.normal());
          const rightT = matAt(11, k, offset, () => rng.normal());
          for (const [label, e] of [['csr', csr], ['shuffled', shuffled]] as const) {
            const out = new Float64Array(m).fill(NaN);
            const { value, bound } = naiveSampled(e.rows, e.cols, left, rightT);
            expect(be.sampledProduct(e.rows, e.cols, left, rightT, out)).toBe(out);
            expectWithin(out, value, bound, `${label} k=${k} offset=${offset}`);
          }
        }
      }
      // Repeated entries and no entries at all.
      const l = matAt(2, 3, 0, (i) => i + 1), r = matAt(2, 3, 0, (i) => 2 * i);
      const out = be.sampledProduct(Int32Array.of(1, 1, 1, 1, 1, 0), Int32Array.of(0, 0, 1, 1, 0, 1), l, r, new Float64Array(6));
      expect(Array.from(out)).toEqual([34, 34, 124, 124, 34, 52]); // [4, 5, 6] . [0, 2, 4] = 34, [4, 5, 6] . [6, 8, 10] = 124, [1, 2, 3] . [6, 8, 10] = 52
      expect(be.sampledProduct(new Int32Array(0), new Int32Array(0), l, r, new Float64Array(0)).length).toBe(0);
    });

    it('an infinite term gives an infinite entry, not NaN, at every alignment (edge lanes are selected, not zeroed by multiplication)', () => {
      for (const k of [4, 8, 12]) {
        for (const offset of [0, 1, 2, 3]) {
          for (const col of [0, 1, 2, 3, k - 1]) {
            const left = matAt(1, k, 0, (i) => (i === col ? Infinity : 1));
            const rightT = matAt(5, k, offset, () => 1);
            const rows = new Int32Array(5), cols = Int32Array.of(0, 1, 2, 3, 4);
            const out = be.sampledProduct(rows, cols, left, rightT, new Float64Array(5));
            expect(Array.from(out)).toEqual(new Array(5).fill(Infinity));
            expect(be.sampledProduct(rows.subarray(0, 1), cols.subarray(0, 1), left, rightT, new Float64Array(1))[0]).toBe(Infinity);
          }
        }
      }
    });

    it('refuses bad lengths, widths, indices and shared storage with one line naming the argument', () => {
      const l = zeros(3, 2), r = zeros(4, 2);
      const rows = Int32Array.of(0, 2), cols = Int32Array.of(3, 1);
      expect(() => be.sampledProduct(rows, Int32Array.of(1), l, r, new Float64Array(2))).toThrow(new RangeError('sampledProduct: cols: expected 2 entries like rows, got 1'));
      expect(() => be.sampledProduct(rows, cols, l, r, new Float64Array(3))).toThrow(new RangeError('sampledProduct: out: expected length 2 like rows, got 3'));
      expect(() => be.sampledProduct(rows, cols, l, zeros(4, 3), new Float64Array(2))).toThrow(new RangeError('sampledProduct: rightT: expected 2 columns like left, got 3'));
      expect(() => be.sampledProduct(Int32Array.of(0, 3), cols, l, r, new Float64Array(2))).toThrow(new RangeError('sampledProduct: rows[1]: expected an index in [0, 3), got 3'));
      expect(() => be.sampledProduct(rows, Int32Array.of(-1, 0), l, r, new Float64Array(2))).toThrow(new RangeError('sampledProduct: cols[0]: expected an index in [0, 4), got -1'));
      expect(() => be.sampledProduct(rows, Int32Array.of(0, 4), l, r, new Float64Array(2))).toThrow(new RangeError('sampledProduct: cols[1]: expected an index in [0, 4), got 4'));
      expect(() => be.sampledProduct(rows, cols, l, r, l.data.subarray(0, 2))).toThrow(new RangeError('sampledProduct: out: must not share storage with left or rightT'));
    });
  });
}

const both = bothBackends();
describe.skipIf(both === null)('js and native agree on the sparse and vector kernels', () => {
  const rng = Random.fromSeed(14);
  const { js, native } = both ?? ({} as { js: Backend; native: Backend });

  it('spmm, sampledProduct, dot and axpy on a 100 x 100 completion-sized problem', () => {
    const s = randomSparse(rng, 100, 80, 0.2);
    for (const trans of [false, true]) {
      const b = rng.normalMat(trans ? 100 : 80, 100), start = rng.normalMat(trans ? 80 : 100, 100);
      const a = { ...start, data: start.data.slice() }, c = { ...start, data: start.data.slice() };
      js.spmm(trans, 0.3, s, b, -1.5, a);
      native.spmm(trans, 0.3, s, b, -1.5, c);
      const { bound } = naiveSpmm(trans, 0.3, s, b, -1.5, start.data);
      expectWithin(c.data, a.data, bound, `spmm trans=${trans}`);
    }
    const { rows, cols } = csrEntries(s);
    const left = rng.normalMat(100, 64), rightT = rng.normalMat(80, 64);
    const x = js.sampledProduct(rows, cols, left, rightT, new Float64Array(rows.length));
    const y = native.sampledProduct(rows, cols, left, rightT, new Float64Array(rows.length));
    expectWithin(y, x, naiveSampled(rows, cols, left, rightT).bound, 'sampledProduct');
    const g = rng.normalMat(1, 30_000).data;
    let m = 0;
    for (const v of g) m += v * v;
    expect(Math.abs(native.dot(g, g) - js.dot(g, g))).toBeLessThanOrEqual(2 * gamma(g.length) * m);
  });

  it('the addon names the argument of a wrong type', () => {
    const l = zeros(2, 2);
    expect(() => native.sampledProduct(Float64Array.of(0) as unknown as Int32Array, Int32Array.of(0), l, l, new Float64Array(1))).toThrow(
      new TypeError('sampledProduct: rows: expected an Int32Array'),
    );
    const s: SparseMat = { rows: 1, cols: 2, rowPtr: Int32Array.of(0, 1), colIdx: Float64Array.of(0) as unknown as Int32Array, values: Float64Array.of(1) };
    expect(() => native.spmm(false, 1, s, l, 0, zeros(1, 2))).toThrow(new TypeError('spmm: s.colIdx: expected an Int32Array'));
  });
});
