/*
 * The optimizers against updates computed by hand on tiny inputs.
 *
 * Inputs are dyadic where possible (lr, decay rates, parameters and gradients are
 * sums of powers of two) so that the expected values below are exact in float64 and
 * compared with toBe; where a square root or a division by a non-dyadic number
 * enters, the closed form is compared to 1e-15 relative.
 */
import { describe, expect, it } from 'vitest';
import { encodeNpz, readNpz } from '../src/io/npz.js';
import { type Mat, matFrom } from '../src/linalg/mat.js';
import { adam } from '../src/optim/adam.js';
import { createOptimizer, resolveOptimizerSpec, type OptimizerSpec } from '../src/optim/create.js';
import { gd } from '../src/optim/gd.js';
import { groupRmsprop } from '../src/optim/grouprmsprop.js';
import { momentum } from '../src/optim/momentum.js';
import type { OptimizerState } from '../src/optim/optimizer.js';
import {
  decodeExactNumber,
  deserializeOptimizerState,
  encodeExactNumber,
  optimizerStateFromJson,
  optimizerStateToJson,
  serializeOptimizerState,
} from '../src/optim/state.js';
import { assertAllclose } from './helpers/allclose.js';

const RTOL = { rtol: 1e-15, atol: 0 };

function bytesOf(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameBits(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(bytesOf(actual)).equals(Buffer.from(bytesOf(expected)))).toBe(true);
}

describe('gd', () => {
  it('p <- p - lr g, exactly, for 3 steps', () => {
    const opt = gd({ lr: 0.25 });
    const p = [matFrom([[1, 2], [3, 4]]), matFrom([[-1]])];
    const data0 = p[0].data;
    const state = opt.init(p);
    expect(state).toEqual({ step: 0, buffers: [], scalars: {} });
    const g = [matFrom([[0.5, -1], [2, 0]]), matFrom([[4]])];
    opt.update(p, g, state);
    expect(Array.from(p[0].data)).toEqual([0.875, 2.25, 2.5, 4]);
    expect(p[1].data[0]).toBe(-2);
    opt.update(p, g, state);
    opt.update(p, g, state);
    expect(Array.from(p[0].data)).toEqual([0.625, 2.75, 1.5, 4]);
    expect(p[1].data[0]).toBe(-4);
    expect(state.step).toBe(3);
    expect(p[0].data).toBe(data0); // in place
  });

  it('refuses gradients that do not match the parameters', () => {
    const opt = gd({ lr: 1 });
    const p = [matFrom([[1, 2]])];
    const s = opt.init(p);
    expect(() => opt.update(p, [matFrom([[1], [2]])], s)).toThrow('grads[0]: expected shape 1x2 like params[0], got 2x1');
    expect(() => opt.update(p, [], s)).toThrow('grads: expected 1 gradients (one per parameter), got 0');
  });
});

describe('grouprmsprop', () => {
  it('uses ONE global second moment over all parameters, bias-corrected (hand-computed, alpha = 1/2)', () => {
    // alpha = 1/2, eps = 1/2, lr = 1. Two parameters; ||g||^2 summed over both.
    const opt = groupRmsprop({ lr: 1, alpha: 0.5, eps: 0.5 });
    const p = [matFrom([[1, 1]]), matFrom([[1]])];
    const state = opt.init(p);
    expect(state).toEqual({ step: 0, buffers: [], scalars: { v: 0 } });

    // Step 1: g = ([1, 1], [sqrt2]) -> sum ||g||^2 = 4; v = 2; v_hat = 2 / (1 - 1/2) = 4;
    // step = 1 / (2 + 1/2) = 0.4 for BOTH parameters.
    const g1 = [matFrom([[1, 1]]), matFrom([[Math.SQRT2]])];
    opt.update(p, g1, state);
    expect(state.scalars.v).toBe(2);
    expect(state.step).toBe(1);
    assertAllclose(p[0], [0.6, 0.6], RTOL);
    assertAllclose(p[1], [1 - 0.4 * Math.SQRT2], RTOL);

    // Step 2: g = ([2, 0], [0]) -> sum = 4; v = 1 + 2 = 3; v_hat = 3 / (3/4) = 4; step 0.4 again.
    const g2 = [matFrom([[2, 0]]), matFrom([[0]])];
    opt.update(p, g2, state);
    expect(state.scalars.v).toBe(3);
    assertAllclose(p[0], [0.6 - 0.8, 0.6], RTOL);

    // Step 3: g = ([0, 0], [4]) -> sum = 16; v = 1.5 + 8 = 9.5; v_hat = 9.5 / (7/8) = 76/7;
    // step = 1 / (sqrt(76/7) + 1/2).
    const g3 = [matFrom([[0, 0]]), matFrom([[4]])];
    const before = p[1].data[0];
    opt.update(p, g3, state);
    expect(state.scalars.v).toBe(9.5);
    assertAllclose(p[1], [before - (4 * 1) / (Math.sqrt(76 / 7) + 0.5)], RTOL);
    expect(state.step).toBe(3);
  });

  it('bias correction: with a constant gradient every step is lr / (||g|| + eps) (defaults alpha 0.99, eps 1e-4)', () => {
    // v_t = (1 - alpha^t) ||g||^2, so v_hat = ||g||^2 at every t. Without the correction
    // the first step would be lr / (0.1 ||g|| + eps), ten times larger.
    const opt = groupRmsprop({ lr: 0.01 });
    expect(opt.options).toEqual({ lr: 0.01, alpha: 0.99, eps: 1e-4 });
    const p = [matFrom([[0, 0]]), matFrom([[0], [0]])];
    const g = [matFrom([[3, 0]]), matFrom([[0], [4]])]; // ||g|| = 5 over both
    const state = opt.init(p);
    const step = 0.01 / (5 + 1e-4);
    for (let t = 1; t <= 3; t++) {
      opt.update(p, g, state);
      assertAllclose(p[0], [-3 * step * t, 0], { rtol: 4e-15 }, `p0 at t=${t}`);
      assertAllclose(p[1], [0, -4 * step * t], { rtol: 4e-15 }, `p1 at t=${t}`);
    }
  });
});

describe('momentum', () => {
  const g1 = matFrom([[1, -2]]);
  const g2 = matFrom([[0.5, 1]]);
  const g3 = matFrom([[-1, 0]]);

  it('heavy ball: b <- mu b + g; p <- p - lr b (hand-computed, exact)', () => {
    const opt = momentum({ lr: 0.25, momentum: 0.5 });
    const p = [matFrom([[1, 1]])];
    const s = opt.init(p);
    expect(Array.from(s.buffers[0])).toEqual([0, 0]);
    opt.update(p, [g1], s); // b = [1, -2]; p = [0.75, 1.5]
    expect(Array.from(s.buffers[0])).toEqual([1, -2]);
    expect(Array.from(p[0].data)).toEqual([0.75, 1.5]);
    opt.update(p, [g2], s); // b = [1, 0]; p = [0.5, 1.5]
    expect(Array.from(s.buffers[0])).toEqual([1, 0]);
    expect(Array.from(p[0].data)).toEqual([0.5, 1.5]);
    opt.update(p, [g3], s); // b = [-0.5, 0]; p = [0.625, 1.5]
    expect(Array.from(p[0].data)).toEqual([0.625, 1.5]);
    expect(s.step).toBe(3);
  });

  it('Nesterov: b <- mu b + g; p <- p - lr (g + mu b) (hand-computed, exact)', () => {
    const opt = momentum({ lr: 0.25, momentum: 0.5, nesterov: true });
    const p = [matFrom([[1, 1]])];
    const s = opt.init(p);
    opt.update(p, [g1], s); // b = [1, -2]; d = [1.5, -3]; p = [0.625, 1.75]
    expect(Array.from(p[0].data)).toEqual([0.625, 1.75]);
    opt.update(p, [g2], s); // b = [1, 0]; d = [1, 1]; p = [0.375, 1.5]
    expect(Array.from(p[0].data)).toEqual([0.375, 1.5]);
    opt.update(p, [g3], s); // b = [-0.5, 0]; d = [-1.25, 0]; p = [0.6875, 1.5]
    expect(Array.from(p[0].data)).toEqual([0.6875, 1.5]);
    expect(Array.from(s.buffers[0])).toEqual([-0.5, 0]);
  });

  it('momentum 0 is gd', () => {
    const a = momentum({ lr: 0.1, momentum: 0 });
    const b = gd({ lr: 0.1 });
    const pa = [matFrom([[0.3, -0.7]])], pb = [matFrom([[0.3, -0.7]])];
    const sa = a.init(pa), sb = b.init(pb);
    for (const g of [g1, g2, g3]) {
      a.update(pa, [g], sa);
      b.update(pb, [g], sb);
    }
    expectSameBits(pa[0].data, pb[0].data);
  });
});

describe('adam', () => {
  it('bias-corrected moments (hand-computed, beta1 = 1/2, beta2 = 3/4)', () => {
    const lr = 0.125, eps = 2 ** -10;
    const opt = adam({ lr, beta1: 0.5, beta2: 0.75, eps });
    const p = [matFrom([[1, -1]])];
    const s = opt.init(p);
    expect(s.buffers.length).toBe(2);
    // Step 1: g = [2, -4]. m = [1, -2]; v = [1, 4]; m_hat = m / (1/2) = [2, -4];
    // v_hat = v / (1/4) = [4, 16]; p -= lr m_hat / (sqrt(v_hat) + eps).
    opt.update(p, [matFrom([[2, -4]])], s);
    expect(Array.from(s.buffers[0])).toEqual([1, -2]);
    expect(Array.from(s.buffers[1])).toEqual([1, 4]);
    assertAllclose(p[0], [1 - (lr * 2) / (2 + eps), -1 + (lr * 4) / (4 + eps)], RTOL);
    // Step 2: g = [0, 4]. m = [0.5, 1]; v = [0.75, 7]; bc1 = 3/4, bc2 = 7/16;
    // m_hat = [2/3, 4/3]; v_hat = [12/7, 16].
    const p1 = Float64Array.from(p[0].data);
    opt.update(p, [matFrom([[0, 4]])], s);
    expect(Array.from(s.buffers[0])).toEqual([0.5, 1]);
    expect(Array.from(s.buffers[1])).toEqual([0.75, 7]);
    assertAllclose(p[0], [p1[0] - (lr * (2 / 3)) / (Math.sqrt(12 / 7) + eps), p1[1] - (lr * (4 / 3)) / (4 + eps)], RTOL);
    // Step 3: g = [1, 0]. m = [0.75, 0.5]; v = [0.8125, 5.25]; bc1 = 7/8, bc2 = 37/64;
    // m_hat = [6/7, 4/7]; v_hat = [52/37, 336/37].
    const p2 = Float64Array.from(p[0].data);
    opt.update(p, [matFrom([[1, 0]])], s);
    expect(Array.from(s.buffers[0])).toEqual([0.75, 0.5]);
    expect(Array.from(s.buffers[1])).toEqual([0.8125, 5.25]);
    assertAllclose(
      p[0],
      [p2[0] - (lr * (6 / 7)) / (Math.sqrt(52 / 37) + eps), p2[1] - (lr * (4 / 7)) / (Math.sqrt(336 / 37) + eps)],
      RTOL,
    );
    expect(s.step).toBe(3);
  });

  it('defaults: the first step is lr g / (|g| + eps) elementwise', () => {
    const opt = adam({ lr: 1e-3 });
    expect(opt.options).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const p = [matFrom([[0, 0, 0]])];
    const s = opt.init(p);
    opt.update(p, [matFrom([[3, -0.5, 0]])], s);
    assertAllclose(p[0], [(-1e-3 * 3) / (3 + 1e-8), (1e-3 * 0.5) / (0.5 + 1e-8), 0], { rtol: 4e-15 });
  });
});

function sampleStates(): Record<string, OptimizerState> {
  const p = [matFrom([[0.1, 0.2], [0.3, 0.4]]), matFrom([[1e-300, -2.5e300, 7]])];
  const g = [matFrom([[1 / 3, -2 / 7], [Math.PI, -0]]), matFrom([[5e-324, 1e-10, -1]])];
  const out: Record<string, OptimizerState> = {};
  const specs: OptimizerSpec[] = [
    { name: 'gd', lr: 0.1 },
    { name: 'grouprmsprop', lr: 0.1 },
    { name: 'momentum', lr: 0.1, momentum: 0.9, nesterov: true },
    { name: 'adam', lr: 0.1 },
  ];
  for (const spec of specs) {
    const opt = createOptimizer(spec);
    const params = p.map((m) => ({ ...m, data: m.data.slice() }));
    const s = opt.init(params);
    opt.update(params, g, s);
    opt.update(params, g, s);
    out[spec.name] = s;
  }
  return out;
}

function expectSameState(a: OptimizerState, b: OptimizerState): void {
  expect(a.step).toBe(b.step);
  expect(Object.keys(a.scalars)).toEqual(Object.keys(b.scalars));
  for (const k of Object.keys(a.scalars)) expect(Object.is(a.scalars[k], b.scalars[k])).toBe(true);
  expect(a.buffers.length).toBe(b.buffers.length);
  a.buffers.forEach((buf, i) => expectSameBits(buf, b.buffers[i]));
}

describe('optimizer state serialization', () => {
  it('exact numbers survive JSON, -0 and non-finite included', () => {
    for (const x of [0, -0, 1 / 3, 5e-324, -1.7976931348623157e308, NaN, Infinity, -Infinity, 0.1 + 0.2]) {
      const back = decodeExactNumber(JSON.parse(JSON.stringify(encodeExactNumber(x))), 'x');
      expect(Object.is(back, x)).toBe(true);
    }
    expect(() => decodeExactNumber('1.5', 'v')).toThrow('v: expected a number');
  });

  it('every optimizer state round-trips through JSON and through .npz + JSON bit for bit', () => {
    for (const [name, state] of Object.entries(sampleStates())) {
      const viaJson = optimizerStateFromJson(JSON.parse(JSON.stringify(optimizerStateToJson(state))));
      expectSameState(viaJson, state);
      const { arrays, meta } = serializeOptimizerState(state, 'o_');
      const bytes = encodeNpz(arrays);
      const back = deserializeOptimizerState(readNpz(bytes, `${name}.npz`), JSON.parse(JSON.stringify(meta)), 'o_');
      expectSameState(back, state);
    }
  });

  it('a deserialized state continues exactly like the original', () => {
    const opt = createOptimizer({ name: 'adam', lr: 0.01 });
    const mk = (): Mat[] => [matFrom([[0.5, -0.25, 1]])];
    const g = [matFrom([[0.3, -0.1, 2]])];
    const a = mk(), b = mk();
    const sa = opt.init(a), sb = opt.init(b);
    opt.update(a, g, sa);
    opt.update(b, g, sb);
    const sc = optimizerStateFromJson(JSON.parse(JSON.stringify(optimizerStateToJson(sb))));
    opt.update(a, g, sa);
    opt.update(b, g, sc);
    expectSameBits(a[0].data, b[0].data);
  });

  it('reports a missing buffer by name', () => {
    const s = sampleStates().adam;
    const { arrays, meta } = serializeOptimizerState(s);
    arrays.delete('optim_buffer_1');
    expect(() => deserializeOptimizerState(arrays, meta)).toThrow('optim_buffer_1: missing (an optimizer buffer)');
  });
});

describe('createOptimizer', () => {
  it('builds each optimizer with its defaults', () => {
    expect(createOptimizer({ name: 'gd', lr: 0.1 }).name).toBe('gd');
    expect(resolveOptimizerSpec({ name: 'grouprmsprop', lr: 1e-3 })).toEqual({ name: 'grouprmsprop', lr: 1e-3, alpha: 0.99, eps: 1e-4 });
    expect(resolveOptimizerSpec({ name: 'momentum', lr: 0.1 })).toEqual({ name: 'momentum', lr: 0.1, momentum: 0.9, nesterov: false });
    expect(resolveOptimizerSpec({ name: 'adam', lr: 0.1 })).toEqual({ name: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  });

  it('fails with one line naming the field', () => {
    const bad = (spec: unknown, message: string): void => {
      let err: Error | undefined;
      try {
        createOptimizer(spec as OptimizerSpec);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).toBe(message);
      expect(err?.message.includes('\n')).toBe(false);
    };
    bad({ name: 'gd', lr: -0.1 }, 'lr: expected a positive finite number, got -0.1');
    bad({ name: 'gd', lr: NaN }, 'lr: expected a positive finite number, got NaN');
    bad({ name: 'gd', lr: '0.1' }, 'lr: expected a positive finite number, got "0.1"');
    bad({ name: 'gd' }, 'lr: required for gd (a positive finite number)');
    bad({ name: 'sgd', lr: 0.1 }, 'optimizer: expected one of gd, grouprmsprop, momentum, adam, got "sgd"');
    bad({ name: 'adam', lr: 0.1, beta3: 1 }, 'beta3: unknown option of adam (expected lr, beta1, beta2, eps)');
    bad({ name: 'adam', lr: 0.1, beta1: 1 }, 'beta1: expected a number in [0, 1), got 1');
    bad({ name: 'adam', lr: 0.1, eps: 0 }, 'eps: expected a positive finite number, got 0');
    bad({ name: 'grouprmsprop', lr: 0.1, alpha: -0.5 }, 'alpha: expected a number in [0, 1), got -0.5');
    bad({ name: 'momentum', lr: 0.1, momentum: 1.5 }, 'momentum: expected a number in [0, 1), got 1.5');
    bad({ name: 'momentum', lr: 0.1, nesterov: 'yes' }, 'nesterov: expected true or false, got "yes"');
    bad(null, 'optimizer: expected an object with a name, got null');
  });
});
