import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../src/io/errors.js';
import { parseRatings } from '../src/io/ratings.js';
import { type Mat, frobeniusNorm } from '../src/linalg/mat.js';
import { backend } from '../src/linalg/select.js';
import { Random } from '../src/rng/random.js';
import { commuting, completion, movielens, razin2x2, sensing, successiveSample } from '../src/problems/generate.js';
import { aroraTruth, diagonalPsdTruth, powerLawSpectrum, psdTruth, psdWithSpectrum, truthFromNd } from '../src/problems/ground-truth.js';
import { CompletionOperator } from '../src/problems/operators/index.js';
import type { Problem } from '../src/problems/problem.js';
import { ndFromMat } from '../src/io/npz.js';
import { assertAllclose } from './helpers/allclose.js';

function entriesOf(p: Problem): { rows: Int32Array; cols: Int32Array } {
  const op = p.op as CompletionOperator;
  expect(op).toBeInstanceOf(CompletionOperator);
  return { rows: op.rows, cols: op.cols };
}

function expectRank(x: Mat, r: number): void {
  const s = backend().singularValues(x);
  expect(s[r - 1]).toBeGreaterThan(1e-6 * s[0]);
  for (let k = r; k < s.length; k++) expect(s[k]).toBeLessThan(1e-12 * s[0] * Math.sqrt(x.rows));
}

function expectSymmetric(x: Mat): void {
  const n = x.rows;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(x.data[i * n + j]).toBe(x.data[j * n + i]);
}

function sampleVariance(x: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - mean) ** 2;
  return s / (x.length - 1);
}

describe('ground truths', () => {
  it("Arora et al.'s asymmetric truth: rank r, ||W*||_F = sqrt(n1 n2)", () => {
    for (const [n1, n2, r] of [[30, 30, 5], [20, 35, 3], [8, 8, 8]]) {
      const w = aroraTruth(Random.fromSeed(3), n1, n2, r);
      expect(frobeniusNorm(w)).toBeCloseTo(Math.sqrt(n1 * n2), 10);
      expectRank(w, r);
    }
  });

  it('PSD truth: symmetric, PSD, rank r, ||X*||_F = n', () => {
    const x = psdTruth(Random.fromSeed(4), 25, 3);
    expectSymmetric(x);
    expect(frobeniusNorm(x)).toBeCloseTo(25, 10);
    expectRank(x, 3);
    const ev = backend().eigvalsh(x);
    expect(ev[0]).toBeGreaterThan(-1e-12 * ev[ev.length - 1]);
  });

  it('PSD with a prescribed spectrum: eigenvalues as given (k^-1.5)', () => {
    const lambda = powerLawSpectrum(12, 1.5);
    expect(lambda[0]).toBe(1);
    expect(lambda[3]).toBeCloseTo(4 ** -1.5, 15);
    const x = psdWithSpectrum(Random.fromSeed(5), 20, lambda);
    expectSymmetric(x);
    const ev = Array.from(backend().eigvalsh(x)).reverse(); // descending
    assertAllclose(ev.slice(0, 12), lambda, { rtol: 1e-12, atol: 1e-14 }, 'eigenvalues');
    assertAllclose(ev.slice(12), new Float64Array(8), { atol: 1e-14 }, 'zero eigenvalues');
    expect(() => psdWithSpectrum(Random.fromSeed(5), 3, [1, -1])).toThrow('eigenvalues[1]: expected a finite number >= 0, got -1');
  });

  it('diagonal PSD truth: rank non-zeros, positive, ||d||_2 = n', () => {
    const d = diagonalPsdTruth(Random.fromSeed(6), 40, 7);
    expect(Array.from(d).filter((v) => v !== 0)).toHaveLength(7);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
    expect(Math.hypot(...d)).toBeCloseTo(40, 10);
  });

  it('truthFromNd takes X_star, W or X, and names a NaN', () => {
    const x: Mat = { rows: 2, cols: 2, data: Float64Array.of(1, 2, 3, 4) };
    expect(truthFromNd(new Map([['W', ndFromMat(x)]]), 'R.npz').data).toEqual(x.data);
    expect(() => truthFromNd(new Map(), 'R.npz')).toThrow('R.npz: no ground truth (expected a field named X_star, W, X)');
    const bad: Mat = { rows: 2, cols: 2, data: Float64Array.of(1, 2, NaN, 4) };
    expect(() => truthFromNd(new Map([['X_star', ndFromMat(bad)]]), 'R.npz')).toThrow('R.npz: field "X_star": entry [1, 0] is NaN (expected finite values)');
  });

  it('rank out of range is refused', () => {
    expect(() => aroraTruth(Random.fromSeed(1), 4, 6, 5)).toThrow('rank: expected an integer in [1, 4] for a 4x6 matrix, got 5');
  });
});

describe('sensing', () => {
  it('is deterministic in the seed; changing m, noise or scale does not change W*', () => {
    const a = sensing({ n1: 12, n2: 10, m: 40, rank: 3, seed: 7 });
    const b = sensing({ n1: 12, n2: 10, m: 40, rank: 3, seed: 7 });
    expect(a.op.toDenseTensor()).toEqual(b.op.toDenseTensor());
    expect(a.y).toEqual(b.y);
    expect(a.xStar!.data).toEqual(b.xStar!.data);
    const c = sensing({ n1: 12, n2: 10, m: 65, rank: 3, seed: 7, noise: 0.1, scale: 'unit' });
    expect(c.xStar!.data).toEqual(a.xStar!.data);
    const d = sensing({ n1: 12, n2: 10, m: 40, rank: 3, seed: 8 });
    expect(d.xStar!.data).not.toEqual(a.xStar!.data);
    // More measurements extend the same sequence of A_i.
    const e = sensing({ n1: 12, n2: 10, m: 60, rank: 3, seed: 7 });
    expect(e.op.toDenseTensor().subarray(0, 40 * 120)).toEqual(a.op.toDenseTensor());
  });

  it('y = A(W*) exactly without noise; noise has the asked standard deviation', () => {
    const p = sensing({ n1: 10, n2: 10, m: 3000, rank: 2, seed: 1 });
    expect(p.op.kind).toBe('dense');
    expect(p.psd).toBe(false);
    expect(p.y).toEqual(p.op.apply(p.xStar!, new Float64Array(3000)));
    // arora scale: y_i ~ N(0, ||W*||_F^2 / n^2) = N(0, 1).
    const v = sampleVariance(p.y);
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / 2999));
    const q = sensing({ n1: 10, n2: 10, m: 3000, rank: 2, seed: 1, noise: 0.5 });
    const diff = q.y.map((y, i) => y - p.y[i]);
    expect(Math.abs(sampleVariance(diff) - 0.25)).toBeLessThan(5 * 0.25 * Math.sqrt(2 / 2999));
  });

  it('arora scale: entries N(0, 1/n^2); unit scale: N(0, 1) (sample variance within 5 standard errors)', () => {
    for (const [n1, n2] of [[30, 30], [20, 45]]) {
      const a = sensing({ n1, n2, m: 200, rank: 2, seed: 2 }).op.toDenseTensor();
      const want = 1 / (n1 * n2);
      const se = want * Math.sqrt(2 / (a.length - 1));
      expect(Math.abs(sampleVariance(a) - want)).toBeLessThan(5 * se);
    }
    const u = sensing({ n1: 30, n2: 30, m: 200, rank: 2, seed: 2, scale: 'unit' }).op.toDenseTensor();
    expect(Math.abs(sampleVariance(u) - 1)).toBeLessThan(5 * Math.sqrt(2 / (u.length - 1)));
  });

  it('symmetric: packed operator holding (A + A^T)/2 of the plain draws', () => {
    const plain = sensing({ n1: 8, n2: 8, m: 30, rank: 2, seed: 9, truth: 'psd' });
    const sym = sensing({ n1: 8, n2: 8, m: 30, rank: 2, seed: 9, truth: 'psd', symmetric: true });
    expect(sym.op.kind).toBe('symmetric');
    expect(sym.psd).toBe(true);
    expect(sym.xStar!.data).toEqual(plain.xStar!.data);
    const a = plain.op.toDenseTensor(), s = sym.op.toDenseTensor();
    const want = new Float64Array(a.length);
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 8; j++) for (let k = 0; k < 8; k++) want[i * 64 + j * 8 + k] = 0.5 * (a[i * 64 + j * 8 + k] + a[i * 64 + k * 8 + j]);
    }
    assertAllclose(s, want, { rtol: 1e-15, atol: 1e-18 }, 'symmetrized');
    // For a symmetric truth, <A, X> = <(A + A^T)/2, X>.
    assertAllclose(sym.y, plain.y, { rtol: 1e-12, atol: 1e-12 }, 'y');
  });

  it('psd and psd-spectrum truths; bad options are named', () => {
    const p = sensing({ n1: 15, n2: 15, m: 20, truth: 'psd-spectrum', seed: 3 });
    expect(p.psd).toBe(true);
    expect(frobeniusNorm(p.xStar!)).toBeCloseTo(15, 10);
    const ev = Array.from(backend().eigvalsh(p.xStar!)).reverse();
    for (let k = 1; k < 15; k++) expect(ev[k] / ev[0]).toBeCloseTo((k + 1) ** -1.5, 10);
    expect(() => sensing({ n1: 4, n2: 5, m: 3, seed: 1, symmetric: true })).toThrow('symmetric: symmetric measurements need n1 = n2, got 4x5');
    expect(() => sensing({ n1: 4, n2: 5, m: 3, seed: 1, truth: 'psd' })).toThrow(/needs n1 = n2, got 4x5/);
    expect(() => sensing({ n1: 4, n2: 4, m: 0, seed: 1 })).toThrow('m: expected an integer >= 1, got 0');
    expect(() => sensing({ n1: 4, n2: 4, m: 3, seed: 1, noise: -1 })).toThrow('noise: expected a finite number >= 0, got -1');
    expect(() => sensing({ n1: 4, n2: 4, m: 3, seed: 1, psd: true })).toThrow('truth: the PSD setting needs a psd or psd-spectrum truth, got asymmetric');
  });

  it('a given truth is used as is', () => {
    const x: Mat = { rows: 2, cols: 3, data: Float64Array.of(1, 2, 3, 4, 5, 6) };
    const p = sensing({ n1: 2, n2: 3, m: 5, seed: 1, truth: { kind: 'given', xStar: x } });
    expect(p.xStar!.data).toEqual(x.data);
    expect(() => sensing({ n1: 3, n2: 3, m: 5, seed: 1, truth: { kind: 'given', xStar: x } })).toThrow('truth: expected a 3x3 matrix, got 2x3');
  });
});

function checkCompletionEntries(p: Problem, n1: number, n2: number): void {
  const { rows, cols } = entriesOf(p);
  const seen = new Set<number>();
  for (let k = 0; k < rows.length; k++) {
    expect(rows[k]).toBeGreaterThanOrEqual(0);
    expect(rows[k]).toBeLessThan(n1);
    expect(cols[k]).toBeGreaterThanOrEqual(0);
    expect(cols[k]).toBeLessThan(n2);
    const key = rows[k] * n2 + cols[k];
    expect(seen.has(key)).toBe(false);
    seen.add(key);
  }
}

describe('completion', () => {
  it('uniform: m distinct entries, values of W*, deterministic; m does not change W*', () => {
    const p = completion({ n1: 20, n2: 30, m: 250, rank: 3, seed: 4 });
    expect(p.op.kind).toBe('completion');
    expect(p.op.m).toBe(250);
    checkCompletionEntries(p, 20, 30);
    expect(p.y).toEqual(p.op.apply(p.xStar!, new Float64Array(250)));
    const q = completion({ n1: 20, n2: 30, m: 250, rank: 3, seed: 4 });
    expect(entriesOf(q).rows).toEqual(entriesOf(p).rows);
    expect(entriesOf(q).cols).toEqual(entriesOf(p).cols);
    expect(q.y).toEqual(p.y);
    expect(completion({ n1: 20, n2: 30, m: 400, rank: 3, seed: 4 }).xStar!.data).toEqual(p.xStar!.data);
    // Every entry can be observed, and the matrix filled completely.
    const all = completion({ n1: 6, n2: 7, m: 42, rank: 2, seed: 4 });
    checkCompletionEntries(all, 6, 7);
    expect(() => completion({ n1: 10, n2: 10, m: 101, seed: 1 })).toThrow('m: 101 exceeds the 100 entries of a 10x10 matrix');
  });

  it('uniform sampling is uniform: entry counts over many seeds are flat', () => {
    const counts = new Float64Array(25);
    const trials = 400;
    for (let s = 0; s < trials; s++) {
      const { rows, cols } = entriesOf(completion({ n1: 5, n2: 5, m: 10, rank: 1, seed: s }));
      for (let k = 0; k < rows.length; k++) counts[rows[k] * 5 + cols[k]]++;
    }
    // Each entry is observed with probability 10/25; binomial(400, 0.4) has sd ~ 9.8.
    for (const c of counts) expect(Math.abs(c - 160)).toBeLessThan(5 * Math.sqrt(trials * 0.4 * 0.6));
  });

  it('symmetric (PSD): observes (i, j) and (j, i) together with equal values, exactly m entries', () => {
    for (const [n, m] of [[12, 60], [12, 61], [5, 25], [5, 24], [2, 3], [3, 1]]) {
      for (let seed = 1; seed <= 25; seed++) {
        const p = completion({ n1: n, n2: n, m, rank: 1, symmetric: true, seed });
        expect(p.psd).toBe(true);
        expect(p.op.m).toBe(m);
        checkCompletionEntries(p, n, n);
        expectSymmetric(p.xStar!);
        const { rows, cols } = entriesOf(p);
        const value = new Map<number, number>();
        for (let k = 0; k < m; k++) value.set(rows[k] * n + cols[k], p.y[k]);
        for (let k = 0; k < m; k++) expect(value.get(cols[k] * n + rows[k])).toBe(p.y[k]);
      }
    }
  });

  it('powerlaw sampling concentrates on a few rows and columns; uniform does not', () => {
    const share = (p: Problem, n: number, of: 'rows' | 'cols') => {
      const idx = entriesOf(p)[of];
      const count = new Array<number>(n).fill(0);
      for (const i of idx) count[i]++;
      count.sort((a, b) => b - a);
      return count.slice(0, n / 10).reduce((a, b) => a + b, 0) / idx.length;
    };
    const pl = completion({ n1: 100, n2: 100, m: 2000, rank: 5, sampling: 'powerlaw', seed: 1 });
    const un = completion({ n1: 100, n2: 100, m: 2000, rank: 5, sampling: 'uniform', seed: 1 });
    checkCompletionEntries(pl, 100, 100);
    // Top 10% of rows: p_i ~ 1/i gives them H_10 / H_100 ~ 0.56 of the mass, less once their
    // 100 entries each run out (sampling is without replacement): about 0.3. Uniform: about 0.12.
    expect(share(pl, 100, 'rows')).toBeGreaterThan(0.25);
    expect(share(pl, 100, 'cols')).toBeGreaterThan(0.25);
    const busiest = Math.max(...entriesOf(pl).rows.reduce((c, r) => (c[r]++, c), new Array<number>(100).fill(0)));
    expect(busiest).toBeGreaterThan(60); // uniform expects 20 per row
    expect(share(un, 100, 'rows')).toBeLessThan(0.2);
    // Dense powerlaw sampling still completes (the Efraimidis–Spirakis tail).
    const dense = completion({ n1: 20, n2: 20, m: 390, sampling: 'powerlaw', seed: 2, rank: 2 });
    checkCompletionEntries(dense, 20, 20);
    const sym = completion({ n1: 30, n2: 30, m: 301, sampling: 'powerlaw', symmetric: true, seed: 2, rank: 2 });
    checkCompletionEntries(sym, 30, 30);
    expect(sym.op.m).toBe(301);
  });

  it('test entries: a fraction of the unobserved ones, disjoint from training, noise-free', () => {
    const p = completion({ n1: 10, n2: 12, m: 40, rank: 2, seed: 5, testFraction: 0.5, noise: 0.1 });
    const { rows, cols } = entriesOf(p);
    const train = new Set(Array.from(rows, (r, k) => r * 12 + cols[k]));
    const t = p.test!;
    expect(t.y.length).toBe(40);
    for (let k = 0; k < t.y.length; k++) {
      expect(train.has(t.rows[k] * 12 + t.cols[k])).toBe(false);
      expect(t.y[k]).toBe(p.xStar!.data[t.rows[k] * 12 + t.cols[k]]);
    }
    const all = completion({ n1: 10, n2: 12, m: 40, rank: 2, seed: 5, testFraction: 1 });
    expect(all.test!.y.length).toBe(80);
    const sym = completion({ n1: 9, n2: 9, m: 31, rank: 2, seed: 5, symmetric: true, testFraction: 1 });
    expect(sym.test!.y.length).toBe(50);
    expect(completion({ n1: 9, n2: 9, m: 31, seed: 5 }).test).toBeUndefined();
    // Noise: one draw per observed entry.
    const clean = completion({ n1: 10, n2: 12, m: 40, rank: 2, seed: 5 });
    expect(p.y).not.toEqual(clean.y);
    expect(p.xStar!.data).toEqual(clean.xStar!.data);
  });
});

describe('commuting, razin2x2', () => {
  it('commuting: diagonal operator, diagonal PSD truth of the asked rank, ||X*||_F = n', () => {
    const p = commuting({ n: 30, m: 10, rank: 4, seed: 2 });
    expect(p.op.kind).toBe('diagonal');
    expect(p.psd).toBe(true);
    const x = p.xStar!;
    for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) if (i !== j) expect(x.data[i * 30 + j]).toBe(0);
    expectRank(x, 4);
    expect(frobeniusNorm(x)).toBeCloseTo(30, 10);
    assertAllclose(p.y, p.op.apply(x, new Float64Array(10)), { rtol: 0, atol: 0 });
    const q = commuting({ n: 30, m: 10, rank: 4, seed: 2 });
    expect(q.op.toDenseTensor()).toEqual(p.op.toDenseTensor());
  });

  it('razin2x2: [[?, 1], [1, 0]] and the perturbed family', () => {
    const p = razin2x2();
    const { rows, cols } = entriesOf(p);
    expect(Array.from(rows)).toEqual([0, 1, 1]);
    expect(Array.from(cols)).toEqual([1, 0, 1]);
    expect(Array.from(p.y)).toEqual([1, 1, 0]);
    expect(p.xStar).toBeUndefined();
    expect(Array.from(razin2x2({ perturbed: 1e-3 }).y)).toEqual([-2, 0.5, 1e-3]);
    expect(() => razin2x2({ perturbed: NaN })).toThrow('perturbed: expected a finite number, got NaN');
  });
});

const TSV = ['user_id\titem_id\trating', '1\t3\t5', '2\t1\t3', '3\t4\t1', '1\t1\t4.5', '2\t2\t2', ''].join('\n');

describe('ratings and movielens', () => {
  it('parses the TSV to 0-based ids', () => {
    const r = parseRatings(TSV, 'r.tsv');
    expect(Array.from(r.users)).toEqual([0, 1, 2, 0, 1]);
    expect(Array.from(r.items)).toEqual([2, 0, 3, 0, 1]);
    expect(Array.from(r.ratings)).toEqual([5, 3, 1, 4.5, 2]);
    expect([r.nUsers, r.nItems]).toEqual([3, 4]);
    expect(parseRatings(TSV.replace(/\n/g, '\r\n'), 'r.tsv').ratings).toEqual(r.ratings);
  });

  it('rejects malformed lines with one line naming the file, line and field', () => {
    const bad = (body: string) => () => parseRatings(`user_id\titem_id\trating\n1\t1\t5\n${body}\n`, 'r.tsv');
    expect(bad('2\tx\t4')).toThrow('r.tsv: line 3: field "item_id": expected a positive integer id, got "x"');
    expect(bad('0\t2\t4')).toThrow('r.tsv: line 3: field "user_id": expected a positive integer id up to 2147483647, got "0"');
    expect(bad('-1\t2\t4')).toThrow('r.tsv: line 3: field "user_id": expected a positive integer id, got "-1"');
    expect(bad('2\t2\tNaN')).toThrow('r.tsv: line 3: field "rating": expected a finite number, got "NaN"');
    expect(bad('2\t2\t')).toThrow('r.tsv: line 3: field "rating": expected a finite number, got ""');
    expect(bad('2\t2\t4\t9')).toThrow('r.tsv: line 3: expected 3 tab-separated fields (user_id, item_id, rating), got 4');
    expect(bad('2 2 4')).toThrow('r.tsv: line 3: expected 3 tab-separated fields (user_id, item_id, rating), got 1');
    expect(bad('\n2\t2\t4')).toThrow('r.tsv: line 3: empty line');
    expect(() => parseRatings('user\titem\trating\n', 'r.tsv')).toThrow('r.tsv: line 1: expected the header "user_id\\titem_id\\trating", got "user\\titem\\trating"');
    expect(() => parseRatings('', 'r.tsv')).toThrow(FormatError);
    expect(parseRatings('user_id\titem_id\trating\n1\t1\t-2.5e-1', 'r.tsv').ratings[0]).toBe(-0.25);
  });

  it('movielens: items as rows, the first K train, the rest held out', () => {
    const p = movielens({ ratingsTsv: TSV, source: 'r.tsv', split: { kind: 'first', k: 3 } });
    expect([p.n1, p.n2]).toEqual([4, 3]);
    const { rows, cols } = entriesOf(p);
    expect(Array.from(rows)).toEqual([2, 0, 3]);
    expect(Array.from(cols)).toEqual([0, 1, 2]);
    expect(Array.from(p.y)).toEqual([5, 3, 1]);
    expect(Array.from(p.test!.rows)).toEqual([0, 1]);
    expect(Array.from(p.test!.cols)).toEqual([0, 1]);
    expect(Array.from(p.test!.y)).toEqual([4.5, 2]);
    expect(p.xStar).toBeUndefined();
    expect(p.psd).toBe(false);
    const u = movielens({ ratingsTsv: TSV, rowsAre: 'users', split: { kind: 'first', k: 5 } });
    expect([u.n1, u.n2]).toEqual([3, 4]);
    expect(Array.from(entriesOf(u).rows)).toEqual([0, 1, 2, 0, 1]);
    expect(u.test).toBeUndefined();
    expect(() => movielens({ ratingsTsv: TSV, split: { kind: 'first', k: 6 } })).toThrow('train rows: expected an integer in [1, 5] (the file has 5 ratings), got 6');
  });

  it('movielens: a seeded random split', () => {
    const a = movielens({ ratingsTsv: TSV, split: { kind: 'random', trainFraction: 0.6, seed: 3 } });
    const b = movielens({ ratingsTsv: TSV, split: { kind: 'random', trainFraction: 0.6, seed: 3 } });
    expect(a.y.length).toBe(3);
    expect(a.test!.y.length).toBe(2);
    expect(entriesOf(a).rows).toEqual(entriesOf(b).rows);
    const all = [...a.y, ...a.test!.y].sort();
    expect(all).toEqual([1, 2, 3, 4.5, 5]);
  });

  it('movielens: a rating given twice is refused, naming both lines', () => {
    const dup = `${TSV}2\t1\t4\n`;
    expect(() => movielens({ ratingsTsv: dup, source: 'r.tsv' })).toThrow('r.tsv: line 7: user 2 rates item 1 again (first on line 3, contradictory ratings 3 and 4)');
  });

  const real = fileURLToPath(new URL('../../shared/data/movielens-100k/ratings.tsv', import.meta.url));
  it.skipIf(!existsSync(real))('the real MovieLens 100K: 1682 x 943 items as rows, 10000 train, 90000 test', () => {
    const p = movielens({ ratingsTsv: readFileSync(real, 'utf8'), source: real });
    expect([p.n1, p.n2]).toEqual([1682, 943]);
    expect(p.op.m).toBe(10000);
    expect(p.test!.y.length).toBe(90000);
    for (const v of p.y) expect([1, 2, 3, 4, 5]).toContain(v);
    // The first line of the file (user 796, item 145, rating 5) is the first training entry.
    expect([entriesOf(p).rows[0], entriesOf(p).cols[0], p.y[0]]).toEqual([144, 795, 5]);
  });
});

describe('successive sampling (the engine of powerlaw completion)', () => {
  /** Exact probability of each ordered prefix of length k under successive sampling. */
  function exactInclusion(w: number[], k: number): number[] {
    const total = w.reduce((a, b) => a + b, 0);
    const inc = new Array<number>(w.length).fill(0);
    const walk = (chosen: number[], prob: number, left: number) => {
      if (chosen.length === k) {
        for (const c of chosen) inc[c] += prob;
        return;
      }
      for (let i = 0; i < w.length; i++) {
        if (chosen.includes(i)) continue;
        walk([...chosen, i], prob * (w[i] / left), left - w[i]);
      }
    };
    walk([], 1, total);
    return inc;
  }

  it('inclusion frequencies match the exact successive-sampling probabilities (both phases)', () => {
    const w = [0.4, 0.25, 0.15, 0.1, 0.06, 0.04];
    const trials = 20000;
    for (const k of [2, 4, 5]) {
      const count = new Array<number>(w.length).fill(0);
      const rng = Random.fromSeed(100 + k);
      for (let t = 0; t < trials; t++) for (const i of successiveSample(w, k, rng)) count[i]++;
      const exact = exactInclusion(w, k);
      for (let i = 0; i < w.length; i++) {
        const sd = Math.sqrt(trials * exact[i] * (1 - exact[i]));
        expect(Math.abs(count[i] - trials * exact[i])).toBeLessThan(5 * sd + 1);
      }
    }
    // The first draw alone is proportional to the weights.
    const first = new Array<number>(w.length).fill(0);
    const rng = Random.fromSeed(7);
    for (let t = 0; t < trials; t++) first[successiveSample(w, 6, rng)[0]]++;
    for (let i = 0; i < w.length; i++) expect(Math.abs(first[i] - trials * w[i])).toBeLessThan(5 * Math.sqrt(trials * w[i] * (1 - w[i])));
  });

  it('returns distinct indices and refuses bad weights', () => {
    const s = successiveSample([1, 2, 3, 4, 5], 5, Random.fromSeed(1));
    expect([...s].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(() => successiveSample([1, 0], 1, Random.fromSeed(1))).toThrow('weights[1]: expected a finite number > 0, got 0');
    expect(() => successiveSample([1, 2], 3, Random.fromSeed(1))).toThrow('k: expected an integer in [0, 2], got 3');
  });
});

describe('samplingSeed: the truth and the sampling vary separately', () => {
  const entries = (p: Problem): number[] => {
    const op = p.op as CompletionOperator;
    return Array.from(op.rows, (r, i) => r * p.n2 + op.cols[i]);
  };
  it('completion: same truth, other entries; samplingSeed = seed is the default problem', () => {
    const base = completion({ n1: 20, n2: 20, m: 100, rank: 2, seed: 3 });
    const same = completion({ n1: 20, n2: 20, m: 100, rank: 2, seed: 3, samplingSeed: 3 });
    const other = completion({ n1: 20, n2: 20, m: 100, rank: 2, seed: 3, samplingSeed: 4 });
    expect(entries(same)).toEqual(entries(base));
    expect(Array.from(same.y)).toEqual(Array.from(base.y));
    expect(Array.from(other.xStar!.data)).toEqual(Array.from(base.xStar!.data));
    expect(entries(other)).not.toEqual(entries(base));
    const otherTruth = completion({ n1: 20, n2: 20, m: 100, rank: 2, seed: 5, samplingSeed: 4 });
    expect(entries(otherTruth)).toEqual(entries(other));
    expect(Array.from(otherTruth.xStar!.data)).not.toEqual(Array.from(other.xStar!.data));
  });
  it('sensing and commuting: the measurements follow samplingSeed', () => {
    const a = sensing({ n1: 6, n2: 6, m: 10, rank: 2, seed: 1, samplingSeed: 7 });
    const b = sensing({ n1: 6, n2: 6, m: 10, rank: 2, seed: 2, samplingSeed: 7 });
    expect(Array.from(a.op.toDenseTensor())).toEqual(Array.from(b.op.toDenseTensor()));
    expect(Array.from(a.xStar!.data)).not.toEqual(Array.from(b.xStar!.data));
    const c = commuting({ n: 6, m: 4, seed: 1, samplingSeed: 7 });
    const d = commuting({ n: 6, m: 4, seed: 1 });
    expect(Array.from(c.xStar!.data)).toEqual(Array.from(d.xStar!.data));
    expect(() => sensing({ n1: 6, n2: 6, m: 10, seed: 1, samplingSeed: 0.5 })).toThrow('samplingSeed: expected an integer, got 0.5');
  });
});
