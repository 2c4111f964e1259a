/**
 * Gunasekar et al.'s steering path X_{k+1} = exp(-η S_k) X_k exp(-η S_k) against the flow
 * X' = -(S X + X S) (first order in η), its exact PSD-ness (a congruence), the commuting
 * closed form of one step, convergence, resumption and the driver's stopping rules.
 */
import { describe, expect, it } from 'vitest';
import { dopri5 } from '../src/flow/dopri5.js';
import { psdFlow } from '../src/flow/psd-flow.js';
import { SteerStepper, steer } from '../src/flow/steer.js';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, frobeniusNorm, identity, matFrom, scale, zeros } from '../src/linalg/mat.js';
import type { LossKind } from '../src/models/model.js';
import { commuting, completion, sensing } from '../src/problems/generate.js';
import type { DiagonalOperator } from '../src/problems/operators/index.js';
import { Random } from '../src/rng/random.js';
import { testBackends } from './helpers/backends.js';

function randomPsd(n: number, rank: number, std: number, rng: Random, be: Backend): Mat {
  const b = rng.normalMat(n, rank, std);
  return be.gemm(false, true, 1, b, b, 0, zeros(n, n));
}

const frobDist = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
};

describe.each(testBackends().map((be) => [be.name, be] as const))('steer (%s)', (_name, be) => {
  it('follows the flow at first order in η: the error at fixed T halves with η', () => {
    const n = 5, T = 1;
    const p = sensing({ n1: n, n2: n, m: 12, rank: 2, truth: 'psd', symmetric: true, seed: 2, backend: be });
    const x0 = randomPsd(n, n, 0.4, Random.fromSeed(11), be);
    const flow = psdFlow(p, 'half-sse', be);
    const ref = dopri5(flow.rhs, 0, flow.pack(x0), T, { rtol: 1e-12, atol: 1e-14 });
    const refNorm = Math.hypot(...ref.y);
    const ks = [50, 100, 200, 400];
    const errs = ks.map((k) => {
      const r = steer(p, 'half-sse', x0, { eta: T / k, maxSteps: k }, be);
      expect(r.status).toBe('max_steps');
      expect(r.steps).toBe(k);
      return frobDist(r.x.data, ref.y) / refNorm;
    });
    const ratios = errs.slice(1).map((e, i) => errs[i] / e);
    console.log(`steer vs flow at T = ${T}: rel errors ${errs.map((e) => e.toExponential(3)).join(', ')} (K = ${ks.join(', ')}); ratios ${ratios.map((q) => q.toFixed(3)).join(', ')}`);
    for (const q of ratios) {
      expect(q).toBeGreaterThan(1.9);
      expect(q).toBeLessThan(2.1);
    }
    // Step-size consistency, not a coincidence of the norm: the error is O(η) with a
    // constant of order ||X''|| T, and small in absolute terms.
    expect(errs[3]).toBeLessThan(1e-2);
  });

  it('stays symmetric PSD where an Euler step of the same size does not', () => {
    // A rank-2 start on sensing with a large step: the congruence keeps rank and PSD-ness;
    // the Euler step X - η (S X + X S) leaves the cone at once.
    const n = 6, eta = 0.05;
    const p = sensing({ n1: n, n2: n, m: 15, rank: 3, truth: 'psd', symmetric: true, seed: 9, backend: be });
    const x0 = randomPsd(n, 2, 0.5, Random.fromSeed(4), be);
    let worst = Infinity, asym = 0;
    const r = steer(p, 'half-sse', x0, {
      eta, maxSteps: 200,
      onStep(_k, x) {
        const ev = be.eigvalsh(x);
        worst = Math.min(worst, ev[0] / frobeniusNorm(x));
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) asym = Math.max(asym, Math.abs(x.data[i * n + j] - x.data[j * n + i]));
      },
    }, be);
    expect(r.status).toBe('max_steps');
    expect(asym).toBe(0);
    expect(worst).toBeGreaterThanOrEqual(-1e-14);
    const flow = psdFlow(p, 'half-sse', be);
    const y0 = flow.pack(x0), dy = new Float64Array(n * n);
    flow.rhs(0, y0, dy);
    const euler = y0.map((v, i) => v + eta * dy[i]);
    const evEuler = be.eigvalsh({ rows: n, cols: n, data: euler });
    console.log(`PSD: smallest eigenvalue / ||X||_F over 200 steps ${worst.toExponential(2)}; one Euler step: ${(evEuler[0] / Math.hypot(...euler)).toExponential(2)}`);
    expect(evEuler[0]).toBeLessThan(-1e-6 * Math.hypot(...euler));
  });

  it.each(['half-sse', 'mse'] as const)('one step in the commuting case is x_j exp(-2η s_j), s = diag S (%s)', (loss: LossKind) => {
    const n = 6, m = 3, eta = 0.01;
    const p = commuting({ n, m, rank: 2, scale: 'unit', seed: 5 });
    const a = (p.op as DiagonalOperator).diagonals.data;
    const x0 = zeros(n, n);
    for (let j = 0; j < n; j++) x0.data[j * n + j] = 0.1 * (1 + j);
    // S = 2c diag(A*(r)), r_i = sum_j a_ij x_j - y_i, computed here from the diagonals.
    const c = loss === 'mse' ? 2 / m : 1;
    const r = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let v = -p.y[i];
      for (let j = 0; j < n; j++) v += a[i * n + j] * x0.data[j * n + j];
      r[i] = v;
    }
    const st = new SteerStepper(p, loss, eta, { x: x0, k: 0 }, be);
    st.step();
    let worst = 0;
    for (let j = 0; j < n; j++) {
      let g = 0;
      for (let i = 0; i < m; i++) g += a[i * n + j] * r[i];
      const expected = x0.data[j * n + j] * Math.exp(-2 * eta * (2 * c * g));
      const e = Math.abs(st.x.data[j * n + j] - expected) / expected;
      worst = Math.max(worst, e);
      for (let q = 0; q < n; q++) if (q !== j) expect(Math.abs(st.x.data[j * n + q])).toBeLessThanOrEqual(1e-17);
    }
    console.log(`commuting one step (${loss}): worst rel diff from x_j exp(-2η s_j) ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(8 * Number.EPSILON);
    expect(st.k).toBe(1);
  });

  it('reaches a low loss on a small completion problem, near the low-rank truth', () => {
    const n = 6;
    const p = completion({ n1: n, n2: n, m: 26, rank: 1, symmetric: true, seed: 3, backend: be });
    // From a small start the spurious eigenvalues decay only sublinearly (the limit has
    // rank 1), so the loss falls like a power of 1/k: a stop at 1e-6 (f(X0) ~ 10).
    const x0 = scale(identity(n), 1e-4);
    const r = steer(p, 'half-sse', x0, { eta: 0.05, maxSteps: 50000, stopLoss: 1e-6 }, be);
    const rel = frobDist(r.x.data, p.xStar!.data) / frobeniusNorm(p.xStar!);
    const l0 = psdFlow(p, 'half-sse', be).loss(x0.data);
    console.log(`completion: ${r.status} at step ${r.steps}, loss ${l0.toExponential(2)} -> ${r.loss.toExponential(2)}, ||X - X*||_F/||X*||_F ${rel.toExponential(2)}`);
    expect(r.status).toBe('converged');
    expect(r.loss).toBeLessThanOrEqual(1e-6);
    expect(psdFlow(p, 'half-sse', be).loss(r.x.data)).toBeCloseTo(r.loss, 14);
    expect(rel).toBeLessThan(1e-2);
  });

  it('resumes exactly; onStep stops; a too-large step diverges', () => {
    const n = 5;
    const p = sensing({ n1: n, n2: n, m: 12, rank: 2, truth: 'psd', symmetric: true, seed: 2, backend: be });
    const x0 = randomPsd(n, n, 0.4, Random.fromSeed(1), be);
    const whole = steer(p, 'mse', x0, { eta: 0.01, maxSteps: 60 }, be);
    const first = steer(p, 'mse', x0, { eta: 0.01, maxSteps: 25 }, be);
    const rest = steer(p, 'mse', first.x, { eta: 0.01, maxSteps: 60, startStep: first.steps }, be);
    expect(rest.steps).toBe(60);
    expect(Array.from(rest.x.data)).toEqual(Array.from(whole.x.data));
    expect(rest.loss).toBe(whole.loss);

    const seen: number[] = [];
    const stopped = steer(p, 'mse', x0, { eta: 0.01, maxSteps: 60, onStep: (k) => { seen.push(k); return k === 7; } }, be);
    expect(stopped.status).toBe('stopped');
    expect(stopped.steps).toBe(7);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    // exp(-η λ) overflows for λ < 0 and a huge η: the run reports the last finite point.
    const div = steer(p, 'half-sse', x0, { eta: 1e6, maxSteps: 100 }, be);
    expect(div.status).toBe('diverged');
    expect(Number.isFinite(div.loss)).toBe(true);
    expect(div.x.data.every(Number.isFinite)).toBe(true);
  });
});

describe('steer: bad input', () => {
  const p = completion({ n1: 4, n2: 4, m: 6, rank: 1, symmetric: true, seed: 1 });
  const x0 = scale(identity(4), 0.1);
  it('throws one-line RangeErrors', () => {
    expect(() => steer(p, 'mse', x0, { eta: 0, maxSteps: 10 })).toThrow(new RangeError('eta: expected a finite number > 0, got 0'));
    expect(() => steer(p, 'mse', x0, { eta: NaN, maxSteps: 10 })).toThrow(new RangeError('eta: expected a finite number > 0, got NaN'));
    expect(() => steer(p, 'mse', x0, { eta: 0.1, maxSteps: 1.5 })).toThrow(new RangeError('maxSteps: expected an integer >= 0, got 1.5'));
    expect(() => steer(p, 'mse', x0, { eta: 0.1, maxSteps: 3, startStep: -1 })).toThrow(new RangeError('startStep: expected an integer >= 0, got -1'));
    expect(() => steer(p, 'mse', zeros(3, 4), { eta: 0.1, maxSteps: 3 })).toThrow(new RangeError('x0: expected a 4x4 matrix, got 3x4'));
    const inf = identity(4);
    inf.data[15] = Infinity;
    expect(() => steer(p, 'mse', inf, { eta: 0.1, maxSteps: 3 })).toThrow(new RangeError('x0: entry [3, 3] is Infinity (expected finite values)'));
    expect(() => steer(p, 'mse', matFrom([[1, 2, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), { eta: 0.1, maxSteps: 3 }))
      .toThrow(/^x0: expected a symmetric matrix, entries \[0, 1\] and \[1, 0\] differ by 2\.00e\+0$/);
    expect(() => steer(p, 'mse', scale(identity(4), -1), { eta: 0.1, maxSteps: 3 }))
      .toThrow(new RangeError('x0: expected a positive semidefinite matrix, smallest eigenvalue -1.00'));
    expect(() => steer(p, 'l1' as LossKind, x0, { eta: 0.1, maxSteps: 3 })).toThrow(new RangeError('loss: expected "mse" or "half-sse", got "l1"'));
    const rect = completion({ n1: 3, n2: 4, m: 5, rank: 1, seed: 1 });
    expect(() => steer(rect, 'mse', x0, { eta: 0.1, maxSteps: 3 })).toThrow(/^problem: the PSD flow needs a square problem/);
  });
});
