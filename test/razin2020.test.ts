/*
 * What `implab reproduce razin2020` is built on, and the experiment itself on a short real run:
 *   the normal-end-to-end initialization (entry standard deviation of W(0), empirically) and
 *   positiveDet (det(W(0)) > 0 always, the same seeded stream, deterministic);
 *   the end-to-end matrix in the history (logMatrix) and the loss-decade logging rule
 *   (logPerLossDecade: the first step below each level, exact resume);
 *   the run config keys; the native backend's small-call path against the js kernels;
 *   the razin2020 analysis through runSweep and writeExperimentReport in a temp directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { razin2020, razin2020Config, stableSigmaCap, trace, w00LowerBound, RAZIN_SETTINGS, type RazinScope } from '../src/experiments/razin2020.js';
import type { Experiment } from '../src/experiments/experiment.js';
import { EXPERIMENTS } from '../src/experiments/registry.js';
import { writeExperimentReport } from '../src/experiments/reproduce.js';
import { type Mat, matFrom, zeros } from '../src/linalg/mat.js';
import { SMALL_CALLS } from '../src/linalg/native/backend.js';
import { createModel } from '../src/models/create.js';
import { POSITIVE_DET_ATTEMPTS, determinant, endToEndFactorStd, initialize, type InitSpec } from '../src/models/init.js';
import type { Model } from '../src/models/model.js';
import { createOptimizer } from '../src/optim/create.js';
import { completion, razin2x2 } from '../src/problems/generate.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { ConfigError, LOG_MATRIX_MAX_ENTRIES as CONFIG_LOG_MATRIX_MAX, resolveRunConfig } from '../src/sweep/config.js';
import { expandGrid } from '../src/sweep/grid.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import { LOG_MATRIX_MAX_ENTRIES, levelAtOrBelow, lossLevel, train, type HistoryRecord, type TrainConfig } from '../src/train/loop.js';
import type { TrainState } from '../src/train/state.js';
import { trainConfigFromOptions } from '../src/cli/train.js';
import { assertAllclose } from './helpers/allclose.js';
import { bothBackends } from './helpers/backends.js';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-razin-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** The pooled sample standard deviation of W(0)'s entries over `draws` seeds (entries have mean 0). */
function entryStd(spec: InitSpec, model: Model, problem: Problem, draws: number): number {
  const w = zeros(model.n1, model.n2);
  let sum = 0, count = 0;
  for (let seed = 0; seed < draws; seed++) {
    model.endToEnd(initialize(spec, model, problem, Random.fromSeed(seed)), w);
    for (const x of w.data) sum += x * x;
    count += w.data.length;
  }
  return Math.sqrt(sum / count);
}

const half = (w: readonly number[]): number => 0.5 * ((w[1] - 1) ** 2 + (w[2] - 1) ** 2 + w[3] ** 2);

describe('normal-end-to-end initialization', () => {
  it('endToEndFactorStd solves d_1 ... d_(N-1) s^(2N) = std^2', () => {
    expect(endToEndFactorStd(1e-3, [2, 2, 2, 2, 2])).toBeCloseTo((1e-6 / 8) ** (1 / 8), 15);
    expect(endToEndFactorStd(0.5, [3, 3])).toBe(0.5); // depth 1: W = W_1
    const s = endToEndFactorStd(2e-2, [2, 4, 5, 3]);
    expect(s ** 6 * 4 * 5).toBeCloseTo(4e-4, 18);
    expect(endToEndFactorStd(0, [2, 2, 2])).toBe(0);
  });

  it('the entries of W(0) have the given standard deviation (empirically, 5% over thousands of draws)', () => {
    const r = razin2x2();
    const rect = completion({ n1: 3, n2: 2, m: 3, rank: 1, seed: 0 });
    const cases: Array<[string, Model, Problem, number]> = [
      ['deep depth 2, 2x2', createModel({ kind: 'deep', depth: 2 }, r, 'half-sse'), r, 1e-5],
      ['deep depth 3, 2x2', createModel({ kind: 'deep', depth: 3 }, r, 'half-sse'), r, 1e-6],
      ['deep depth 4, 2x2', createModel({ kind: 'deep', depth: 4 }, r, 'half-sse'), r, 1e-3],
      ['deep depth 3, 3x2, widths 4, 5', createModel({ kind: 'deep', depth: 3, widths: [4, 5] }, rect, 'mse'), rect, 0.2],
      ['asymmetric, k = 3', createModel({ kind: 'asymmetric', width: 3 }, rect, 'mse'), rect, 7],
    ];
    for (const [what, model, problem, std] of cases) {
      const got = entryStd({ kind: 'normal-end-to-end', std }, model, problem, 6000);
      expect(Math.abs(got / std - 1), `${what}: ${got} against ${std}`).toBeLessThan(0.05);
    }
  });

  it('is the Arora gaussian draw with another per-factor scale (same stream, same order)', () => {
    const r = razin2x2();
    const model = createModel({ kind: 'deep', depth: 3 }, r, 'half-sse');
    const a = initialize({ kind: 'normal-end-to-end', std: 1e-4 }, model, r, Random.fromSeed(3));
    const b = initialize({ kind: 'gaussian', scale: 1 }, model, r, Random.fromSeed(3));
    // gaussian, scale 1, 2x2, depth 3: s = (scale^2 n / (d_0 ... d_3))^(1/6) = (2 / 16)^(1/6) = 2^(-1/2).
    const ratio = endToEndFactorStd(1e-4, [2, 2, 2, 2]) / 2 ** -0.5;
    for (let j = 0; j < 3; j++) assertAllclose(a[j], b[j].data.map((x) => x * ratio), { rtol: 1e-14 }, `W${j + 1}`);
  });

  it('refuses psd and udu models, a negative std, and names the kinds in the error for an unknown one', () => {
    const r = razin2x2();
    const psd = createModel({ kind: 'psd', width: 2 }, r, 'half-sse');
    expect(() => initialize({ kind: 'normal-end-to-end', std: 1e-3 }, psd, r, Random.fromSeed(0))).toThrow(/normal-end-to-end needs independent factors/);
    const deep = createModel({ kind: 'deep', depth: 2 }, r, 'half-sse');
    expect(() => initialize({ kind: 'normal-end-to-end', std: -1 }, deep, r, Random.fromSeed(0))).toThrow('std: expected a finite number >= 0, got -1');
    expect(() => initialize({ kind: 'nope' } as unknown as InitSpec, deep, r, Random.fromSeed(0))).toThrow(/normal-end-to-end/);
  });
});

describe('positiveDet', () => {
  const r = razin2x2();
  const model = createModel({ kind: 'deep', depth: 3 }, r, 'half-sse');
  const w = zeros(2, 2);
  const detOf = (params: Mat[]): number => determinant(model.endToEnd(params, w));

  it('determinant: LU with pivoting', () => {
    expect(determinant(matFrom([[1, 2], [3, 4]]))).toBeCloseTo(-2, 14);
    expect(determinant(matFrom([[0, 2, 1], [1, 0, 0], [3, 1, 4]]))).toBeCloseTo(-7, 13);
    expect(determinant(matFrom([[1, 2], [2, 4]]))).toBe(0);
    expect(() => determinant(zeros(2, 3))).toThrow('determinant: expected a square matrix, got 2x3');
  });

  it('every draw has det(W(0)) > 0, where plain draws have either sign', () => {
    let negativePlain = 0;
    for (let seed = 0; seed < 300; seed++) {
      if (detOf(initialize({ kind: 'normal-end-to-end', std: 1e-5 }, model, r, Random.fromSeed(seed))) < 0) negativePlain += 1;
      for (const spec of [
        { kind: 'normal-end-to-end', std: 1e-5, positiveDet: true },
        { kind: 'gaussian', scale: 1e-3, positiveDet: true },
        { kind: 'balanced', scale: 1e-3, positiveDet: true },
        { kind: 'orthogonal', scale: 1e-3, positiveDet: true },
        { kind: 'scaled-direction', xi: 1e-2, positiveDet: true },
      ] as InitSpec[]) {
        expect(detOf(initialize(spec, model, r, Random.fromSeed(seed))), `${spec.kind} seed ${seed}`).toBeGreaterThan(0);
      }
    }
    expect(negativePlain).toBeGreaterThan(100);
    expect(negativePlain).toBeLessThan(200);
  });

  it('redraws from the same stream: the first plain draw of that stream with det > 0, the same every time', () => {
    for (let seed = 0; seed < 20; seed++) {
      const spec = { kind: 'normal-end-to-end', std: 1e-5 } as const;
      const rng = Random.fromSeed(seed);
      let expected = initialize(spec, model, r, rng);
      while (!(detOf(expected) > 0)) expected = initialize(spec, model, r, rng);
      const got = initialize({ ...spec, positiveDet: true }, model, r, Random.fromSeed(seed));
      const again = initialize({ ...spec, positiveDet: true }, model, r, Random.fromSeed(seed));
      for (let j = 0; j < 3; j++) {
        expect(Array.from(got[j].data)).toEqual(Array.from(expected[j].data));
        expect(Array.from(again[j].data)).toEqual(Array.from(got[j].data));
      }
    }
  });

  it('errors: non-square, a narrow width, a deterministic kind, scale 0, a non-boolean', () => {
    const rect = completion({ n1: 3, n2: 2, m: 3, rank: 1, seed: 0 });
    const deepRect = createModel({ kind: 'deep', depth: 2 }, rect, 'mse');
    expect(() => initialize({ kind: 'gaussian', scale: 1, positiveDet: true }, deepRect, rect, Random.fromSeed(0))).toThrow('positiveDet: needs a square problem (det(W)), got 3x2');
    const narrow = createModel({ kind: 'deep', depth: 2, widths: [1] }, r, 'half-sse');
    expect(() => initialize({ kind: 'gaussian', scale: 1, positiveDet: true }, narrow, r, Random.fromSeed(0))).toThrow('positiveDet: a width of 1 below n = 2 makes det(W(0)) = 0 always');
    expect(() => initialize({ kind: 'identity', scale: 1, positiveDet: true } as unknown as InitSpec, model, r, Random.fromSeed(0))).toThrow(/positiveDet: applies to the random kinds/);
    expect(() => initialize({ kind: 'gaussian', scale: 0, positiveDet: true }, model, r, Random.fromSeed(0))).toThrow(`positiveDet: no draw with det(W(0)) > 0 in ${POSITIVE_DET_ATTEMPTS} attempts`);
    expect(() => initialize({ kind: 'gaussian', scale: 1, positiveDet: 'yes' } as unknown as InitSpec, model, r, Random.fromSeed(0))).toThrow('positiveDet: expected true or false, got yes');
  });
});

/** GD on razin2x2 at depth 3 (the paper's first setting) for a few thousand steps, with the given logging. */
function razinRun(config: Partial<TrainConfig>, state?: TrainState, hooks?: { onCheckpoint?(s: TrainState): void }) {
  const problem = razin2x2();
  const model = createModel({ kind: 'deep', depth: 3 }, problem, 'half-sse');
  const params = initialize({ kind: 'normal-end-to-end', std: 1e-5, positiveDet: true }, model, problem, Random.fromSeed(1));
  return train({
    model, optimizer: createOptimizer({ name: 'gd', lr: 6e-3 }), problem, params, state, hooks,
    config: { maxIters: 14_000, stopLoss: 1e-2, logEvery: 1_000_000, ...config },
  });
}

describe('history: the end-to-end matrix (logMatrix)', () => {
  it('every record holds W, consistent with its loss, singular values and norms; the final one is W of the final parameters', () => {
    const r = razinRun({ logMatrix: true, logEvery: 500, logSingular: 'all' });
    expect(r.status).toBe('converged');
    expect(r.history.length).toBeGreaterThan(20);
    for (const h of r.history) {
      const w = h.w!;
      expect(w).toHaveLength(4);
      expect(Math.abs(half(w) - h.loss!)).toBeLessThanOrEqual(1e-12 * Math.max(1, h.loss!));
      const fro2 = w.reduce((s, x) => s + x * x, 0);
      const det = w[0] * w[3] - w[1] * w[2];
      const [s1, s2] = h.singular_values!;
      // det is a difference of products of size ||W||^2: it is known to ~1e-16 ||W||^2 absolutely.
      assertAllclose([s1 * s1 + s2 * s2, s1 * s2], [fro2, Math.abs(det)], { rtol: 1e-9, atol: 1e-14 * fro2 }, `step ${h.step}`);
      assertAllclose(h.nuclear_norm!, Math.sqrt(fro2 + 2 * Math.abs(det)), { rtol: 1e-9, atol: 1e-14 * Math.sqrt(fro2) });
    }
    const model = createModel({ kind: 'deep', depth: 3 }, razin2x2(), 'half-sse');
    expect(r.final.w).toEqual(Array.from(model.endToEnd(r.params, zeros(2, 2)).data));
  });

  it('is null when off, and an error above LOG_MATRIX_MAX_ENTRIES entries', () => {
    expect(razinRun({ maxIters: 5, stopLoss: undefined }).history.every((h) => h.w === null)).toBe(true);
    expect(LOG_MATRIX_MAX_ENTRIES).toBe(64);
    expect(CONFIG_LOG_MATRIX_MAX).toBe(LOG_MATRIX_MAX_ENTRIES);
    const problem = completion({ n1: 9, n2: 9, m: 20, rank: 1, seed: 0 });
    const model = createModel({ kind: 'deep', depth: 2 }, problem, 'mse');
    const params = initialize({ kind: 'gaussian', scale: 1e-3 }, model, problem, Random.fromSeed(0));
    expect(() => train({ model, optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params, config: { maxIters: 1, logEvery: 1, logMatrix: true } }))
      .toThrow('logMatrix: logs W only when n1 n2 <= 64, got 9x9');
  });
});

describe('logPerLossDecade', () => {
  it('lossLevel is exact at whole decades; levelAtOrBelow is the largest level <= the loss', () => {
    expect(lossLevel(20, 10)).toBe(0.01);
    expect(lossLevel(30, 10)).toBe(1e-3);
    expect(lossLevel(80, 20)).toBe(1e-4);
    expect(lossLevel(0, 7)).toBe(1);
    expect(lossLevel(-10, 10)).toBe(10);
    expect(levelAtOrBelow(0.0123, 10)).toBe(0.01);
    expect(levelAtOrBelow(0.01, 10)).toBe(0.01);
    expect(levelAtOrBelow(0, 10)).toBe(0);
    const rng = Random.fromSeed(5);
    for (let i = 0; i < 2000; i++) {
      const loss = 10 ** (8 * rng.uniform() - 6);
      const k = 1 + Math.floor(rng.uniform() * 25);
      const level = levelAtOrBelow(loss, k);
      const j = Math.round(-k * Math.log10(level));
      expect(lossLevel(j, k)).toBe(level);
      expect(level).toBeLessThanOrEqual(loss);
      expect(lossLevel(j - 1, k)).toBeGreaterThan(loss);
    }
  });

  it('logs exactly the first step below each level (against a run that logs every step), the first one below 1e-2 included', () => {
    const every = razinRun({ logEvery: 1 }).history;
    const k = 10;
    const expected = new Set<number>([0, every[every.length - 1].step]);
    let best = Infinity;
    for (const h of every) {
      // A new level is crossed when the loss falls below the level at or below the best loss so far.
      if (h.loss! < levelAtOrBelow(best, k) || (best === Infinity && h.step === 0)) expected.add(h.step);
      best = Math.min(best, h.loss!);
    }
    const sparse = razinRun({ logPerLossDecade: k }).history;
    expect(sparse.map((h) => h.step)).toEqual([...expected].sort((a, b) => a - b));
    // About k per decade: the loss goes from ~1 to 1e-2.
    expect(sparse.length).toBeGreaterThanOrEqual(1.5 * k);
    expect(sparse.length).toBeLessThanOrEqual(2 * k + 2);
    const firstBelow = every.find((h) => h.loss! < 1e-2)!;
    expect(sparse.some((h) => h.step === firstBelow.step)).toBe(true);
    for (const mark of [1e-1, 0.5]) {
      const first = every.find((h) => h.loss! < mark)!;
      expect(sparse.some((h) => h.step === first.step), `first step below ${mark}`).toBe(true);
    }
  });

  it('a run resumed from a mid-run state logs the same records as an uninterrupted one', () => {
    const config = { logPerLossDecade: 20, logPerDecade: 5, logMatrix: true };
    const straight = razinRun(config).history;
    let snapshot: TrainState | undefined;
    razinRun({ ...config, checkpointEvery: 5000, maxIters: 5000, stopLoss: undefined }, undefined, { onCheckpoint: (s) => (snapshot = s) });
    expect(snapshot?.step).toBe(5000);
    const resumed = razinRun(config, snapshot).history;
    expect(resumed).toEqual(straight.filter((h: HistoryRecord) => h.step >= 5000));
  });
});

describe('run config: normal-end-to-end, positiveDet, logMatrix, logPerLossDecade', () => {
  const SRC = 'sweep.toml';
  it('resolves the new keys, omitting positiveDet when absent', () => {
    const c = resolveRunConfig({ problem: { kind: 'razin2x2' }, init: { kind: 'normal-end-to-end', std: 1e-5, positiveDet: true }, train: { logMatrix: true, logPerLossDecade: 20 } }, SRC);
    expect(c.init).toStrictEqual({ kind: 'normal-end-to-end', std: 1e-5, positiveDet: true });
    expect(c.train.logMatrix).toBe(true);
    expect(c.train.logPerLossDecade).toBe(20);
    expect(resolveRunConfig({ problem: { kind: 'razin2x2' }, init: { kind: 'normal-end-to-end' } }, SRC).init).toStrictEqual({ kind: 'normal-end-to-end', std: 1e-3 });
    expect(resolveRunConfig({ problem: { kind: 'razin2x2' } }, SRC).init).toStrictEqual({ kind: 'gaussian', scale: 1e-3 });
    expect(resolveRunConfig({ problem: { kind: 'razin2x2' }, init: { kind: 'balanced', positiveDet: true } }, SRC).init).toStrictEqual({ kind: 'balanced', scale: 1e-3, positiveDet: true });
    // Resolving a resolved config gives it back.
    expect(resolveRunConfig(c, SRC)).toStrictEqual(c);
  });

  it('errors name the key', () => {
    const err = (raw: unknown): string => {
      try {
        resolveRunConfig(raw, SRC);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err({ problem: { kind: 'completion', n: 10, m: 20 }, train: { logMatrix: true } }))
      .toBe('sweep.toml: train.logMatrix: expected false for a 10x10 problem (W is logged only when n1 n2 <= 64), got true');
    expect(err({ problem: { kind: 'completion', n1: 3, n2: 2, m: 3 }, init: { kind: 'gaussian', positiveDet: true } }))
      .toBe('sweep.toml: init.positiveDet: expected false for a 3x2 problem (det(W) needs a square one), got true');
    expect(err({ problem: { kind: 'razin2x2' }, model: { kind: 'psd', width: 2 }, init: { kind: 'normal-end-to-end' } })).toMatch(/^sweep.toml: init.kind: .*normal-end-to-end applies to deep and asymmetric/);
    expect(err({ problem: { kind: 'razin2x2' }, init: { kind: 'identity', positiveDet: true } })).toMatch(/^sweep.toml: init.positiveDet: unknown key/);
    expect(err({ problem: { kind: 'razin2x2' }, init: { kind: 'normal-end-to-end', std: 0 } })).toBe('sweep.toml: init.std: expected a positive number, got 0');
    expect(err({ problem: { kind: 'razin2x2' }, train: { logPerLossDecade: 0 } })).toBe('sweep.toml: train.logPerLossDecade: expected an integer >= 1, got 0');
  });

  it('implab train: --init normal-end-to-end --init-std --positive-det --log-matrix --log-per-loss-decade', () => {
    const base = { problem: 'P.npz', model: 'deep' as const, depth: 3, optimizer: 'gd' as const, loss: 'half-sse' as const, logEvery: 100, logSingular: 10, seed: 0 };
    const c = trainConfigFromOptions({ ...base, init: 'normal-end-to-end', initStd: 1e-5, positiveDet: true, logMatrix: true, logPerLossDecade: 20 });
    expect(c.init).toEqual({ kind: 'normal-end-to-end', std: 1e-5, positiveDet: true });
    expect(c.train).toMatchObject({ logMatrix: true, logPerLossDecade: 20 });
    expect(() => trainConfigFromOptions({ ...base, init: 'gaussian', initStd: 1e-5 })).toThrow('--init-std: only for --init normal-end-to-end, got --init gaussian');
    expect(() => trainConfigFromOptions({ ...base, init: 'identity', positiveDet: true })).toThrow(/--positive-det: only for the random initializations/);
  });
});

describe('native backend: small calls run the js kernels', () => {
  const both = bothBackends();
  it.skipIf(both === null)('gemm (every transpose, beta, aliasing, alpha = 0 with NaN inputs), axpy and dot agree with js', () => {
    const { js, native } = both!;
    const rng = Random.fromSeed(11);
    for (const [m, n, k] of [[2, 2, 2], [1, 3, 4], [4, 4, 4], [3, 2, 5], [8, 8, 8]]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = ta ? rng.normalMat(k, m) : rng.normalMat(m, k);
          const b = tb ? rng.normalMat(n, k) : rng.normalMat(k, n);
          const c0 = rng.normalMat(m, n);
          const cj = { ...c0, data: c0.data.slice() }, cn = { ...c0, data: c0.data.slice() };
          js.gemm(ta, tb, 0.7, a, b, -1.5, cj);
          native.gemm(ta, tb, 0.7, a, b, -1.5, cn);
          assertAllclose(cn, cj, { rtol: 1e-13, atol: 1e-14 }, `gemm ${m}x${n}x${k} ${ta} ${tb}`);
        }
      }
    }
    expect(2 * 2 * 2).toBeLessThanOrEqual(SMALL_CALLS.gemmMultiplyAdds);
    // C aliasing A: the small path goes through its scratch buffer.
    const a = matFrom([[1, 2], [3, 4]]);
    const self = { rows: 2, cols: 2, data: a.data.slice() };
    native.gemm(false, false, 1, self, self, 0, self);
    expect(Array.from(self.data)).toEqual([7, 10, 15, 22]);
    // alpha = 0 reads neither A nor B; beta = 0 ignores C.
    const nanA = { rows: 2, cols: 2, data: new Float64Array(4).fill(NaN) };
    const c = matFrom([[1, 1], [1, 1]]);
    native.gemm(false, false, 0, nanA, nanA, 2, c);
    expect(Array.from(c.data)).toEqual([2, 2, 2, 2]);
    const cNan = { rows: 2, cols: 2, data: new Float64Array(4).fill(NaN) };
    native.gemm(false, false, 1, a, a, 0, cNan);
    expect(Array.from(cNan.data)).toEqual([7, 10, 15, 22]);
    for (const len of [1, 4, SMALL_CALLS.vectorLength, SMALL_CALLS.vectorLength + 1, 1000]) {
      const x = rng.normalMat(1, len).data, y0 = rng.normalMat(1, len).data;
      const yj = y0.slice(), yn = y0.slice();
      js.axpy(0.3, x, yj);
      native.axpy(0.3, x, yn);
      assertAllclose(yn, yj, { rtol: 1e-15, atol: 1e-15 }, `axpy ${len}`);
      assertAllclose(native.dot(x, y0), js.dot(x, y0), { rtol: 1e-12, atol: 1e-12 }, `dot ${len}`);
    }
  });
});

describe('razin2020 experiment', () => {
  it('is registered; its grids: quick 48 runs, full 120, every run half-sse GD with W logged', () => {
    expect(EXPERIMENTS.includes(razin2020)).toBe(true);
    const quick = expandGrid(razin2020.config({ quick: true, seeds: null }), 'razin2020');
    const full = expandGrid(razin2020.config({ quick: false, seeds: null }), 'razin2020');
    // 6 settings + 3 depths x 5 eps + 3 balanced = 24 per seed; 2 seeds quick, 5 full.
    expect(quick.points.length).toBe(48);
    expect(full.points.length).toBe(120);
    for (const p of full.points) {
      const c = p.config;
      expect(c.loss).toBe('half-sse');
      expect(c.optimizer.name).toBe('gd');
      expect(c.train).toMatchObject({ stopLoss: 1e-4, logMatrix: true, logPerLossDecade: 20 });
      expect(c.init.kind === 'normal-end-to-end' || c.init.kind === 'balanced').toBe(true);
      expect((c.init as { positiveDet?: boolean }).positiveDet).toBe(true);
    }
    expect(RAZIN_SETTINGS.map((s) => [s.depth, s.lr, s.init])).toEqual([[2, 6e-3, 1e-5], [2, 3e-3, 1e-6], [3, 6e-3, 1e-5], [3, 3e-3, 1e-6], [4, 3e-3, 1e-3], [4, 1.5e-3, 1e-4]]);
  });

  it('bounds: (1 - sqrt(2L))^2 / sqrt(2L), and the step size cap (2/lr)^(N/(2N-2))', () => {
    expect(w00LowerBound(1e-4)).toBeCloseTo((1 - Math.sqrt(2e-4)) ** 2 / Math.sqrt(2e-4), 12);
    expect(w00LowerBound(0.5)).toBeNull();
    expect(stableSigmaCap(4, 3e-3)).toBeCloseTo(76.31, 2);
    expect(stableSigmaCap(2, 6e-3)).toBeCloseTo(333.33, 2);
    expect(stableSigmaCap(1, 1e-3)).toBeNull();
  });

  it('analyzes a short real run (loss target 1e-2) into the issue\'s table rows, figures and report', async () => {
    const dir = path.join(TMP, 'short');
    const scope: RazinScope = { settings: [RAZIN_SETTINGS[0], RAZIN_SETTINGS[2]], perturbations: [0.1], stopLoss: 1e-2, seeds: 2 };
    const experiment: Experiment = { ...razin2020, config: (o) => razin2020Config(o, scope) };
    const options = { quick: true, seeds: null };
    const grid = expandGrid(experiment.config(options), experiment.name);
    expect(grid.points.length).toBe(12); // (2 settings + 2 perturbed + 2 balanced) x 2 seeds
    const outcome = await runSweep(grid.points, dir);
    expect(outcome.failed).toEqual([]);
    expect(outcome.finished).toBe(12);
    const out = await writeExperimentReport(dir, experiment, options);

    expect(out.table).toHaveLength(12);
    const issueKeys = ['depth', 'lr', 'init', 'perturbed', 'iterations', 'final_loss', 'final_abs_w00', 'abs_w00_at', 'det_positive_throughout', 'final_nuclear_norm', 'final_frobenius_norm', 'final_effective_rank'];
    for (const [i, row] of out.table.entries()) {
      for (const key of issueKeys) expect(row, `row ${i}`).toHaveProperty(key);
      const line = grid.points.find((p) => p.id === row.run)!;
      const history = fs.readFileSync(path.join(dir, 'runs', line.id, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryRecord);
      const points = trace(history);
      expect(points.length).toBe(history.length);
      expect(row.final_loss as number).toBeLessThan(1e-2);
      expect(row.status).toBe('converged');
      expect(row.iterations).toBe(history[history.length - 1].step);
      const at = row.abs_w00_at as Record<string, number | null>;
      expect(Object.keys(at)).toEqual(['1e-2', '1e-3', '1e-4']);
      // The first logged step below 1e-2 is the final one (the run stops there), and nothing reached 1e-3.
      expect(at['1e-2']).toBe(Math.abs(history[history.length - 1].w![0]));
      expect(at['1e-3']).toBeNull();
      expect(row.final_abs_w00).toBe(at['1e-2']);
      expect(row.det_positive_throughout).toBe(points.every((p) => p.det > 0));
      expect(row.final_frobenius_norm).toBeCloseTo(Math.hypot(...history[history.length - 1].w!), 12);
      expect(row.perturbed).toBe(line.config.problem.kind === 'razin2x2' && 'perturbed' in line.config.problem ? line.config.problem.perturbed : false);
      if (row.perturbed === false) {
        // det(W) > 0 forces |W_00| above the bound wherever it holds.
        for (const p of points) {
          const bound = w00LowerBound(p.loss);
          if (p.det > 0 && bound !== null) expect(p.absW00, `${row.run} step ${p.step}`).toBeGreaterThanOrEqual(bound);
        }
        expect(row.bound_holds_where_det_positive).toBe(true);
      }
    }
    // Deep runs at loss 1e-2 sit near 1/sqrt(2 * 0.01) = 7.07 (within 4%); depth 2 from the i.i.d. start does not.
    const deepIid = out.table.filter((r) => r.depth === 3 && r.perturbed === false && r.init_kind === 'normal-end-to-end');
    for (const r of deepIid) expect(Math.abs((r.final_abs_w00 as number) * Math.sqrt(2 * (r.final_loss as number)) - 1)).toBeLessThan(0.04);

    expect(out.printed.rows.length).toBe(6);
    expect(out.printed.caption).toMatch(/\|W_00\| at loss 1e-4/);
    for (const name of ['razin-w00-vs-loss', 'razin-norms-vs-loss', 'razin-effective-rank-vs-loss', 'razin-perturbed-w00-vs-loss', 'razin-perturbed-final-w00']) {
      expect(fs.existsSync(path.join(dir, 'figures', `${name}.svg`)), name).toBe(true);
      expect(fs.existsSync(path.join(dir, 'figures', `${name}.png`)), name).toBe(true);
    }
    const table = JSON.parse(fs.readFileSync(path.join(dir, 'table.json'), 'utf8')) as unknown[];
    expect(table).toHaveLength(12);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('The perturbed family');
  }, 120_000);
});
