/**
 * followFlow with the L-stable rodas4 on a flow whose late phase is stiff: an overparametrized
 * U U^T converging to a rank-deficient completion, where the loss decays sublinearly while
 * the fast modes keep an explicit method's step near 3.3 / lambda_max.
 */
import { describe, expect, it } from 'vitest';
import { followFlow, resolveFlowSettings, type FlowCheckpoint, type FlowSettings } from '../src/flow/follow.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import { completion } from '../src/problems/generate.js';
import { Random } from '../src/rng/random.js';
import { testBackends } from './helpers/backends.js';

describe.each(testBackends().map((be) => [be.name, be] as const))('rodas4 on a stiff flow (%s)', (_name, be) => {
  const problem = completion({ n1: 5, n2: 5, m: 12, rank: 1, seed: 4, symmetric: true, backend: be });
  const model = createModel({ kind: 'psd', width: 5 }, problem, 'half-sse', be);
  const params = () => initialize({ kind: 'gaussian', scale: 1e-3 }, model, problem, Random.fromSeed(3), be);
  const run = (s: Partial<FlowSettings>, checkpoint?: FlowCheckpoint, stopAfter?: number) => {
    let steps = 0;
    return followFlow({
      model, problem, params: params(), backend: be, checkpoint, settings: resolveFlowSettings({ rtol: 1e-8, atol: 1e-14, logPerDecade: 2, ...s }),
      hooks: stopAfter === undefined ? {} : { shouldStop: () => ++steps >= stopAfter },
    });
  };

  it('agrees with dop853 where both are cheap, and reaches t = 1e6 in few steps', () => {
    const stiff = run({ solver: 'rodas4', tMax: 100 });
    const explicit = run({ solver: 'dop853', tMax: 100, rtol: 1e-11 });
    const scale = Math.hypot(...explicit.w.data);
    expect(Math.hypot(...stiff.w.data.map((v, i) => v - explicit.w.data[i])) / scale).toBeLessThan(1e-6);
    const long = run({ solver: 'rodas4', tMax: 1e6 });
    expect(long.status).toBe('t_max');
    // Measured: a few hundred steps; dopri5's stability cap would need about 1e6 / (3.3 / lambda_max) steps.
    expect(long.step).toBeLessThan(2000);
    expect(long.final.loss!).toBeLessThan(stiff.final.loss!);
  });

  it('resumes bit for bit from a checkpoint inside an integrator call', () => {
    const whole = run({ solver: 'rodas4', tMax: 1e4 });
    const first = run({ solver: 'rodas4', tMax: 1e4 }, undefined, 37);
    expect(first.status).toBe('stopped');
    const rest = run({ solver: 'rodas4', tMax: 1e4 }, JSON.parse(JSON.stringify({ ...first.checkpoint, y: Array.from(first.checkpoint.y) }), (k, v) => (k === 'y' ? Float64Array.from(v as number[]) : v)) as FlowCheckpoint);
    expect(rest.step).toBe(whole.step);
    expect(rest.t).toBe(whole.t);
    expect(Array.from(rest.w.data)).toEqual(Array.from(whole.w.data));
  });
});
