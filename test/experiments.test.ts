/*
 * src/experiments: the registered experiments' grids (quick and full), the arora2019
 * analyses on hand-written results (table fields, mean and range over instances, the
 * paper's numbers, jump steps), and one end-to-end pass of the reproduce pipeline on a
 * tiny experiment: runSweep in-process into a temporary directory, then
 * writeExperimentReport (table.json, figures, report.html) and formatTable.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARORA_TABLE1, arora2019Dynamics, arora2019Sweep, arora2019Table1, jumpSteps } from '../src/experiments/arora2019.js';
import { seedList, type Experiment, type ExperimentContext, type ExperimentTable, type ReproduceOptions } from '../src/experiments/experiment.js';
import { EXPERIMENTS } from '../src/experiments/registry.js';
import {
  EXPERIMENT_FILE, experimentGrid, findExperiment, formatTable, readExperimentFile, writeExperimentFile, writeExperimentReport,
} from '../src/experiments/reproduce.js';
import { escapeHtml } from '../src/report/html.js';
import type { RunFigures } from '../src/sweep/execute.js';
import type { GridPoint } from '../src/sweep/grid.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import type { ResultLine } from '../src/sweep/store.js';
import type { HistoryRecord } from '../src/train/loop.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-experiments-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const QUICK: ReproduceOptions = { quick: true, seeds: null };
const FULL: ReproduceOptions = { quick: false, seeds: null };

/** Relative closeness for means computed in another order. */
const close = (actual: unknown, expected: number, rtol = 1e-12): void => {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rtol * Math.abs(expected));
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleStd = (xs: number[]): number => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

// ---------------------------------------------------------------------------

describe('registered experiments', () => {
  it('names are unique and every experiment is found by name', () => {
    const names = EXPERIMENTS.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['arora2019-table1', 'arora2019-dynamics', 'arora2019-sweep']));
    for (const e of EXPERIMENTS) {
      expect(findExperiment(e.name)).toBe(e);
      expect(e.title.length).toBeGreaterThan(0);
      expect(e.about.length).toBeGreaterThan(0);
    }
  });

  it('findExperiment: an unknown name is a one-line error listing the known experiments', () => {
    const expected = `reproduce: unknown experiment "arora2019-tabel1" (expected one of ${EXPERIMENTS.map((e) => e.name).join(', ')})`;
    expect(() => findExperiment('arora2019-tabel1')).toThrow(RangeError);
    expect(() => findExperiment('arora2019-tabel1')).toThrow(expected);
    expect(expected).toContain('arora2019-table1, arora2019-dynamics, arora2019-sweep');
  });

  for (const e of EXPERIMENTS) {
    for (const options of [QUICK, FULL, { quick: true, seeds: 2 }]) {
      it(`${e.name} (${options.quick ? 'quick' : 'full'}${options.seeds ? `, ${options.seeds} seeds` : ''}): the grid expands, ids unique, notes written`, () => {
        const grid = experimentGrid(e, options);
        expect(grid.points.length).toBeGreaterThan(0);
        expect(new Set(grid.points.map((p) => p.id)).size).toBe(grid.points.length);
        for (const p of grid.points) expect(p.id).toMatch(/^[0-9a-f]{16}$/);
        expect(e.notes(options).length).toBeGreaterThan(0);
        // The config is plain data (it is written into report.html and must read back the same).
        expect(JSON.parse(JSON.stringify(e.config(options)))).toEqual(e.config(options));
      });
    }
  }

  const count = (e: Experiment, o: ReproduceOptions): number => experimentGrid(e, o).points.length;

  it('arora2019-table1: nnm and depths 1, 2, 3 per instance (quick 1 instance, full 3)', () => {
    expect(count(arora2019Table1, QUICK)).toBe(4);
    expect(count(arora2019Table1, FULL)).toBe(12);
    expect(count(arora2019Table1, { quick: true, seeds: 5 })).toBe(20);
    const points = experimentGrid(arora2019Table1, FULL).points;
    expect(points.map((p) => [p.axes.variants, p.config.seeds.data])).toEqual(
      ['nnm', 'depth 1', 'depth 2', 'depth 3'].flatMap((v) => [0, 1, 2].map((s) => [v, s])),
    );
    for (const p of points) {
      expect(p.config.problem).toMatchObject({ kind: 'completion', n1: 100, n2: 100, m: 2000, rank: 5 });
      expect(p.config.init).toEqual({ kind: 'identity', scale: 1e-3 });
      expect(p.config.optimizer).toEqual({ name: 'gd', lr: 0.1 });
      expect(p.config.train).toMatchObject({ maxIters: 1_000_000, stopLoss: 1e-6 });
      expect(p.config.nnm.eps).toBe(1e-3);
    }
  });

  it('arora2019-dynamics: depths 1, 2, 3 (one instance, quick or full)', () => {
    expect(count(arora2019Dynamics, QUICK)).toBe(3);
    expect(count(arora2019Dynamics, FULL)).toBe(3);
    const points = experimentGrid(arora2019Dynamics, FULL).points;
    expect(points.map((p) => p.config.method === 'train' && p.config.model.kind === 'deep' && p.config.model.depth)).toEqual([1, 2, 3]);
    expect(points.map((p) => p.config.train.logPerDecade)).toEqual([40, 40, 40]);
    expect(experimentGrid(arora2019Dynamics, QUICK).points.map((p) => p.config.train.logPerDecade)).toEqual([20, 20, 20]);
  });

  it('arora2019-sweep: quick 3 depths x 2 scales + nnm; full as its config multiplies out', () => {
    expect(count(arora2019Sweep, QUICK)).toBe(7);
    // completion: 2 m x 3 depths x 4 scales x 2 lr; sensing: 2 x 3 x 5 x 2; nnm: 2 problems x 2 m; times 3 instances.
    const full = experimentGrid(arora2019Sweep, FULL).points;
    expect(full.length).toBe((2 * 3 * 4 * 2 + 2 * 3 * 5 * 2 + 2 * 2) * 3);
    expect(full.length).toBe(336);
    const of = (pred: (p: GridPoint) => boolean) => full.filter(pred).length;
    expect(of((p) => p.config.method === 'nnm')).toBe(12);
    expect(of((p) => p.config.method === 'train' && p.config.problem.kind === 'completion')).toBe(144);
    expect(of((p) => p.config.method === 'train' && p.config.problem.kind === 'sensing')).toBe(180);
    for (const p of full) {
      expect(p.config.problem).toMatchObject({ n1: 100, n2: 100, rank: 5 });
      if (p.config.method === 'train') expect(p.config.optimizer.name).toBe('grouprmsprop');
      if (p.config.problem.kind === 'sensing') expect(p.config.problem).toMatchObject({ scale: 'arora', symmetric: false });
    }
    expect(new Set(full.map((p) => p.config.seeds.data))).toEqual(new Set([0, 1, 2]));
  });
});

// ---------------------------------------------------------------------------

function trainFigures(o: { recon: number | null; step?: number; status?: string; sv?: number[] }): RunFigures {
  const r = o.recon;
  return {
    method: 'train', status: o.status ?? 'converged', step: o.step ?? 10_000, loss: r === null ? null : r * 1e-4, test_loss: null,
    recon_mse: r, recon_rel: r === null ? null : Math.sqrt(r), nuclear_norm: r === null ? null : 500 + 100 * r,
    effective_rank: r === null ? null : 5 + r, singular_values: o.sv ?? [40, 30, 20, 10, 5, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7],
    train_seconds: 1, total_seconds: 2,
  };
}
function nnmFigures(recon: number, step = 600): RunFigures {
  return {
    method: 'nnm', status: 'solved', step, loss: null, test_loss: null, recon_mse: recon, recon_rel: Math.sqrt(recon),
    nuclear_norm: 480 + recon, effective_rank: 7 + recon, singular_values: [41, 31, 21, 11, 6, 2, 1, 0.5, 0.2, 0.1],
    train_seconds: 3, total_seconds: 3, relative_gap: 5e-8,
  };
}
const lineOf = (p: GridPoint, summary: RunFigures): ResultLine => ({ id: p.id, axes: p.axes, config: JSON.parse(JSON.stringify(p.config)) as unknown, summary });
const context = (results: ResultLine[], options: ReproduceOptions, history: (id: string) => HistoryRecord[] = () => []): ExperimentContext => ({
  dir: tmp, options, results, history,
});

/** recon_mse per method and instance (seed 0, 1, 2). */
const RECON: Record<string, number[]> = {
  nnm: [0.1, 0.13, 0.115],
  'depth 1': [0.8, 0.9, 0.82],
  'depth 2': [0.05, 0.07, 0.061],
  'depth 3': [2e-5, 3.5e-5, 2.6e-5],
};
const STEPS: Record<string, number[]> = { nnm: [500, 520, 560], 'depth 1': [3000, 3100, 3300], 'depth 2': [20_000, 21_000, 23_000], 'depth 3': [90_000, 95_000, 91_000] };

function table1Results(): ResultLine[] {
  return experimentGrid(arora2019Table1, FULL).points.map((p) => {
    const label = p.axes.variants as string;
    const s = p.config.seeds.data;
    return lineOf(p, label === 'nnm' ? nnmFigures(RECON.nnm[s], STEPS.nnm[s]) : trainFigures({ recon: RECON[label][s], step: STEPS[label][s] }));
  });
}

describe('arora2019-table1 analysis', () => {
  it('one row per method with the fields of Table 1; mean, std and range over instances; the paper value', () => {
    const out = arora2019Table1.analyze(context(table1Results(), FULL));
    expect(out.table).toHaveLength(4);
    const labels = ['nnm', 'depth 1', 'depth 2', 'depth 3'];
    out.table.forEach((row, i) => {
      const label = labels[i];
      const recon = RECON[label];
      for (const key of ['method', 'depth', 'lr', 'init_scale', 'm', 'recon_mse', 'nuclear_norm', 'effective_rank', 'train_loss', 'iterations', 'paper_recon_mse']) {
        expect(row, `${label}: ${key}`).toHaveProperty(key);
      }
      expect(row.method).toBe(label === 'nnm' ? 'nnm' : 'gd');
      expect(row.m).toBe(2000);
      expect(row.instances).toBe(3);
      close(row.recon_mse, mean(recon));
      close(row.recon_mse_std, sampleStd(recon), 1e-10);
      expect(row.recon_mse_min).toBe(Math.min(...recon));
      expect(row.recon_mse_max).toBe(Math.max(...recon));
      close(row.recon_rel, mean(recon.map(Math.sqrt)));
      close(row.iterations, mean(STEPS[label]));
      expect(row.paper_recon_mse).toBe(ARORA_TABLE1[label as keyof typeof ARORA_TABLE1]);
      expect(row.per_instance).toHaveLength(3);
      expect((row.per_instance as Array<Record<string, unknown>>).map((r) => [r.seed, r.recon_mse, r.iterations])).toEqual(
        [0, 1, 2].map((s) => [s, recon[s], STEPS[label][s]]),
      );
      if (label === 'nnm') {
        close(row.nuclear_norm, mean(recon.map((r) => 480 + r)));
        close(row.effective_rank, mean(recon.map((r) => 7 + r)));
        expect(row.train_loss).toBeNull();
        expect(row.eps).toBe(1e-3);
        expect(row.statuses).toBe('solved');
      } else {
        expect(row.depth).toBe(Number(label.slice(6)));
        expect(row.lr).toBe(0.1);
        expect(row.init).toBe('identity');
        expect(row.init_scale).toBe(1e-3);
        close(row.nuclear_norm, mean(recon.map((r) => 500 + 100 * r)));
        close(row.effective_rank, mean(recon.map((r) => 5 + r)));
        close(row.train_loss, mean(recon.map((r) => r * 1e-4)));
        expect(row.statuses).toBe('converged');
      }
    });
    expect(ARORA_TABLE1).toEqual({ nnm: 1.06e-1, 'depth 1': 8.19e-1, 'depth 2': 5.92e-2, 'depth 3': 2.58e-5 });
  });

  it('the printed table: one row per method, mean, range text, the paper value; two figures', () => {
    const out = arora2019Table1.analyze(context(table1Results(), FULL));
    expect(out.printed.caption).toContain('over 3 instance(s)');
    expect(out.printed.rows.map((r) => r.method)).toEqual(['nnm', 'depth 1', 'depth 2', 'depth 3']);
    expect(out.printed.rows[3].spread).toBe('2.00e-5 – 3.50e-5');
    expect(out.printed.rows[3].paper).toBe(2.58e-5);
    for (const r of out.printed.rows) for (const c of out.printed.columns) expect(r).toHaveProperty(c.key);
    expect(out.sections).toHaveLength(1);
    expect(out.sections[0].tables).toEqual([out.printed]);
    expect(out.sections[0].figures!.map((f) => f.name)).toEqual(['table1-recon', 'table1-spectra']);
  });

  it('a run without a figure (diverged: recon_mse null) is left out of mean and range, not counted as 0', () => {
    const results = table1Results().filter((l) => (l.axes.variants as string) === 'depth 1');
    results[1] = { ...results[1], summary: trainFigures({ recon: null, status: 'diverged', step: 1234 }) };
    const [row] = arora2019Table1.analyze(context(results, FULL)).table;
    expect(row.instances).toBe(3);
    close(row.recon_mse, mean([0.8, 0.82]));
    expect(row.recon_mse_min).toBe(0.8);
    expect(row.recon_mse_max).toBe(0.82);
    expect(row.statuses).toBe('converged,diverged');
    // A method whose runs all lack the figure has no range either.
    const none = results.map((l) => ({ ...l, summary: trainFigures({ recon: null, status: 'diverged' }) }));
    const [empty] = arora2019Table1.analyze(context(none, FULL)).table;
    expect([empty.recon_mse, empty.recon_mse_min, empty.recon_mse_max]).toEqual([null, null, null]);
  });
});

// ---------------------------------------------------------------------------

function record(step: number, sv: number[] | null): HistoryRecord {
  return {
    step, loss: 1 / (1 + step), test_loss: null, recon_mse: 1 / (1 + step), recon_rel: null, nuclear_norm: null, schatten_2_over_N: null,
    effective_rank: null, singular_values: sv, grad_align_diag: 1e-2 / (1 + step), grad_align_offdiag: 1e-4 / (1 + step), w: null,
  };
}

describe('jumpSteps', () => {
  const history = [
    record(0, [1e-3, 1e-3, 1e-3, 0]),
    record(10, [0.5, 1e-3, 1e-3, 0]),
    record(100, [3, 0.2, 1e-3, 0]),
    record(1000, [4, 2, 1e-3, 0]),
    record(5000, [4, 2.1, 1e-3, 0]),
  ];

  it('the first logged step at which sigma_k reaches half its final value; null where it never rises', () => {
    // sigma1: final 4, half 2, first >= 2 at step 100; sigma2: half 1.05 at 1000; sigma3 is there from the start.
    expect(jumpSteps(history, 3)).toEqual([100, 1000, 0]);
    // sigma4 ends at 0, sigma5 is not logged: no jump.
    expect(jumpSteps(history, 5)).toEqual([100, 1000, 0, null, null]);
    expect(jumpSteps(history, 0)).toEqual([]);
  });

  it('an empty history, records without singular values, exactly half', () => {
    expect(jumpSteps([], 2)).toEqual([null, null]);
    expect(jumpSteps([record(0, null), record(10, [1]), record(20, null), record(30, [2])], 1)).toEqual([10]);
    expect(jumpSteps([record(0, null), record(10, null)], 1)).toEqual([null]);
  });
});

describe('arora2019-dynamics and arora2019-sweep analyses', () => {
  it('dynamics: a row per depth with its jump steps; histories read through the context', () => {
    const points = experimentGrid(arora2019Dynamics, QUICK).points;
    const histories = new Map(points.map((p, i) => [p.id, [record(0, [0.01, 0.01]), record(10 ** (i + 1), [5, 0.01]), record(10 ** (i + 2), [5, 4])]]));
    const asked: string[] = [];
    const results = points.map((p, i) => lineOf(p, trainFigures({ recon: 10 ** -(i + 1), step: 10 ** (i + 2) })));
    const out = arora2019Dynamics.analyze(context(results, QUICK, (id) => (asked.push(id), histories.get(id)!)));
    expect(asked.sort()).toEqual(points.map((p) => p.id).sort());
    expect(out.table).toEqual(
      points.map((p, i) => ({
        method: 'gd', depth: i + 1, lr: 0.1, init_scale: 1e-3, m: 2000, seed: 0, iterations: 10 ** (i + 2), recon_mse: 10 ** -(i + 1),
        effective_rank: 5 + 10 ** -(i + 1), train_loss: 10 ** -(i + 1) * 1e-4, jump_steps: [10 ** (i + 1), 10 ** (i + 2), null, null, null],
      })),
    );
    expect(out.printed.rows.map((r) => r.jumps)).toEqual(['10, 100, —, —, —', '100, 1000, —, —, —', '1000, 10000, —, —, —']);
    expect(out.sections[0].figures!.map((f) => f.name)).toEqual(['dynamics-singular-values', 'dynamics-alignment']);
  });

  it('sweep: a row per setting (nnm without depth, lr, init), means over instances', () => {
    const options = { quick: true, seeds: 2 };
    const points = experimentGrid(arora2019Sweep, options).points;
    expect(points).toHaveLength(14);
    const reconOf = (p: GridPoint): number =>
      p.config.method === 'nnm' ? 0.2 + p.config.seeds.data : (p.config.model.kind === 'deep' ? p.config.model.depth : 0) * 1e-3 + p.config.seeds.data * 1e-4;
    const results = points.map((p) => lineOf(p, p.config.method === 'nnm' ? nnmFigures(reconOf(p)) : trainFigures({ recon: reconOf(p), step: 100 + p.config.seeds.data })));
    const out = arora2019Sweep.analyze(context(results, options));
    expect(out.table).toHaveLength(7);
    for (const row of out.table) {
      for (const key of ['method', 'problem', 'm', 'depth', 'lr', 'init_scale', 'instances', 'recon_mse', 'nuclear_norm', 'effective_rank', 'train_loss', 'iterations']) {
        expect(row).toHaveProperty(key);
      }
      expect(row.instances).toBe(2);
      expect(row.problem).toBe('completion');
      expect(row.m).toBe(2000);
      close(row.iterations, row.method === 'nnm' ? 600 : 100.5);
    }
    const nnm = out.table.filter((r) => r.method === 'nnm');
    expect(nnm).toHaveLength(1);
    expect([nnm[0].depth, nnm[0].lr, nnm[0].init_scale]).toEqual([null, null, null]);
    close(nnm[0].recon_mse, 0.7);
    const d3 = out.table.filter((r) => r.depth === 3);
    expect(d3.map((r) => r.init_scale)).toEqual([1e-3, 1e-5]);
    for (const r of d3) {
      close(r.recon_mse, 3e-3 + 0.5e-4);
      close(r.recon_mse_std, Math.SQRT1_2 * 1e-4, 1e-9);
      expect(r.lr).toBe(1e-3);
    }
    expect(out.sections[0].figures!.map((f) => f.name)).toEqual(['sweep-recon', 'sweep-nuclear-norm', 'sweep-effective-rank']);
  });
});

// ---------------------------------------------------------------------------

describe('formatTable', () => {
  it('aligned columns, formats per column, a dash for missing values', () => {
    const t: ExperimentTable = {
      caption: 'A caption',
      columns: [
        { key: 'name', title: 'method', format: 'text' },
        { key: 'err', title: 'recon_mse', format: 'sci' },
        { key: 'rank', title: 'eff. rank', format: 'fixed' },
        { key: 'steps', title: 'steps', format: 'int' },
        { key: 'plain', title: 'x' },
      ],
      rows: [
        { name: 'nnm', err: 0.106, rank: 7.123, steps: 540.4, plain: 3 },
        { name: 'depth 3', err: 2.58e-5, rank: null, steps: Infinity },
        { name: 'depth 12', err: NaN, rank: 5, steps: 1_000_000, plain: 'abc' },
      ],
    };
    expect(formatTable(t)).toBe(
      [
        'A caption',
        'method    recon_mse  eff. rank  steps    x',
        '--------  ---------  ---------  -------  ---',
        'nnm       1.06e-1    7.12       540      3',
        'depth 3   2.58e-5    —          —        —',
        'depth 12  —          5.00       1000000  abc',
      ].join('\n'),
    );
  });
});

// ---------------------------------------------------------------------------

/** A tiny Table 1: 12 x 12 rank-2 completion from 60 entries, depth 1 and 2 for 200 steps, and nnm. */
const tiny: Experiment = {
  ...arora2019Table1,
  name: 'tiny-table1',
  title: 'A tiny Table 1 <test>',
  about: 'Depth 1 and 2 against the minimum nuclear norm on a 12 x 12 problem.',
  config: (o) => ({
    name: 'tiny-table1',
    problem: { kind: 'completion', n1: 12, n2: 12, m: 60, rank: 2 },
    seeds: { data: seedList(o.seeds ?? (o.quick ? 1 : 2)) },
    init: { kind: 'gaussian', scale: 1e-2 },
    optimizer: { name: 'gd', lr: 0.5 },
    train: { maxIters: 200, logEvery: 50, logSingular: 5 },
    nnm: { eps: 1e-3 },
    variants: [
      { name: 'nnm', method: 'nnm' },
      { name: 'depth 1', model: { kind: 'deep', depth: 1 } },
      { name: 'depth 2', model: { kind: 'deep', depth: 2 } },
    ],
  }),
  notes: () => 'Tiny notes.',
};

describe('the reproduce pipeline on a tiny experiment', () => {
  const options: ReproduceOptions = { quick: false, seeds: null };
  const dir = path.join(tmp, 'tiny');

  it('experiment.json records the experiment and options; a plain directory has none', () => {
    const d = path.join(tmp, 'recorded');
    fs.mkdirSync(d);
    expect(readExperimentFile(d)).toBeNull();
    writeExperimentFile(d, arora2019Sweep, { quick: true, seeds: 2 });
    expect(fs.readdirSync(d)).toEqual([EXPERIMENT_FILE]);
    const back = readExperimentFile(d)!;
    expect(back.experiment).toBe(arora2019Sweep);
    expect(back.options).toEqual({ quick: true, seeds: 2 });
  });

  it('no finished run: writeExperimentReport refuses with one line', async () => {
    const empty = path.join(tmp, 'tiny-empty');
    fs.mkdirSync(empty);
    await expect(writeExperimentReport(empty, tiny, options)).rejects.toThrow(`${empty}: none of the 6 runs of tiny-table1 has finished`);
  });

  it('sweep, then table.json, figures (SVG and PNG) and report.html; a partial sweep says what is missing', async () => {
    const grid = experimentGrid(tiny, options);
    expect(grid.points).toHaveLength(6);

    // First only the nnm runs and the depth-1 runs (stopped before the rest).
    const stopFlag = new SharedArrayBuffer(4);
    const partial = await runSweep(grid.points, dir, {
      workers: 1, stopFlag,
      onEvent: (e) => { if (e.kind === 'finished' && e.done === 4) Atomics.store(new Int32Array(stopFlag), 0, 1); },
    });
    expect(partial.finished).toBe(4);
    const early = await writeExperimentReport(dir, tiny, options);
    expect(early.table.map((r) => r.method)).toEqual(['nnm', 'gd']);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('4 of 6 runs finished (2 missing: run the same command again to finish them)');

    const outcome = await runSweep(grid.points, dir, { workers: 1 });
    expect([outcome.finished, outcome.failed.length]).toEqual([6, 0]);
    const out = await writeExperimentReport(dir, tiny, options);

    const table = JSON.parse(fs.readFileSync(path.join(dir, 'table.json'), 'utf8')) as Array<Record<string, unknown>>;
    expect(table).toEqual(JSON.parse(JSON.stringify(out.table)));
    expect(table.map((r) => [r.method, r.depth ?? null, r.instances])).toEqual([['nnm', null, 2], ['gd', 1, 2], ['gd', 2, 2]]);
    for (const r of table) {
      expect(r.m).toBe(60);
      expect(Number.isFinite(r.recon_mse)).toBe(true);
      expect(r.recon_mse_min as number).toBeLessThanOrEqual(r.recon_mse as number);
      expect(r.recon_mse_max as number).toBeGreaterThanOrEqual(r.recon_mse as number);
    }
    expect(table[0].statuses).toBe('solved');
    expect(table[1].statuses).toBe('max_iters');
    expect(table[1].iterations).toBe(200);

    for (const name of ['table1-recon', 'table1-spectra']) {
      const svg = fs.readFileSync(path.join(dir, 'figures', `${name}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      const png = fs.readFileSync(path.join(dir, 'figures', `${name}.png`));
      expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    }
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(`<caption>${escapeHtml(out.printed.caption)}</caption>`);
    expect(out.printed.caption).toContain('over 2 instance(s)');
    expect(html).toContain(escapeHtml(tiny.title));
    expect(html).not.toContain('<test>');
    expect(html).toContain('Tiny notes.');
    expect(html).toContain('6 of 6 runs finished. ');
    expect(html).not.toContain('missing');
    for (const f of out.sections[0].figures!) expect(html).toContain(escapeHtml(f.caption));

    // The printed table, aligned: every row's cells start where the header's do.
    const text = formatTable(out.printed).split('\n');
    expect(text[0]).toBe(out.printed.caption);
    expect(text).toHaveLength(3 + 3);
    const starts = [...text[2].matchAll(/-+/g)].map((m) => m.index);
    expect(starts).toHaveLength(out.printed.columns.length);
    for (const l of [text[1], ...text.slice(3)]) {
      for (const s of starts.slice(1)) {
        expect(l.slice(s - 2, s), l).toBe('  ');
        expect(l[s], l).not.toBe(' ');
      }
    }
    expect(text[1].startsWith('method')).toBe(true);
    expect(text.slice(3).map((l) => l.split('  ')[0].trim())).toEqual(['nnm', 'depth 1', 'depth 2']);
  });
});
