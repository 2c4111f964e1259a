/*
 * The training loop and the run directory, on a tiny model written here with explicit
 * loops (W = U V^T on a dense least-squares operator), so that these tests depend on
 * neither src/models nor src/problems/operators:
 *   stopping rules (converged, max_iters, diverged with the step, stopped), the logging
 *   schedule (step 0, every logEvery, final), the loss convention, projection after
 *   every update, exact resume for every optimizer (bit for bit, parameters and
 *   history), TrainState serialization, and the run directory (refusal to reuse, force,
 *   atomic writes, checkpoint integrity, history truncation on resume, a crash and
 *   resume that ends byte-identical to an uninterrupted run).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileError } from '../src/io/errors.js';
import { encodeNpz, readNpz } from '../src/io/npz.js';
import { atomicWriteFile } from '../src/io/files.js';
import { openRunDir, toJsonText, type RunDir } from '../src/io/run-dir.js';
import { type Mat, copy, frobeniusNorm, zeros } from '../src/linalg/mat.js';
import type { LossKind, Model, ModelKind } from '../src/models/model.js';
import { createOptimizer, type OptimizerSpec } from '../src/optim/create.js';
import type { AdjointResult, MeasurementOperator } from '../src/problems/operator.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import { completion } from '../src/problems/generate.js';
import { defaultSchattenP, resolveTrainConfig, train, type HistoryRecord, type TrainConfig } from '../src/train/loop.js';
import { deserializeTrainState, serializeTrainState, type TrainState } from '../src/train/state.js';

// ------------------------------------------------------------------ a tiny model and problem

class DenseOp implements MeasurementOperator {
  readonly kind = 'dense' as const;
  private readonly buf: Mat;
  constructor(readonly n1: number, readonly n2: number, readonly m: number, readonly a: Float64Array) {
    this.buf = zeros(n1, n2);
  }
  apply(x: Mat, out: Float64Array): Float64Array {
    const sz = this.n1 * this.n2;
    for (let i = 0; i < this.m; i++) {
      let s = 0;
      for (let e = 0; e < sz; e++) s += this.a[i * sz + e] * x.data[e];
      out[i] = s;
    }
    return out;
  }
  applyProduct(left: Mat, right: Mat, out: Float64Array): Float64Array {
    const x = zeros(this.n1, this.n2);
    for (let i = 0; i < this.n1; i++)
      for (let j = 0; j < this.n2; j++) {
        let s = 0;
        for (let r = 0; r < left.cols; r++) s += left.data[i * left.cols + r] * right.data[r * right.cols + j];
        x.data[i * this.n2 + j] = s;
      }
    return this.apply(x, out);
  }
  applyProductT(left: Mat, rightT: Mat, out: Float64Array): Float64Array {
    const right = zeros(rightT.cols, rightT.rows);
    for (let i = 0; i < rightT.rows; i++) for (let r = 0; r < rightT.cols; r++) right.data[r * rightT.rows + i] = rightT.data[i * rightT.cols + r];
    return this.applyProduct(left, right, out);
  }
  adjoint(r: Float64Array, scale: number): AdjointResult {
    const sz = this.n1 * this.n2;
    this.buf.data.fill(0);
    for (let i = 0; i < this.m; i++) for (let e = 0; e < sz; e++) this.buf.data[e] += scale * r[i] * this.a[i * sz + e];
    return { kind: 'dense', mat: this.buf };
  }
  toDenseTensor(): Float64Array {
    return this.a.slice();
  }
}

/** W = U V^T (U n1 x k, V n2 x k), explicit loops; optional projection of U onto a Frobenius ball. */
class TinyModel implements Model {
  readonly kind: ModelKind = 'asymmetric';
  readonly factorNames = ['U', 'V'];
  readonly factorShapes: ReadonlyArray<readonly [number, number]>;
  readonly n1: number;
  readonly n2: number;
  projections = 0;
  private readonly w: Mat;
  private readonly g: Mat;
  private readonly pred: Float64Array;
  constructor(readonly problem: Problem, readonly k: number, readonly loss: LossKind = 'mse', readonly radius?: number) {
    this.n1 = problem.n1;
    this.n2 = problem.n2;
    this.factorShapes = [[this.n1, k], [this.n2, k]];
    this.w = zeros(this.n1, this.n2);
    this.g = zeros(this.n1, this.n2);
    this.pred = new Float64Array(problem.y.length);
  }
  endToEnd(params: readonly Mat[], out: Mat): Mat {
    const [u, v] = params;
    for (let i = 0; i < this.n1; i++)
      for (let j = 0; j < this.n2; j++) {
        let s = 0;
        for (let r = 0; r < this.k; r++) s += u.data[i * this.k + r] * v.data[j * this.k + r];
        out.data[i * this.n2 + j] = s;
      }
    return out;
  }
  lossAt(params: readonly Mat[]): number {
    this.endToEnd(params, this.w);
    const y = this.problem.y, m = y.length;
    this.problem.op.apply(this.w, this.pred);
    let s = 0;
    for (let i = 0; i < m; i++) s += (this.pred[i] - y[i]) ** 2;
    return this.loss === 'mse' ? s / m : 0.5 * s;
  }
  lossAndGradient(params: readonly Mat[], grads: Mat[]): number {
    const loss = this.lossAt(params);
    const y = this.problem.y, m = y.length;
    const r = new Float64Array(m);
    for (let i = 0; i < m; i++) r[i] = this.pred[i] - y[i];
    const adj = this.problem.op.adjoint(r, this.loss === 'mse' ? 2 / m : 1);
    if (adj.kind !== 'dense') throw new Error('dense only');
    this.g.data.set(adj.mat.data);
    const [u, v] = params;
    const [gu, gv] = grads;
    for (let i = 0; i < this.n1; i++) // dU = G V
      for (let r2 = 0; r2 < this.k; r2++) {
        let s = 0;
        for (let j = 0; j < this.n2; j++) s += this.g.data[i * this.n2 + j] * v.data[j * this.k + r2];
        gu.data[i * this.k + r2] = s;
      }
    for (let j = 0; j < this.n2; j++) // dV = G^T U
      for (let r2 = 0; r2 < this.k; r2++) {
        let s = 0;
        for (let i = 0; i < this.n1; i++) s += this.g.data[i * this.n2 + j] * u.data[i * this.k + r2];
        gv.data[j * this.k + r2] = s;
      }
    return loss;
  }
  endToEndGradient(out: Mat): Mat {
    out.data.set(this.g.data);
    return out;
  }
  project(params: Mat[]): void {
    this.projections++;
    if (this.radius === undefined) return;
    const f = frobeniusNorm(params[0]);
    if (f > this.radius) for (let i = 0; i < params[0].data.length; i++) params[0].data[i] *= this.radius / f;
  }
}

/** A 4 x 3 rank-1 sensing problem with 10 Gaussian measurements, a ground truth and 3 held-out entries. */
function tinyProblem(seed = 1): Problem {
  const n1 = 4, n2 = 3, m = 10;
  const rng = Random.fromSeed(seed);
  const a = new Float64Array(m * n1 * n2);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() / Math.sqrt(n1 * n2);
  const xStar = zeros(n1, n2);
  const u = [1, -0.5, 0.25, 2], v = [0.5, 1, -1];
  for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) xStar.data[i * n2 + j] = u[i] * v[j];
  const op = new DenseOp(n1, n2, m, a);
  const y = op.apply(xStar, new Float64Array(m));
  const test = { rows: Int32Array.of(0, 3, 2), cols: Int32Array.of(2, 0, 1), y: Float64Array.of(xStar.data[2], xStar.data[9], xStar.data[7]) };
  return { n1, n2, op, y, xStar, test, psd: false };
}

function initParams(seed = 2, k = 2, scale = 0.3): Mat[] {
  const rng = Random.fromSeed(seed);
  const u = zeros(4, k), v = zeros(3, k);
  for (const p of [u, v]) for (let i = 0; i < p.data.length; i++) p.data[i] = scale * rng.normal();
  return [u, v];
}

function bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameParams(a: readonly Mat[], b: readonly Mat[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((p, i) => {
    expect([p.rows, p.cols]).toEqual([b[i].rows, b[i].cols]);
    expect(bytes(p.data).equals(bytes(b[i].data))).toBe(true);
  });
}

const SPECS: OptimizerSpec[] = [
  { name: 'gd', lr: 0.2 },
  { name: 'grouprmsprop', lr: 0.01 },
  { name: 'momentum', lr: 0.05, momentum: 0.9 },
  { name: 'momentum', lr: 0.05, momentum: 0.9, nesterov: true },
  { name: 'adam', lr: 0.01 },
];

function specLabel(s: OptimizerSpec): string {
  return s.name === 'momentum' && s.nesterov ? 'nesterov' : s.name;
}

// ------------------------------------------------------------------ the loop

describe('stopping rules', () => {
  it('converged: stops at the first step whose loss is below stopLoss', () => {
    const problem = tinyProblem();
    const model = new TinyModel(problem, 2);
    const r = train({ model, optimizer: createOptimizer({ name: 'gd', lr: 0.2 }), problem, params: initParams(), config: { maxIters: 100_000, stopLoss: 1e-6, logEvery: 1 } });
    expect(r.status).toBe('converged');
    expect(r.loss).toBeLessThan(1e-6);
    expect(r.final.step).toBe(r.step);
    expect(r.final.loss).toBe(r.loss);
    expect(r.history.length).toBe(r.step + 1);
    for (const rec of r.history.slice(0, -1)) expect(rec.loss!).toBeGreaterThanOrEqual(1e-6);
    expect(r.step).toBeGreaterThan(10);
    expect(r.bestLoss).toBe(r.loss);
    expect(r.bestStep).toBe(r.step);
  });

  it('max_iters: exactly maxIters updates, the final record at step maxIters', () => {
    const problem = tinyProblem();
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), config: { maxIters: 50, logEvery: 1000 } });
    expect(r.status).toBe('max_iters');
    expect(r.step).toBe(50);
    expect(r.history.map((h) => h.step)).toEqual([0, 50]);
    expect(r.state.step).toBe(50);
    expect(r.state.optimizer.step).toBe(50);
  });

  it('maxIters 0: evaluates and logs step 0 only', () => {
    const problem = tinyProblem();
    const params = initParams();
    const before = params.map(copy);
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params, config: { maxIters: 0, logEvery: 5 } });
    expect(r.status).toBe('max_iters');
    expect(r.history.map((h) => h.step)).toEqual([0]);
    expectSameParams(params, before);
  });

  it('diverged: a huge step size ends the run with the step whose loss exploded', () => {
    const problem = tinyProblem();
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 50 }), problem, params: initParams(), config: { maxIters: 10_000, logEvery: 1 } });
    expect(r.status).toBe('diverged');
    expect(r.step).toBeGreaterThan(0);
    expect(r.step).toBeLessThan(100);
    const threshold = Math.max(1e10 * r.initialLoss, 1e30);
    expect(!Number.isFinite(r.loss) || r.loss > threshold).toBe(true);
    expect(r.final.step).toBe(r.step);
    const prev = r.history[r.history.length - 2];
    expect(prev.step).toBe(r.step - 1);
    expect(prev.loss!).toBeLessThanOrEqual(threshold);
    // Never NaN in the records.
    expect(toJsonText(r.history)).not.toMatch(/NaN|Infinity/);
    expect(JSON.stringify(r.history)).not.toMatch(/NaN|Infinity/);
  });

  it('diverged on a non-finite loss, at step 0 if need be', () => {
    const problem = tinyProblem();
    const params = initParams();
    params[0].data[0] = NaN;
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params, config: { maxIters: 10, logEvery: 1 } });
    expect(r.status).toBe('diverged');
    expect(r.step).toBe(0);
    expect(r.final.loss).toBeNull();
    expect(r.final.nuclear_norm).toBeNull();
    expect(r.final.singular_values).toBeNull();
  });

  it('divergenceFactor and divergenceFloor set the threshold', () => {
    const problem = tinyProblem();
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 5 }), problem, params: initParams(), config: { maxIters: 10_000, logEvery: 1, divergenceFactor: 2, divergenceFloor: 1e-300 } });
    expect(r.status).toBe('diverged');
    expect(r.loss).toBeGreaterThan(2 * r.initialLoss);
    for (const h of r.history.slice(0, -1)) expect(h.loss!).toBeLessThanOrEqual(2 * r.initialLoss);
  });

  it('stopped: shouldStop is polled once per step before the update', () => {
    const problem = tinyProblem();
    let calls = 0;
    const r = train({
      model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(),
      config: { maxIters: 100, logEvery: 5 },
      hooks: { shouldStop: () => ++calls === 8 },
    });
    expect(r.status).toBe('stopped');
    expect(r.step).toBe(7);
    expect(r.history.map((h) => h.step)).toEqual([0, 5, 7]);
  });

  it('priority: diverged > converged > max_iters > stopped', () => {
    const problem = tinyProblem();
    const mk = (config: TrainConfig, stop = false) =>
      train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), config, hooks: { shouldStop: () => stop } }).status;
    expect(mk({ maxIters: 0, logEvery: 1, stopLoss: 1e9 }, true)).toBe('converged');
    expect(mk({ maxIters: 0, logEvery: 1 }, true)).toBe('max_iters');
    expect(mk({ maxIters: 5, logEvery: 1, stopLoss: 1e9, divergenceFactor: 1e-9, divergenceFloor: 1e-300 }, true)).toBe('diverged');
  });
});

describe('logging', () => {
  it('logs step 0, every logEvery steps and the final step, each once; onLog sees the same records', () => {
    const problem = tinyProblem();
    const seen: HistoryRecord[] = [];
    const run = (maxIters: number) =>
      train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), config: { maxIters, logEvery: 5 }, hooks: { onLog: (r) => seen.push(r) } });
    const a = run(23);
    expect(a.history.map((h) => h.step)).toEqual([0, 5, 10, 15, 20, 23]);
    expect(seen).toEqual(a.history);
    expect(run(20).history.map((h) => h.step)).toEqual([0, 5, 10, 15, 20]);
  });

  it('logPerDecade adds the steps floor(10^(j/d)) to the logEvery schedule, and a resumed run keeps it', () => {
    const problem = tinyProblem();
    const run = (maxIters: number, state?: TrainState) =>
      train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), state, config: { maxIters, logEvery: 100, logPerDecade: 4 } });
    // 10^(j/4): 1, 1.78, 3.16, 5.62, 10, 17.8, 31.6, 56.2, 100, 177.8, 316.2
    const expected = [0, 1, 3, 5, 10, 17, 31, 56, 100, 177, 200, 300, 316, 350];
    const straight = run(350);
    expect(straight.history.map((h) => h.step)).toEqual(expected);
    const first = run(40);
    const resumed = run(350, first.state);
    expect([...first.history.filter((h) => h.step < 40), ...resumed.history].map((h) => h.step)).toEqual(expected);
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, logPerDecade: 0 })).toThrow('logPerDecade: expected a positive integer, got 0');
  });

  it('the loss at step t is the loss of the parameters after t updates (before update t + 1)', () => {
    const problem = tinyProblem();
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), config: { maxIters: 4, logEvery: 1 } });
    // Replay by hand.
    const model = new TinyModel(problem, 2);
    const p = initParams();
    const g = [zeros(4, 2), zeros(3, 2)];
    for (let t = 0; t <= 4; t++) {
      const loss = model.lossAndGradient(p, g);
      expect(r.history[t].step).toBe(t);
      expect(r.history[t].loss).toBe(loss);
      expect(model.lossAt(p)).toBe(loss);
      if (t < 4) for (let k = 0; k < 2; k++) for (let i = 0; i < p[k].data.length; i++) p[k].data[i] -= 0.1 * g[k].data[i];
    }
    expectSameParams(r.params, p);
    expect(r.loss).toBe(r.history[4].loss);
  });

  it('a record holds every figure, null where it does not apply, never NaN', () => {
    const problem = tinyProblem();
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), config: { maxIters: 3, logEvery: 1, logSingular: 2 } });
    const rec = r.final;
    expect(Object.keys(rec).sort()).toEqual(
      ['effective_rank', 'grad_align_diag', 'grad_align_offdiag', 'loss', 'nuclear_norm', 'recon_mse', 'recon_rel', 'schatten_2_over_N', 'singular_values', 'step', 'test_loss', 'w'].sort(),
    );
    expect(rec.w).toBeNull(); // logMatrix is off
    expect(rec.singular_values!.length).toBe(2);
    expect(rec.singular_values![0]).toBeGreaterThanOrEqual(rec.singular_values![1]);
    for (const key of ['test_loss', 'recon_mse', 'recon_rel', 'nuclear_norm', 'schatten_2_over_N', 'effective_rank', 'grad_align_diag', 'grad_align_offdiag'] as const) {
      expect(Number.isFinite(rec[key])).toBe(true);
    }
    // Shallow model: p = 1, so the quasi-norm is the nuclear norm.
    expect(rec.schatten_2_over_N).toBe(rec.nuclear_norm);
    // Test loss = mse on held-out entries of W.
    const w = new TinyModel(problem, 2).endToEnd(r.params, zeros(4, 3));
    const t = problem.test!;
    let s = 0;
    for (let i = 0; i < 3; i++) s += (w.data[t.rows[i] * 3 + t.cols[i]] - t.y[i]) ** 2;
    expect(rec.test_loss).toBe(s / 3);

    const bare: Problem = { ...problem, xStar: undefined, test: undefined };
    const r2 = train({ model: new TinyModel(bare, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem: bare, params: initParams(), config: { maxIters: 1, logEvery: 1, logSingular: 1 } });
    expect(r2.final.test_loss).toBeNull();
    expect(r2.final.recon_mse).toBeNull();
    expect(r2.final.recon_rel).toBeNull();
    expect(r2.final.grad_align_offdiag).toBeNull(); // K = 1: no off-diagonal
    expect(r2.final.singular_values!.length).toBe(1);
  });

  it('the Schatten exponent is 2/N for the deep model and 1 for the shallow ones', () => {
    const fake = (kind: ModelKind, n: number) => ({ kind, factorNames: Array.from({ length: n }, (_, i) => `W${i + 1}`) }) as unknown as Model;
    expect(defaultSchattenP(fake('deep', 3))).toBe(2 / 3);
    expect(defaultSchattenP(fake('deep', 1))).toBe(2);
    expect(defaultSchattenP(fake('asymmetric', 2))).toBe(1);
    expect(defaultSchattenP(fake('psd', 1))).toBe(1);
  });
});

describe('projection and validation', () => {
  it('projects after every update', () => {
    const problem = tinyProblem();
    const model = new TinyModel(problem, 2, 'half-sse', 0.5);
    const r = train({ model, optimizer: createOptimizer({ name: 'adam', lr: 0.05 }), problem, params: initParams(), config: { maxIters: 40, logEvery: 10 } });
    expect(model.projections).toBe(40);
    expect(frobeniusNorm(r.params[0])).toBeLessThanOrEqual(0.5 * (1 + 1e-15));
  });

  it('config errors are one line naming the field', () => {
    expect(() => resolveTrainConfig({ maxIters: -1, logEvery: 1 })).toThrow('maxIters: expected a non-negative integer, got -1');
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 0 })).toThrow('logEvery: expected a positive integer, got 0');
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, logSingular: 1.5 })).toThrow('logSingular: expected a non-negative integer or "all", got 1.5');
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, stopLoss: NaN })).toThrow('stopLoss: expected a finite number, got NaN');
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, checkpointEvery: -5 })).toThrow('checkpointEvery: expected a positive integer, got -5');
    expect(resolveTrainConfig({ maxIters: 1, logEvery: 1 })).toEqual({
      maxIters: 1, stopLoss: null, stallWindow: null, stallRtol: null, logEvery: 1, logPerDecade: null, logPerLossDecade: null, logSingular: 10,
      logMatrix: false, checkpointEvery: null, divergenceFactor: 1e10, divergenceFloor: 1e30, schattenP: null, keepHistory: true,
    });
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, logPerLossDecade: 0 })).toThrow('logPerLossDecade: expected a positive integer, got 0');
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, logMatrix: 1 as unknown as boolean })).toThrow('logMatrix: expected true or false, got 1');
  });

  it('refuses parameters of the wrong shape and a state of another optimizer', () => {
    const problem = tinyProblem();
    const model = new TinyModel(problem, 2);
    const optimizer = createOptimizer({ name: 'gd', lr: 0.1 });
    expect(() => train({ model, optimizer, problem, params: initParams(2, 3), config: { maxIters: 1, logEvery: 1 } })).toThrow('params: factor U: expected shape 4x2, got 4x3');
    const adamRun = train({ model, optimizer: createOptimizer({ name: 'adam', lr: 0.1 }), problem, params: initParams(), config: { maxIters: 2, logEvery: 1 } });
    expect(() => train({ model, optimizer: createOptimizer({ name: 'momentum', lr: 0.1 }), problem, params: initParams(), state: adamRun.state, config: { maxIters: 3, logEvery: 1 } })).toThrow(
      'state.optimizer: does not fit momentum (expected 2 buffers, got 4 buffers)',
    );
  });
});

// ------------------------------------------------------------------ a real model

describe('integration: a real deep model on a real completion problem', () => {
  const problem = completion({ n1: 30, n2: 30, m: 300, rank: 2, seed: 3, testFraction: 0.2 });
  const start = (): { model: Model; params: Mat[] } => {
    const model = createModel({ kind: 'deep', depth: 3 }, problem, 'mse');
    return { model, params: initialize({ kind: 'gaussian', scale: 0.1 }, model, problem, Random.fromSeed(4)) };
  };

  it('depth-3 GD for 300 steps: the loss falls, the test loss and the effective rank with it', () => {
    const { model, params } = start();
    const r = train({ model, optimizer: createOptimizer({ name: 'gd', lr: 0.5 }), problem, params, config: { maxIters: 300, logEvery: 50 } });
    expect(r.status).toBe('max_iters');
    const losses = r.history.map((h) => h.loss!);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(r.loss).toBeLessThan(0.01 * r.initialLoss);
    expect(r.final.test_loss!).toBeLessThan(0.5 * r.history[0].test_loss!);
    expect(r.final.recon_rel!).toBeLessThan(0.5);
    expect(r.final.effective_rank!).toBeLessThan(0.5 * r.history[0].effective_rank!);
    expect(r.final.schatten_2_over_N).not.toBe(r.final.nuclear_norm); // p = 2/3
    expect(r.final.singular_values!.length).toBe(10);
  });

  it.each(['grouprmsprop', 'adam'] as const)('exact resume with the real model (%s)', (name) => {
    const spec: OptimizerSpec = { name, lr: 0.01 };
    const a = start();
    const straight = train({ model: a.model, optimizer: createOptimizer(spec), problem, params: a.params, config: { maxIters: 150, logEvery: 25 } });
    const b = start();
    const first = train({ model: b.model, optimizer: createOptimizer(spec), problem, params: b.params, config: { maxIters: 60, logEvery: 25 } });
    const { arrays, meta } = serializeTrainState(first.state, { names: b.model.factorNames, optimizerName: name });
    const state = deserializeTrainState(readNpz(encodeNpz(arrays), 'ck.npz'), JSON.parse(JSON.stringify(meta)), 'ck');
    const c = start();
    const second = train({ model: c.model, optimizer: createOptimizer(spec), problem, params: c.params, state, config: { maxIters: 150, logEvery: 25 } });
    expectSameParams(second.params, straight.params);
    expect([...first.history.filter((h) => h.step < 60), ...second.history]).toEqual(straight.history);
  });
});

// ------------------------------------------------------------------ exact resume

function roundTrip(state: TrainState, optimizerName: string): TrainState {
  const { arrays, meta } = serializeTrainState(state, { names: ['U', 'V'], optimizerName });
  const npz = encodeNpz(arrays);
  return deserializeTrainState(readNpz(npz, 'checkpoint.npz'), JSON.parse(JSON.stringify(meta)), 'checkpoint', optimizerName);
}

describe('exact resume', () => {
  const config: TrainConfig = { maxIters: 300, logEvery: 7, logSingular: 'all' };

  describe.each(SPECS.map((s) => [specLabel(s), s] as [string, OptimizerSpec]))('%s', (_label, spec) => {
    const problem = tinyProblem();
    const straight = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer(spec), problem, params: initParams(), config });

    it('300 steps straight = 120 + serialize/deserialize + 180, bit for bit', () => {
      expect(straight.status).toBe('max_iters');
      const first = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer(spec), problem, params: initParams(), config: { ...config, maxIters: 120 } });
      expect(first.step).toBe(120);
      const state = roundTrip(first.state, spec.name);
      const params = [zeros(4, 2), zeros(3, 2)];
      const second = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer(spec), problem, params, state, config });
      expect(second.params).toBe(params);
      expectSameParams(second.params, straight.params);
      const joined = [...first.history.filter((h) => h.step < 120), ...second.history];
      expect(joined).toEqual(straight.history);
      expect(JSON.stringify(joined)).toBe(JSON.stringify(straight.history));
      expect(second.final).toEqual(straight.final);
      expect(Object.is(second.bestLoss, straight.bestLoss)).toBe(true);
      expect(second.bestStep).toBe(straight.bestStep);
      expect(second.state.optimizer.step).toBe(300);
    });

    it('resuming from a checkpoint hook snapshot (taken mid-run) ends identical', () => {
      const snaps: TrainState[] = [];
      const run = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer(spec), problem, params: initParams(), config: { ...config, checkpointEvery: 120 }, hooks: { onCheckpoint: (s) => snaps.push(s) } });
      expect(snaps.map((s) => s.step)).toEqual([120, 240]);
      expectSameParams(run.params, straight.params);
      expect(run.history).toEqual(straight.history);
      // The snapshot is a copy: later steps did not change it.
      const resumed = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer(spec), problem, params: initParams(9), state: roundTrip(snaps[0], spec.name), config });
      expectSameParams(resumed.params, straight.params);
      expect(resumed.history).toEqual(straight.history.filter((h) => h.step >= 120));
    });
  });

  it('TrainState round-trips exactly, -0 and non-finite numbers included', () => {
    const state: TrainState = {
      step: 7,
      params: [{ rows: 1, cols: 3, data: Float64Array.of(-0, 5e-324, NaN) }, { rows: 2, cols: 1, data: Float64Array.of(Infinity, 1 / 3) }],
      optimizer: { step: 7, buffers: [Float64Array.of(1, -0)], scalars: { v: -0, w: Infinity } },
      initialLoss: 0.1 + 0.2,
      bestLoss: -0,
      bestStep: 3,
      trainSeconds: 1.25,
    };
    const back = roundTrip(state, 'gd');
    expect(back.step).toBe(7);
    expectSameParams(back.params, state.params);
    expect(bytes(back.optimizer.buffers[0]).equals(bytes(state.optimizer.buffers[0]))).toBe(true);
    expect(Object.is(back.optimizer.scalars.v, -0)).toBe(true);
    expect(back.optimizer.scalars.w).toBe(Infinity);
    expect(back.initialLoss).toBe(0.1 + 0.2);
    expect(Object.is(back.bestLoss, -0)).toBe(true);
    expect(back.bestStep).toBe(3);
    expect(back.trainSeconds).toBe(1.25);
  });

  it('deserialization names what is wrong', () => {
    const problem = tinyProblem();
    const r = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'adam', lr: 0.01 }), problem, params: initParams(), config: { maxIters: 2, logEvery: 1 } });
    const { arrays, meta } = serializeTrainState(r.state, { names: ['U', 'V'], optimizerName: 'adam' });
    expect(() => deserializeTrainState(arrays, meta, 'ck', 'gd')).toThrow('ck: optimizerName: the checkpoint is of optimizer "adam", not "gd"');
    const missing = new Map(arrays);
    missing.delete('V');
    expect(() => deserializeTrainState(missing, meta, 'ck')).toThrow('ck: array "V": missing (a parameter)');
    expect(() => deserializeTrainState(arrays, { ...meta, format: 'x' }, 'ck')).toThrow('ck: format: expected "implab-train-state", got "x"');
    expect(() => deserializeTrainState(arrays, { ...meta, params: [{ name: 'U', rows: 3, cols: 2 }, meta.params[1]] }, 'ck')).toThrow(
      'ck: array "U": expected float64 of shape [3, 2], got float64 of shape [4, 2]',
    );
  });

  it('train_seconds accumulates across segments', () => {
    const problem = tinyProblem();
    const a = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), config: { maxIters: 20, logEvery: 5 } });
    expect(a.trainSeconds).toBeGreaterThan(0);
    expect(a.segmentSeconds).toBe(a.trainSeconds);
    const b = train({ model: new TinyModel(problem, 2), optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params: initParams(), state: a.state, config: { maxIters: 40, logEvery: 5 } });
    expect(b.trainSeconds).toBeCloseTo(a.trainSeconds + b.segmentSeconds, 12);
  });
});

// ------------------------------------------------------------------ the run directory

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-train-test-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => path.join(TMP, `run${dirCount++}`);

/** What `implab train` does with a run directory, in a few lines: the glue between train() and RunDir. */
function runToDir(
  dir: string,
  spec: OptimizerSpec,
  options: { resume?: boolean; force?: boolean; stopAtStep?: number; maxIters?: number } = {},
): { rd: RunDir; status: string } {
  const t0 = performance.now();
  const problem = tinyProblem();
  const model = new TinyModel(problem, 2);
  const optimizer = createOptimizer(spec);
  const rd = openRunDir(dir, { resume: options.resume, force: options.force });
  let state: TrainState | undefined;
  if (options.resume) {
    const ck = rd.readCheckpoint();
    if (ck) state = deserializeTrainState(ck.arrays, ck.meta, path.join(dir, 'checkpoint'), optimizer.name);
    rd.truncateHistory(state?.step ?? 0);
  }
  let step = state?.step ?? 0;
  const config = { maxIters: options.maxIters ?? 200, logEvery: 10, checkpointEvery: 50, logSingular: 2 };
  const result = train({
    model, optimizer, problem, params: initParams(), state, config,
    hooks: {
      onLog: (r) => rd.appendHistory(r),
      onCheckpoint: (s) => {
        const { arrays, meta } = serializeTrainState(s, { names: model.factorNames, optimizerName: optimizer.name });
        rd.writeCheckpoint(arrays, meta);
      },
      shouldStop: () => options.stopAtStep !== undefined && step++ >= options.stopAtStep,
    },
  });
  if (result.status !== 'stopped') {
    rd.writeResult({ U: result.params[0], V: result.params[1] }, model.endToEnd(result.params, zeros(4, 3)));
    rd.writeSummary({
      status: result.status, step: result.step, final: { ...result.final }, backend: 'js',
      train_seconds: result.trainSeconds, total_seconds: (performance.now() - t0) / 1000,
      config: { optimizer: spec, ...config },
    });
  }
  rd.close();
  return { rd, status: result.status };
}

describe('run directory', () => {
  it('creates a missing directory, refuses a non-empty one unless force or resume', () => {
    const dir = freshDir();
    runToDir(dir, { name: 'gd', lr: 0.1 });
    for (const f of ['history.jsonl', 'checkpoint.npz', 'checkpoint.json', 'result.npz', 'summary.json']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    let err: unknown;
    try {
      openRunDir(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FileError);
    expect((err as Error).message).toBe(`${dir}: already exists and is not empty (use --force to replace the run in it, or --resume to continue it)`);

    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    openRunDir(dir, { force: true }).close();
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);

    const empty = freshDir();
    fs.mkdirSync(empty);
    openRunDir(empty).close(); // an empty directory is fine
    expect(() => openRunDir(freshDir(), { resume: true })).toThrow('no such directory (nothing to resume)');
    const file = path.join(TMP, 'plain-file');
    fs.writeFileSync(file, 'x');
    expect(() => openRunDir(file)).toThrow(`${file}: not a directory`);
  });

  it('writes valid JSON: history lines and summary without NaN, typed arrays as lists', () => {
    const dir = freshDir();
    const rd = openRunDir(dir);
    rd.appendHistory({ step: 0, loss: NaN, singular_values: Float64Array.of(2, 1) });
    rd.writeSummary({ status: 'diverged', step: 3, final: { loss: Infinity }, backend: 'js', train_seconds: 0.5, total_seconds: 1, config: { lr: 10 } });
    rd.close();
    expect(fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8')).toBe('{"step":0,"loss":null,"singular_values":[2,1]}\n');
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary).toEqual({ status: 'diverged', step: 3, final: { loss: null }, backend: 'js', train_seconds: 0.5, total_seconds: 1, config: { lr: 10 } });
  });

  it('atomic writes: a failed write leaves no partial or temporary file; stale temporaries are cleared on resume', () => {
    const dir = freshDir();
    const rd = openRunDir(dir);
    fs.mkdirSync(path.join(dir, 'summary.json'));
    fs.writeFileSync(path.join(dir, 'summary.json', 'x'), '');
    expect(() => rd.writeSummary({ status: 'max_iters', step: 1, final: {}, backend: 'js', train_seconds: 0, total_seconds: 0, config: {} })).toThrow(FileError);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(() => atomicWriteFile(path.join(dir, 'nope', 'f.json'), new Uint8Array(1))).toThrow(FileError);

    // A replaced file is either the old or the new one, whole.
    atomicWriteFile(path.join(dir, 'a.bin'), new Uint8Array([1, 2, 3]));
    atomicWriteFile(path.join(dir, 'a.bin'), new Uint8Array([4, 5]));
    expect([...fs.readFileSync(path.join(dir, 'a.bin'))]).toEqual([4, 5]);

    fs.writeFileSync(path.join(dir, '.result.npz.1234.abcd1234.tmp'), 'partial');
    openRunDir(dir, { resume: true }).close();
    expect(fs.existsSync(path.join(dir, '.result.npz.1234.abcd1234.tmp'))).toBe(false);
  });

  it('checkpoint.json guards checkpoint.npz: a mismatched pair is refused', () => {
    const dir = freshDir();
    const rd = openRunDir(dir);
    expect(rd.readCheckpoint()).toBeNull();
    const arrays = { a: { dtype: 'float64' as const, shape: [2], data: Float64Array.of(1, 2) } };
    rd.writeCheckpoint(arrays, { step: 5 });
    const back = rd.readCheckpoint()!;
    expect(back.meta).toEqual({ step: 5 });
    expect(Array.from(back.arrays.get('a')!.data as Float64Array)).toEqual([1, 2]);
    // As if a crash came between the two renames of the next checkpoint.
    fs.writeFileSync(path.join(dir, 'checkpoint.npz'), encodeNpz({ a: { dtype: 'float64', shape: [2], data: Float64Array.of(3, 4) } }));
    expect(() => rd.readCheckpoint()).toThrow('does not match checkpoint.json');
  });

  it('truncateHistory keeps complete lines before the step and drops a line cut short', () => {
    const dir = freshDir();
    const rd = openRunDir(dir);
    for (const step of [0, 10, 20, 30]) rd.appendHistory({ step });
    rd.close();
    fs.appendFileSync(path.join(dir, 'history.jsonl'), '{"step":4');
    const again = openRunDir(dir, { resume: true });
    expect(again.truncateHistory(20)).toBe(2);
    expect(fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8')).toBe('{"step":0}\n{"step":10}\n');
    again.appendHistory({ step: 20 });
    expect(again.readHistory()).toEqual([{ step: 0 }, { step: 10 }, { step: 20 }]);
    again.close();
  });

  it.each(SPECS.map((s) => [specLabel(s), s] as [string, OptimizerSpec]))(
    'a crashed then resumed run (%s) leaves files identical to an uninterrupted one',
    (_label, spec) => {
      const straight = freshDir();
      expect(runToDir(straight, spec).status).toBe('max_iters');
      const crashed = freshDir();
      expect(runToDir(crashed, spec, { stopAtStep: 137 }).status).toBe('stopped');
      expect(fs.existsSync(path.join(crashed, 'summary.json'))).toBe(false);
      fs.appendFileSync(path.join(crashed, 'history.jsonl'), '{"step":140,"lo'); // killed mid-line
      const ck = JSON.parse(fs.readFileSync(path.join(crashed, 'checkpoint.json'), 'utf8'));
      expect(ck.state.step).toBe(100);
      expect(runToDir(crashed, spec, { resume: true }).status).toBe('max_iters');
      for (const f of ['history.jsonl', 'result.npz', 'checkpoint.npz']) {
        expect(fs.readFileSync(path.join(crashed, f)).equals(fs.readFileSync(path.join(straight, f))), f).toBe(true);
      }
      const summary = JSON.parse(fs.readFileSync(path.join(crashed, 'summary.json'), 'utf8'));
      expect(summary.status).toBe('max_iters');
      expect(summary.step).toBe(200);
      expect(summary.final.step).toBe(200);
      expect(summary.config.optimizer).toEqual(spec);
      const result = readNpz(new Uint8Array(fs.readFileSync(path.join(crashed, 'result.npz'))), 'result.npz');
      expect([...result.keys()]).toEqual(['U', 'V', 'W']);
      expect(result.get('W')!.shape).toEqual([4, 3]);
      const lines = fs.readFileSync(path.join(crashed, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
      expect(lines).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200]);
    },
  );
});
