import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { trainConfigFromOptions } from '../src/cli/train.js';
import { resolveOptimizerSpec, type OptimizerSpec } from '../src/optim/create.js';
import { resolveTrainConfig } from '../src/train/loop.js';
import {
  ConfigError, describeConfigValue, dottedKey, isConfigTable, plainConfigData, resolveRunConfig, runConfigJsonSchema, runConfigSchema,
  type ResolvedRunConfig,
} from '../src/sweep/config.js';
import { readConfigFile } from '../src/sweep/config-file.js';
import { applyOverrides, parseSetValue } from '../src/sweep/overrides.js';
import { canonicalJson, runId, sha256Hex } from '../src/sweep/run-id.js';
import { configErrorOf } from './helpers/config-error.js';

const SRC = 'sweep.toml';
const FILE_PROBLEM = { kind: 'file', file: 'P.npz' } as const;

const errorOf = configErrorOf;

function resolveError(raw: unknown): string {
  return errorOf(() => resolveRunConfig(raw, SRC));
}

describe('resolveRunConfig: defaults', () => {
  test('a minimal config gets every default (CLI and library)', () => {
    expect(resolveRunConfig({ problem: { kind: 'razin2x2' } }, SRC)).toStrictEqual({
      method: 'train',
      problem: { kind: 'razin2x2' },
      model: { kind: 'deep', depth: 3 },
      init: { kind: 'gaussian', scale: 1e-3 },
      optimizer: { name: 'gd', lr: 0.01 },
      loss: 'mse',
      train: {
        maxIters: 10000, stopLoss: null, stallWindow: null, stallRtol: null, logEvery: 100, logPerDecade: null, logPerLossDecade: null,
        logSingular: 10, logMatrix: false, checkpointEvery: null, divergenceFactor: 1e10, divergenceFloor: 1e30, schattenP: null, keepHistory: true,
      },
      nnm: { psd: null, eps: 0, tol: 1e-7, maxIters: 20000 },
      seeds: { data: 0, sampling: 0, init: 0 },
    });
  });

  test('the train defaults are those of resolveTrainConfig with the CLI settings', () => {
    const r = resolveRunConfig({ problem: FILE_PROBLEM }, SRC);
    expect(r.train).toStrictEqual(resolveTrainConfig({ maxIters: 10000, logEvery: 100, logSingular: 10 }));
    const t = {
      maxIters: 5, stopLoss: 1e-9, logEvery: 7, logPerDecade: 4, logPerLossDecade: 5, logSingular: 'all' as const, logMatrix: true,
      checkpointEvery: 3, divergenceFactor: 2, divergenceFloor: 9, schattenP: 0.5, keepHistory: false,
    };
    expect(resolveRunConfig({ problem: FILE_PROBLEM, train: t }, SRC).train).toStrictEqual(resolveTrainConfig(t));
  });

  test('optimizer defaults agree with resolveOptimizerSpec, lr defaults with the CLI', () => {
    const cliLr = { gd: 0.01, grouprmsprop: 1e-3, momentum: 0.01, adam: 1e-3 } as const;
    for (const name of ['gd', 'grouprmsprop', 'momentum', 'adam'] as const) {
      const r = resolveRunConfig({ problem: FILE_PROBLEM, optimizer: { name } }, SRC);
      expect(r.optimizer).toStrictEqual(resolveOptimizerSpec({ name, lr: cliLr[name] }));
    }
    const specs: OptimizerSpec[] = [
      { name: 'grouprmsprop', lr: 0.5, alpha: 0.5, eps: 1e-3 },
      { name: 'momentum', lr: 0.5, momentum: 0, nesterov: true },
      { name: 'adam', lr: 0.5, beta1: 0.5, beta2: 0.25, eps: 1e-6 },
    ];
    for (const spec of specs) expect(resolveRunConfig({ problem: FILE_PROBLEM, optimizer: spec }, SRC).optimizer).toStrictEqual(resolveOptimizerSpec(spec));
  });

  test('missing discriminators select the default branch: deep, gaussian, gd', () => {
    const r = resolveRunConfig({ problem: FILE_PROBLEM, model: { depth: 5 }, init: { scale: 0.1 }, optimizer: { lr: 0.2 } }, SRC);
    expect(r.model).toStrictEqual({ kind: 'deep', depth: 5 });
    expect(r.init).toStrictEqual({ kind: 'gaussian', scale: 0.1 });
    expect(r.optimizer).toStrictEqual({ name: 'gd', lr: 0.2 });
  });

  test('model, init and problem defaults per kind', () => {
    const r = (raw: Record<string, unknown>): ResolvedRunConfig => resolveRunConfig({ problem: FILE_PROBLEM, ...raw }, SRC);
    expect(r({ model: { kind: 'udu', width: 4 } }).model).toStrictEqual({ kind: 'udu', width: 4, radius: 1 });
    expect(r({ model: { kind: 'psd', width: 4 } }).model).toStrictEqual({ kind: 'psd', width: 4 });
    expect(r({ model: { kind: 'deep', depth: 3, widths: [4, 5] } }).model).toStrictEqual({ kind: 'deep', depth: 3, widths: [4, 5] });
    expect(r({ init: { kind: 'identity' } }).init).toStrictEqual({ kind: 'identity', scale: 1e-3 });
    expect(r({ init: { kind: 'scaled-direction' } }).init).toStrictEqual({ kind: 'scaled-direction', xi: 1e-3 });
    expect(r({ init: { kind: 'svd' } }).init).toStrictEqual({ kind: 'svd' });
    expect(r({ init: { kind: 'svd', rank: 2 } }).init).toStrictEqual({ kind: 'svd', rank: 2 });
    expect(r({ init: { kind: 'file', file: 'F.npz' } }).init).toStrictEqual({ kind: 'file', file: 'F.npz' });
    expect(r({ seeds: { data: 4 } }).seeds).toStrictEqual({ data: 4, sampling: 4, init: 0 });
    expect(r({ seeds: { data: 4, sampling: 2, init: 9 } }).seeds).toStrictEqual({ data: 4, sampling: 2, init: 9 });
    expect(r({ nnm: { psd: true, eps: 1e-3 } }).nnm).toStrictEqual({ psd: true, eps: 1e-3, tol: 1e-7, maxIters: 20000 });
    expect(r({ name: 'd3', method: 'nnm' })).toMatchObject({ name: 'd3', method: 'nnm' });
  });

  test('generated problems: sizes, derived rank, truth and psd flags', () => {
    const p = (problem: Record<string, unknown>) => resolveRunConfig({ problem }, SRC).problem;
    expect(p({ kind: 'sensing', m: 100 })).toStrictEqual({
      kind: 'sensing', n1: 100, n2: 100, m: 100, rank: 5, truth: 'asymmetric', noise: 0, scale: 'arora', symmetric: false, psd: false,
    });
    expect(p({ kind: 'sensing', n: 3, m: 10 })).toMatchObject({ n1: 3, n2: 3, rank: 3 });
    expect(p({ kind: 'sensing', n1: 8, n2: 6, m: 10, rank: 2 })).toMatchObject({ n1: 8, n2: 6, rank: 2 });
    expect(p({ kind: 'sensing', n: 10, m: 10, psd: true })).toMatchObject({ truth: 'psd', psd: true });
    expect(p({ kind: 'sensing', n: 10, m: 10, truth: 'psd' })).toMatchObject({ truth: 'psd', psd: true });
    expect(p({ kind: 'sensing', n: 10, m: 10, truth: 'psd', psd: false })).toMatchObject({ truth: 'psd', psd: false });
    expect(p({ kind: 'sensing', n: 10, m: 10, truth: 'psd-spectrum' })).toMatchObject({ rank: 10, spectrumDecay: 1.5 });
    expect(p({ kind: 'sensing', n: 10, m: 10, truth: 'psd-spectrum', spectrumDecay: 2 })).toMatchObject({ spectrumDecay: 2 });
    expect(p({ kind: 'completion', n: 10, m: 30 })).toStrictEqual({
      kind: 'completion', n1: 10, n2: 10, m: 30, rank: 5, truth: 'asymmetric', noise: 0, sampling: 'uniform', symmetric: false, testFraction: 0,
    });
    expect(p({ kind: 'completion', n: 10, m: 30, symmetric: true })).toMatchObject({ truth: 'psd', symmetric: true });
    expect(p({ kind: 'completion', n: 10, m: 30, sampling: 'powerlaw' })).toMatchObject({ powerLawExponent: 1 });
    expect(p({ kind: 'commuting', m: 10 })).toStrictEqual({ kind: 'commuting', n: 100, m: 10, rank: 5, scale: 'arora', noise: 0 });
    expect(p({ kind: 'commuting', n: 3, m: 10 })).toMatchObject({ rank: 3 });
    expect(p({ kind: 'razin2x2', perturbed: 1e-3 })).toStrictEqual({ kind: 'razin2x2', perturbed: 1e-3 });
    expect(p({ kind: 'movielens', file: 'r.tsv' })).toStrictEqual({ kind: 'movielens', file: 'r.tsv', rowsAre: 'items', split: { kind: 'first', k: 10000 } });
    const random = resolveRunConfig({ problem: { kind: 'movielens', file: 'r.tsv', split: { kind: 'random', trainFraction: 0.8 } }, seeds: { data: 1, sampling: 7 } }, SRC);
    expect(random.problem).toMatchObject({ split: { kind: 'random', trainFraction: 0.8, seed: 7 } });
    expect(p({ kind: 'movielens', file: 'r.tsv', split: { kind: 'random', trainFraction: 0.8, seed: 3 } })).toMatchObject({ split: { seed: 3 } });
  });

  test('null rule: train and nnm.psd hold null, other absent settings are omitted', () => {
    const r = resolveRunConfig({ problem: { kind: 'sensing', n: 10, m: 10 }, model: { kind: 'deep' }, init: { kind: 'svd' } }, SRC);
    expect('name' in r).toBe(false);
    expect('widths' in r.model).toBe(false);
    expect('rank' in r.init).toBe(false);
    expect('spectrumDecay' in r.problem).toBe(false);
    expect(r.train.stopLoss).toBeNull();
    expect(r.nnm.psd).toBeNull();
  });

  test('a resolved config (and its JSON) reads back to an equal one', () => {
    const raws: unknown[] = [
      { problem: { kind: 'razin2x2' } },
      { name: 'x', method: 'nnm', problem: { kind: 'completion', n1: 6, n2: 8, m: 20, sampling: 'powerlaw', testFraction: 0.5 }, nnm: { psd: false } },
      { problem: { kind: 'sensing', n: 10, m: 50, truth: 'psd-spectrum', symmetric: true }, model: { kind: 'udu', width: 3 }, init: { kind: 'svd', rank: 2 } },
      { problem: { kind: 'movielens', file: 'r.tsv', split: { kind: 'random', trainFraction: 0.5 } }, optimizer: { name: 'adam' }, train: { stopLoss: 1e-6, logSingular: 'all' } },
      { problem: { kind: 'commuting', n: 4, m: 4 }, model: { depth: 2, widths: [3] }, seeds: { data: 3 } },
    ];
    for (const raw of raws) {
      const once = resolveRunConfig(raw, SRC);
      expect(resolveRunConfig(once, SRC)).toStrictEqual(once);
      expect(resolveRunConfig(JSON.parse(JSON.stringify(once)), 'config.json')).toStrictEqual(once);
    }
  });

  test('does not modify its input', () => {
    const raw = { problem: { kind: 'sensing', n: 10, m: 10 }, model: { depth: 2 } };
    const copy = structuredClone(raw);
    resolveRunConfig(raw, SRC);
    expect(raw).toStrictEqual(copy);
  });
});

describe('resolveRunConfig: equivalence with implab train', () => {
  const cliDefaults = { optimizer: 'gd' as const, loss: 'mse' as const, logEvery: 100, logSingular: 10, seed: 0 };

  function compare(cli: ReturnType<typeof trainConfigFromOptions>, r: ResolvedRunConfig): void {
    expect(r.problem).toStrictEqual({ kind: 'file', file: cli.problem });
    expect(r.model).toStrictEqual(cli.model);
    expect(r.init).toStrictEqual(cli.init);
    expect(r.optimizer).toStrictEqual(resolveOptimizerSpec(cli.optimizer));
    expect(r.loss).toBe(cli.loss);
    expect(r.train).toStrictEqual(resolveTrainConfig(cli.train));
    expect(r.seeds.init).toBe(cli.seed);
  }

  test('--model deep --depth 3 --init identity --init-scale 1e-3 --lr 0.1 --max-iters 1000000 --stop-loss 1e-6', () => {
    const cli = trainConfigFromOptions({
      ...cliDefaults, problem: 'P.npz', model: 'deep', depth: 3, init: 'identity', initScale: 1e-3, lr: 0.1, maxIters: 1000000, stopLoss: 1e-6,
    });
    const r = resolveRunConfig({
      problem: { kind: 'file', file: 'P.npz' }, model: { kind: 'deep', depth: 3 }, init: { kind: 'identity', scale: 1e-3 },
      optimizer: { lr: 0.1 }, train: { maxIters: 1000000, stopLoss: 1e-6 },
    }, SRC);
    compare(cli, r);
  });

  test('the defaults of implab train', () => {
    const cli = trainConfigFromOptions({ ...cliDefaults, problem: 'P.npz', model: 'deep', depth: 3 });
    compare(cli, resolveRunConfig({ problem: FILE_PROBLEM }, SRC));
  });

  test('adam, asymmetric, svd start, log settings, seed', () => {
    const cli = trainConfigFromOptions({
      ...cliDefaults, optimizer: 'adam', loss: 'half-sse', problem: 'P.npz', model: 'asymmetric', width: 4, init: 'svd', initRank: 2,
      beta2: 0.99, logEvery: 10, logPerDecade: 5, logSingular: 3, checkpointEvery: 50, seed: 7,
    });
    const r = resolveRunConfig({
      problem: FILE_PROBLEM, model: { kind: 'asymmetric', width: 4 }, init: { kind: 'svd', rank: 2 }, optimizer: { name: 'adam', beta2: 0.99 },
      loss: 'half-sse', train: { logEvery: 10, logPerDecade: 5, logSingular: 3, checkpointEvery: 50 }, seeds: { init: 7 },
    }, SRC);
    compare(cli, r);
  });

  test('momentum and a factor file', () => {
    const cli = trainConfigFromOptions({ ...cliDefaults, optimizer: 'momentum', problem: 'P.npz', model: 'deep', depth: 2, widths: [7], init: 'file:F.npz', nesterov: true });
    const r = resolveRunConfig({
      problem: FILE_PROBLEM, model: { depth: 2, widths: [7] }, init: { kind: 'file', file: 'F.npz' }, optimizer: { name: 'momentum', nesterov: true },
    }, SRC);
    compare(cli, r);
  });
});

describe('resolveRunConfig: errors are one line naming the key', () => {
  const sensing = { kind: 'sensing', n: 20, m: 100 };
  const cases: Array<[unknown, string]> = [
    [{ problem: FILE_PROBLEM, model: { depth: 0 } }, 'sweep.toml: model.depth: expected an integer >= 1, got 0'],
    [{ problem: FILE_PROBLEM, model: { depth: 2.5 } }, 'sweep.toml: model.depth: expected an integer >= 1, got 2.5'],
    [{ problem: FILE_PROBLEM, model: { depth: '3' } }, 'sweep.toml: model.depth: expected an integer >= 1, got "3"'],
    [{ problem: FILE_PROBLEM, model: { dpeth: 4 } }, 'sweep.toml: model.dpeth: unknown key (expected one of kind, depth, widths)'],
    [{ problem: FILE_PROBLEM, model: { kind: 'dep' } }, 'sweep.toml: model.kind: expected one of deep, psd, asymmetric, udu, got "dep"'],
    [{ problem: FILE_PROBLEM, model: { kind: 'psd' } }, 'sweep.toml: model.width: expected an integer >= 1, got nothing'],
    [{ problem: FILE_PROBLEM, model: { kind: 'psd', widht: 3 } }, 'sweep.toml: model.widht: unknown key (expected one of kind, width)'],
    [{ problem: FILE_PROBLEM, model: { depth: 3, widths: [4, 0] } }, 'sweep.toml: model.widths[1]: expected an integer >= 1, got 0'],
    [{ problem: FILE_PROBLEM, model: { depth: 3, widths: 4 } }, 'sweep.toml: model.widths: expected a list of integers >= 1, got 4'],
    [{ problem: FILE_PROBLEM, model: { depth: 3, widths: [4] } }, 'sweep.toml: model.widths: expected 2 hidden widths d_1..d_2 for depth 3 (or the 4-entry chain d_0..d_3), got 1'],
    [{ problem: FILE_PROBLEM, model: 'deep' }, 'sweep.toml: model: expected a table, got "deep"'],
    [{ problem: FILE_PROBLEM, init: { scale: 0 } }, 'sweep.toml: init.scale: expected a positive number, got 0'],
    [{ problem: FILE_PROBLEM, init: { kind: 'file' } }, 'sweep.toml: init.file: expected a file path, got nothing'],
    [{ problem: FILE_PROBLEM, init: { kind: 'balanced' }, model: { kind: 'psd', width: 2 } },
      'sweep.toml: init.kind: expected gaussian, identity, orthogonal, scaled-direction, svd or file for a psd model (balanced applies to deep and asymmetric), got "balanced"'],
    [{ problem: FILE_PROBLEM, optimizer: { lr: -0.1 } }, 'sweep.toml: optimizer.lr: expected a positive number, got -0.1'],
    [{ problem: FILE_PROBLEM, optimizer: { name: 'sgd' } }, 'sweep.toml: optimizer.name: expected one of gd, grouprmsprop, momentum, adam, got "sgd"'],
    [{ problem: FILE_PROBLEM, optimizer: { name: 'adam', beta1: 1 } }, 'sweep.toml: optimizer.beta1: expected a number in [0, 1), got 1'],
    [{ problem: FILE_PROBLEM, optimizer: { name: 'gd', momentum: 0.9 } }, 'sweep.toml: optimizer.momentum: unknown key (expected one of name, lr)'],
    [{ problem: FILE_PROBLEM, optimizer: { name: 'momentum', nesterov: 'yes' } }, 'sweep.toml: optimizer.nesterov: expected true or false, got "yes"'],
    [{ problem: FILE_PROBLEM, optimizer: { lr: [0.1, 0.01] } }, 'sweep.toml: optimizer.lr: expected a positive number, got [0.1,0.01]'],
    [{ problem: FILE_PROBLEM, loss: 'l2' }, 'sweep.toml: loss: expected one of mse, half-sse, got "l2"'],
    [{ problem: FILE_PROBLEM, method: 'ode' }, 'sweep.toml: method: expected one of train, nnm, flow, pgd, search3x3, got "ode"'],
    [{ problem: FILE_PROBLEM, method: 'flow', flow: { eta: 0.1 } }, 'sweep.toml: flow.eta: only used with flow.solver = "steer", got solver = "dopri5"'],
    [{ problem: FILE_PROBLEM, method: 'flow', model: { kind: 'deep', depth: 2 }, flow: { solver: 'steer' } },
      'sweep.toml: model.kind: expected psd for the steering path (it evolves X = U U^T), got "deep"'],
    [{ problem: FILE_PROBLEM, method: 'flow', model: { kind: 'udu', width: 2 } }, 'sweep.toml: model.kind: expected psd, asymmetric or deep for a flow (udu is projected: it has no gradient flow), got "udu"'],
    [{ problem: FILE_PROBLEM, method: 'flow', flow: { solver: 'rk4' } }, 'sweep.toml: flow.solver: expected one of dopri5, dop853, rodas4, steer, got "rk4"'],
    [{ problem: FILE_PROBLEM, method: 'flow', flow: { logFrom: 10, tMax: 1 } }, 'sweep.toml: flow.logFrom: expected a time below flow.tMax = 1, got 10'],
    [{ problem: FILE_PROBLEM, method: 'search3x3' }, 'sweep.toml: problem: not used by method = search3x3 (it makes its own 3 x 3 instances), got {"kind":"file","file":"P.npz"}'],
    [{ method: 'search3x3', search: { gridSize: 4 } }, 'sweep.toml: search.gridSize: expected an odd integer >= 3, got 4'],
    [{ method: 'search3x3', search: { shard: 3, shards: 3 } }, 'sweep.toml: search.shard: expected an integer in [0, 2] (below search.shards), got 3'],
    [{ problem: FILE_PROBLEM, train: { maxIters: -1 } }, 'sweep.toml: train.maxIters: expected an integer >= 0, got -1'],
    [{ problem: FILE_PROBLEM, train: { logEvery: 0 } }, 'sweep.toml: train.logEvery: expected an integer >= 1, got 0'],
    [{ problem: FILE_PROBLEM, train: { logSingular: -1 } }, 'sweep.toml: train.logSingular: expected a non-negative integer or "all", got -1'],
    [{ problem: FILE_PROBLEM, train: { logSingular: 'some' } }, 'sweep.toml: train.logSingular: expected a non-negative integer or "all", got "some"'],
    [{ problem: FILE_PROBLEM, train: { stopLoss: -1 } }, 'sweep.toml: train.stopLoss: expected a number >= 0, got -1'],
    [{ problem: FILE_PROBLEM, train: { max_iters: 10 } },
      'sweep.toml: train.max_iters: unknown key (expected one of maxIters, stopLoss, stallWindow, stallRtol, logEvery, logPerDecade, logPerLossDecade, logSingular, logMatrix, checkpointEvery, divergenceFactor, divergenceFloor, schattenP, keepHistory)'],
    [{ problem: FILE_PROBLEM, nnm: { eps: -1 } }, 'sweep.toml: nnm.eps: expected a number >= 0, got -1'],
    [{ problem: FILE_PROBLEM, nnm: { tol: 0 } }, 'sweep.toml: nnm.tol: expected a positive number, got 0'],
    [{ problem: FILE_PROBLEM, seeds: { data: -1 } }, 'sweep.toml: seeds.data: expected a non-negative integer, got -1'],
    [{ problem: FILE_PROBLEM, seeds: { init: 1.5 } }, 'sweep.toml: seeds.init: expected a non-negative integer, got 1.5'],
    [{ problem: FILE_PROBLEM, seeds: { data: 2 ** 60 } }, `sweep.toml: seeds.data: expected a non-negative integer, got ${2 ** 60}`],
    [{ problem: FILE_PROBLEM, seed: 1 }, 'sweep.toml: seed: unknown key (expected one of name, method, problem, model, init, optimizer, loss, train, nnm, flow, pgd, search, seeds)'],
    [{}, 'sweep.toml: problem: expected a table, got nothing'],
    [{ problem: {} }, 'sweep.toml: problem.kind: expected one of file, sensing, completion, commuting, razin2x2, movielens, got nothing'],
    [{ problem: { kind: 'file' } }, 'sweep.toml: problem.file: expected a file path, got nothing'],
    [{ problem: { kind: 'sensing', n: 20 } }, 'sweep.toml: problem.m: expected an integer >= 1, got nothing'],
    [{ problem: { ...sensing, noise: -1 } }, 'sweep.toml: problem.noise: expected a number >= 0, got -1'],
    [{ problem: { ...sensing, truth: 'lowrank' } }, 'sweep.toml: problem.truth: expected one of asymmetric, psd, psd-spectrum, got "lowrank"'],
    [{ problem: { ...sensing, sampling: 'uniform' } },
      'sweep.toml: problem.sampling: unknown key (expected one of kind, n, n1, n2, m, rank, truth, spectrumDecay, truthNorm, noise, noiseRelative, scale, symmetric, psd)'],
    [{ problem: { ...sensing, n1: 20 } }, 'sweep.toml: problem.n1: expected either n (square) or n1 and n2, got both n = 20 and n1 = 20'],
    [{ problem: { kind: 'sensing', n1: 20, m: 10 } }, 'sweep.toml: problem.n2: expected an integer >= 1 (n1 and n2 go together), got nothing'],
    [{ problem: { ...sensing, rank: 21 } }, 'sweep.toml: problem.rank: expected an integer in [1, 20] (min(n1, n2)), got 21'],
    [{ problem: { ...sensing, spectrumDecay: 2 } }, 'sweep.toml: problem.spectrumDecay: only used with truth = "psd-spectrum", got truth = "asymmetric"'],
    [{ problem: { ...sensing, psd: true, truth: 'asymmetric' } },
      'sweep.toml: problem.psd: expected false with truth = "asymmetric" (the PSD setting needs a psd or psd-spectrum truth), got true'],
    [{ problem: { kind: 'sensing', n1: 4, n2: 5, m: 3, truth: 'psd' } }, 'sweep.toml: problem.truth: expected a square problem for a psd truth, got n1 = 4, n2 = 5'],
    [{ problem: { kind: 'sensing', n1: 4, n2: 5, m: 3, symmetric: true } }, 'sweep.toml: problem.symmetric: expected a square problem, got n1 = 4, n2 = 5'],
    [{ problem: { kind: 'completion', n: 10, m: 200 } }, 'sweep.toml: problem.m: expected at most 100 (the entries of a 10x10 matrix), got 200'],
    [{ problem: { kind: 'completion', n: 10, m: 20, powerLawExponent: 2 } }, 'sweep.toml: problem.powerLawExponent: only used with sampling = "powerlaw", got sampling = "uniform"'],
    [{ problem: { kind: 'completion', n: 10, m: 20, testFraction: 2 } }, 'sweep.toml: problem.testFraction: expected a number in [0, 1], got 2'],
    [{ problem: { kind: 'completion', n: 10, m: 20, symmetric: true, truth: 'asymmetric' } },
      'sweep.toml: problem.truth: expected psd or psd-spectrum for symmetric completion, got "asymmetric"'],
    [{ problem: { kind: 'commuting', n: 3, m: 5, rank: 4 } }, 'sweep.toml: problem.rank: expected an integer in [1, 3] (n), got 4'],
    [{ problem: { kind: 'movielens', file: 'r.tsv', split: { kind: 'random' } } }, 'sweep.toml: problem.split.trainFraction: expected a number in (0, 1], got nothing'],
    [{ problem: { kind: 'movielens', file: 'r.tsv', split: { kind: 'first', k: 0 } } }, 'sweep.toml: problem.split.k: expected an integer >= 1, got 0'],
    [{ problem: { kind: 'razin2x2', perturbed: 'x' } }, 'sweep.toml: problem.perturbed: expected a finite number, got "x"'],
    [[], 'sweep.toml: expected a table, got an empty list'],
    [null, 'sweep.toml: expected a table, got null'],
  ];
  test.each(cases.map(([raw, message], i) => [i, raw, message] as const))('case %i', (_i, raw, message) => {
    expect(resolveError(raw)).toBe(message);
  });

  test('an unknown key is reported before the missing key it probably meant', () => {
    expect(resolveError({ problem: { kind: 'sensing', n: 4, mm: 3 } })).toBe(
      'sweep.toml: problem.mm: unknown key (expected one of kind, n, n1, n2, m, rank, truth, spectrumDecay, truthNorm, noise, noiseRelative, scale, symmetric, psd)',
    );
  });

  test('ConfigError carries source, key and detail', () => {
    try {
      resolveRunConfig({ problem: FILE_PROBLEM, model: { depth: 0 } }, 'a/b.toml');
      expect.unreachable();
    } catch (e) {
      const c = e as ConfigError;
      expect(c).toBeInstanceOf(Error);
      expect(c.name).toBe('ConfigError');
      expect([c.source, c.key, c.detail]).toEqual(['a/b.toml', 'model.depth', 'expected an integer >= 1, got 0']);
    }
  });
});

describe('helpers', () => {
  test('describeConfigValue and dottedKey', () => {
    expect(describeConfigValue(0)).toBe('0');
    expect(describeConfigValue('dep')).toBe('"dep"');
    expect(describeConfigValue(undefined)).toBe('nothing');
    expect(describeConfigValue([])).toBe('an empty list');
    expect(describeConfigValue([1, 2])).toBe('[1,2]');
    expect(describeConfigValue(Array.from({ length: 50 }, (_, i) => i))).toBe('a list of 50 values');
    expect(describeConfigValue({ a: 'x'.repeat(80) })).toBe('a table');
    expect(dottedKey(['model', 'widths', 1])).toBe('model.widths[1]');
    expect(dottedKey([])).toBe('');
  });

  test('plainConfigData makes plain objects and keeps __proto__ an ordinary key', () => {
    const t = Object.create(null) as Record<string, unknown>;
    t.a = { b: [1, new Date(0)] };
    const p = plainConfigData(t) as Record<string, unknown>;
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(p).toStrictEqual({ a: { b: [1, '1970-01-01T00:00:00.000Z'] } });
    const evil = plainConfigData(JSON.parse('{"__proto__": {"x": 1}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(evil)).toBe(Object.prototype);
    expect(Object.keys(evil)).toEqual(['__proto__']);
    expect(isConfigTable(evil)).toBe(true);
    expect(isConfigTable([1])).toBe(false);
    expect(isConfigTable(new Date())).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// JSON Schema
// ---------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** A tiny validator for the keywords z.toJSONSchema emits here (enough to check real configs). */
function validate(schema: Json, value: unknown, at = '$'): string[] {
  const errors: string[] = [];
  if ('const' in schema && value !== schema.const) errors.push(`${at}: const`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${at}: enum`);
  const type = schema.type as string | string[] | undefined;
  const typeOk = (t: string): boolean =>
    t === 'object' ? isConfigTable(value) : t === 'array' ? Array.isArray(value) : t === 'integer' ? Number.isInteger(value)
      : t === 'null' ? value === null : typeof value === t;
  if (type !== undefined && !(Array.isArray(type) ? type.some(typeOk) : typeOk(type))) return [`${at}: type ${String(type)}`];
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: maximum`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) errors.push(`${at}: exclusiveMinimum`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) errors.push(`${at}: exclusiveMaximum`);
  }
  if (typeof value === 'string' && typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${at}: minLength`);
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(schema.items as Json, v, `${at}[${i}]`)));
  if (isConfigTable(value) && schema.properties) {
    const props = schema.properties as Record<string, Json>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) errors.push(`${at}.${key}: required`);
    for (const [key, v] of Object.entries(value)) {
      if (key in props) errors.push(...validate(props[key], v, `${at}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${at}.${key}: additional`);
    }
  }
  for (const word of ['oneOf', 'anyOf'] as const) {
    const options = schema[word] as Json[] | undefined;
    if (!options) continue;
    const passing = options.filter((o) => validate(o, value, at).length === 0).length;
    if (word === 'oneOf' ? passing !== 1 : passing === 0) errors.push(`${at}: ${word} (${passing} match)`);
  }
  return errors;
}

/** Every property schema in the tree, with its path. */
function properties(schema: Json, at = '$'): Array<[string, Json]> {
  const out: Array<[string, Json]> = [];
  for (const [key, s] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    out.push([`${at}.${key}`, s], ...properties(s, `${at}.${key}`));
  }
  for (const word of ['oneOf', 'anyOf'] as const) {
    for (const [i, s] of ((schema[word] ?? []) as Json[]).entries()) out.push(...properties(s, `${at}<${word}${i}>`));
  }
  return out;
}

describe('runConfigJsonSchema', () => {
  const schema = runConfigJsonSchema();

  test('is a draft 2020-12 object schema with titles and a description on every field', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(schema.title).toBe('implab run config');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties as Json)).toEqual(['name', 'method', 'problem', 'model', 'init', 'optimizer', 'loss', 'train', 'nnm', 'flow', 'pgd', 'search', 'seeds']);
    // problem is required except by method = search3x3, which makes its own instances.
    expect(schema.required).toBeUndefined();
    expect(validate(schema, {}).length).toBeGreaterThan(0);
    expect(validate(schema, { method: 'search3x3' })).toEqual([]);
    const missing = properties(schema).filter(([, s]) => typeof s.description !== 'string' || s.description === '').map(([p]) => p);
    expect(missing).toEqual([]);
    expect(JSON.parse(JSON.stringify(schema))).toStrictEqual(schema);
  });

  test('shows the defaults and ranges', () => {
    const props = schema.properties as Record<string, Json>;
    const train = (props.train.properties as Record<string, Json>);
    expect(train.maxIters).toMatchObject({ type: 'integer', minimum: 0, default: 10000 });
    expect(train.logEvery).toMatchObject({ default: 100 });
    expect(props.loss).toMatchObject({ enum: ['mse', 'half-sse'], default: 'mse' });
    const deep = ((props.model.oneOf ?? props.model.anyOf) as Json[])[0].properties as Record<string, Json>;
    expect(deep.depth).toMatchObject({ type: 'integer', minimum: 1, default: 3 });
    expect(JSON.stringify(schema)).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  test('accepts valid configs (default, resolved, full) and rejects bad ones', () => {
    const good: unknown[] = [
      { problem: { kind: 'razin2x2' } },
      JSON.parse(JSON.stringify(resolveRunConfig({ problem: { kind: 'razin2x2' } }, SRC))),
      JSON.parse(JSON.stringify(resolveRunConfig({
        name: 'x', problem: { kind: 'completion', n: 10, m: 20, sampling: 'powerlaw' }, model: { kind: 'udu', width: 3 },
        init: { kind: 'svd' }, optimizer: { name: 'adam' }, train: { stopLoss: 1e-3, logSingular: 'all' }, nnm: { psd: true },
      }, SRC))),
      { problem: { kind: 'movielens', file: 'r.tsv', split: { kind: 'random', trainFraction: 0.5 } }, model: { depth: 2 }, optimizer: { lr: 0.1 } },
    ];
    for (const g of good) expect(validate(schema, g)).toEqual([]);
    const bad: unknown[] = [
      {},
      { problem: { kind: 'razin2x2' }, model: { dpeth: 3 } },
      { problem: { kind: 'razin2x2' }, model: { depth: 0 } },
      { problem: { kind: 'razin2x2' }, optimizer: { name: 'adam', beta1: 1 } },
      { problem: { kind: 'sensing', n: 10 } },
      { problem: { kind: 'razin2x2' }, seeds: { data: -1 } },
    ];
    for (const b of bad) expect(validate(schema, b).length).toBeGreaterThan(0);
  });

  test('the zod schema and resolveRunConfig agree on the examples', () => {
    expect(runConfigSchema.safeParse({ problem: { kind: 'razin2x2' } }).success).toBe(true);
    expect(runConfigSchema.safeParse({ problem: { kind: 'razin2x2' }, model: { dpeth: 3 } }).success).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// Overrides
// ---------------------------------------------------------------------------

describe('applyOverrides', () => {
  test('dotted keys set nested keys and create tables; values are TOML', () => {
    const raw = { model: { kind: 'deep', depth: 3 }, problem: { kind: 'razin2x2' } };
    const out = applyOverrides(raw, [
      'model.depth=4', 'optimizer.lr=[1e-3, 1e-4]', 'model.kind=psd', 'name="a b"', 'train.keepHistory=false',
      'problem={ kind = "sensing", n = 10, m = 20 }', 'seeds.data=[0,1,2]', 'init.scale=.5', 'nnm.eps=0',
    ]);
    expect(out).toStrictEqual({
      model: { kind: 'psd', depth: 4 },
      problem: { kind: 'sensing', n: 10, m: 20 },
      optimizer: { lr: [1e-3, 1e-4] },
      name: 'a b',
      train: { keepHistory: false },
      seeds: { data: [0, 1, 2] },
      init: { scale: 0.5 },
      nnm: { eps: 0 },
    });
    expect(raw).toStrictEqual({ model: { kind: 'deep', depth: 3 }, problem: { kind: 'razin2x2' } });
    expect(Object.getPrototypeOf(out.problem)).toBe(Object.prototype);
  });

  test('later overrides win', () => {
    expect(applyOverrides({}, ['a.b=1', 'a.b=2', 'a.c=x'])).toStrictEqual({ a: { b: 2, c: 'x' } });
  });

  test('parseSetValue', () => {
    expect(parseSetValue('1e-3')).toBe(0.001);
    expect(parseSetValue('42')).toBe(42);
    expect(parseSetValue('true')).toBe(true);
    expect(parseSetValue('psd')).toBe('psd');
    expect(parseSetValue('psd-spectrum')).toBe('psd-spectrum');
    expect(parseSetValue('"1"')).toBe('1');
    expect(parseSetValue('.5')).toBe(0.5);
    expect(parseSetValue('file.npz')).toBe('file.npz');
    expect(parseSetValue('2024-01-01')).toBe('2024-01-01');
    expect(parseSetValue('[[2, 2], [4, 4]]')).toStrictEqual([[2, 2], [4, 4]]);
    expect(parseSetValue('')).toBe('');
  });

  test('errors are one line', () => {
    expect(() => applyOverrides({}, ['x'])).toThrow(/^--set: expected key=value, got "x"$/);
    expect(() => applyOverrides({}, ['=1'])).toThrow('--set: expected key=value, got "=1"');
    expect(() => applyOverrides({}, ['a..b=1'])).toThrow('--set: expected a dotted key of letters, digits, _ and -, got "a..b"');
    expect(() => applyOverrides({}, ['__proto__.x=1'])).toThrow(/dotted key/);
    expect(() => applyOverrides({ model: [{ depth: 2 }] }, ['model.depth=4'])).toThrow('--set model.depth: model holds a list, not a table');
    expect(() => applyOverrides({ model: 'deep' }, ['model.depth=4'])).toThrow('--set model.depth: model holds the value "deep", not a table');
  });
});

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

describe('readConfigFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'implab-sweep-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  test('TOML, with tables, arrays of tables and lists, as plain objects in file order', () => {
    const file = write('sweep.toml', [
      'name = "depths"',
      'seeds.data = [0, 1]',
      '[problem]',
      'kind = "sensing"',
      'n = 20',
      'm = 100',
      '[model]',
      'depth = [2, 3]',
      '[[variants]]',
      'optimizer = { lr = 0.1 }',
      '[[variants]]',
      'name = "adam"',
      'optimizer.name = "adam"',
      '',
    ].join('\n'));
    const raw = readConfigFile(file);
    expect(raw).toStrictEqual({
      name: 'depths', seeds: { data: [0, 1] }, problem: { kind: 'sensing', n: 20, m: 100 }, model: { depth: [2, 3] },
      variants: [{ optimizer: { lr: 0.1 } }, { name: 'adam', optimizer: { name: 'adam' } }],
    });
    expect(Object.keys(raw)).toEqual(['name', 'seeds', 'problem', 'model', 'variants']);
    expect(Object.getPrototypeOf(raw.problem)).toBe(Object.prototype);
  });

  test('JSON, and a resolved config saved as JSON reads back', () => {
    const resolved = resolveRunConfig({ problem: { kind: 'razin2x2' }, train: { stopLoss: 1e-6 } }, SRC);
    const file = write('config.json', JSON.stringify(resolved, null, 2));
    expect(resolveRunConfig(readConfigFile(file), file)).toStrictEqual(resolved);
  });

  test('errors: missing file, bad TOML (line and column), bad JSON, not a table, extension', () => {
    const missing = path.join(dir, 'nope.toml');
    expect(errorOf(() => readConfigFile(missing))).toBe(`${missing}: no such file`);
    const bad = write('bad.toml', 'a = 1\nb = psd\n');
    expect(errorOf(() => readConfigFile(bad))).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2, column 5: \\S`));
    const dup = write('dup.toml', 'a = 1\na = 2\n');
    expect(errorOf(() => readConfigFile(dup))).toMatch(/: line 2, column \d+: /);
    const badJson = write('bad.json', '{"a": 1,}');
    expect(errorOf(() => readConfigFile(badJson))).toMatch(new RegExp(`^.*bad\\.json: not valid JSON \\(.+\\)$`));
    const list = write('list.json', '[1, 2]');
    expect(errorOf(() => readConfigFile(list))).toBe(`${list}: expected a table at the top level, got [1,2]`);
    const yaml = write('c.yaml', 'a: 1');
    expect(errorOf(() => readConfigFile(yaml))).toBe(`${yaml}: expected a .toml or .json file, got ".yaml"`);
    const sub = path.join(dir, 'd.toml');
    mkdirSync(sub);
    expect(errorOf(() => readConfigFile(sub))).toBe(`${sub}: is a directory, not a config file`);
  });
});

// ---------------------------------------------------------------------------
// Run id
// ---------------------------------------------------------------------------

describe('sha256Hex and runId', () => {
  const node = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

  test('known vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  test('agrees with node:crypto on a 1000-character string, every padding case and UTF-8', () => {
    const long = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join('');
    expect(long.length).toBe(1000);
    expect(sha256Hex(long)).toBe(node(long));
    for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 129]) {
      const s = 'x'.repeat(n);
      expect(sha256Hex(s)).toBe(node(s));
    }
    expect(sha256Hex('σ² ≥ 0 — 日本 🙂')).toBe(node('σ² ≥ 0 — 日本 🙂'));
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 31) & 255);
    expect(sha256Hex(bytes)).toBe(node(bytes));
  });

  test('canonicalJson sorts keys recursively and prints numbers as JSON does', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: null, c: 'x' }] })).toBe('{"a":[2,{"c":"x","d":null}],"b":1}');
    expect(canonicalJson({ x: 1e-7, y: 1e21, z: -0, u: undefined })).toBe('{"x":1e-7,"y":1e+21,"z":0}');
  });

  test('runId: 16 hex digits, stable under key order, excludes name, differs for different configs', () => {
    const a = resolveRunConfig({ problem: { kind: 'sensing', n: 10, m: 20 }, optimizer: { lr: 0.1 }, model: { depth: 2 } }, SRC);
    const b = resolveRunConfig({ model: { depth: 2 }, optimizer: { lr: 0.1 }, problem: { m: 20, n: 10, kind: 'sensing' } }, SRC);
    expect(runId(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(runId(b)).toBe(runId(a));
    const shuffled = JSON.parse(canonicalJson(a)) as ResolvedRunConfig;
    expect(runId(shuffled)).toBe(runId(a));
    expect(runId({ ...a, name: 'label' })).toBe(runId(a));
    expect(runId(resolveRunConfig({ problem: { kind: 'sensing', n: 10, m: 20 }, optimizer: { lr: 0.1 }, model: { depth: 3 } }, SRC))).not.toBe(runId(a));
    expect(runId({ ...a, seeds: { ...a.seeds, init: 1 } })).not.toBe(runId(a));
    expect(runId(a)).toBe(sha256Hex(canonicalJson({ ...a })).slice(0, 16));
  });
});
