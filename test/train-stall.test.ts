/*
 * The stall rule of the training loop (TrainConfig.stallWindow / stallRtol, status
 * `stalled`): when it fires, against an independent transcription of the rule on a model
 * whose loss at step t is a prescribed sequence; its priority among the other rules;
 * exact resume (the rule's reference travels in the TrainState); validation; the run
 * config keys and their resolved form.
 */
import { describe, expect, it } from 'vitest';
import { encodeNpz, readNpz } from '../src/io/npz.js';
import { type Mat, zeros } from '../src/linalg/mat.js';
import type { LossKind, Model, ModelKind } from '../src/models/model.js';
import { createOptimizer } from '../src/optim/create.js';
import type { Problem } from '../src/problems/problem.js';
import { ConfigError, resolveRunConfig } from '../src/sweep/config.js';
import { resolveTrainConfig, train, type TrainConfig } from '../src/train/loop.js';
import { deserializeTrainState, serializeTrainState, type TrainState } from '../src/train/state.js';

/**
 * A 1 x 1 "model" whose parameter p counts steps: the gradient is -1, so GD with lr 1
 * adds 1 per update, and the loss at step t is schedule(t) (p starts at 0).
 */
class ScheduleModel implements Model {
  readonly kind: ModelKind = 'psd';
  readonly n1 = 1;
  readonly n2 = 1;
  readonly loss: LossKind = 'half-sse';
  readonly factorNames = ['U'];
  readonly factorShapes: ReadonlyArray<readonly [number, number]> = [[1, 1]];
  constructor(private readonly schedule: (t: number) => number) {}
  endToEnd(params: readonly Mat[], out: Mat): Mat {
    out.data[0] = 1 + params[0].data[0];
    return out;
  }
  lossAt(params: readonly Mat[]): number {
    return this.schedule(Math.round(params[0].data[0]));
  }
  lossAndGradient(params: readonly Mat[], grads: Mat[]): number {
    grads[0].data[0] = -1;
    return this.lossAt(params);
  }
  endToEndGradient(out: Mat): Mat {
    out.data[0] = 0;
    return out;
  }
  project(): void {}
}

const problem = { n1: 1, n2: 1, y: new Float64Array(1), psd: false } as unknown as Problem;

/** Logging is irrelevant here: logEvery defaults to a step never reached. */
function run(schedule: (t: number) => number, config: Omit<TrainConfig, 'logEvery'> & { logEvery?: number }, state?: TrainState) {
  return train({
    model: new ScheduleModel(schedule), optimizer: createOptimizer({ name: 'gd', lr: 1 }), problem,
    params: [zeros(1, 1)], state, config: { logEvery: 1_000_000, ...config },
  });
}

/** The rule as TrainConfig states it, transcribed independently: the step it stalls at, or null. */
function expectedStall(schedule: (t: number) => number, window: number, rtol: number, maxIters: number): number | null {
  let ref = schedule(0), refStep = 0;
  for (let t = 0; t <= maxIters; t++) {
    const l = schedule(t);
    if (l < (1 - rtol) * ref) {
      ref = l;
      refStep = t;
    }
    if (t - refStep >= window) return t;
  }
  return null;
}

describe('the stall rule', () => {
  it('a geometric decrease that stops: stalls stallWindow steps after the last decrease', () => {
    const s = (t: number) => 0.9 ** Math.min(t, 20);
    const r = run(s, { maxIters: 1000, stallWindow: 5 });
    expect(r.status).toBe('stalled');
    expect(r.step).toBe(25);
    expect(r.final.step).toBe(25);
    expect(r.state.stallStep).toBe(20);
    expect(r.state.stallLoss).toBe(s(20));
  });

  it('a loss decaying like 1/t stalls where the relative decrease over the window falls below stallRtol (about t = window / rtol)', () => {
    const s = (t: number) => 1 / (1 + t);
    for (const [window, rtol] of [[10, 0.01], [50, 1e-3], [7, 0.2]] as const) {
      const expected = expectedStall(s, window, rtol, 1_000_000);
      const r = run(s, { maxIters: 1_000_000, stallWindow: window, stallRtol: rtol });
      expect(r.status).toBe('stalled');
      expect(r.step).toBe(expected);
      expect(r.step).toBeGreaterThan(0.5 * window / rtol);
      expect(r.step).toBeLessThan(2 * window / rtol);
    }
  });

  it('small fluctuations do not reset the window; a rise does not either', () => {
    const s = (t: number) => 1 + 1e-5 * Math.sin(t) + (t === 30 ? 5 : 0);
    const r = run(s, { maxIters: 1000, stallWindow: 40, stallRtol: 1e-3 });
    expect(r.status).toBe('stalled');
    expect(r.step).toBe(expectedStall(s, 40, 1e-3, 1000));
    expect(r.step).toBe(40);
  });

  it('off by default: the same run goes to maxIters', () => {
    const r = run(() => 1, { maxIters: 50 });
    expect(r.status).toBe('max_iters');
    expect(r.state.stallStep).toBeNull();
  });

  it('priority: converged > stalled > max_iters; diverged first', () => {
    const flat = () => 1;
    expect(run(flat, { maxIters: 5, stallWindow: 5 }).status).toBe('stalled');
    expect(run(flat, { maxIters: 5, stallWindow: 5, stopLoss: 1.5 }).status).toBe('converged');
    expect(run(flat, { maxIters: 4, stallWindow: 5 }).status).toBe('max_iters');
    expect(run((t) => (t < 3 ? 1 : NaN), { maxIters: 10, stallWindow: 3 }).status).toBe('diverged');
  });

  it('exact resume: the reference travels in the checkpoint, so an interrupted run stalls at the same step with the same records', () => {
    const s = (t: number) => 0.5 ** Math.min(t, 12) * (1 + 1e-6 * (t % 3));
    const config: TrainConfig = { maxIters: 1000, stallWindow: 30, stallRtol: 1e-3, logEvery: 4 };
    const straight = run(s, config);
    expect(straight.status).toBe('stalled');
    expect(straight.step).toBe(42);
    for (const cut of [5, 12, 20, 41]) {
      const first = run(s, { ...config, maxIters: cut });
      const { arrays, meta } = serializeTrainState(first.state, { names: ['U'], optimizerName: 'gd' });
      expect(meta.stallStep).toBe(Math.min(cut, 12));
      const state = deserializeTrainState(readNpz(encodeNpz(arrays), 'ck.npz'), JSON.parse(JSON.stringify(meta)), 'ck', 'gd');
      expect(state.stallLoss).toBe(first.state.stallLoss);
      const second = run(s, config, state);
      expect(second.status).toBe('stalled');
      expect(second.step).toBe(straight.step);
      expect([...first.history.filter((h) => h.step < cut), ...second.history]).toEqual(straight.history);
    }
  });

  it('a checkpoint without the reference (older format) restarts the window at the resumed step', () => {
    const first = run(() => 1, { maxIters: 10, stallWindow: 30 });
    const { arrays, meta } = serializeTrainState(first.state, { names: ['U'] });
    const old = JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
    delete old.stallLoss;
    delete old.stallStep;
    const state = deserializeTrainState(readNpz(encodeNpz(arrays), 'ck.npz'), old, 'ck');
    expect(state.stallStep).toBeNull();
    expect(run(() => 1, { maxIters: 1000, stallWindow: 30 }, state).step).toBe(40);
  });

  it('validation: one line naming the field', () => {
    expect(resolveTrainConfig({ maxIters: 1, logEvery: 1, stallWindow: 10 })).toMatchObject({ stallWindow: 10, stallRtol: 1e-3 });
    expect(resolveTrainConfig({ maxIters: 1, logEvery: 1 })).toMatchObject({ stallWindow: null, stallRtol: null });
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, stallRtol: 0.1 })).toThrow('stallRtol: only used with stallWindow');
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, stallWindow: 0 })).toThrow('stallWindow: expected a positive integer, got 0');
    expect(() => resolveTrainConfig({ maxIters: 1, logEvery: 1, stallWindow: 5, stallRtol: 1 })).toThrow('stallRtol: expected a number in (0, 1), got 1');
  });

  it('run config: train.stallWindow / stallRtol, null when absent, the default rtol filled in, errors named', () => {
    const P = { kind: 'razin2x2' };
    const on = resolveRunConfig({ problem: P, train: { stallWindow: 1000 } }, 'x.toml');
    expect(on.train).toMatchObject({ stallWindow: 1000, stallRtol: 1e-3 });
    expect(resolveRunConfig(on, 'again')).toEqual(on);
    const off = resolveRunConfig({ problem: P }, 'x.toml');
    expect(off.train).toMatchObject({ stallWindow: null, stallRtol: null });
    expect(resolveRunConfig(off, 'again')).toEqual(off);
    const message = (raw: unknown): string => {
      try {
        resolveRunConfig(raw, 'x.toml');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message({ problem: P, train: { stallRtol: 0.01 } })).toBe('x.toml: train.stallRtol: only used with train.stallWindow, got stallRtol = 0.01 and no stallWindow');
    expect(message({ problem: P, train: { stallWindow: 10, stallRtol: 2 } })).toBe('x.toml: train.stallRtol: expected a number in (0, 1), got 2');
  });
});
