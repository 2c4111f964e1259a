/**
 * Exact resume: a run stopped by onStep after accepted step k (or by the step limit) and
 * continued with `resume` is bit-for-bit the uninterrupted run, for both methods: same t, y,
 * step counts, outputs after the stop, event time; evaluations larger by exactly one per
 * resume (f at the restart point is recomputed). Also through a JSON checkpoint.
 */
import { describe, expect, it } from 'vitest';
import type { OdeOptions, OdeResult, OdeState } from '../src/flow/adaptive.js';
import { type OdeMethod, integrate } from '../src/flow/integrate.js';
import type { OdeRhs } from '../src/flow/dopri5.js';

// Van der Pol with mu = 5: fast and slow phases, so the controller both grows and rejects.
const vdp: OdeRhs = (_t, y, dy) => {
  dy[0] = y[1];
  dy[1] = 5 * (1 - y[0] * y[0]) * y[1] - y[0];
};
const y0 = Float64Array.of(2, 0);
const T = 30;
const outputTimes = Array.from({ length: 61 }, (_, i) => i * 0.5);
const base: OdeOptions = { rtol: 1e-7, atol: 1e-9, outputTimes };

const bits = (y: Float64Array): number[] => Array.from(y);
const outs = (r: OdeResult): number[][] => r.outputs.map((o) => [o.t, ...o.y]);

/** The state of a result as it would be written to a file and read back. */
const throughJson = (s: OdeState): OdeState => {
  const text = JSON.stringify({ ...s, y: Array.from(s.y) });
  const p = JSON.parse(text) as Omit<OdeState, 'y'> & { y: number[] };
  return { ...p, y: Float64Array.from(p.y) };
};

function expectSame(whole: OdeResult, parts: OdeResult[]): void {
  const last = parts[parts.length - 1];
  expect(last.status).toBe(whole.status);
  expect(last.t).toBe(whole.t);
  expect(bits(last.y)).toEqual(bits(whole.y));
  expect(last.h).toBe(whole.h);
  expect(last.acceptedSteps).toBe(whole.acceptedSteps);
  expect(last.rejectedSteps).toBe(whole.rejectedSteps);
  expect(last.evaluations).toBe(whole.evaluations + parts.length - 1);
  expect(parts.flatMap(outs)).toEqual(outs(whole));
}

describe.each(['dopri5', 'dop853'] as const)('exact resume (%s)', (method: OdeMethod) => {
  const run = (opts: OdeOptions): OdeResult => integrate(method, vdp, 0, y0, T, { ...base, ...opts });
  const whole = run({});

  it('the problem exercises the controller (rejections) and the outputs', () => {
    expect(whole.status).toBe('done');
    expect(whole.rejectedSteps).toBeGreaterThan(5);
    expect(whole.outputs.length).toBe(outputTimes.length);
  });

  it('stopped after step k and resumed: bit-for-bit the uninterrupted run, for several k', () => {
    const n = whole.acceptedSteps;
    for (const k of [1, 2, 7, Math.floor(n / 3), Math.floor(n / 2) + 1, n - 1]) {
      const first = run({ onStep: (s) => s.acceptedSteps === k });
      expect(first.status).toBe('stopped');
      expect(first.acceptedSteps).toBe(k);
      expect(first.outputs.every((o) => o.t <= first.t)).toBe(true);
      const second = run({ resume: first });
      expectSame(whole, [first, second]);
      // The same through a checkpoint file.
      expectSame(whole, [first, run({ resume: throughJson(first) })]);
    }
  });

  it('stopped every 10 steps, each part resumed from the last: still the same run', () => {
    const parts: OdeResult[] = [];
    let state: OdeState | undefined;
    for (;;) {
      const r = run({ resume: state, onStep: (s) => s.acceptedSteps % 10 === 0 });
      parts.push(r);
      if (r.status !== 'stopped') break;
      state = throughJson(r);
    }
    expect(parts.length).toBe(Math.ceil(whole.acceptedSteps / 10));
    expectSame(whole, parts);
  });

  it('onStep sees the state a stop would return', () => {
    const seen: OdeState[] = [];
    run({ onStep: (s) => void seen.push({ ...s, y: Float64Array.from(s.y) }) });
    expect(seen.length).toBe(whole.acceptedSteps);
    const k = 5;
    const first = run({ onStep: (s) => s.acceptedSteps === k });
    const s = seen[k - 1];
    expect([s.t, s.h, s.acceptedSteps, s.rejectedSteps, s.evaluations, s.lastRejected])
      .toEqual([first.t, first.h, first.acceptedSteps, first.rejectedSteps, first.evaluations, first.lastRejected]);
    expect(bits(s.y)).toEqual(bits(first.y));
    expect(seen[seen.length - 1].t).toBe(T);
  });

  it('a step limit right after a rejection, resumed: the rejection is carried over', () => {
    // Find a limit at which the last attempt was rejected (so the next step may not grow).
    let m = 2;
    let first = run({ maxSteps: m });
    while (!first.lastRejected) first = run({ maxSteps: ++m });
    expect(first.status).toBe('max_steps');
    expectSame(whole, [first, run({ resume: first })]);
    // Dropping the flag changes the run: it is information the resume needs.
    const wrong = run({ resume: { ...first, lastRejected: false } });
    expect(wrong.acceptedSteps === whole.acceptedSteps && bits(wrong.y).join() === bits(whole.y).join()).toBe(false);
  });

  it('a terminal event after the stop: the same event time and state', () => {
    // y0 crosses -1 from above for the first time during the first relaxation.
    const event = (_t: number, y: Float64Array): number => y[0] + 1;
    const full = run({ event });
    expect(full.status).toBe('event');
    const k = Math.floor(full.acceptedSteps / 2);
    const first = run({ event, onStep: (s) => s.acceptedSteps === k });
    expect(first.status).toBe('stopped');
    expectSame(full, [first, run({ event, resume: first })]);
  });

  it('onStep returning true stops after that step, except on the final step (done)', () => {
    const r = run({ onStep: () => true, resume: undefined, maxSteps: 1e6, outputTimes: [], rtol: 1e-3, atol: 1e-3 });
    expect(r.status).toBe('stopped');
    expect(r.acceptedSteps).toBe(1);
    const lastStep = run({ onStep: (s) => s.t === T });
    expect(lastStep.status).toBe('done');
  });
});
