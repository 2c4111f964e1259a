/*
 * Measurement normalization and noise of the sensing generator (src/problems/generate.ts),
 * as the Hou et al. experiment uses them: scale = 'isometric' (entries N(0, 1/m), so that
 * E ||A(X)||^2 = ||X||_F^2), truthNorm (the Frobenius norm of the truth), and noiseRelative
 * (||y - A(X*)|| = level ||A(X*)|| exactly); their run-config keys and `implab gen` flags.
 */
import { describe, expect, it } from 'vitest';
import { genProblem } from '../src/cli/gen.js';
import { type Mat, frobeniusNorm, zeros } from '../src/linalg/mat.js';
import { commuting, measurementStd, sensing } from '../src/problems/generate.js';
import { SymmetricOperator } from '../src/problems/operators/symmetric.js';
import { Random } from '../src/rng/random.js';
import { ConfigError, resolveRunConfig } from '../src/sweep/config.js';
import { assertAllclose } from './helpers/allclose.js';

const norm2 = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
};

/** A random symmetric n x n matrix of rank r (r = n: full rank, indefinite). */
function randomSymmetric(rng: Random, n: number, r: number): Mat {
  const u = rng.normalMat(n, r);
  const signs = Float64Array.from({ length: r }, () => (rng.uniform() < 0.5 ? -1 : 1));
  const x = zeros(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += signs[k] * u.data[i * r + k] * u.data[j * r + k];
      x.data[i * n + j] = s;
    }
  return x;
}

describe("scale = 'isometric'", () => {
  it('measurementStd: arora 1/sqrt(entries), unit 1, isometric 1/sqrt(m); anything else is named', () => {
    expect(measurementStd('arora', 900, 10000)).toBe(1 / 100);
    expect(measurementStd('unit', 900, 10000)).toBe(1);
    expect(measurementStd('isometric', 900, 10000)).toBe(1 / 30);
    expect(() => measurementStd('huge' as 'unit', 1, 1)).toThrow('scale: expected arora, unit or isometric, got "huge"');
  });

  it('symmetric: E ||A(X)||^2 = ||X||_F^2 over random symmetric X (chi^2_m / m: within 5 standard deviations sqrt(2/m))', () => {
    const n = 20, m = 600;
    const rng = Random.fromSeed(7);
    const ratios: number[] = [];
    // A fresh operator per X, so that the ratios are independent chi^2_m / m draws.
    for (let t = 0; t < 40; t++) {
      const p = sensing({ n1: n, n2: n, m, rank: 2, truth: 'psd', symmetric: true, scale: 'isometric', seed: t });
      const x = randomSymmetric(rng, n, t % 2 === 0 ? 3 : n);
      const ax = p.op.apply(x, new Float64Array(m));
      ratios.push(norm2(ax) ** 2 / frobeniusNorm(x) ** 2);
    }
    const sd = Math.sqrt(2 / m);
    for (const q of ratios) expect(Math.abs(q - 1)).toBeLessThan(5 * sd);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    expect(Math.abs(mean - 1)).toBeLessThan(5 * sd / Math.sqrt(ratios.length));
  });

  it('dense (not symmetrized): E ||A(X)||^2 = ||X||_F^2 for every X, non-square included', () => {
    const m = 800, rng = Random.fromSeed(3);
    const ratios: number[] = [];
    for (let t = 0; t < 30; t++) {
      const p = sensing({ n1: 12, n2: 9, m, rank: 2, scale: 'isometric', seed: 100 + t });
      const x = rng.normalMat(12, 9);
      ratios.push(norm2(p.op.apply(x, new Float64Array(m))) ** 2 / frobeniusNorm(x) ** 2);
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    for (const q of ratios) expect(Math.abs(q - 1)).toBeLessThan(5 * Math.sqrt(2 / m));
    expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(2 / m) / Math.sqrt(ratios.length));
  });

  it('the symmetric operator is (B + B^T)/2 of N(0, 1/m) draws: the unit operator divided by sqrt(m) exactly, same seed', () => {
    const n = 6, m = 50;
    const iso = sensing({ n1: n, n2: n, m, rank: 2, truth: 'psd', symmetric: true, scale: 'isometric', seed: 4 });
    const unit = sensing({ n1: n, n2: n, m, rank: 2, truth: 'psd', symmetric: true, scale: 'unit', seed: 4 });
    const a = (iso.op as SymmetricOperator).packed.data, b = (unit.op as SymmetricOperator).packed.data;
    assertAllclose(a, Float64Array.from(b, (v) => v / Math.sqrt(m)), { rtol: 1e-15 }, 'packed');
    assertAllclose(iso.xStar!, unit.xStar!, { rtol: 0 }, 'the truth does not depend on the scale');
  });

  it('commuting: isometric diagonal entries have variance 1/m', () => {
    const p = commuting({ n: 40, m: 500, scale: 'isometric', seed: 2 });
    const t = p.op.toDenseTensor();
    const diag: number[] = [];
    for (let i = 0; i < 500; i++) for (let j = 0; j < 40; j++) diag.push(t[i * 1600 + j * 41]);
    const v = diag.reduce((s, x) => s + x * x, 0) / diag.length;
    expect(Math.abs(v * 500 - 1)).toBeLessThan(5 * Math.sqrt(2 / diag.length));
  });
});

describe('truthNorm', () => {
  it('rescales the same draws to ||X*||_F = truthNorm (psd, asymmetric, psd-spectrum)', () => {
    for (const truth of ['psd', 'asymmetric', 'psd-spectrum'] as const) {
      const a = sensing({ n1: 15, n2: 15, m: 30, rank: 3, truth, symmetric: true, seed: 5 });
      const b = sensing({ n1: 15, n2: 15, m: 30, rank: 3, truth, symmetric: true, truthNorm: 1, seed: 5 });
      expect(Math.abs(frobeniusNorm(b.xStar!) - 1)).toBeLessThan(1e-14);
      assertAllclose(b.xStar!, Float64Array.from(a.xStar!.data, (v) => v / 15), { rtol: 1e-13, atol: 1e-17 }, truth);
    }
  });

  it('refuses a bad value and a given truth', () => {
    expect(() => sensing({ n1: 4, n2: 4, m: 5, truthNorm: 0, seed: 1 })).toThrow('truthNorm: expected a positive finite number, got 0');
    const x = zeros(3, 3);
    x.data[0] = 1;
    expect(() => sensing({ n1: 3, n2: 3, m: 5, truth: { kind: 'given', xStar: x }, truthNorm: 2, seed: 1 })).toThrow('truthNorm: only for a generated truth');
  });
});

describe('noiseRelative', () => {
  it('||y - A(X*)|| = level ||A(X*)|| exactly; the truth and the operator are those of the noiseless problem', () => {
    for (const level of [1e-2, 0.3]) {
      const clean = sensing({ n1: 10, n2: 10, m: 70, rank: 2, truth: 'psd', symmetric: true, scale: 'isometric', truthNorm: 1, seed: 9 });
      const noisy = sensing({ n1: 10, n2: 10, m: 70, rank: 2, truth: 'psd', symmetric: true, scale: 'isometric', truthNorm: 1, noiseRelative: level, seed: 9 });
      assertAllclose(noisy.xStar!, clean.xStar!, { rtol: 0 }, 'truth');
      assertAllclose((noisy.op as SymmetricOperator).packed, (clean.op as SymmetricOperator).packed, { rtol: 0 }, 'operator');
      const b = noisy.op.apply(noisy.xStar!, new Float64Array(70));
      assertAllclose(b, clean.y, { rtol: 0 }, 'b# = y of the noiseless problem');
      const omega = Float64Array.from(noisy.y, (v, i) => v - b[i]);
      expect(Math.abs(norm2(omega) / norm2(b) - level)).toBeLessThan(1e-13);
    }
  });

  it('0 is the noiseless problem; with noise > 0 it is refused; it follows the sampling seed', () => {
    const base = { n1: 8, n2: 8, m: 30, rank: 2, truth: 'psd' as const, symmetric: true, seed: 1 };
    expect(sensing({ ...base, noiseRelative: 0 }).y).toEqual(sensing(base).y);
    expect(() => sensing({ ...base, noise: 0.1, noiseRelative: 0.1 })).toThrow('noiseRelative: give either noise (absolute) or noiseRelative');
    expect(() => sensing({ ...base, noiseRelative: -1 })).toThrow('noiseRelative: expected a finite number >= 0, got -1');
    const a = sensing({ ...base, noiseRelative: 0.1, samplingSeed: 5 }), b = sensing({ ...base, noiseRelative: 0.1, samplingSeed: 6 });
    expect(a.y).not.toEqual(b.y);
  });
});

describe('run config and implab gen', () => {
  const P = { kind: 'sensing', n: 10, m: 40, truth: 'psd', symmetric: true };
  it('resolved: scale isometric kept; truthNorm and noiseRelative kept when given, omitted otherwise', () => {
    const c = resolveRunConfig({ problem: { ...P, scale: 'isometric', truthNorm: 1, noiseRelative: 0.01 } }, 'x.toml');
    expect(c.problem).toMatchObject({ kind: 'sensing', scale: 'isometric', truthNorm: 1, noiseRelative: 0.01, noise: 0 });
    const d = resolveRunConfig({ problem: P }, 'x.toml');
    expect('truthNorm' in d.problem).toBe(false);
    expect('noiseRelative' in d.problem).toBe(false);
    expect(resolveRunConfig(c, 'again')).toEqual(c);
    const comp = resolveRunConfig({ problem: { kind: 'completion', n: 10, m: 30, truthNorm: 2 } }, 'x.toml');
    expect(comp.problem).toMatchObject({ truthNorm: 2 });
  });

  it('errors are one line naming the key', () => {
    const err = (raw: unknown): string => {
      try {
        resolveRunConfig(raw, 'x.toml');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err({ problem: { ...P, noise: 0.1, noiseRelative: 0.1 } })).toBe(
      'x.toml: problem.noiseRelative: expected either noise (absolute) or noiseRelative, got noise = 0.1 and noiseRelative = 0.1');
    expect(err({ problem: { ...P, truthNorm: 0 } })).toBe('x.toml: problem.truthNorm: expected a positive number, got 0');
    expect(err({ problem: { ...P, scale: 'iso' } })).toBe('x.toml: problem.scale: expected one of arora, unit, isometric, got "iso"');
  });

  it('implab gen sensing --scale isometric --truth-norm --noise-relative', () => {
    const p = genProblem('sensing', { out: 'P.npz', n: 8, m: 40, rank: 2, truth: 'psd', symmetric: true, scale: 'isometric', truthNorm: 1, noiseRelative: 0.05 });
    expect(Math.abs(frobeniusNorm(p.xStar!) - 1)).toBeLessThan(1e-14);
    const b = p.op.apply(p.xStar!, new Float64Array(40));
    expect(Math.abs(norm2(Float64Array.from(p.y, (v, i) => v - b[i])) / norm2(b) - 0.05)).toBeLessThan(1e-13);
    expect(() => genProblem('sensing', { out: 'P.npz', n: 8, m: 40, noise: 0.1, noiseRelative: 0.1 })).toThrow('--noise-relative: give either --noise (absolute) or --noise-relative, not both');
    expect(() => genProblem('commuting', { out: 'P.npz', n: 8, m: 40, noiseRelative: 0.1 })).toThrow('--noise-relative: not an option of "gen commuting"');
  });
});
