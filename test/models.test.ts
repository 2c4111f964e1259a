import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, copy, frobeniusNorm, identity, matOf, maxAbs, transpose, zeros } from '../src/linalg/mat.js';
import { AsymmetricModel } from '../src/models/asymmetric.js';
import { createModel, deepDims, DeepModel, PsdModel, UduModel } from '../src/models/create.js';
import type { SparseChoice } from '../src/models/core.js';
import { initialize } from '../src/models/init.js';
import type { LossKind, Model, ModelSpec } from '../src/models/model.js';
import { CompletionOperator, DiagonalOperator, denseOperator, symmetricOperatorFromTensor } from '../src/problems/operators/index.js';
import type { MeasurementOperator, OperatorKind } from '../src/problems/operator.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { assertAllclose } from './helpers/allclose.js';
import { testBackends } from './helpers/backends.js';

// ---------------------------------------------------------------------------------
// References, computed with plain loops (no backend, no model code).

function mm(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error('mm: shapes');
  const out = zeros(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let p = 0; p < a.cols; p++) {
      const v = a.data[i * a.cols + p];
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += v * b.data[p * b.cols + j];
    }
  }
  return out;
}

const tr = (a: Mat): Mat => transpose(a);

function diagMat(v: ArrayLike<number>): Mat {
  const out = zeros(v.length, v.length);
  for (let i = 0; i < v.length; i++) out.data[i * v.length + i] = v[i];
  return out;
}

/** W from the factors by explicit products, per DESIGN's conventions. */
function referenceW(kind: Model['kind'], params: Mat[]): Mat {
  switch (kind) {
    case 'psd':
      return mm(params[0], tr(params[0]));
    case 'asymmetric':
      return mm(params[0], tr(params[1]));
    case 'udu':
      return mm(mm(params[0], diagMat(params[1].data)), tr(params[0]));
    case 'deep': {
      let w = params[0];
      for (let j = 1; j < params.length; j++) w = mm(params[j], w);
      return w;
    }
  }
}

/** A(W) from the operator's dense tensor. */
function referenceApply(op: MeasurementOperator, w: Mat): Float64Array {
  const t = op.toDenseTensor(), nn = op.n1 * op.n2, out = new Float64Array(op.m);
  for (let i = 0; i < op.m; i++) {
    let s = 0;
    for (let e = 0; e < nn; e++) s += t[i * nn + e] * w.data[e];
    out[i] = s;
  }
  return out;
}

function referenceLoss(problem: Problem, loss: LossKind, w: Mat): number {
  const a = referenceApply(problem.op, w);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - problem.y[i]) ** 2;
  return loss === 'mse' ? s / problem.op.m : 0.5 * s;
}

/** dL/dW = c sum_i r_i A_i from the dense tensor. */
function referenceGradW(problem: Problem, loss: LossKind, w: Mat): Mat {
  const op = problem.op, a = referenceApply(op, w), t = op.toDenseTensor(), nn = op.n1 * op.n2;
  const c = loss === 'mse' ? 2 / op.m : 1;
  const g = zeros(op.n1, op.n2);
  for (let i = 0; i < op.m; i++) {
    const r = a[i] - problem.y[i];
    for (let e = 0; e < nn; e++) g.data[e] += c * r * t[i * nn + e];
  }
  return g;
}

/**
 * Central differences of model.lossAt, entry by entry. The step is h = 1e-6 * max(1, |x|)
 * (parameters here are O(1)); the actual step (x + h) - (x - h) is used, so the only
 * errors are truncation, h^2 |f'''| / 6 ~ 1e-12 relative, and rounding, about
 * eps |L| / h ~ 1e-10 relative to |L|. Hence rtol 1e-6 leaves four orders of margin,
 * and atol = 1e-6 max|grad| covers entries that happen to be near 0 (where the relative
 * error of a difference of two O(|L|) numbers is unbounded).
 */
function fdGradient(model: Model, params: Mat[]): Mat[] {
  return params.map((p) => {
    const g = zeros(p.rows, p.cols);
    for (let e = 0; e < p.data.length; e++) {
      const x0 = p.data[e];
      const h = 1e-6 * Math.max(1, Math.abs(x0));
      const xp = x0 + h, xm = x0 - h;
      p.data[e] = xp;
      const fp = model.lossAt(params);
      p.data[e] = xm;
      const fm = model.lossAt(params);
      p.data[e] = x0;
      g.data[e] = (fp - fm) / (xp - xm);
    }
    return g;
  });
}

function gradClose(actual: Mat, expected: Mat, label: string): void {
  assertAllclose(actual, expected, { rtol: 1e-6, atol: 1e-6 * maxAbs(expected) }, label);
}

// ---------------------------------------------------------------------------------
// Problems over the real operators.

function makeProblem(kind: OperatorKind, n1: number, n2: number, m: number, seed: number, be: Backend): Problem {
  const rng = Random.fromSeed(seed);
  let op: MeasurementOperator;
  if (kind === 'dense') {
    op = denseOperator(rng.normalMat(m, n1 * n2).data, m, n1, n2, { backend: be });
  } else if (kind === 'symmetric') {
    const t = rng.normalMat(m, n1 * n1).data;
    for (let i = 0; i < m; i++) {
      for (let a = 0; a < n1; a++) {
        for (let b = a + 1; b < n1; b++) {
          const v = 0.5 * (t[i * n1 * n1 + a * n1 + b] + t[i * n1 * n1 + b * n1 + a]);
          t[i * n1 * n1 + a * n1 + b] = v;
          t[i * n1 * n1 + b * n1 + a] = v;
        }
      }
    }
    op = symmetricOperatorFromTensor(t, m, n1, { backend: be });
  } else if (kind === 'completion') {
    const idx = rng.sampleWithoutReplacement(n1 * n2, m);
    const rows = Int32Array.from(idx, (e) => Math.floor(e / n2));
    const cols = Int32Array.from(idx, (e) => e % n2);
    op = new CompletionOperator(n1, n2, rows, cols);
  } else {
    op = new DiagonalOperator(rng.normalMat(m, n1), { backend: be });
  }
  const y = rng.fillNormal(new Float64Array(m));
  return { n1, n2, op, y, psd: false };
}

function randomParams(model: Model, seed: number, std = 0.7): Mat[] {
  const rng = Random.fromSeed(seed);
  return model.factorShapes.map(([r, c]) => rng.normalMat(r, c, std));
}

interface Case {
  label: string;
  spec: ModelSpec;
  square: boolean;
}

const CASES: Case[] = [
  { label: 'psd k=n', spec: { kind: 'psd', width: 6 }, square: true },
  { label: 'psd k=3', spec: { kind: 'psd', width: 3 }, square: true },
  { label: 'asymmetric k=4', spec: { kind: 'asymmetric', width: 4 }, square: false },
  { label: 'deep N=1', spec: { kind: 'deep', depth: 1 }, square: false },
  { label: 'deep N=2 widths [3]', spec: { kind: 'deep', depth: 2, widths: [3] }, square: false },
  { label: 'deep N=3 widths [4, 8]', spec: { kind: 'deep', depth: 3, widths: [4, 8] }, square: false },
  { label: 'deep N=4 default widths', spec: { kind: 'deep', depth: 4 }, square: false },
  { label: 'udu k=4', spec: { kind: 'udu', width: 4, radius: 1 }, square: true },
];

const OPS: OperatorKind[] = ['dense', 'symmetric', 'completion', 'diagonal'];
const LOSSES: LossKind[] = ['mse', 'half-sse'];
const MODES: SparseChoice[] = ['auto', 'always', 'never'];

function shapeFor(c: Case, op: OperatorKind): [number, number] {
  if (c.square || op === 'symmetric' || op === 'diagonal') return [6, 6];
  return [5, 7];
}

function mFor(op: OperatorKind, n1: number, n2: number): number {
  return op === 'completion' ? Math.floor((n1 * n2) / 2) : op === 'diagonal' ? 4 : 12;
}

for (const be of testBackends()) {
  describe(`models on the ${be.name} backend`, () => {
    describe('analytic gradients against central differences', () => {
      for (const c of CASES) {
        for (const opKind of OPS) {
          for (const loss of LOSSES) {
            for (const mode of MODES) {
              it(`${c.label} / ${opKind} / ${loss} / sparse=${mode}`, () => {
                const [n1, n2] = shapeFor(c, opKind);
                const problem = makeProblem(opKind, n1, n2, mFor(opKind, n1, n2), 11, be);
                const model = createModel(c.spec, problem, loss, be, { sparse: mode });
                const params = randomParams(model, 5);
                const grads = model.factorShapes.map(([r, cc]) => zeros(r, cc));
                const value = model.lossAndGradient(params, grads);
                const w = referenceW(model.kind, params);
                assertAllclose(value, referenceLoss(problem, loss, w), { rtol: 1e-12 }, 'loss');
                assertAllclose(model.lossAt(params), value, { rtol: 1e-12 }, 'lossAt');
                const fd = fdGradient(model, params);
                for (let i = 0; i < grads.length; i++) gradClose(grads[i], fd[i], `d/d${model.factorNames[i]}`);
                // dL/dW, dense, at the last lossAndGradient (lossAt calls in between do not disturb it).
                const gw = model.endToEndGradient(zeros(n1, n2));
                assertAllclose(gw, referenceGradW(problem, loss, w), { rtol: 1e-12, atol: 1e-12 * maxAbs(gw) }, 'dL/dW');
              });
            }
          }
        }
      }
    });

    describe('end-to-end matrix', () => {
      for (const c of CASES) {
        it(`${c.label}: W equals the explicit product`, () => {
          const [n1, n2] = c.square ? [6, 6] : [5, 7];
          const problem = makeProblem('dense', n1, n2, 3, 2, be);
          for (const mode of MODES) {
            const model = createModel(c.spec, problem, 'mse', be, { sparse: mode });
            const params = randomParams(model, 8);
            const out = model.endToEnd(params, zeros(n1, n2));
            assertAllclose(out, referenceW(model.kind, params), { rtol: 1e-13, atol: 1e-14 }, 'W');
          }
        });
      }
      it('deep: the sparse schedule computes W on demand too', () => {
        const problem = makeProblem('completion', 5, 7, 6, 2, be);
        const model = new DeepModel(problem, 'mse', 4, [3, 6, 2], be, { sparse: 'always' });
        const params = randomParams(model, 3);
        assertAllclose(model.endToEnd(params, zeros(5, 7)), referenceW('deep', params), { rtol: 1e-13, atol: 1e-14 }, 'W');
      });
    });

    describe('no allocation per evaluation', () => {
      for (const c of CASES) {
        for (const opKind of OPS) {
          it(`${c.label} / ${opKind}: 1000 calls, identical results, no Float64Array created`, () => {
            const [n1, n2] = shapeFor(c, opKind);
            const problem = makeProblem(opKind, n1, n2, mFor(opKind, n1, n2), 4, be);
            const model = createModel(c.spec, problem, 'mse', be);
            const params = randomParams(model, 6);
            const grads = model.factorShapes.map(([r, cc]) => zeros(r, cc));
            const first = model.lossAndGradient(params, grads);
            const firstGrads = grads.map(copy);
            const Original = globalThis.Float64Array;
            let created = 0;
            globalThis.Float64Array = class extends Original {
              constructor(...args: unknown[]) {
                super(...(args as [number]));
                created++;
              }
            } as Float64ArrayConstructor;
            let same = true;
            try {
              for (let t = 0; t < 1000; t++) same = model.lossAndGradient(params, grads) === first && same;
            } finally {
              globalThis.Float64Array = Original;
            }
            expect(created).toBe(0);
            expect(same).toBe(true);
            for (let i = 0; i < grads.length; i++) expect(Array.from(grads[i].data)).toEqual(Array.from(firstGrads[i].data));
          });
        }
      }
    });

    describe('udu projection', () => {
      const problem = makeProblem('symmetric', 6, 6, 5, 1, be);
      const model = new UduModel(problem, 'half-sse', 4, 0.8, be);
      const radius = 0.8;

      it('is feasible, idempotent and leaves feasible points alone', () => {
        const rng = Random.fromSeed(3);
        for (let t = 0; t < 20; t++) {
          const u = rng.normalMat(6, 4, t % 2 === 0 ? 1 : 0.05);
          const d = rng.normalMat(1, 4);
          const p = [copy(u), copy(d)];
          model.project(p);
          expect(frobeniusNorm(p[0])).toBeLessThanOrEqual(radius * (1 + 1e-15));
          for (const v of p[1].data) expect(v).toBeGreaterThanOrEqual(0);
          const q = [copy(p[0]), copy(p[1])];
          model.project(q);
          assertAllclose(q[0], p[0], { rtol: 4e-16 }, 'U twice');
          expect(Array.from(q[1].data)).toEqual(Array.from(p[1].data));
          if (frobeniusNorm(u) <= radius) expect(Array.from(p[0].data)).toEqual(Array.from(u.data));
        }
      });

      it('is the Euclidean projection onto the ball x orthant', () => {
        const rng = Random.fromSeed(4);
        const u = rng.normalMat(6, 4);
        const d = rng.normalMat(1, 4);
        const p = [copy(u), copy(d)];
        model.project(p);
        // Closed forms.
        const s = radius / frobeniusNorm(u);
        assertAllclose(p[0], matOf(6, 4, u.data.map((x) => x * s)), { rtol: 1e-15 }, 'U');
        expect(Array.from(p[1].data)).toEqual(Array.from(d.data, (x) => Math.max(x, 0)));
        // Optimality: <x - P(x), z - P(x)> <= 0 and ||x - P(x)|| <= ||x - z|| for feasible z.
        for (let t = 0; t < 200; t++) {
          const zu = rng.normalMat(6, 4);
          const nz = frobeniusNorm(zu);
          const f = (radius * Math.pow(rng.uniform(), 1 / 24)) / nz;
          for (let i = 0; i < zu.data.length; i++) zu.data[i] *= f;
          const zd = Float64Array.from(rng.normalMat(1, 4).data, Math.abs);
          let vi = 0, distP = 0, distZ = 0;
          for (let i = 0; i < 24; i++) {
            vi += (u.data[i] - p[0].data[i]) * (zu.data[i] - p[0].data[i]);
            distP += (u.data[i] - p[0].data[i]) ** 2;
            distZ += (u.data[i] - zu.data[i]) ** 2;
          }
          for (let i = 0; i < 4; i++) {
            vi += (d.data[i] - p[1].data[i]) * (zd[i] - p[1].data[i]);
            distP += (d.data[i] - p[1].data[i]) ** 2;
            distZ += (d.data[i] - zd[i]) ** 2;
          }
          expect(vi).toBeLessThanOrEqual(1e-14);
          expect(distP).toBeLessThanOrEqual(distZ);
        }
      });

      it('psd, asymmetric and deep have no constraint', () => {
        const psd = new PsdModel(problem, 'mse', 3, be);
        const u = Random.fromSeed(1).normalMat(6, 3, 10);
        const before = copy(u);
        psd.project([u]);
        expect(Array.from(u.data)).toEqual(Array.from(before.data));
      });
    });

    describe('initialization', () => {
      const big = makeProblem('completion', 100, 100, 50, 9, be);

      it('gaussian: ||W(0)||_F / (scale sqrt(n)) in [0.8, 1.2] at n = 100, depths 1..4 (Arora et al.)', () => {
        for (let depth = 1; depth <= 4; depth++) {
          const model = new DeepModel(big, 'mse', depth, undefined, be);
          for (const scale of [1e-3, 1]) {
            for (let seed = 0; seed < 5; seed++) {
              const params = initialize({ kind: 'gaussian', scale }, model, big, Random.fromSeed(seed), be);
              for (const p of params) {
                const std = Math.sqrt(p.data.reduce((s, x) => s + x * x, 0) / p.data.length);
                assertAllclose(std, Math.pow(scale, 1 / depth) / 10, { rtol: 0.05 }, 'factor std');
              }
              const ratio = frobeniusNorm(model.endToEnd(params, zeros(100, 100))) / (scale * 10);
              expect(ratio).toBeGreaterThanOrEqual(0.8);
              expect(ratio).toBeLessThanOrEqual(1.2);
            }
          }
        }
      });

      it('gaussian: E||W(0)||_F^2 = scale^2 sqrt(n1 n2) for unequal widths', () => {
        const p = makeProblem('completion', 40, 90, 10, 9, be);
        const model = new DeepModel(p, 'mse', 3, [70, 30], be);
        let mean = 0;
        const seeds = 40;
        for (let seed = 0; seed < seeds; seed++) {
          const params = initialize({ kind: 'gaussian', scale: 0.1 }, model, p, Random.fromSeed(seed), be);
          mean += frobeniusNorm(model.endToEnd(params, zeros(40, 90))) ** 2 / seeds;
        }
        assertAllclose(mean / (0.01 * Math.sqrt(40 * 90)), 1, { rtol: 0.1 }, 'mean ||W||^2 / (scale^2 n)');
      });

      it('gaussian on udu: U as for psd, D = 1', () => {
        const p = makeProblem('symmetric', 8, 8, 3, 2, be);
        const udu = new UduModel(p, 'mse', 5, 1, be);
        const psd = new PsdModel(p, 'mse', 5, be);
        const a = initialize({ kind: 'gaussian', scale: 0.5 }, udu, p, Random.fromSeed(1), be);
        const b = initialize({ kind: 'gaussian', scale: 0.5 }, psd, p, Random.fromSeed(1), be);
        expect(Array.from(a[0].data)).toEqual(Array.from(b[0].data));
        expect(Array.from(a[1].data)).toEqual([1, 1, 1, 1, 1]);
      });

      it('identity: every factor scale^(1/N) I, so W(0) = scale I', () => {
        for (let depth = 1; depth <= 4; depth++) {
          const p = makeProblem('dense', 5, 5, 2, 1, be);
          const model = new DeepModel(p, 'mse', depth, undefined, be);
          const params = initialize({ kind: 'identity', scale: 0.3 }, model, p, Random.fromSeed(0), be);
          for (const f of params) assertAllclose(f, matOf(5, 5, identity(5).data.map((x) => x * Math.pow(0.3, 1 / depth))), { rtol: 1e-15 }, 'factor');
          assertAllclose(model.endToEnd(params, zeros(5, 5)), matOf(5, 5, identity(5).data.map((x) => 0.3 * x)), { rtol: 1e-14 }, 'W');
        }
        const p = makeProblem('dense', 4, 6, 2, 1, be);
        const model = new DeepModel(p, 'mse', 2, [3], be);
        const [w1, w2] = initialize({ kind: 'identity', scale: 4 }, model, p, Random.fromSeed(0), be);
        expect(w1.data[0]).toBe(2);
        expect(w1.data[1 * 6 + 1]).toBe(2);
        expect(w1.data[1]).toBe(0);
        expect(w2.data[2 * 3 + 2]).toBe(2);
        expect(w2.data[3 * 3 + 2]).toBe(0);
      });

      it('orthogonal: every factor scale^(1/N) times orthonormal columns or rows', () => {
        const p = makeProblem('dense', 6, 9, 2, 1, be);
        const model = new DeepModel(p, 'mse', 3, [4, 12], be);
        const params = initialize({ kind: 'orthogonal', scale: 8 }, model, p, Random.fromSeed(5), be);
        for (const f of params) {
          const g = f.rows >= f.cols ? mm(tr(f), f) : mm(f, tr(f));
          const k = Math.min(f.rows, f.cols);
          assertAllclose(g, matOf(k, k, identity(k).data.map((x) => 4 * x)), { rtol: 1e-13, atol: 1e-13 }, 'F^T F (c = 8^(1/3) = 2)');
        }
        const sq = makeProblem('dense', 7, 7, 2, 1, be);
        const m3 = new DeepModel(sq, 'mse', 3, undefined, be);
        const w = m3.endToEnd(initialize({ kind: 'orthogonal', scale: 0.5 }, m3, sq, Random.fromSeed(2), be), zeros(7, 7));
        assertAllclose(mm(tr(w), w), matOf(7, 7, identity(7).data.map((x) => 0.25 * x)), { rtol: 1e-13, atol: 1e-14 }, 'W^T W');
      });

      it('balanced: W_(j+1)^T W_(j+1) = W_j W_j^T to 1e-12, ||W(0)||_F = scale sqrt(n)', () => {
        const configs: Array<[number, number, number, number[] | undefined]> = [
          [20, 20, 1, undefined], [20, 20, 2, undefined], [20, 20, 3, undefined], [20, 20, 4, undefined],
          [12, 18, 3, [15, 9]], [16, 10, 4, [20, 7, 30]],
        ];
        for (const [n1, n2, depth, widths] of configs) {
          const p = makeProblem('completion', n1, n2, 5, 1, be);
          const model = new DeepModel(p, 'mse', depth, widths, be);
          const params = initialize({ kind: 'balanced', scale: 0.7 }, model, p, Random.fromSeed(depth), be);
          for (let j = 0; j + 1 < depth; j++) {
            const lhs = mm(tr(params[j + 1]), params[j + 1]);
            const rhs = mm(params[j], tr(params[j]));
            assertAllclose(lhs, rhs, { atol: 1e-12 * maxAbs(rhs) }, `balance ${j + 1}`);
          }
          const w = model.endToEnd(params, zeros(n1, n2));
          assertAllclose(frobeniusNorm(w), 0.7 * Math.pow(n1 * n2, 0.25), { rtol: 1e-12 }, '||W||_F');
          const r = Math.min(...model.dims);
          const sv = be.singularValues(w);
          for (let i = r; i < sv.length; i++) expect(sv[i]).toBeLessThan(1e-12 * sv[0]);
        }
        const p = makeProblem('dense', 8, 5, 2, 1, be);
        const asym = new AsymmetricModel(p, 'mse', 3, be);
        const [u, v] = initialize({ kind: 'balanced', scale: 2 }, asym, p, Random.fromSeed(1), be);
        assertAllclose(mm(tr(u), u), mm(tr(v), v), { atol: 1e-12 * maxAbs(mm(tr(v), v)) }, 'U^T U = V^T V');
        expect(() => initialize({ kind: 'balanced', scale: 1 }, new PsdModel(p.n1 === p.n2 ? p : makeProblem('dense', 5, 5, 2, 1, be), 'mse', 3, be),
          makeProblem('dense', 5, 5, 2, 1, be), Random.fromSeed(1), be)).toThrow(/^init: balanced/);
      });

      it('scaled-direction: ||U||_F = xi, D = 1 (Hou et al.)', () => {
        const p = makeProblem('symmetric', 9, 9, 3, 1, be);
        for (const model of [new UduModel(p, 'mse', 9, 1, be), new PsdModel(p, 'mse', 4, be)] as Model[]) {
          const params = initialize({ kind: 'scaled-direction', xi: 0.01 }, model, p, Random.fromSeed(2), be);
          assertAllclose(frobeniusNorm(params[0]), 0.01, { rtol: 1e-14 }, '||U||_F');
          if (model.kind === 'udu') expect(Array.from(params[1].data)).toEqual(new Array(9).fill(1));
        }
      });

      describe('svd start', () => {
        /** t A*(y) from the dense tensor, and a check that t is the exact line-search step. */
        function start(problem: Problem): Mat {
          const op = problem.op, t = op.toDenseTensor(), nn = op.n1 * op.n2;
          const x = zeros(op.n1, op.n2);
          for (let i = 0; i < op.m; i++) for (let e = 0; e < nn; e++) x.data[e] += problem.y[i] * t[i * nn + e];
          const z = referenceApply(op, x);
          const step = x.data.reduce((s, v) => s + v * v, 0) / z.reduce((s, v) => s + v * v, 0);
          return matOf(op.n1, op.n2, x.data.map((v) => v * step));
        }

        it('psd: U U^T is the top-r PSD part of the symmetrized t A*(y)', () => {
          const p = makeProblem('symmetric', 8, 8, 30, 3, be);
          const model = new PsdModel(p, 'half-sse', 6, be);
          const [u] = initialize({ kind: 'svd', rank: 2 }, model, p, Random.fromSeed(0), be);
          const x = start(p);
          const xs = matOf(8, 8, x.data.map((_, e) => 0.5 * (x.data[e] + x.data[(e % 8) * 8 + Math.floor(e / 8)])));
          const lam = be.eigvalsh(xs);
          const w = mm(u, tr(u));
          const mu = be.eigvalsh(w);
          // The two largest eigenvalues agree; the rest of W's are 0.
          assertAllclose([mu[7], mu[6]], [lam[7], lam[6]], { rtol: 1e-12 }, 'top eigenvalues');
          for (let i = 0; i < 6; i++) expect(Math.abs(mu[i])).toBeLessThan(1e-12 * lam[7]);
          // (X - W) U = 0: the columns of U are eigenvectors of X.
          const res = mm(matOf(8, 8, xs.data.map((v, e) => v - w.data[e])), u);
          expect(maxAbs(res)).toBeLessThan(1e-12 * maxAbs(xs) * maxAbs(u) * 8);
          for (let i = 0; i < 8; i++) for (let c = 2; c < 6; c++) expect(u.data[i * 6 + c]).toBe(0);
          // The line-search property: <A(X1), A(t X1) - y> = 0 for X1 = A*(y).
          const z = referenceApply(p.op, x);
          const dot = z.reduce((s, v, i) => s + v * (v - p.y[i]), 0);
          expect(Math.abs(dot)).toBeLessThan(1e-10 * z.reduce((s, v) => s + v * v, 0));
        });

        it('asymmetric and deep: W(0) is the rank-r truncated SVD of t A*(y)', () => {
          const p = makeProblem('dense', 7, 9, 40, 3, be);
          const x = start(p);
          const s = be.singularValues(x);
          const models: Model[] = [new AsymmetricModel(p, 'mse', 5, be), new DeepModel(p, 'mse', 3, [6, 4], be), new DeepModel(p, 'mse', 1, undefined, be)];
          for (const model of models) {
            const r = model.kind === 'deep' && model.factorShapes.length === 1 ? 7 : 3;
            const params = initialize({ kind: 'svd', rank: model.factorShapes.length === 1 ? undefined : 3 }, model, p, Random.fromSeed(0), be);
            const w = model.endToEnd(params, zeros(7, 9));
            const sw = be.singularValues(w);
            for (let i = 0; i < r; i++) assertAllclose(sw[i], s[i], { rtol: 1e-12 }, `sigma_${i}`);
            for (let i = r; i < sw.length; i++) expect(sw[i]).toBeLessThan(1e-12 * s[0]);
            // X - W is orthogonal to W's row and column spaces.
            const d = matOf(7, 9, x.data.map((v, e) => v - w.data[e]));
            expect(maxAbs(mm(tr(d), w))).toBeLessThan(1e-12 * s[0] * s[0]);
            expect(maxAbs(mm(d, tr(w)))).toBeLessThan(1e-12 * s[0] * s[0]);
          }
        });

        it('udu: ||U||_F = radius and U diag(D) U^T = the top-r PSD part', () => {
          const p = makeProblem('symmetric', 6, 6, 30, 5, be);
          const model = new UduModel(p, 'mse', 4, 0.5, be);
          const psd = new PsdModel(p, 'mse', 4, be);
          const [u, d] = initialize({ kind: 'svd', rank: 3 }, model, p, Random.fromSeed(0), be);
          const [up] = initialize({ kind: 'svd', rank: 3 }, psd, p, Random.fromSeed(0), be);
          assertAllclose(frobeniusNorm(u), 0.5, { rtol: 1e-14 }, '||U||_F');
          for (const v of d.data) expect(v).toBeGreaterThanOrEqual(0);
          assertAllclose(model.endToEnd([u, d], zeros(6, 6)), mm(up, tr(up)), { rtol: 1e-12, atol: 1e-14 }, 'W');
        });

        it('rejects a rank the widths cannot hold', () => {
          const p = makeProblem('dense', 5, 5, 10, 5, be);
          expect(() => initialize({ kind: 'svd', rank: 4 }, new PsdModel(p, 'mse', 3, be), p, Random.fromSeed(0), be))
            .toThrow('rank: expected an integer in [1, 3], got 4');
        });
      });

      describe('file', () => {
        const p = makeProblem('dense', 6, 5, 3, 1, be);
        it('reads factors by name, copies them, and accepts D as k x 1', () => {
          const model = new DeepModel(p, 'mse', 2, [4], be);
          const w1 = Random.fromSeed(1).normalMat(4, 5), w2 = Random.fromSeed(2).normalMat(6, 4);
          const params = initialize({ kind: 'file', factors: new Map([['W1', w1], ['W2', w2], ['W', zeros(6, 5)]]) }, model, p, Random.fromSeed(0), be);
          expect(Array.from(params[0].data)).toEqual(Array.from(w1.data));
          expect(params[1].data).not.toBe(w2.data);
          const sq = makeProblem('symmetric', 5, 5, 3, 1, be);
          const udu = new UduModel(sq, 'mse', 3, 1, be);
          const [, d] = initialize({ kind: 'file', factors: new Map([['U', zeros(5, 3)], ['D', matOf(3, 1, Float64Array.of(1, 2, 3))]]) }, udu, sq, Random.fromSeed(0), be);
          expect([d.rows, d.cols]).toEqual([1, 3]);
        });
        it('names a missing factor, a wrong shape, an extra factor and a non-finite value', () => {
          const model = new DeepModel(p, 'mse', 2, [4], be);
          const spec = (entries: Array<[string, Mat]>) => ({ kind: 'file' as const, factors: new Map(entries) });
          expect(() => initialize(spec([['W1', zeros(4, 5)]]), model, p, Random.fromSeed(0), be)).toThrow(/^W2: missing from the factor file/);
          expect(() => initialize(spec([['W1', zeros(4, 5)], ['W2', zeros(6, 3)]]), model, p, Random.fromSeed(0), be))
            .toThrow('W2: expected shape 6x4, got 6x3');
          expect(() => initialize(spec([['W1', zeros(4, 5)], ['W2', zeros(6, 4)], ['W3', zeros(6, 6)]]), model, p, Random.fromSeed(0), be))
            .toThrow(/^W3: not a factor of this deep model/);
          const bad = zeros(6, 4);
          bad.data[5] = Number.NaN;
          expect(() => initialize(spec([['W1', zeros(4, 5)], ['W2', bad]]), model, p, Random.fromSeed(0), be))
            .toThrow('W2: expected finite values, got NaN at (1, 1)');
        });
      });
    });
  });
}

describe('model construction errors name the field', () => {
  const be = testBackends()[0];
  const rect = makeProblem('dense', 4, 6, 3, 1, be);
  const sq = makeProblem('dense', 4, 4, 3, 1, be);
  it.each([
    [{ kind: 'psd', width: 2 }, rect, /^model: psd needs a square problem \(n1 = n2\), got 4x6$/],
    [{ kind: 'udu', width: 2 }, rect, /^model: udu needs a square problem/],
    [{ kind: 'psd', width: 0 }, sq, /^width: expected an integer >= 1, got 0$/],
    [{ kind: 'asymmetric', width: 2.5 }, sq, /^width: expected an integer >= 1, got 2.5$/],
    [{ kind: 'deep', depth: 0 }, sq, /^depth: expected an integer >= 1, got 0$/],
    [{ kind: 'deep', depth: 3, widths: [4] }, sq, /^widths: expected 2 hidden widths d_1..d_2 for depth 3/],
    [{ kind: 'deep', depth: 2, widths: [5, 3, 4] }, rect, /^widths: a full chain d_0..d_2 must start at n2 = 6 and end at n1 = 4/],
    [{ kind: 'deep', depth: 3, widths: [4, 0] }, sq, /^widths\[1\]: expected an integer >= 1, got 0$/],
    [{ kind: 'udu', width: 2, radius: -1 }, sq, /^radius: expected a positive finite number, got -1$/],
    [{ kind: 'cnn', width: 2 }, sq, /^model: expected "psd", "asymmetric", "deep" or "udu", got "cnn"$/],
  ] as Array<[ModelSpec, Problem, RegExp]>)('%o', (spec, problem, message) => {
    expect(() => createModel(spec, problem, 'mse', be)).toThrow(message);
  });
  it('loss and y', () => {
    expect(() => createModel({ kind: 'psd', width: 2 }, sq, 'l1' as LossKind, be)).toThrow(/^loss: expected "mse" or "half-sse", got "l1"$/);
    expect(() => createModel({ kind: 'psd', width: 2 }, { ...sq, y: new Float64Array(2) }, 'mse', be)).toThrow(/^y: expected 3 values/);
  });
  it('deepDims accepts hidden widths or the full chain', () => {
    expect(deepDims(100, 100, 3)).toEqual([100, 100, 100, 100]);
    expect(deepDims(8, 6, 3, [5, 7])).toEqual([6, 5, 7, 8]);
    expect(deepDims(8, 6, 2, [6, 4, 8])).toEqual([6, 4, 8]);
    expect(deepDims(8, 6, 2)).toEqual([6, 6, 8]);
    expect(deepDims(8, 6, 1)).toEqual([6, 8]);
  });
  it('a parameter of the wrong shape is a one-line error naming the factor', () => {
    const model = createModel({ kind: 'deep', depth: 2, widths: [3] }, rect, 'mse', be);
    expect(() => model.lossAt([zeros(3, 6), zeros(4, 2)])).toThrow('lossAt: W2: expected shape 4x3, got 4x2');
    expect(() => model.endToEndGradient(zeros(4, 6))).toThrow('endToEndGradient: call lossAndGradient first');
  });
});
