import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/linalg/select.js';
import { csrPattern, sparseTimesDense, sparseToDense, sparseTransposeTimesDense } from '../src/linalg/sparse.js';
import { zeros } from '../src/linalg/mat.js';
import { Random } from '../src/rng/random.js';
import { assertAllclose } from './helpers/allclose.js';

describe('CSR sparse kernels', () => {
  const rng = Random.fromSeed(4);
  const [rows, cols, m, k] = [13, 9, 40, 5];
  const flat = rng.sampleWithoutReplacement(rows * cols, m);
  const ri = Int32Array.from(flat, (e) => Math.floor(e / cols));
  const ci = Int32Array.from(flat, (e) => e % cols);
  const v = rng.normalMat(1, m).data;
  const { pattern, order } = csrPattern(rows, cols, ri, ci);
  for (let p = 0; p < m; p++) pattern.values[p] = v[order[p]];

  it('scatters values into a row-sorted pattern that densifies to the entries', () => {
    const dense = sparseToDense(pattern);
    for (let i = 0; i < m; i++) expect(dense.data[ri[i] * cols + ci[i]]).toBe(v[i]);
    let nonzero = 0;
    for (const x of dense.data) if (x !== 0) nonzero++;
    expect(nonzero).toBe(m);
    for (let r = 0; r < rows; r++) {
      for (let p = pattern.rowPtr[r] + 1; p < pattern.rowPtr[r + 1]; p++) expect(pattern.colIdx[p]).toBeGreaterThan(pattern.colIdx[p - 1]);
    }
  });

  it('S B and S^T C equal the dense products (alpha, beta included)', () => {
    const be = getBackend('js');
    const dense = sparseToDense(pattern);
    const b = rng.normalMat(cols, k), c = rng.normalMat(rows, k);
    const out1 = rng.normalMat(rows, k), expect1 = be.gemm(false, false, 2, dense, b, 0.5, { ...out1, data: out1.data.slice() });
    assertAllclose(sparseTimesDense(pattern, b, out1, 2, 0.5), expect1, { rtol: 1e-14, atol: 1e-14 });
    const expect2 = be.gemm(true, false, 1, dense, c, 0, zeros(cols, k));
    assertAllclose(sparseTransposeTimesDense(pattern, c, zeros(cols, k)), expect2, { rtol: 1e-14, atol: 1e-14 });
  });

  it('rejects out-of-range indices and mismatched shapes with the field named', () => {
    expect(() => csrPattern(2, 2, Int32Array.of(0, 2), Int32Array.of(0, 0))).toThrow('rows[1]: expected an index in [0, 2), got 2');
    expect(() => csrPattern(2, 2, Int32Array.of(0), Int32Array.of(-1))).toThrow('cols[0]: expected an index in [0, 2), got -1');
    expect(() => sparseTimesDense(pattern, zeros(cols + 1, 2), zeros(rows, 2))).toThrow(/b: expected 9 rows/);
  });
});
