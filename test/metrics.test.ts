/*
 * The metrics against closed forms: diagonal and rank-1 matrices, I_n, matrices with
 * a constructed SVD (Haar-orthogonal factors, so the singular vectors are known), and
 * hand-computed means. Run on every backend testBackends() returns.
 *
 * Tolerances: a singular value from a backward-stable SVD is off by at most about
 * n eps ||W||_2 (Weyl), so figures built from a handful of them are held to 1e-13
 * relative for the small sizes here; figures from given singular values to 1e-15.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, diag, frobeniusNorm, identity, matFrom, transpose, zeros } from '../src/linalg/mat.js';
import { gradientAlignment } from '../src/metrics/alignment.js';
import { effectiveRank } from '../src/metrics/effective-rank.js';
import { heldOutLoss } from '../src/metrics/held-out.js';
import { nuclearNorm } from '../src/metrics/nuclear.js';
import { reconMse, reconRel } from '../src/metrics/reconstruction.js';
import { schattenNorm } from '../src/metrics/schatten.js';
import { spectralFigures } from '../src/metrics/spectral.js';
import { haarOrthogonal } from '../src/rng/orthogonal.js';
import { Random } from '../src/rng/random.js';
import { assertAllclose } from './helpers/allclose.js';
import { testBackends } from './helpers/backends.js';

function mul(a: Mat, b: Mat): Mat {
  const out = zeros(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let k = 0; k < a.cols; k++) s += a.data[i * a.cols + k] * b.data[k * b.cols + j];
      out.data[i * b.cols + j] = s;
    }
  return out;
}

/** Q1 diag(s) Q2^T with Haar-orthogonal Q1 (n1 x k), Q2 (n2 x k). */
function withSpectrum(seed: number, n1: number, n2: number, s: number[]): { w: Mat; u: Mat; v: Mat } {
  const rng = Random.fromSeed(seed);
  const u = haarOrthogonal(rng, n1, s.length);
  const v = haarOrthogonal(rng, n2, s.length);
  return { w: mul(mul(u, diag(s)), transpose(v)), u, v };
}

function rank1(): { w: Mat; u: number[]; v: number[] } {
  const u = [1, -2, 2]; // norm 3
  const v = [3, 4]; // norm 5
  return { w: matFrom(u.map((a) => v.map((b) => a * b))), u, v };
}

describe('norms and effective rank from given singular values (exact closed forms)', () => {
  it('nuclear norm is the sum', () => {
    expect(nuclearNorm([3, 2, 0.5, 0])).toBe(5.5);
    expect(nuclearNorm([])).toBe(0);
  });

  it('Schatten-p', () => {
    expect(schattenNorm([3, 4], 2)).toBe(5);
    expect(schattenNorm([1, 1], 0.5)).toBe(4);
    expect(schattenNorm([3, 2, 1], 1)).toBe(6);
    expect(schattenNorm([3, 2, 1], Infinity)).toBe(3);
    expect(schattenNorm([0, 0], 0.5)).toBe(0);
    // p = 2/3 (depth 3): (sum s^(2/3))^(3/2); s = [8, 1] -> (4 + 1)^(3/2) = 5 sqrt 5.
    assertAllclose(schattenNorm([8, 1], 2 / 3), 5 * Math.sqrt(5), { rtol: 1e-15 });
    // No overflow or underflow for extreme singular values.
    assertAllclose(schattenNorm([3e300, 4e300], 2), 5e300, { rtol: 1e-15 });
    assertAllclose(schattenNorm([3e-300, 4e-300], 2), 5e-300, { rtol: 1e-15 });
    assertAllclose(schattenNorm([8e300, 1e300], 2 / 3), 5 * Math.sqrt(5) * 1e300, { rtol: 1e-14 });
    expect(() => schattenNorm([1], 0)).toThrow('p: expected a positive number, got 0');
    expect(() => schattenNorm([1], -1)).toThrow('p: expected a positive number, got -1');
  });

  it('effective rank: exp(H(p)) with 0 log 0 = 0', () => {
    expect(effectiveRank([5, 0, 0])).toBe(1);
    expect(effectiveRank([2, 2, 0])).toBe(2);
    expect(effectiveRank([0, 0])).toBe(0);
    // p = (3/4, 1/4): H = -(3/4) log(3/4) - (1/4) log(1/4).
    const h = -0.75 * Math.log(0.75) - 0.25 * Math.log(0.25);
    assertAllclose(effectiveRank([3, 1]), Math.exp(h), { rtol: 1e-15 });
    assertAllclose(effectiveRank([3e305, 1e305]), Math.exp(h), { rtol: 1e-15 });
    expect(effectiveRank([NaN, 1])).toBeNaN();
  });
});

describe.each(testBackends().map((b) => [b.name, b] as [string, Backend]))('metrics of matrices on the %s backend', (_name, be) => {
  it('effective rank of I_n is n, of a rank-1 matrix 1', () => {
    for (const n of [1, 2, 5, 17]) assertAllclose(effectiveRank(identity(n), be), n, { rtol: 1e-15 });
    const { w } = rank1();
    // The zero singular values come out at rounding level, delta ~ n eps s_1, and each adds
    // -p log p ~ delta log(1/delta) to the entropy: about 1e-14 here (8 ulps seen with OpenBLAS's
    // Cooper Lake kernels), so 1e-15 would test the BLAS build, not the metric.
    assertAllclose(effectiveRank(w, be), 1, { rtol: 1e-13 });
  });

  it('nuclear norm of diag and rank-1 matrices', () => {
    expect(nuclearNorm(diag([3, -4, 0]), be)).toBe(7);
    assertAllclose(nuclearNorm(rank1().w, be), 15, { rtol: 1e-15 });
  });

  it('Schatten-1 = nuclear, Schatten-2 = Frobenius, Schatten-inf = spectral', () => {
    const { w } = withSpectrum(7, 6, 4, [5, 3, 1, 0.25]);
    assertAllclose(schattenNorm(w, 1, be), nuclearNorm(w, be), { rtol: 1e-15 });
    assertAllclose(nuclearNorm(w, be), 9.25, { rtol: 1e-13 });
    assertAllclose(schattenNorm(w, 2, be), frobeniusNorm(w), { rtol: 1e-13 });
    assertAllclose(schattenNorm(w, Infinity, be), 5, { rtol: 1e-13 });
    const p = 2 / 3;
    const expected = Math.pow([5, 3, 1, 0.25].reduce((a, s) => a + Math.pow(s, p), 0), 1 / p);
    assertAllclose(schattenNorm(w, p, be), expected, { rtol: 1e-13 });
  });

  it('spectralFigures: every figure from ONE decomposition', () => {
    let gesdd = 0, sv = 0;
    const spy: Backend = {
      ...be,
      gesdd: (a) => (gesdd++, be.gesdd(a)),
      singularValues: (a) => (sv++, be.singularValues(a)),
    };
    const { w } = withSpectrum(3, 5, 4, [4, 2, 1, 1e-3]);
    const g = withSpectrum(4, 5, 4, [1, 1, 1, 1]).w;
    const xStar = withSpectrum(5, 5, 4, [4, 2, 0, 0].slice(0, 2)).w;
    const f = spectralFigures(w, { grad: g, xStar, k: 3, schattenP: 2 / 3, backend: spy });
    expect([gesdd, sv]).toEqual([1, 0]);
    assertAllclose(f.top, [4, 2, 1], { rtol: 1e-13 });
    expect(f.singularValues.length).toBe(4);
    expect(f.k).toBe(3);
    assertAllclose(f.nuclearNorm, 7.001, { rtol: 1e-13 });
    assertAllclose(f.schatten, schattenNorm([4, 2, 1, 1e-3], 2 / 3), { rtol: 1e-13 });
    assertAllclose(f.effectiveRank, effectiveRank([4, 2, 1, 1e-3]), { rtol: 1e-13 });
    expect(f.reconMse).toBe(reconMse(w, xStar));
    expect(f.reconRel).toBe(reconRel(w, xStar));
    const a = gradientAlignment(be.gesdd(w), g, 3, be);
    assertAllclose(f.gradAlignDiag!, a.diag, { rtol: 1e-12 });
    assertAllclose(f.gradAlignOffdiag!, a.offdiag, { rtol: 1e-12 });

    gesdd = sv = 0;
    const h = spectralFigures(w, { backend: spy });
    expect([gesdd, sv]).toEqual([0, 1]);
    expect(h.gradAlignDiag).toBeNull();
    expect(h.reconMse).toBeNull();
    expect(h.top.length).toBe(4);
    expect(h.schattenP).toBe(1);
    expect(h.schatten).toBe(h.nuclearNorm);
  });

  it('spectralFigures of a non-finite W: NaN figures, no decomposition attempted', () => {
    let calls = 0;
    const spy: Backend = { ...be, gesdd: (a) => (calls++, be.gesdd(a)), singularValues: (a) => (calls++, be.singularValues(a)) };
    const w = matFrom([[1, NaN], [0, 1]]);
    const f = spectralFigures(w, { grad: identity(2), xStar: identity(2), k: 2, backend: spy });
    expect(calls).toBe(0);
    expect(f.nuclearNorm).toBeNaN();
    expect(f.effectiveRank).toBeNaN();
    expect(f.gradAlignDiag).toBeNaN();
    expect(f.reconMse).toBeNaN();
  });

  it('gradient alignment: the means of |U^T G V| over the leading K x K block', () => {
    // W = diag(3, 2, 1): U = V = I up to signs, so U^T G V = G up to signs.
    const w = diag([3, 2, 1]);
    const g = matFrom([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const svd = be.gesdd(w);
    const all = gradientAlignment(svd, g, 3, be);
    expect(all.diag).toBe(5); // (1 + 5 + 9) / 3
    expect(all.offdiag).toBe(5); // (2 + 3 + 4 + 6 + 7 + 8) / 6
    const two = gradientAlignment(svd, g, 2, be);
    expect(two.diag).toBe(3); // (1 + 5) / 2
    expect(two.offdiag).toBe(3); // (2 + 4) / 2
    const one = gradientAlignment(svd, g, 1, be);
    expect(one.diag).toBe(1);
    expect(one.offdiag).toBeNaN();

    // A rotated instance: W = Q1 S Q2^T and G = Q1 M Q2^T give |U^T G V| = |M|.
    const s = [4, 3, 2, 1];
    const { w: w2, u, v } = withSpectrum(11, 6, 5, s);
    const m = matFrom([[1, -0.5, 0, 0.25], [2, -3, 0.5, 0], [0, 0, 1, -1], [0.125, 0, 0, 2]]);
    const g2 = mul(mul(u, m), transpose(v));
    const r = gradientAlignment(be.gesdd(w2), g2, 4, be);
    assertAllclose(r.diag, (1 + 3 + 1 + 2) / 4, { rtol: 1e-13 });
    assertAllclose(r.offdiag, (0.5 + 0.25 + 2 + 0.5 + 1 + 0.125) / 12, { rtol: 1e-12, atol: 1e-14 });
    expect(() => gradientAlignment(be.gesdd(w2), identity(6), 4, be)).toThrow('grad: expected shape 6x5 like W, got 6x6');
  });
});

describe('reconstruction errors and the held-out loss', () => {
  it('recon_mse = mean((W - W*)^2), recon_rel = ||W - W*||_F / ||W*||_F', () => {
    const w = matFrom([[1, 2], [3, 4]]);
    const x = matFrom([[1, 0], [3, 8]]);
    expect(reconMse(w, x)).toBe((4 + 16) / 4);
    assertAllclose(reconRel(w, x), Math.sqrt(20) / Math.sqrt(74), { rtol: 1e-15 });
    expect(reconMse(x, x)).toBe(0);
    expect(reconRel(x, x)).toBe(0);
    expect(reconRel(w, zeros(2, 2))).toBe(Infinity);
    expect(reconRel(zeros(2, 2), zeros(2, 2))).toBe(0);
    assertAllclose(reconMse(matFrom([[3e150, 0]]), matFrom([[0, 4e150]])), 12.5e300, { rtol: 1e-15 }); // scaled sum
    assertAllclose(reconRel(matFrom([[3e-200, 0]]), matFrom([[0, 4e-200]])), 5 / 4, { rtol: 1e-15 });
    expect(reconMse(matFrom([[1e200]]), matFrom([[-1e200]]))).toBe(Infinity);
    expect(() => reconMse(w, zeros(2, 3))).toThrow('xStar: expected shape 2x2, got 2x3');
  });

  it('held-out loss, mse and half-sse', () => {
    const w = matFrom([[1, 2], [3, 4]]);
    const test = { rows: Int32Array.of(0, 1, 1), cols: Int32Array.of(1, 0, 1), y: Float64Array.of(2, 1, 5) };
    expect(heldOutLoss(w, test, 'mse')).toBe((0 + 4 + 1) / 3);
    expect(heldOutLoss(w, test, 'half-sse')).toBe(2.5);
    expect(() => heldOutLoss(w, { rows: Int32Array.of(2), cols: Int32Array.of(0), y: Float64Array.of(0) }, 'mse')).toThrow(
      'test: entry 0 at (2, 0) lies outside the 2x2 matrix',
    );
  });
});
