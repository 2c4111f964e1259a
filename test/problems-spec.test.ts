/*
 * src/problems/spec.ts: a problem described as data (a run config's `problem` table)
 * built by problemFromConfig. Each kind equals the generator called directly with
 * seed = seeds.data and samplingSeed = seeds.sampling; file kinds go through the
 * injected `files` reader (never the file system); null / undefined fields are dropped;
 * the errors for a missing reader and an unknown kind.
 */
import { describe, expect, it } from 'vitest';
import { FormatError } from '../src/io/errors.js';
import type { NdArray } from '../src/io/npy.js';
import { getBackend } from '../src/linalg/select.js';
import { problemToNd } from '../src/problems/file.js';
import { commuting, completion, movielens, razin2x2, sensing } from '../src/problems/generate.js';
import type { Problem } from '../src/problems/problem.js';
import { problemFromConfig, type ProblemConfig, type ProblemFiles } from '../src/problems/spec.js';

/** Everything a problem holds, as plain data (operator as its dense tensor or entries). */
function plain(p: Problem): unknown {
  const op = p.op as unknown as { rows?: Int32Array; cols?: Int32Array };
  return {
    n1: p.n1, n2: p.n2, psd: p.psd, kind: p.op.kind, m: p.op.m,
    entries: op.rows && op.cols ? { rows: Array.from(op.rows), cols: Array.from(op.cols) } : null,
    tensor: p.op.kind === 'completion' ? null : Array.from(p.op.toDenseTensor()),
    y: Array.from(p.y),
    xStar: p.xStar ? { rows: p.xStar.rows, cols: p.xStar.cols, data: Array.from(p.xStar.data) } : null,
    test: p.test ? { rows: Array.from(p.test.rows), cols: Array.from(p.test.cols), y: Array.from(p.test.y) } : null,
  };
}

const SEEDS = { data: 3, sampling: 11 };

/** A reader that serves given contents and records what was asked. */
function fakeFiles(npz: Record<string, Map<string, NdArray>> = {}, text: Record<string, string> = {}): ProblemFiles & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    readNpz(file) {
      asked.push(`npz:${file}`);
      const m = npz[file];
      if (!m) throw new Error(`${file}: no such file`);
      return m;
    },
    readText(file) {
      asked.push(`text:${file}`);
      const t = text[file];
      if (t === undefined) throw new Error(`${file}: no such file`);
      return t;
    },
  };
}

// The ratings TSV format of src/io/ratings.ts (see test/problems-generate.test.ts).
const TSV = ['user_id\titem_id\trating', '1\t3\t5', '2\t1\t3', '3\t4\t1', '1\t1\t4.5', '2\t2\t2', ''].join('\n');

describe('problemFromConfig: generated kinds equal the generator with seed = data, samplingSeed = sampling', () => {
  it('sensing', () => {
    const config: ProblemConfig = { kind: 'sensing', n1: 6, n2: 5, m: 20, rank: 2, truth: 'asymmetric', noise: 0.1, scale: 'arora', symmetric: false, psd: false };
    const p = problemFromConfig(config, SEEDS);
    expect(plain(p)).toEqual(plain(sensing({ n1: 6, n2: 5, m: 20, rank: 2, truth: 'asymmetric', noise: 0.1, scale: 'arora', symmetric: false, psd: false, seed: 3, samplingSeed: 11 })));
    expect(p.op.kind).toBe('dense');
    // The sampling seed moves the measurements, not the truth; the data seed moves the truth.
    const q = problemFromConfig(config, { data: 3, sampling: 12 });
    expect(q.xStar!.data).toEqual(p.xStar!.data);
    expect(q.op.toDenseTensor()).not.toEqual(p.op.toDenseTensor());
    const r = problemFromConfig(config, { data: 4, sampling: 11 });
    expect(r.xStar!.data).not.toEqual(p.xStar!.data);
    expect(r.op.toDenseTensor()).toEqual(p.op.toDenseTensor());
  });

  it('sensing with a psd-spectrum truth, symmetric', () => {
    const config: ProblemConfig = { kind: 'sensing', n1: 5, n2: 5, m: 12, rank: 5, truth: 'psd-spectrum', spectrumDecay: 2, symmetric: true };
    const p = problemFromConfig(config, SEEDS);
    expect(plain(p)).toEqual(plain(sensing({ n1: 5, n2: 5, m: 12, rank: 5, truth: 'psd-spectrum', spectrumDecay: 2, symmetric: true, seed: 3, samplingSeed: 11 })));
    expect(p.op.kind).toBe('symmetric');
    expect(p.psd).toBe(true);
  });

  it('completion (uniform, with test entries; and powerlaw)', () => {
    const config: ProblemConfig = { kind: 'completion', n1: 10, n2: 12, m: 40, rank: 2, truth: 'asymmetric', noise: 0, sampling: 'uniform', symmetric: false, testFraction: 0.5 };
    const p = problemFromConfig(config, SEEDS);
    expect(plain(p)).toEqual(plain(completion({ n1: 10, n2: 12, m: 40, rank: 2, truth: 'asymmetric', noise: 0, sampling: 'uniform', symmetric: false, testFraction: 0.5, seed: 3, samplingSeed: 11 })));
    expect(p.test!.y.length).toBe(40);
    const q = problemFromConfig(config, { data: 3, sampling: 12 });
    expect(q.xStar!.data).toEqual(p.xStar!.data);
    expect(plain(q)).not.toEqual(plain(p));
    const pl: ProblemConfig = { kind: 'completion', n1: 20, n2: 20, m: 80, rank: 2, sampling: 'powerlaw', powerLawExponent: 1.5 };
    expect(plain(problemFromConfig(pl, SEEDS))).toEqual(plain(completion({ n1: 20, n2: 20, m: 80, rank: 2, sampling: 'powerlaw', powerLawExponent: 1.5, seed: 3, samplingSeed: 11 })));
  });

  it('completion: symmetric PSD', () => {
    const config: ProblemConfig = { kind: 'completion', n1: 8, n2: 8, m: 30, rank: 2, truth: 'psd', symmetric: true };
    const p = problemFromConfig(config, SEEDS);
    expect(p.psd).toBe(true);
    expect(plain(p)).toEqual(plain(completion({ n1: 8, n2: 8, m: 30, rank: 2, truth: 'psd', symmetric: true, seed: 3, samplingSeed: 11 })));
  });

  it('commuting', () => {
    const config: ProblemConfig = { kind: 'commuting', n: 7, m: 5, rank: 3, scale: 'unit', noise: 0 };
    const p = problemFromConfig(config, SEEDS);
    expect(p.op.kind).toBe('diagonal');
    expect(plain(p)).toEqual(plain(commuting({ n: 7, m: 5, rank: 3, scale: 'unit', noise: 0, seed: 3, samplingSeed: 11 })));
    const q = problemFromConfig(config, { data: 3, sampling: 12 });
    expect(q.xStar!.data).toEqual(p.xStar!.data);
    expect(q.op.toDenseTensor()).not.toEqual(p.op.toDenseTensor());
  });

  it('razin2x2 ignores the seeds', () => {
    expect(plain(problemFromConfig({ kind: 'razin2x2' }, SEEDS))).toEqual(plain(razin2x2()));
    expect(plain(problemFromConfig({ kind: 'razin2x2' }, { data: 9, sampling: 99 }))).toEqual(plain(razin2x2()));
    expect(Array.from(problemFromConfig({ kind: 'razin2x2', perturbed: 1e-3 }, SEEDS).y)).toEqual([-2, 0.5, 1e-3]);
  });

  it('the backend argument reaches the generator (same problem on js)', () => {
    const config: ProblemConfig = { kind: 'completion', n1: 9, n2: 9, m: 30, rank: 2 };
    const js = problemFromConfig(config, SEEDS, undefined, getBackend('js'));
    const dflt = problemFromConfig(config, SEEDS);
    expect(Array.from(js.op.toDenseTensor())).toEqual(Array.from(dflt.op.toDenseTensor()));
    // The truth is a product U V^T: the backends agree to rounding.
    const a = js.xStar!.data, b = dflt.xStar!.data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b[i])));
  });
});

describe('problemFromConfig: files through the injected reader', () => {
  it('file: the problem file as read by the reader, named in the problem', () => {
    const original = completion({ n1: 7, n2: 6, m: 20, rank: 2, seed: 5, testFraction: 0.3 });
    const files = fakeFiles({ 'data/P.npz': problemToNd(original) });
    const p = problemFromConfig({ kind: 'file', file: 'data/P.npz' }, SEEDS, files);
    expect(files.asked).toEqual(['npz:data/P.npz']);
    expect(plain(p)).toEqual(plain(original));
    // The seeds play no part.
    expect(plain(problemFromConfig({ kind: 'file', file: 'data/P.npz' }, { data: 0, sampling: 0 }, files))).toEqual(plain(original));
  });

  it('file: a malformed problem file is a FormatError naming the file', () => {
    const bad = problemToNd(completion({ n1: 4, n2: 4, m: 5, rank: 1, seed: 1 }));
    bad.delete('y');
    const build = () => problemFromConfig({ kind: 'file', file: 'bad.npz' }, SEEDS, fakeFiles({ 'bad.npz': bad }));
    expect(build).toThrow(FormatError);
    expect(build).toThrow(/^bad\.npz: /);
  });

  it('movielens: the ratings TSV from the reader, split as configured', () => {
    const files = fakeFiles({}, { 'ml/ratings.tsv': TSV });
    const p = problemFromConfig({ kind: 'movielens', file: 'ml/ratings.tsv', rowsAre: 'items', split: { kind: 'first', k: 3 } }, SEEDS, files);
    expect(files.asked).toEqual(['text:ml/ratings.tsv']);
    expect(plain(p)).toEqual(plain(movielens({ ratingsTsv: TSV, source: 'ml/ratings.tsv', rowsAre: 'items', split: { kind: 'first', k: 3 } })));
    expect([p.n1, p.n2]).toEqual([4, 3]);
    expect(Array.from(p.y)).toEqual([5, 3, 1]);
    expect(Array.from(p.test!.y)).toEqual([4.5, 2]);
    const users = problemFromConfig({ kind: 'movielens', file: 'ml/ratings.tsv', rowsAre: 'users', split: { kind: 'random', trainFraction: 0.6, seed: 3 } }, SEEDS, files);
    expect(plain(users)).toEqual(plain(movielens({ ratingsTsv: TSV, rowsAre: 'users', split: { kind: 'random', trainFraction: 0.6, seed: 3 } })));
    expect([users.n1, users.n2]).toEqual([3, 4]);
  });

  it('movielens: errors in the file name it (the source passed to the generator)', () => {
    const files = fakeFiles({}, { 'r.tsv': `${TSV}2\t1\t4\n` });
    expect(() => problemFromConfig({ kind: 'movielens', file: 'r.tsv' }, SEEDS, files)).toThrow(
      'r.tsv: line 7: user 2 rates item 1 again (first on line 3, contradictory ratings 3 and 4)',
    );
  });

  it('files needed but no reader given: one line naming the kind', () => {
    expect(() => problemFromConfig({ kind: 'file', file: 'P.npz' }, SEEDS)).toThrow('problem.file: reading files is not available here (file problem)');
    expect(() => problemFromConfig({ kind: 'movielens', file: 'r.tsv' }, SEEDS)).toThrow('problem.file: reading files is not available here (movielens problem)');
    // Generated kinds never need the reader.
    expect(() => problemFromConfig({ kind: 'razin2x2' }, SEEDS)).not.toThrow();
  });
});

describe('problemFromConfig: absent settings and bad kinds', () => {
  it('null and undefined fields are dropped (a resolved config holds null for "absent")', () => {
    // razin2x2 refuses a perturbed value that is not a finite number: null must not reach it.
    const razin = { kind: 'razin2x2', perturbed: null } as unknown as ProblemConfig;
    expect(plain(problemFromConfig(razin, SEEDS))).toEqual(plain(razin2x2()));
    expect(() => razin2x2({ perturbed: null as unknown as number })).toThrow('perturbed: expected a finite number, got null');

    const withNulls = { kind: 'completion', n1: 8, n2: 9, m: 25, rank: null, truth: undefined, noise: null, sampling: null, testFraction: undefined, spectrumDecay: null } as unknown as ProblemConfig;
    expect(plain(problemFromConfig(withNulls, SEEDS))).toEqual(plain(completion({ n1: 8, n2: 9, m: 25, seed: 3, samplingSeed: 11 })));

    const sensingNulls = { kind: 'sensing', n1: 4, n2: 4, m: 6, psd: null, symmetric: null, scale: undefined } as unknown as ProblemConfig;
    expect(plain(problemFromConfig(sensingNulls, SEEDS))).toEqual(plain(sensing({ n1: 4, n2: 4, m: 6, seed: 3, samplingSeed: 11 })));

    const files = fakeFiles({}, { 'r.tsv': TSV });
    const ml = { kind: 'movielens', file: 'r.tsv', rowsAre: null, split: { kind: 'first', k: 3 } } as unknown as ProblemConfig;
    // Default: items as rows.
    expect(plain(problemFromConfig(ml, SEEDS, files))).toEqual(plain(movielens({ ratingsTsv: TSV, split: { kind: 'first', k: 3 } })));
    // Default split: the first 10000 ratings train (more than this file has: the generator's own error).
    const noSplit = { kind: 'movielens', file: 'r.tsv', split: null } as unknown as ProblemConfig;
    expect(() => problemFromConfig(noSplit, SEEDS, files)).toThrow('train rows: expected an integer in [1, 5] (the file has 5 ratings), got 10000');
  });

  it('the config object is not modified', () => {
    const config = { kind: 'completion', n1: 5, n2: 5, m: 10, rank: null } as unknown as ProblemConfig;
    const before = JSON.stringify(config);
    problemFromConfig(config, SEEDS);
    expect(JSON.stringify(config)).toBe(before);
    expect('rank' in config).toBe(true);
  });

  it("the generator's one-line errors pass through", () => {
    expect(() => problemFromConfig({ kind: 'completion', n1: 4, n2: 4, m: 17 }, SEEDS)).toThrow('m: 17 exceeds the 16 entries of a 4x4 matrix');
    expect(() => problemFromConfig({ kind: 'sensing', n1: 4, n2: 4, m: 0 }, SEEDS)).toThrow('m: expected an integer >= 1, got 0');
  });

  it('an unknown kind is a RangeError listing the known ones', () => {
    const bad = { kind: 'tensor', n: 3 } as unknown as ProblemConfig;
    expect(() => problemFromConfig(bad, SEEDS)).toThrow(RangeError);
    expect(() => problemFromConfig(bad, SEEDS, fakeFiles())).toThrow(
      'problem.kind: expected one of file, sensing, completion, commuting, razin2x2, movielens, got "tensor"',
    );
  });
});
