/*
 * The sweep machinery below the CLI, in-process (from the TypeScript sources runSweep runs
 * its points in this thread; the worker pool is exercised by test/cli-run.test.ts):
 *   executeRun (src/sweep/execute.ts): the run directory of a train and an nnm run, a
 *     finished run read back without running, a stopped run continued to the bytes of an
 *     uninterrupted one, a crashed run continued from its checkpoint (or restarted when
 *     it had none), junk in a fresh directory replaced;
 *   the results store (src/sweep/store.ts): grid order, replacement, foreign and
 *     unparsable lines, atomic rewrites;
 *   runSweep (src/sweep/run-sweep.ts): events, counts, failed points, the stop flag,
 *     resuming;
 *   progress (src/sweep/progress.ts): plain lines, TTY redraws, ETA text.
 * Every run is a 12 x 12 completion problem of a few hundred steps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpzFile } from '../src/io/files.js';
import { backend } from '../src/linalg/select.js';
import { resolveRunConfig, type ResolvedRunConfig } from '../src/sweep/config.js';
import { executeRun, figuresFromSummary, type RunFigures } from '../src/sweep/execute.js';
import { expandGrid } from '../src/sweep/grid.js';
import { axesLabel, figuresLine, sweepProgress } from '../src/sweep/progress.js';
import { runSweep, type SweepEvent, type SweepPoint } from '../src/sweep/run-sweep.js';
import { openResultsStore, RESULTS_FILE, type ResultLine } from '../src/sweep/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-sweep-execute-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
/** A new path under the temporary directory (not created). */
const fresh = (name: string): string => path.join(tmp, `${name}-${++counter}`);

const PROBLEM = { kind: 'completion', n: 12, m: 60, rank: 2 };
const TRAIN_RAW = {
  problem: PROBLEM,
  model: { kind: 'deep', depth: 2 },
  init: { kind: 'gaussian', scale: 1e-2 },
  optimizer: { name: 'gd', lr: 0.5 },
  train: { maxIters: 300, logEvery: 50, checkpointEvery: 100 },
  seeds: { data: 1, init: 2 },
};
const trainConfig = resolveRunConfig(TRAIN_RAW, 'test');
/** The same run without a checkpoint interval (executeRun's option, or its default, applies). */
const noCheckpointConfig = resolveRunConfig({ ...TRAIN_RAW, train: { maxIters: 300, logEvery: 50 } }, 'test');
const nnmConfig = resolveRunConfig({ method: 'nnm', problem: PROBLEM, seeds: { data: 1 } }, 'test');
const missingProblem = (c: ResolvedRunConfig): ResolvedRunConfig => ({ ...c, problem: { kind: 'file', file: path.join(tmp, 'no-such-problem.npz') } });

/** The figures without the timings, which differ between any two runs. */
function timeless(f: RunFigures): Omit<RunFigures, 'train_seconds' | 'total_seconds'> {
  const { train_seconds: _t, total_seconds: _s, ...rest } = f;
  return rest;
}

const bytes = (dir: string, name: string): Buffer => fs.readFileSync(path.join(dir, name));
const json = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const historySteps = (dir: string): number[] =>
  fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
const checkpointStep = (dir: string): number => (json(path.join(dir, 'checkpoint.json')).state as { step: number }).step;

/** A shouldStop that counts its polls (one per step taken) and stops or throws at a step. */
function poller(at: { stop?: number; crash?: number } = {}): { shouldStop: () => boolean; polls: () => number } {
  let polls = 0;
  return {
    polls: () => polls,
    shouldStop: () => {
      const step = polls++;
      if (step === at.crash) throw new Error('simulated crash');
      return step === at.stop;
    },
  };
}

/** The uninterrupted reference runs, made once. */
const reference = (() => {
  let made: { dir: string; figures: RunFigures; noCkDir: string; noCkFigures: RunFigures } | null = null;
  return () => {
    if (!made) {
      const dir = fresh('reference');
      const noCkDir = fresh('reference-nock');
      made = { dir, figures: executeRun(trainConfig, dir), noCkDir, noCkFigures: executeRun(noCheckpointConfig, noCkDir) };
    }
    return made;
  };
})();

/** The run's outputs equal those of the uninterrupted reference, byte for byte. */
function expectSameAsReference(dir: string, refDir: string): void {
  for (const name of ['result.npz', 'history.jsonl', 'checkpoint.npz']) expect(bytes(dir, name).equals(bytes(refDir, name)), name).toBe(true);
  expect(json(path.join(dir, 'summary.json')).final).toEqual(json(path.join(refDir, 'summary.json')).final);
}

describe('executeRun', () => {
  it('train: writes the files of implab train; config.json and summary.json record the saved config', () => {
    const { dir, figures } = reference();
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.json', 'checkpoint.npz', 'config.json', 'history.jsonl', 'result.npz', 'summary.json']);
    expect(figures.method).toBe('train');
    expect(figures.status).toBe('max_iters');
    expect(figures.step).toBe(300);
    expect(Number.isFinite(figures.loss)).toBe(true);
    expect(figures.loss!).toBeLessThan(1e-2);
    for (const k of ['recon_mse', 'recon_rel', 'nuclear_norm', 'effective_rank'] as const) expect(Number.isFinite(figures[k])).toBe(true);
    expect(figures.test_loss).toBeNull();
    expect(figures.singular_values).toHaveLength(10);
    expect('relative_gap' in figures).toBe(false);
    expect(figures.train_seconds).toBeGreaterThan(0);
    expect(figures.total_seconds).toBeGreaterThanOrEqual(figures.train_seconds);

    const summary = json(path.join(dir, 'summary.json'));
    expect(summary.status).toBe('max_iters');
    expect(summary.backend).toBe(backend().name);
    expect(summary.config).toEqual(JSON.parse(JSON.stringify(trainConfig)));
    expect(json(path.join(dir, 'config.json'))).toEqual(JSON.parse(JSON.stringify(trainConfig)));
    expect(figuresFromSummary(summary, 'train')).toEqual(figures);
    expect(historySteps(dir)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    const result = readNpzFile(path.join(dir, 'result.npz'));
    expect([...result.keys()].sort()).toEqual(['W', 'W1', 'W2']);
    expect(result.get('W')!.shape).toEqual([12, 12]);
  });

  it('savedConfig is what the run records', () => {
    const dir = fresh('saved');
    const saved = { note: 'the sweep point', config: trainConfig };
    executeRun(trainConfig, dir, {}, saved);
    expect(json(path.join(dir, 'summary.json')).config).toEqual(JSON.parse(JSON.stringify(saved)));
    expect(json(path.join(dir, 'config.json'))).toEqual(JSON.parse(JSON.stringify(saved)));
  });

  it('nnm: result.npz and summary.json with the certified gap; figures of an nnm run', () => {
    const dir = fresh('nnm');
    const f = executeRun(nnmConfig, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['result.npz', 'summary.json']);
    expect(f.method).toBe('nnm');
    expect(f.status).toBe('solved');
    expect(f.step).toBeGreaterThan(0);
    expect(f.loss).toBeNull();
    expect(f.relative_gap!).toBeLessThanOrEqual(nnmConfig.nnm.tol);
    expect(Number.isFinite(f.recon_mse)).toBe(true);
    expect(f.nuclear_norm!).toBeGreaterThan(0);
    const summary = json(path.join(dir, 'summary.json'));
    expect(summary.config).toEqual(JSON.parse(JSON.stringify(nnmConfig)));
    expect(figuresFromSummary(summary, 'nnm')).toEqual(f);
    expect([...readNpzFile(path.join(dir, 'result.npz')).keys()].sort()).toEqual(['W', 'X', 'dual']);

    // Read back the second time: nothing is rewritten, and the problem is not even built.
    const mtime = fs.statSync(path.join(dir, 'summary.json')).mtimeMs;
    expect(executeRun(missingProblem(nnmConfig), dir)).toEqual(f);
    expect(fs.statSync(path.join(dir, 'summary.json')).mtimeMs).toBe(mtime);
  });

  it('a finished train run is read back without running (the problem is not built, shouldStop never polled)', () => {
    const { dir, figures } = reference();
    const before = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]));
    const p = poller({ crash: 0 });
    expect(executeRun(missingProblem(trainConfig), dir, { shouldStop: p.shouldStop })).toEqual(figures);
    expect(executeRun(trainConfig, dir, { shouldStop: p.shouldStop })).toEqual(figures);
    expect(p.polls()).toBe(0);
    expect(Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]))).toEqual(before);
  });

  it('the problem is built before anything is written: a missing problem file leaves no run directory', () => {
    const dir = fresh('missing');
    expect(() => executeRun(missingProblem(trainConfig), dir)).toThrow(/no-such-problem\.npz/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('stopped via shouldStop (status stopped), then continued: the bytes of an uninterrupted run', () => {
    const ref = reference();
    const dir = fresh('stopped');
    const first = poller({ stop: 150 });
    const stopped = executeRun(trainConfig, dir, { shouldStop: first.shouldStop });
    expect(stopped.status).toBe('stopped');
    expect(stopped.step).toBe(150);
    expect(json(path.join(dir, 'summary.json')).status).toBe('stopped');
    expect(checkpointStep(dir)).toBe(150);
    expect(historySteps(dir)).toEqual([0, 50, 100, 150]);

    // Stopped once more on the way (at step 220, off the logging and checkpoint schedules).
    const second = poller({ stop: 70 });
    const again = executeRun(trainConfig, dir, { shouldStop: second.shouldStop });
    expect([again.status, again.step]).toEqual(['stopped', 220]);
    expect(second.polls()).toBe(71);
    expect(historySteps(dir)).toEqual([0, 50, 100, 150, 200, 220]);

    const third = poller();
    const done = executeRun(trainConfig, dir, { shouldStop: third.shouldStop });
    expect(third.polls()).toBe(80); // steps 220..299: continued, not restarted
    expect(timeless(done)).toEqual(timeless(ref.figures));
    expectSameAsReference(dir, ref.dir);
  });

  it('a crashed run (config.json and a checkpoint, no summary) continues from its checkpoint', () => {
    const ref = reference();
    const dir = fresh('crashed');
    // checkpointEvery from the options (the config sets none): checkpoints at 100, 200, ...
    expect(() => executeRun(noCheckpointConfig, dir, { checkpointEvery: 100, shouldStop: poller({ crash: 150 }).shouldStop })).toThrow('simulated crash');
    expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'config.json'))).toBe(true);
    expect(checkpointStep(dir)).toBe(100);
    expect(historySteps(dir)).toEqual([0, 50, 100]);

    const p = poller();
    const f = executeRun(noCheckpointConfig, dir, { checkpointEvery: 100, shouldStop: p.shouldStop });
    expect(p.polls()).toBe(200); // steps 100..299
    expect(timeless(f)).toEqual(timeless(ref.noCkFigures));
    expectSameAsReference(dir, ref.noCkDir);
  });

  it('a run killed between the two files of a checkpoint (a pair that does not match) starts over, to the same result', () => {
    const ref = reference();
    const dir = fresh('torn');
    expect(() => executeRun(noCheckpointConfig, dir, { checkpointEvery: 100, shouldStop: poller({ crash: 150 }).shouldStop })).toThrow('simulated crash');
    // As if killed after checkpoint.npz was replaced and before checkpoint.json was.
    const meta = json(path.join(dir, 'checkpoint.json'));
    fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify({ ...meta, npz_crc32: ((meta.npz_crc32 as number) + 1) >>> 0 }));
    const p = poller();
    const f = executeRun(noCheckpointConfig, dir, { checkpointEvery: 100, shouldStop: p.shouldStop });
    expect(p.polls()).toBe(300); // from step 0
    expect(timeless(f)).toEqual(timeless(ref.noCkFigures));
    expectSameAsReference(dir, ref.noCkDir);
  });

  it('a run that crashed before its first checkpoint starts over (default interval 5000)', () => {
    const ref = reference();
    const dir = fresh('crashed-early');
    expect(() => executeRun(noCheckpointConfig, dir, { shouldStop: poller({ crash: 120 }).shouldStop })).toThrow('simulated crash');
    expect(fs.existsSync(path.join(dir, 'checkpoint.json'))).toBe(false);
    expect(historySteps(dir)).toEqual([0, 50, 100]);
    const p = poller();
    const f = executeRun(noCheckpointConfig, dir, { shouldStop: p.shouldStop });
    expect(p.polls()).toBe(300);
    expect(timeless(f)).toEqual(timeless(ref.noCkFigures));
    expectSameAsReference(dir, ref.noCkDir);
  });

  it('junk in a fresh directory (no config.json) is replaced; other files are left alone', () => {
    const ref = reference();
    const dir = fresh('junk');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'history.jsonl'), '{"step": 0, "loss": 1}\nnot json\n');
    fs.writeFileSync(path.join(dir, 'checkpoint.json'), '{"state": ');
    fs.writeFileSync(path.join(dir, 'checkpoint.npz'), 'PK garbage');
    fs.writeFileSync(path.join(dir, 'result.npz'), 'garbage');
    fs.writeFileSync(path.join(dir, '.summary.json.12345.abc.tmp'), '{"status": "max_');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const p = poller();
    const f = executeRun(trainConfig, dir, { shouldStop: p.shouldStop });
    expect(p.polls()).toBe(300);
    expect(timeless(f)).toEqual(timeless(ref.figures));
    expectSameAsReference(dir, ref.dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.json', 'checkpoint.npz', 'config.json', 'history.jsonl', 'notes.txt', 'result.npz', 'summary.json']);
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

// ---------------------------------------------------------------------------

function figures(step: number, status = 'converged'): RunFigures {
  return {
    method: 'train', status, step, loss: 1e-7, test_loss: null, recon_mse: 0.5 / step, recon_rel: 0.1, nuclear_norm: 3,
    effective_rank: 1.5, singular_values: [2, 1], train_seconds: 0.1, total_seconds: 0.2,
  };
}
const line = (id: string, step = 10): ResultLine => ({ id, axes: { 'model.depth': step }, config: { id }, summary: figures(step) });
const ids = (dir: string): string[] => fs.readFileSync(path.join(dir, RESULTS_FILE), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);

describe('results store', () => {
  it('absent file: an empty store; the file appears at the first add', () => {
    const dir = fresh('store-empty');
    fs.mkdirSync(dir);
    const s = openResultsStore(dir);
    expect(s.file).toBe(path.join(dir, RESULTS_FILE));
    expect(s.lines()).toEqual([]);
    expect(s.unparsable).toEqual([]);
    expect(s.has('a')).toBe(false);
    expect(s.get('a')).toBeUndefined();
    expect(fs.existsSync(s.file)).toBe(false);
    s.add(line('a'));
    expect(fs.readFileSync(s.file, 'utf8')).toBe(JSON.stringify(line('a')) + '\n');
  });

  it('lines are rewritten in grid order whatever the order of adds; reopening reads them back', () => {
    const dir = fresh('store-order');
    fs.mkdirSync(dir);
    const order = new Map([['c', 0], ['a', 1], ['b', 2]]);
    const s = openResultsStore(dir);
    s.add(line('b', 3), order);
    s.add(line('a', 2), order);
    expect(ids(dir)).toEqual(['a', 'b']);
    s.add(line('c', 1), order);
    expect(ids(dir)).toEqual(['c', 'a', 'b']);
    expect(s.lines().map((l) => l.id)).toEqual(['c', 'a', 'b']);
    const back = openResultsStore(dir);
    expect(back.lines()).toEqual([line('c', 1), line('a', 2), line('b', 3)]);
    expect(back.get('a')).toEqual(line('a', 2));
    expect(back.has('b')).toBe(true);
    // An interrupted and resumed sweep ends with the same file as an uninterrupted one.
    const other = fresh('store-order-straight');
    fs.mkdirSync(other);
    const t = openResultsStore(other);
    for (const id of ['c', 'a', 'b']) t.add(line(id, { c: 1, a: 2, b: 3 }[id]!), order);
    expect(bytes(other, RESULTS_FILE).equals(bytes(dir, RESULTS_FILE))).toBe(true);
  });

  it('adding an id again replaces its line (no duplicate)', () => {
    const dir = fresh('store-replace');
    fs.mkdirSync(dir);
    const order = new Map([['a', 0], ['b', 1]]);
    const s = openResultsStore(dir);
    s.add(line('a', 1), order);
    s.add(line('b', 2), order);
    s.add(line('a', 7), order);
    expect(ids(dir)).toEqual(['a', 'b']);
    expect(s.get('a')!.summary.step).toBe(7);
    expect(openResultsStore(dir).lines().map((l) => l.summary.step)).toEqual([7, 2]);
  });

  it('lines of other grids are kept, after the current grid, in their old order; unparsable lines kept verbatim and reported', () => {
    const dir = fresh('store-foreign');
    fs.mkdirSync(dir);
    const garbage = '{"id": "trunc';
    const noId = '{"axes": {}}';
    fs.writeFileSync(
      path.join(dir, RESULTS_FILE),
      [JSON.stringify(line('old2')), garbage, '', JSON.stringify(line('b')), noId, JSON.stringify(line('old1'))].join('\n') + '\n',
    );
    const s = openResultsStore(dir);
    expect(s.unparsable).toEqual([2, 5]);
    expect(s.lines().map((l) => l.id)).toEqual(['old2', 'b', 'old1']);
    const order = new Map([['a', 0], ['b', 1]]);
    s.add(line('a'), order);
    const text = fs.readFileSync(s.file, 'utf8').split('\n');
    expect(text).toEqual([JSON.stringify(line('a')), JSON.stringify(line('b')), JSON.stringify(line('old2')), garbage, noId, JSON.stringify(line('old1')), '']);
    expect(openResultsStore(dir).unparsable).toEqual([4, 5]);
  });

  it('rewrites are atomic: no temporary file is left, and the file is always complete JSON lines', () => {
    const dir = fresh('store-atomic');
    fs.mkdirSync(dir);
    const s = openResultsStore(dir);
    const order = new Map(Array.from({ length: 20 }, (_, i) => [`r${i}`, i] as [string, number]));
    for (let i = 19; i >= 0; i--) {
      s.add(line(`r${i}`, i + 1), order);
      expect(fs.readdirSync(dir)).toEqual([RESULTS_FILE]);
      const text = fs.readFileSync(s.file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const l of text.trim().split('\n')) expect(() => JSON.parse(l) as unknown).not.toThrow();
    }
    expect(ids(dir)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  });
});

// ---------------------------------------------------------------------------

/** Two finishing variants and a failing one, over two data seeds: 6 points. */
const SWEEP_RAW = {
  problem: PROBLEM,
  init: { kind: 'gaussian', scale: 1e-2 },
  optimizer: { name: 'gd', lr: 0.5 },
  train: { maxIters: 200, logEvery: 100 },
  seeds: { data: [0, 1] },
  variants: [
    { name: 'depth 1', model: { kind: 'deep', depth: 1 } },
    // The schema checks the number of widths, not that the chain d_0..d_N fits the 12 x 12 problem.
    { name: 'bad widths', model: { kind: 'deep', depth: 2, widths: [5, 4, 7] } },
    { name: 'nnm', method: 'nnm' },
  ],
};
const sweepPoints = (): SweepPoint[] => expandGrid(SWEEP_RAW, 'sweep.toml').points;
const good = (points: SweepPoint[]): SweepPoint[] => points.filter((p) => p.axes.variants !== 'bad widths');

function readLines(dir: string): ResultLine[] {
  return fs.readFileSync(path.join(dir, RESULTS_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ResultLine);
}
const timelessLine = (l: ResultLine): unknown => ({ ...l, summary: timeless(l.summary) });

describe('runSweep (in-process)', () => {
  it('runs every point in grid order with events and counts; a failing point is reported while the others finish', async () => {
    const points = sweepPoints();
    expect(points.map((p) => [p.axes.variants, p.axes['seeds.data']])).toEqual([
      ['depth 1', 0], ['depth 1', 1], ['bad widths', 0], ['bad widths', 1], ['nnm', 0], ['nnm', 1],
    ]);
    const dir = fresh('sweep');
    const events: SweepEvent[] = [];
    let dirExisted: boolean | null = null;
    const outcome = await runSweep(points, dir, {
      workers: 1,
      onEvent: (e) => events.push(e),
      meta: { source: 'sweep.toml' },
      beforeRun: () => {
        dirExisted = fs.existsSync(path.join(dir, 'runs'));
        expect(events).toEqual([]);
      },
    });
    expect(dirExisted).toBe(true);
    expect(events.map((e) => [e.kind, e.kind === 'start' ? null : e.point.id, e.kind === 'start' ? e.done : e.done])).toEqual([
      ['start', null, 0],
      ['finished', points[0].id, 1],
      ['finished', points[1].id, 2],
      ['failed', points[2].id, 2],
      ['failed', points[3].id, 2],
      ['finished', points[4].id, 3],
      ['finished', points[5].id, 4],
    ]);
    expect(events[0]).toEqual({ kind: 'start', total: 6, done: 0, todo: 6, workers: 1 });
    for (const e of events.slice(1)) expect(e.kind !== 'start' && e.total).toBe(6);
    const failedEvent = events[3] as Extract<SweepEvent, { kind: 'failed' }>;
    expect(failedEvent.message).toMatch(/widths/);
    expect(failedEvent.message).not.toContain('\n');

    expect(outcome.total).toBe(6);
    expect(outcome.finished).toBe(4);
    expect(outcome.ran).toBe(6);
    expect(outcome.stopped).toBe(0);
    expect(outcome.failed.map((f) => f.point.id)).toEqual([points[2].id, points[3].id]);
    expect(outcome.failed[0].message).toBe(failedEvent.message);
    // A failing point leaves no run directory (its config is checked before anything is written).
    expect(fs.existsSync(path.join(dir, 'runs', points[2].id))).toBe(false);

    const lines = readLines(dir);
    expect(lines.map((l) => l.id)).toEqual(good(points).map((p) => p.id));
    for (const l of lines) {
      const p = points.find((q) => q.id === l.id)!;
      expect(l.axes).toEqual(p.axes);
      expect(l.config).toEqual(JSON.parse(JSON.stringify(p.config)));
      const e = events.find((x) => x.kind === 'finished' && x.point.id === l.id) as Extract<SweepEvent, { kind: 'finished' }>;
      expect(l.summary).toEqual(e.figures);
      expect(json(path.join(dir, 'runs', l.id, 'summary.json')).config).toEqual(l.config);
    }
    expect(lines.map((l) => [l.summary.method, l.summary.status])).toEqual([
      ['train', 'max_iters'], ['train', 'max_iters'], ['nnm', 'solved'], ['nnm', 'solved'],
    ]);
    expect(outcome.store.lines().map((l) => l.id)).toEqual(lines.map((l) => l.id));
    expect(json(path.join(dir, 'sweep.json'))).toEqual({ source: 'sweep.toml', points: points.map((p) => ({ id: p.id, axes: p.axes })) });

    // Again: the finished runs are skipped, the failing ones tried (and failing) again.
    const again: SweepEvent[] = [];
    const second = await runSweep(points, dir, { workers: 1, onEvent: (e) => again.push(e) });
    expect(again.map((e) => e.kind)).toEqual(['start', 'failed', 'failed']);
    expect(again[0]).toEqual({ kind: 'start', total: 6, done: 4, todo: 2, workers: 1 });
    expect([second.finished, second.ran, second.failed.length]).toEqual([4, 2, 2]);

    // Without the failing points there is nothing left to run, and results.jsonl is not rewritten.
    const mtime = fs.statSync(path.join(dir, RESULTS_FILE)).mtimeMs;
    const third: SweepEvent[] = [];
    const none = await runSweep(good(points), dir, { onEvent: (e) => third.push(e) });
    expect(third).toEqual([{ kind: 'start', total: 4, done: 4, todo: 0, workers: 1 }]);
    expect([none.total, none.finished, none.ran, none.stopped, none.failed.length]).toEqual([4, 4, 0, 0, 0]);
    expect(fs.statSync(path.join(dir, RESULTS_FILE)).mtimeMs).toBe(mtime);
    expect(readLines(dir)).toEqual(lines);
  });

  it('the stop flag stops before the next run; the next runSweep finishes the rest, equal to an uninterrupted sweep', async () => {
    const points = good(sweepPoints());
    const straight = fresh('sweep-straight');
    await runSweep(points, straight, { workers: 1 });

    const dir = fresh('sweep-stopped');
    const stopFlag = new SharedArrayBuffer(4);
    const flag = new Int32Array(stopFlag);
    const events: SweepEvent[] = [];
    const outcome = await runSweep(points, dir, {
      workers: 1,
      stopFlag,
      onEvent: (e) => {
        events.push(e);
        if (e.kind === 'finished' && e.done === 2) Atomics.store(flag, 0, 1);
      },
    });
    expect(events.map((e) => e.kind)).toEqual(['start', 'finished', 'finished']);
    expect([outcome.finished, outcome.stopped, outcome.failed.length]).toEqual([2, 0, 0]);
    expect(outcome.ran).toBe(2);
    expect(readLines(dir).map((l) => l.id)).toEqual(points.slice(0, 2).map((p) => p.id));
    expect(fs.readdirSync(path.join(dir, 'runs')).sort()).toEqual(points.slice(0, 2).map((p) => p.id).sort());

    // A flag already set: nothing runs at all.
    const idle = await runSweep(points, dir, { workers: 1, stopFlag });
    expect([idle.finished, idle.ran, idle.stopped]).toEqual([2, 0, 0]);

    Atomics.store(flag, 0, 0);
    const rest: SweepEvent[] = [];
    const resumed = await runSweep(points, dir, { workers: 1, stopFlag, onEvent: (e) => rest.push(e) });
    expect(rest[0]).toEqual({ kind: 'start', total: 4, done: 2, todo: 2, workers: 1 });
    expect(rest.slice(1).map((e) => [e.kind, e.kind !== 'start' && e.done])).toEqual([['finished', 3], ['finished', 4]]);
    expect([resumed.finished, resumed.ran]).toEqual([4, 2]);
    expect(readLines(dir).map(timelessLine)).toEqual(readLines(straight).map(timelessLine));
    for (const p of points.filter((q) => q.config.method === 'train')) {
      expect(bytes(path.join(dir, 'runs', p.id), 'result.npz').equals(bytes(path.join(straight, 'runs', p.id), 'result.npz'))).toBe(true);
    }
  });

  it('the stop flag set during a run: that run checkpoints and ends as stopped (resumable), no other starts', async () => {
    // A long run, and a thread that raises the flag once the run has started (the runs
    // execute in this thread, so only another thread can set the flag in the middle of one).
    const raw = { problem: PROBLEM, model: { kind: 'deep', depth: 1 }, optimizer: { lr: 0.5 }, train: { maxIters: 10_000_000, logEvery: 1_000_000 }, seeds: { data: [0, 1] } };
    const points = expandGrid(raw, 'long.toml').points;
    const dir = fresh('sweep-midrun');
    const stopFlag = new SharedArrayBuffer(4);
    const watcher = new Worker(
      `const { workerData } = require('node:worker_threads');
       const fs = require('node:fs');
       const deadline = Date.now() + 60000;
       const tick = () => {
         if (fs.existsSync(workerData.file)) Atomics.store(new Int32Array(workerData.stopFlag), 0, 1);
         else if (Date.now() < deadline) setTimeout(tick, 1);
       };
       tick();`,
      { eval: true, workerData: { stopFlag, file: path.join(dir, 'runs', points[0].id, 'config.json') } },
    );
    await new Promise((resolve) => watcher.once('online', resolve));
    try {
      const events: SweepEvent[] = [];
      const outcome = await runSweep(points, dir, { workers: 1, stopFlag, onEvent: (e) => events.push(e) });
      expect(events.map((e) => e.kind)).toEqual(['start']);
      expect([outcome.finished, outcome.ran, outcome.stopped, outcome.failed.length]).toEqual([0, 1, 1, 0]);
      expect(fs.existsSync(path.join(dir, RESULTS_FILE))).toBe(false);
      const runDir = path.join(dir, 'runs', points[0].id);
      const summary = json(path.join(runDir, 'summary.json'));
      expect(summary.status).toBe('stopped');
      expect(summary.step as number).toBeLessThan(10_000_000);
      expect(checkpointStep(runDir)).toBe(summary.step);
      expect(fs.existsSync(path.join(dir, 'runs', points[1].id))).toBe(false);
    } finally {
      await watcher.terminate();
    }
  });

  it('refuses duplicate ids and a bad worker count', async () => {
    const [p] = sweepPoints();
    await expect(runSweep([p, p], fresh('dup'))).rejects.toThrow(`sweep: two points share the id ${p.id}`);
    await expect(runSweep([p], fresh('workers'), { workers: 0 })).rejects.toThrow('workers: expected a positive integer, got 0');
  });
});

// ---------------------------------------------------------------------------

describe('progress', () => {
  const trainFigures: RunFigures = {
    method: 'train', status: 'max_iters', step: 300, loss: 2.99301e-5, test_loss: null, recon_mse: 0.7, recon_rel: 0.837319,
    nuclear_norm: 16, effective_rank: 7.44769, singular_values: [4, 3], train_seconds: 0.008, total_seconds: 0.0203,
  };
  const nnmFigures: RunFigures = {
    method: 'nnm', status: 'solved', step: 540, loss: null, test_loss: null, recon_mse: null, recon_rel: null,
    nuclear_norm: 13.2, effective_rank: null, singular_values: null, train_seconds: 0.06, total_seconds: 12.34, relative_gap: 6e-8,
  };
  const point = (id: string, axes: Record<string, unknown>): SweepPoint => ({ id, axes, config: trainConfig });

  it('axesLabel and figuresLine', () => {
    expect(axesLabel({})).toBe('(single run)');
    expect(axesLabel({ variants: 'depth 2', 'model.depth': 3, 'optimizer.lr': 0.1, 'model.widths': [4, 4], flag: true })).toBe(
      'variants=depth 2 model.depth=3 optimizer.lr=0.1 model.widths=[4,4] flag=true',
    );
    expect(figuresLine(trainFigures)).toBe('max_iters at step 300, loss 2.99e-5, recon_rel 8.37e-1, eff. rank 7.45 (0.0 s)');
    expect(figuresLine(nnmFigures)).toBe('solved in 540 iterations, recon_rel -, eff. rank - (12.3 s)');
    expect(figuresLine({ ...trainFigures, status: 'diverged', loss: null })).toBe('diverged at step 300, loss -, recon_rel 8.37e-1, eff. rank 7.45 (0.0 s)');
  });

  it('plain output (not a TTY): a header, then one line per finished or failed run', () => {
    const out: string[] = [];
    const progress = sweepProgress({ write: (t) => out.push(t) });
    const a = point('00000000000000aa', { 'model.depth': 2 });
    const b = point('00000000000000bb', {});
    progress.onEvent({ kind: 'start', total: 3, done: 1, todo: 2, workers: 2 });
    progress.onEvent({ kind: 'finished', point: a, figures: trainFigures, done: 2, total: 3 });
    progress.onEvent({ kind: 'failed', point: b, message: 'model: widths do not chain', done: 2, total: 3 });
    progress.close();
    expect(out).toEqual([
      '3 runs: 1 already finished, 2 to run on 2 workers\n',
      '[2/3] 00000000000000aa model.depth=2: max_iters at step 300, loss 2.99e-5, recon_rel 8.37e-1, eff. rank 7.45 (0.0 s)\n',
      'run 00000000000000bb ((single run)) failed: model: widths do not chain\n',
    ]);
    const one: string[] = [];
    sweepProgress({ write: (t) => one.push(t), isTTY: false }).onEvent({ kind: 'start', total: 1, done: 0, todo: 1, workers: 1 });
    expect(one).toEqual(['1 run: 0 already finished, 1 to run on 1 worker\n']);
  });

  it('TTY: one line redrawn in place with a bar, rate and ETA; a failure is printed above it', () => {
    const out: string[] = [];
    let t = 1000; // ms
    const progress = sweepProgress({ write: (s) => out.push(s), isTTY: true, columns: 80 }, () => t);
    const bar = (filled: number, width = 30) => '#'.repeat(filled) + '-'.repeat(width - filled);
    progress.onEvent({ kind: 'start', total: 4, done: 1, todo: 3, workers: 2 });
    expect(out).toEqual(['4 runs: 1 already finished, 3 to run on 2 workers\n', `\r[${bar(8)}] 1/4 · first runs in progress · 0s elapsed\x1b[K`]);
    out.length = 0;
    t += 30_000;
    progress.onEvent({ kind: 'finished', point: point('a', {}), figures: trainFigures, done: 2, total: 4 });
    // One run in 30 s: 2.0 runs/min, 2 left: 1 minute.
    expect(out).toEqual([`\r[${bar(15)}] 2/4 · 2.0 runs/min, ETA 1m00s · 30s elapsed\x1b[K`]);
    out.length = 0;
    t += 15_000;
    progress.onEvent({ kind: 'failed', point: point('b', { 'model.depth': 3 }), message: 'boom', done: 2, total: 4 });
    expect(out).toEqual(['\r\x1b[K', 'run b (model.depth=3) failed: boom\n', `\r[${bar(15)}] 2/4 · 1.3 runs/min, ETA 1m30s · 45s elapsed\x1b[K`]);
    out.length = 0;
    progress.close();
    expect(out).toEqual(['\n']);
  });

  it('TTY: ETA in s, m and h; the bar narrows with the terminal; nothing to run draws nothing', () => {
    const eta = (total: number, done: number, seconds: number, columns?: number): string => {
      const out: string[] = [];
      let t = 0;
      const p = sweepProgress({ write: (s) => out.push(s), isTTY: true, columns }, () => t);
      p.onEvent({ kind: 'start', total, done: 0, todo: total, workers: 1 });
      t = seconds * 1000;
      p.onEvent({ kind: 'finished', point: point('x', {}), figures: trainFigures, done, total });
      return out[out.length - 1];
    };
    expect(eta(3, 2, 10)).toContain('· 12 runs/min, ETA 5s · 10s elapsed');
    expect(eta(100, 1, 10)).toContain('· 6.0 runs/min, ETA 16m30s · 10s elapsed');
    expect(eta(10000, 1, 1)).toContain('· 60 runs/min, ETA 2h46m · 1s elapsed');
    expect(eta(2, 2, 5)).toContain('2/2 · 24 runs/min, ETA 0s');
    expect(eta(4, 1, 3725)).toContain('1h02m elapsed');
    expect(eta(4, 2, 1, 40)).toMatch(/^\r\[#####-----\] 2\/4 /);
    expect(eta(4, 2, 1, 200)).toMatch(/^\r\[#{15}-{15}\] 2\/4 /);

    const out: string[] = [];
    const idle = sweepProgress({ write: (s) => out.push(s), isTTY: true }, () => 0);
    idle.onEvent({ kind: 'start', total: 2, done: 2, todo: 0, workers: 1 });
    idle.close();
    expect(out).toEqual(['2 runs: 2 already finished, 0 to run on 1 worker\n']);
  });
});
