/**
 * The gradient flow of a model against gradient descent with shrinking steps: GD with step
 * T/K is a first-order (Euler) discretization of the flow, so its distance to the flow at
 * time T halves as K doubles.
 */
import { describe, expect, it } from 'vitest';
import { dopri5 } from '../src/flow/dopri5.js';
import { modelFlow } from '../src/flow/model-flow.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import { completion } from '../src/problems/generate.js';
import { Random } from '../src/rng/random.js';
import { testBackends } from './helpers/backends.js';

describe.each(testBackends().map((be) => [be.name, be] as const))('modelFlow (%s)', (_name, be) => {
  const problem = completion({ n1: 8, n2: 8, m: 30, rank: 2, seed: 3, backend: be });
  const model = createModel({ kind: 'deep', depth: 2 }, problem, 'half-sse', be);
  const start = initialize({ kind: 'gaussian', scale: 0.3 }, model, problem, Random.fromSeed(1), be);
  const flow = modelFlow(model);
  const T = 2;
  const exact = dopri5(flow.rhs, 0, flow.pack(start), T, { rtol: 1e-12, atol: 1e-14 });

  it('GD with step T/K approaches the flow at time T at first order in 1/K', () => {
    const gd = (k: number): Float64Array => {
      const y = flow.pack(start);
      const dy = new Float64Array(flow.size);
      for (let s = 0; s < k; s++) {
        flow.rhs(0, y, dy);
        for (let i = 0; i < y.length; i++) y[i] += (T / k) * dy[i];
      }
      return y;
    };
    const dist = (y: Float64Array): number => Math.hypot(...y.map((v, i) => v - exact.y[i]));
    const d = [200, 400, 800].map((k) => dist(gd(k)));
    expect(d[0] / d[1]).toBeGreaterThan(1.8);
    expect(d[0] / d[1]).toBeLessThan(2.2);
    expect(d[1] / d[2]).toBeGreaterThan(1.9);
    expect(d[1] / d[2]).toBeLessThan(2.1);
  });

  it('the loss decreases along the flow; pack and unpack round-trip', () => {
    expect(flow.loss(exact.y)).toBeLessThan(flow.loss(flow.pack(start)));
    const back = flow.unpack(flow.pack(start));
    back.forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(start[i].data)));
    expect(() => flow.loss(new Float64Array(3))).toThrow(`y: expected ${flow.size} entries (W1, W2), got 3`);
  });
});
