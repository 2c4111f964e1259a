/**
 * The gradient flow followed by followFlow against gradient descent run by the training loop
 * itself (train() with plain GD, step T/K for K steps), for every factorized model the flow
 * supports: GD is the Euler discretization of the flow, so its distance to W(T) halves as K
 * doubles. This ties the two engines together: same model, same start, same loss.
 */
import { describe, expect, it } from 'vitest';
import { followFlow, resolveFlowSettings } from '../src/flow/follow.js';
import type { Mat } from '../src/linalg/mat.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import type { ModelSpec } from '../src/models/model.js';
import { createOptimizer } from '../src/optim/create.js';
import { completion } from '../src/problems/generate.js';
import { Random } from '../src/rng/random.js';
import { train } from '../src/train/loop.js';
import { testBackends } from './helpers/backends.js';

const T = 2;

const cases: Array<[string, ModelSpec, boolean]> = [
  ['psd U Uᵀ', { kind: 'psd', width: 6 }, true],
  ['asymmetric U Vᵀ', { kind: 'asymmetric', width: 3 }, false],
  ['deep, depth 3', { kind: 'deep', depth: 3 }, false],
];

describe.each(testBackends().map((be) => [be.name, be] as const))('flow against GD of the training loop (%s)', (_name, be) => {
  it.each(cases)('%s: the distance of GD with step T/K to the flow at T halves as K doubles', (_label, spec, symmetric) => {
    const problem = completion({ n1: 6, n2: 6, m: 20, rank: 2, seed: 5, symmetric, backend: be });
    const model = createModel(spec, problem, 'half-sse', be);
    const start = (): Mat[] => initialize({ kind: 'gaussian', scale: 0.5 }, model, problem, Random.fromSeed(2), be);
    const flow = followFlow({
      model, problem, params: start(), backend: be,
      settings: resolveFlowSettings({ solver: 'dop853', rtol: 1e-12, atol: 1e-14, tMax: T, logPerDecade: 1, logFrom: 1 }),
    });
    expect(flow.status).toBe('t_max');
    expect(flow.t).toBe(T);
    const gdDistance = (k: number): number => {
      const params = start();
      train({ model, problem, params, optimizer: createOptimizer({ name: 'gd', lr: T / k }), config: { maxIters: k, logEvery: k }, backend: be });
      const w = model.endToEnd(params, { rows: 6, cols: 6, data: new Float64Array(36) });
      return Math.hypot(...w.data.map((v, i) => v - flow.w.data[i]));
    };
    const d = [100, 200, 400].map(gdDistance);
    // First order: ratios near 2 (the O(1/K^2) remainder moves them by a few percent at K = 100).
    expect(d[0] / d[1]).toBeGreaterThan(1.85);
    expect(d[0] / d[1]).toBeLessThan(2.15);
    expect(d[1] / d[2]).toBeGreaterThan(1.9);
    expect(d[1] / d[2]).toBeLessThan(2.1);
    // And GD really moved: W(T) is far from W(0) compared with the discretization error.
    const w0 = model.endToEnd(start(), { rows: 6, cols: 6, data: new Float64Array(36) });
    expect(Math.hypot(...w0.data.map((v, i) => v - flow.w.data[i]))).toBeGreaterThan(20 * d[0]);
  });
});
