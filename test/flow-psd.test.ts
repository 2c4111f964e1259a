/**
 * The factorization-free PSD flow X' = -(S X + X S), S = ∇f + ∇f^T, ∇f = c A*(A(X) - y),
 * against independent references: closed forms (one diagonal measurement, the trace),
 * the reduced m-dimensional ODE of the commuting case, and the factorized flow of the
 * U U^T model through X = U U^T.
 */
import { describe, expect, it } from 'vitest';
import { dopri5 } from '../src/flow/dopri5.js';
import { modelFlow } from '../src/flow/model-flow.js';
import { psdFlow } from '../src/flow/psd-flow.js';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, identity, matFrom, matOf, scale, zeros } from '../src/linalg/mat.js';
import { createModel } from '../src/models/create.js';
import type { LossKind } from '../src/models/model.js';
import { commuting, completion, sensing } from '../src/problems/generate.js';
import { DenseOperator, DiagonalOperator } from '../src/problems/operators/index.js';
import type { MeasurementOperator } from '../src/problems/operator.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { testBackends } from './helpers/backends.js';

const problemOf = (op: MeasurementOperator, y: number[]): Problem => ({ n1: op.n1, n2: op.n2, op, y: Float64Array.from(y), psd: true });

/** max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, big = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    big = Math.max(big, Math.abs(b[i]));
  }
  return d / big;
}

/**
 * The logistic τ' = κ (y - τ) τ, τ(0) = τ0, solved exactly:
 * τ(t) = y τ0 / (τ0 + (y - τ0) e^{-κ y t}) (d/dt of 1/τ is -κ y / τ + κ, linear in 1/τ).
 * This form never cancels: for tiny τ0 the denominator is a sum of positives when y > τ0.
 */
const logistic = (kappa: number, y: number, tau0: number, t: number): number => (y * tau0) / (tau0 + (y - tau0) * Math.exp(-kappa * y * t));

/** c in ∇f = c A*(r). */
const cOf = (loss: LossKind, m: number): number => (loss === 'mse' ? 2 / m : 1);

function randomPsd(n: number, std: number, rng: Random, be: Backend): Mat {
  const b = rng.normalMat(n, n, std);
  return be.gemm(false, true, 1, b, b, 0, zeros(n, n));
}

describe.each(testBackends().map((be) => [be.name, be] as const))('psdFlow (%s)', (_name, be) => {
  describe('closed forms', () => {
    // A = e1 e1^T observes X_11 = y. With X0 = αI, S = 2 c (x11 - y) e1 e1^T, so
    // (S X + X S)_11 = 4 c (x11 - y) x11 and every other entry of S X + X S is 0:
    // x11' = -4c (x11 - y) x11, the logistic with κ = 4c; the rest of X stays αI.
    it.each([
      ['half-sse', 1, 1e-3, [0.5, 1, 1.5, 2, 3, 5, 20]],
      ['mse', 1, 1e-3, [0.25, 0.5, 0.75, 1, 2, 10]],
      // Long horizon: the plateau lasts ln(y/α)/(κ y) ~ 1.15e6, then X_11 settles at y.
      ['half-sse', 1e-6, 1e-8, [1e4, 1e5, 5e5, 1e6, 1.15e6, 1.3e6, 2e6, 5e6, 1e7, 1e8]],
    ] as const)('one diagonal measurement e1 e1^T (%s, y = %d, α = %d)', (loss, y, alpha, times) => {
      const n = 3;
      const p = problemOf(new DiagonalOperator(matFrom([[1, 0, 0]]), { backend: be }), [y]);
      const flow = psdFlow(p, loss, be);
      const kappa = 4 * cOf(loss, 1);
      const x0 = flow.pack(scale(identity(n), alpha));
      const r = dopri5(flow.rhs, 0, x0, times[times.length - 1], { rtol: 1e-11, atol: 1e-30, outputTimes: times });
      expect(r.status).toBe('done');
      let worst = 0;
      for (const o of r.outputs) {
        const exact = logistic(kappa, y, alpha, o.t);
        const e = Math.abs(o.y[0] - exact) / exact;
        worst = Math.max(worst, e);
        expect(e, `t = ${o.t}`).toBeLessThan(1e-8);
        // Every other entry is exactly constant: its derivative is exactly 0.
        for (let i = 1; i < n * n; i++) expect(o.y[i]).toBe(x0[i]);
      }
      console.log(`e1e1^T ${loss} y=${y} α=${alpha}: worst rel err ${worst.toExponential(2)} over t <= ${times[times.length - 1]}, ${r.acceptedSteps} steps`);
    });

    // A = I observes tr X = y. S = 2c (τ - y) I, so X' = -4c (τ - y) X: X(t) = X0 τ(t)/τ0
    // for any X0, with τ = tr X the logistic of κ = 4c. Through the diagonal operator
    // (row scaling) and through a dense operator (GEMM with S = G + G^T).
    it.each([
      ['diagonal', 'half-sse'],
      ['diagonal', 'mse'],
      ['dense', 'half-sse'],
    ] as const)('the trace measurement (%s operator, %s)', (form, loss) => {
      const n = 4, y = 2;
      const op = form === 'diagonal'
        ? new DiagonalOperator(matFrom([[1, 1, 1, 1]]), { backend: be })
        : new DenseOperator(matOf(1, n * n, identity(n).data), n, n, { backend: be });
      const flow = psdFlow(problemOf(op, [y]), loss, be);
      const x0 = randomPsd(n, 0.01, Random.fromSeed(7), be);
      let tau0 = 0;
      for (let i = 0; i < n; i++) tau0 += x0.data[i * n + i];
      const times = [0.1, 0.5, 1, 2, 4, 8, 30];
      const r = dopri5(flow.rhs, 0, flow.pack(x0), 30, { rtol: 1e-11, atol: 1e-30, outputTimes: times });
      let worst = 0;
      for (const o of r.outputs) {
        const f = logistic(4 * cOf(loss, 1), y, tau0, o.t) / tau0;
        const expected = x0.data.map((v) => v * f);
        const e = relErr(o.y, expected);
        worst = Math.max(worst, e);
        expect(e, `t = ${o.t}`).toBeLessThan(1e-9);
      }
      console.log(`trace ${form} ${loss}: worst rel err ${worst.toExponential(2)}`);
    });
  });

  describe('the commuting case against the reduced ODE', () => {
    // Diagonal A_i and diagonal X0: S = 2c diag(A*(r)) is diagonal, so X stays diagonal and
    // x_j' = -4c A*(r)_j x_j, i.e. X(t) = X0 exp(-4c A*(s(t))) with s(t) = ∫_0^t r,
    // s' = r = A(X(s)) - y, s(0) = 0: an m-dimensional ODE (c = 1 half-sse, 2/m mse).
    it.each(['half-sse', 'mse'] as const)('%s', (loss) => {
      const n = 6, m = 3;
      const p = commuting({ n, m, rank: 2, scale: 'unit', seed: 5 });
      const a = (p.op as DiagonalOperator).diagonals.data;
      const x0 = new Float64Array(n);
      for (let j = 0; j < n; j++) x0[j] = 1e-3 * (1 + 0.3 * j);
      const c4 = 4 * cOf(loss, m);
      const diagAt = (s: Float64Array, out: Float64Array): Float64Array => {
        for (let j = 0; j < n; j++) {
          let g = 0;
          for (let i = 0; i < m; i++) g += a[i * n + j] * s[i];
          out[j] = x0[j] * Math.exp(-c4 * g);
        }
        return out;
      };
      const d = new Float64Array(n);
      const reduced = (_t: number, s: Float64Array, ds: Float64Array): void => {
        diagAt(s, d);
        for (let i = 0; i < m; i++) {
          let v = -p.y[i];
          for (let j = 0; j < n; j++) v += a[i * n + j] * d[j];
          ds[i] = v;
        }
      };
      const T = loss === 'mse' ? 60 : 20;
      const times = [0.005, 0.02, 0.05, 0.2, 1].map((f) => f * T);
      const ref = dopri5(reduced, 0, new Float64Array(m), T, { rtol: 1e-12, atol: 1e-16, outputTimes: times });
      const flow = psdFlow(p, loss, be);
      const start = zeros(n, n);
      for (let j = 0; j < n; j++) start.data[j * n + j] = x0[j];
      const run = dopri5(flow.rhs, 0, flow.pack(start), T, { rtol: 1e-12, atol: 1e-20, outputTimes: times });
      let worst = 0;
      run.outputs.forEach((o, q) => {
        const expected = diagAt(ref.outputs[q].y, new Float64Array(n));
        const got = new Float64Array(n);
        for (let j = 0; j < n; j++) got[j] = o.y[j * n + j];
        const e = relErr(got, expected);
        worst = Math.max(worst, e);
        expect(e, `t = ${o.t}`).toBeLessThan(1e-9);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) expect(o.y[i * n + j]).toBe(0);
      });
      const l0 = flow.loss(flow.pack(start)), l1 = flow.loss(run.y);
      console.log(`commuting ${loss}: worst rel err ${worst.toExponential(2)}; loss ${l0.toExponential(2)} -> ${l1.toExponential(2)} at t = ${T}`);
      expect(l1).toBeLessThan(1e-2 * l0);
    });
  });

  describe('against the factorized flow of the U U^T model', () => {
    const cases: Array<[string, () => Problem, LossKind, 'auto' | 'always' | 'never']> = [
      ['symmetric sensing', () => sensing({ n1: 5, n2: 5, m: 12, rank: 2, truth: 'psd', symmetric: true, seed: 2, backend: be }), 'half-sse', 'auto'],
      ['asymmetric sensing', () => sensing({ n1: 5, n2: 5, m: 12, rank: 2, truth: 'psd', seed: 3, backend: be }), 'mse', 'auto'],
      ['symmetric completion, sparse products', () => completion({ n1: 6, n2: 6, m: 20, rank: 2, symmetric: true, seed: 4, backend: be }), 'half-sse', 'always'],
      ['symmetric completion, dense products', () => completion({ n1: 6, n2: 6, m: 20, rank: 2, symmetric: true, seed: 4, backend: be }), 'half-sse', 'never'],
      ['asymmetric completion pattern, sparse products', () => completion({ n1: 6, n2: 6, m: 15, rank: 2, truth: 'psd', seed: 6, backend: be }), 'mse', 'always'],
    ];
    it.each(cases)('%s', (_label, make, loss, sparse) => {
      const p = make();
      const n = p.n1;
      const model = createModel({ kind: 'psd', width: n }, p, loss, be);
      const mf = modelFlow(model);
      const u0 = Random.fromSeed(11).normalMat(n, n, 0.4);
      const flow = psdFlow(p, loss, be, { sparse });
      const x0 = be.gemm(false, true, 1, u0, u0, 0, zeros(n, n));
      const T = loss === 'mse' ? 6 : 3;
      const times = [0.1, 0.5, 1, 2, 3].map((f) => (f * T) / 3);
      const tol = { rtol: 1e-12, atol: 1e-14, outputTimes: times };
      const refRun = dopri5(mf.rhs, 0, mf.pack([u0]), T, tol);
      const run = dopri5(flow.rhs, 0, flow.pack(x0), T, tol);
      let worst = 0;
      run.outputs.forEach((o, q) => {
        const [u] = mf.unpack(refRun.outputs[q].y);
        const expected = be.gemm(false, true, 1, u, u, 0, zeros(n, n));
        const e = relErr(o.y, expected.data);
        worst = Math.max(worst, e);
        expect(e, `t = ${o.t}`).toBeLessThan(1e-9);
        expect(flow.loss(o.y)).toBeCloseTo(mf.loss(refRun.outputs[q].y), 12);
      });
      const l0 = flow.loss(flow.pack(x0)), l1 = flow.loss(run.y);
      console.log(`vs U U^T flow, ${_label} (${loss}): worst rel err ${worst.toExponential(2)}; loss ${l0.toExponential(2)} -> ${l1.toExponential(2)}`);
      expect(l1).toBeLessThan(0.5 * l0);
    });
  });

  it('S is ∇f + ∇f^T: matches the dense end-to-end gradient of the psd model', () => {
    const p = sensing({ n1: 4, n2: 4, m: 9, rank: 2, truth: 'psd', seed: 8, backend: be });
    const model = createModel({ kind: 'psd', width: 4 }, p, 'mse', be);
    const u = Random.fromSeed(3).normalMat(4, 4, 0.5);
    model.lossAndGradient([u], [zeros(4, 4)]);
    const g = model.endToEndGradient(zeros(4, 4));
    const flow = psdFlow(p, 'mse', be);
    const s = flow.symmetricGradient(flow.pack(be.gemm(false, true, 1, u, u, 0, zeros(4, 4))));
    const expected = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expected[i * 4 + j] = g.data[i * 4 + j] + g.data[j * 4 + i];
    expect(relErr(s.data, expected)).toBeLessThan(1e-13);
  });
});

describe('psdFlow: bad input', () => {
  const p = completion({ n1: 4, n2: 4, m: 6, rank: 1, symmetric: true, seed: 1 });
  it('throws one-line RangeErrors', () => {
    const rect = completion({ n1: 3, n2: 4, m: 5, rank: 1, seed: 1 });
    expect(() => psdFlow(rect, 'mse')).toThrow(new RangeError('problem: the PSD flow needs a square problem (n1 = n2), got 3x4'));
    expect(() => psdFlow(p, 'l2' as LossKind)).toThrow(new RangeError('loss: expected "mse" or "half-sse", got "l2"'));
    expect(() => psdFlow(p, 'mse', undefined, { sparse: 'maybe' as 'auto' })).toThrow(/^sparse: expected "auto", "always" or "never", got "maybe"$/);
    const flow = psdFlow(p, 'mse');
    expect(() => flow.rhs(0, new Float64Array(15), new Float64Array(16))).toThrow(new RangeError('y: expected 16 entries (X, 4x4 row-major), got 15'));
    expect(() => flow.loss(new Float64Array(3))).toThrow(/^y: expected 16 entries/);
    expect(() => flow.pack(zeros(3, 3))).toThrow(new RangeError('x: expected a 4x4 matrix, got 3x3'));
    const asym = identity(4);
    asym.data[1] = 0.5;
    expect(() => flow.pack(asym)).toThrow(/^x: expected a symmetric matrix, entries \[0, 1\] and \[1, 0\] differ by 5\.00e-1$/);
    const nan = identity(4);
    nan.data[5] = NaN;
    expect(() => flow.pack(nan)).toThrow(new RangeError('x: entry [1, 1] is NaN (expected finite values)'));
  });
});
