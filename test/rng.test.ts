import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/rng/random.js';
import { Xoroshiro128Plus, seedState } from '../src/rng/xoroshiro.js';
import { haarOrthogonal } from '../src/rng/orthogonal.js';
import { assertAllclose } from './helpers/allclose.js';

interface RngCase {
  seed: string;
  state: [number, number, number, number];
  outputs_hex: string[];
  doubles: string[];
  normals: string[];
  state_after_jump: [number, number, number, number];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/rng.json', import.meta.url), 'utf8')) as { cases: RngCase[] };

describe('xoroshiro128+ against the Python reference (test/fixtures/make_rng_fixture.py)', () => {
  for (const c of fixture.cases) {
    it(`seed ${c.seed}`, () => {
      expect(seedState(BigInt(c.seed)).words).toEqual(c.state);
      const g = new Xoroshiro128Plus(seedState(BigInt(c.seed)));
      for (const hex of c.outputs_hex) {
        g.step();
        const got = g.outHigh.toString(16).padStart(8, '0') + g.outLow.toString(16).padStart(8, '0');
        expect(got).toBe(hex);
      }
      const d = new Xoroshiro128Plus(seedState(BigInt(c.seed)));
      for (const v of c.doubles) expect(d.nextDouble()).toBe(Number(v));
      // Box–Muller goes through libm (log, cos, sin), which may differ from V8's by an ulp.
      const r = Random.fromSeed(BigInt(c.seed));
      const normals = c.normals.map(() => r.normal());
      assertAllclose(normals, c.normals.map(Number), { rtol: 4e-16, atol: 4e-16 }, 'normals');
      const j = new Xoroshiro128Plus(seedState(BigInt(c.seed)));
      j.jump();
      expect(j.state().words).toEqual(c.state_after_jump);
    });
  }
});

describe('Random', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = Random.fromSeed(7), b = Random.fromSeed(7), c = Random.fromSeed(8);
    const xa = Array.from({ length: 100 }, () => a.normal());
    const xb = Array.from({ length: 100 }, () => b.normal());
    const xc = Array.from({ length: 100 }, () => c.normal());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('resumes exactly from a serialized state, mid Box–Muller pair included', () => {
    const a = Random.fromSeed(3);
    a.normal(); // leaves a spare
    const saved = JSON.parse(JSON.stringify(a.state()));
    const rest = Array.from({ length: 50 }, () => a.normal() + a.uniform());
    const b = Random.fromState(saved);
    expect(Array.from({ length: 50 }, () => b.normal() + b.uniform())).toEqual(rest);
  });

  it('split streams are distinct and reproducible', () => {
    const root1 = Random.fromSeed(11), root2 = Random.fromSeed(11);
    const [d1, i1] = [root1.split(), root1.split()];
    const [d2, i2] = [root2.split(), root2.split()];
    const take = (r: Random) => Array.from({ length: 20 }, () => r.uniform());
    const a = take(d1), b = take(i1);
    expect(a).toEqual(take(d2));
    expect(b).toEqual(take(i2));
    expect(a).not.toEqual(b);
    expect(take(root1)).not.toEqual(a);
  });

  it('uniform and normal have the right moments (fixed seed; bounds at 5 standard errors)', () => {
    const r = Random.fromSeed(2024);
    const n = 200_000;
    let su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0, below = 0, outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) outOfRange++;
      su += u;
      su2 += u * u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      sn4 += z ** 4;
      if (z < -1) below++;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(su2 / n - 1 / 3)).toBeLessThan(5 * Math.sqrt(4 / 45 / n));
    expect(Math.abs(sn / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(sn4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    const p = 0.15865525393145707; // P(Z < -1)
    expect(Math.abs(below / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });

  it('int is unbiased and in range', () => {
    const r = Random.fromSeed(5);
    const counts = new Array(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) counts[r.int(7)]++;
    let chi2 = 0;
    for (const c of counts) chi2 += (c - n / 7) ** 2 / (n / 7);
    expect(chi2).toBeLessThan(22.46); // chi-square, 6 d.o.f., p = 0.001
    expect(() => r.int(0)).toThrow(/n: expected/);
  });

  it('permutation is a permutation, and all 6 orders of 3 appear equally often', () => {
    const r = Random.fromSeed(9);
    const p = r.permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const key = Array.from(r.permutation(3)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    let chi2 = 0;
    for (const c of counts.values()) chi2 += (c - n / 6) ** 2 / (n / 6);
    expect(chi2).toBeLessThan(20.52); // 5 d.o.f., p = 0.001
  });

  it('sampleWithoutReplacement gives distinct values, uniform inclusion, on both code paths', () => {
    const r = Random.fromSeed(13);
    for (const [n, k] of [[10, 10], [10_000, 2000], [50_000_000, 1000]] as const) {
      const s = r.sampleWithoutReplacement(n, k);
      expect(s.length).toBe(k);
      expect(new Set(s).size).toBe(k);
      for (const v of s) expect(v >= 0 && v < n).toBe(true);
    }
    const hits = new Array(20).fill(0);
    const trials = 20_000;
    for (let t = 0; t < trials; t++) for (const v of r.sampleWithoutReplacement(20, 5)) hits[v]++;
    let chi2 = 0;
    const e = (trials * 5) / 20;
    for (const h of hits) chi2 += (h - e) ** 2 / e;
    expect(chi2).toBeLessThan(43.82); // 19 d.o.f., p = 0.001 (conservative for this dependent design)
    expect(() => r.sampleWithoutReplacement(5, 6)).toThrow(/k: expected an integer in \[0, 5\]/);
  });
});

describe('haarOrthogonal', () => {
  it('has orthonormal columns, square and tall', () => {
    const r = Random.fromSeed(1);
    for (const [n, k] of [[1, 1], [5, 5], [50, 50], [200, 200], [100, 7]] as const) {
      const q = haarOrthogonal(r, n, k);
      let worst = 0;
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += q.data[i * k + a] * q.data[i * k + b];
          worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
        }
      }
      expect(worst).toBeLessThan(4 * n * Number.EPSILON);
    }
  });

  it('is Haar: an entry of a 3x3 Haar matrix has E[q^2] = 1/3 and E[q^4] = 1/5, with no sign bias', () => {
    const r = Random.fromSeed(77);
    const n = 30_000;
    let s1 = 0, s2 = 0, s4 = 0;
    for (let t = 0; t < n; t++) {
      const q = haarOrthogonal(r, 3);
      const v = q.data[4];
      s1 += v;
      s2 += v * v;
      s4 += v ** 4;
    }
    // For a uniform unit vector in R^3, q^2 ~ Beta(1/2, 1): var(q^2) = 4/45, var(q^4) = 1/7 - 1/25.
    expect(Math.abs(s1 / n)).toBeLessThan(5 * Math.sqrt(1 / 3 / n));
    expect(Math.abs(s2 / n - 1 / 3)).toBeLessThan(5 * Math.sqrt(4 / 45 / n));
    expect(Math.abs(s4 / n - 1 / 5)).toBeLessThan(5 * Math.sqrt((1 / 7 - 1 / 25) / n));
  });
});
