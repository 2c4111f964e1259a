/*
 * The fused residual and adjoint of the dense and symmetric sensing operators
 * (MeasurementOperator.residualAdjoint: one pass over the measurement matrices instead of
 * two), against apply, y and adjoint separately, on every backend, with the row blocks
 * ending inside and at the end of the matrix; and the models that use it (through
 * Objective.applyResidual) against the same models on an operator without it.
 */
import { describe, expect, it } from 'vitest';
import type { Mat } from '../src/linalg/mat.js';
import { zeros } from '../src/linalg/mat.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import type { ModelSpec } from '../src/models/model.js';
import { sensing } from '../src/problems/generate.js';
import type { MeasurementOperator } from '../src/problems/operator.js';
import { FUSED_BLOCK_BYTES, FUSED_MIN_BYTES, fusedResidualAdjoint, rowBlocks } from '../src/problems/operators/common.js';
import { DenseOperator } from '../src/problems/operators/dense.js';
import { SymmetricOperator } from '../src/problems/operators/symmetric.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { assertAllclose } from './helpers/allclose.js';
import { testBackends } from './helpers/backends.js';

/** The same operator without residualAdjoint (the models then take the two-pass path). */
function unfused(op: MeasurementOperator): MeasurementOperator {
  return {
    kind: op.kind, n1: op.n1, n2: op.n2, m: op.m,
    apply: (x, out) => op.apply(x, out),
    applyProduct: (l, r, out) => op.applyProduct(l, r, out),
    applyProductT: (l, r, out) => op.applyProductT(l, r, out),
    adjoint: (r, s) => op.adjoint(r, s),
    toDenseTensor: () => op.toDenseTensor(),
  };
}

describe.each(testBackends().map((b) => [b.name, b] as const))('residualAdjoint (%s)', (_name, be) => {
  // Matrices under FUSED_MIN_BYTES are one block; n = 100, m = 450 (packed 450 x 5050, 18 MB) is
  // split into blocks of 12 rows, the last one short.
  it.each([
    [100, 450, true], [60, 100, true], [5, 3, true], [20, 130, false], [9, 1, false],
  ] as const)('n = %i, m = %i, symmetric %s: equals apply - y and adjoint', (n, m, symmetric) => {
    const p = sensing({ n1: n, n2: n, m, rank: 2, truth: 'psd', symmetric, scale: 'isometric', noiseRelative: 0.1, seed: n + m, backend: be });
    const op = p.op;
    expect(op).toBeInstanceOf(symmetric ? SymmetricOperator : DenseOperator);
    const rng = Random.fromSeed(1);
    for (const x of [rng.normalMat(n, n), p.xStar!]) {
      const r = new Float64Array(m);
      const scale = 0.37;
      const g = op.residualAdjoint!(x, p.y, r, scale);
      const gFused = Float64Array.from((g as { mat: Mat }).mat.data);
      const expectedR = Float64Array.from(op.apply(x, new Float64Array(m)), (v, i) => v - p.y[i]);
      assertAllclose(r, expectedR, { rtol: 1e-12, atol: 1e-14 }, 'residual');
      const expectedG = op.adjoint(expectedR, scale);
      expect(expectedG.kind).toBe('dense');
      let big = 0;
      for (const v of (expectedG as { mat: Mat }).mat.data) big = Math.max(big, Math.abs(v));
      assertAllclose(gFused, (expectedG as { mat: Mat }).mat.data, { rtol: 1e-11, atol: 1e-13 * big }, 'adjoint');
    }
  });

  it.each([[101, 1830], [70, 1830], [3, 20000], [1, 7]] as const)('fusedResidualAdjoint over blocks (%i x %i) equals the two GEMVs', (m, s) => {
    const rng = Random.fromSeed(m + s);
    const p = rng.normalMat(m, s), v = rng.normalMat(1, s).data, y = rng.normalMat(1, m).data;
    const r = new Float64Array(m), g = new Float64Array(s).fill(NaN);
    const blocks = rowBlocks(p, r, undefined, 0);
    expect(blocks.mats.length).toBe(Math.ceil(m / Math.max(1, Math.floor(FUSED_BLOCK_BYTES / (8 * s)))));
    fusedResidualAdjoint(be, blocks, v, y, -2, g);
    const er = Float64Array.from(be.gemv(false, 1, p, v, 0, new Float64Array(m)), (x, i) => x - y[i]);
    assertAllclose(r, er, { rtol: 1e-12, atol: 1e-12 }, 'residual');
    const eg = be.gemv(true, -2, p, er, 0, new Float64Array(s));
    assertAllclose(g, eg, { rtol: 1e-11, atol: 1e-11 }, 'adjoint');
  });

  it('rowBlocks: blocks of about FUSED_BLOCK_BYTES covering every row once (one block under FUSED_MIN_BYTES), reused for the same buffers', () => {
    const p = { rows: 101, cols: 1830, data: new Float64Array(101 * 1830) };
    const r = new Float64Array(101);
    expect(8 * 101 * 1830).toBeLessThan(FUSED_MIN_BYTES);
    expect(rowBlocks(p, r, undefined).mats.map((m) => m.rows)).toEqual([101]);
    const b = rowBlocks(p, r, undefined, 0);
    const rows = Math.floor(FUSED_BLOCK_BYTES / (8 * 1830));
    expect(b.mats.map((m) => m.rows)).toEqual([...Array(Math.floor(101 / rows)).fill(rows), 101 % rows].filter((x) => x > 0));
    expect(b.starts[1]).toBe(rows);
    expect(b.mats[1].data.byteOffset).toBe(rows * 1830 * 8);
    expect(rowBlocks(p, r, b)).toBe(b);
    expect(rowBlocks(p, new Float64Array(101), b)).not.toBe(b);
  });
});

describe('models on a fused operator', () => {
  const specs: Array<[string, ModelSpec]> = [
    ['psd', { kind: 'psd', width: 12 }], ['udu', { kind: 'udu', width: 12 }], ['asymmetric', { kind: 'asymmetric', width: 12 }],
    ['deep 1', { kind: 'deep', depth: 1 }], ['deep 3', { kind: 'deep', depth: 3 }],
  ];
  it.each(specs)('%s: loss and gradients equal those through apply + adjoint (symmetric and dense sensing)', (_label, spec) => {
    for (const symmetric of [true, false]) {
      const p = sensing({ n1: 12, n2: 12, m: 150, rank: 2, truth: 'psd', symmetric, scale: 'isometric', truthNorm: 1, seed: 3 });
      const q: Problem = { ...p, op: unfused(p.op) };
      const a = createModel(spec, p, 'half-sse'), b = createModel(spec, q, 'half-sse');
      const params = initialize({ kind: 'scaled-direction', xi: 0.5 }, a, p, Random.fromSeed(2));
      const ga = a.factorShapes.map(([r, c]) => zeros(r, c)), gb = b.factorShapes.map(([r, c]) => zeros(r, c));
      for (let step = 0; step < 3; step++) {
        const la = a.lossAndGradient(params, ga), lb = b.lossAndGradient(params, gb);
        expect(Math.abs(la - lb)).toBeLessThanOrEqual(1e-12 * lb);
        ga.forEach((g, i) => assertAllclose(g, gb[i], { rtol: 1e-10, atol: 1e-13 }, `grad ${i}`));
        // lossAt in between must not disturb the gradient's residual (it uses its own buffer).
        expect(Math.abs(a.lossAt(params) - la)).toBeLessThanOrEqual(1e-12 * la);
        assertAllclose(a.endToEndGradient(zeros(12, 12)), b.endToEndGradient(zeros(12, 12)), { rtol: 1e-10, atol: 1e-13 }, 'dL/dW');
        params.forEach((x, i) => { for (let k = 0; k < x.data.length; k++) x.data[k] -= 0.05 * ga[i].data[k]; });
      }
    }
  });
});
