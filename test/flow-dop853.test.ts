/**
 * DOP853, the Dormand–Prince 8(5,3) pair, on problems with known solutions: the order
 * conditions of its tableau, accuracy against the tolerance, the order of the method and of
 * its dense output (errors against a fixed step), the terminal event, long horizons, the
 * one-entry `integrate`, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { dop853, DOP853_TABLEAU } from '../src/flow/dop853.js';
import { dopri5, type OdeRhs } from '../src/flow/dopri5.js';
import { integrate } from '../src/flow/integrate.js';
import { logistic, logisticExact } from './helpers/logistic.js';

const decay: OdeRhs = (_t, y, dy) => {
  dy[0] = -y[0];
};
const oscillator: OdeRhs = (_t, y, dy) => {
  dy[0] = y[1];
  dy[1] = -y[0];
};
const oscErr = (t: number, y: Float64Array): number => Math.hypot(y[0] - Math.cos(t), y[1] + Math.sin(t));

describe('dop853', () => {
  it('the tableau satisfies the order conditions: 8 for b, 5 for the embedded weights, row sums c', () => {
    const { a, b, c, er, bhh } = DOP853_TABLEAU;
    const dot = (w: readonly number[], v: (j: number) => number): number => w.reduce((s, x, j) => s + x * v(j), 0);
    for (let i = 1; i < a.length; i++) expect(Math.abs(dot(a[i], () => 1) - c[i])).toBeLessThan(1e-14);
    // Bushy trees sum b_i c_i^(k-1) = 1/k and sum b_i a_ij c_j^(k-1) = 1/(k(k+1)) up to order 8.
    for (let k = 1; k <= 8; k++) expect(Math.abs(dot(b, (i) => c[i] ** (k - 1)) - 1 / k)).toBeLessThan(1e-14);
    for (let k = 1; k <= 7; k++) expect(Math.abs(dot(b, (i) => dot(a[i], (j) => c[j] ** (k - 1))) - 1 / (k * (k + 1)))).toBeLessThan(1e-14);
    // ...and not 9: the pair is exactly of order 8 (so the order test below can tell).
    expect(Math.abs(dot(b, (i) => c[i] ** 8) - 1 / 9)).toBeGreaterThan(1e-5);
    // The 5th-order weights b - er, and the 3rd-order estimator's weights sum to 1.
    const b5 = b.map((x, i) => x - er[i]);
    for (let k = 1; k <= 5; k++) expect(Math.abs(dot(b5, (i) => c[i] ** (k - 1)) - 1 / k)).toBeLessThan(1e-14);
    expect(Math.abs(dot(b5, (i) => c[i] ** 5) - 1 / 6)).toBeGreaterThan(1e-4);
    expect(Math.abs(dot(bhh, () => 1) - 1)).toBeLessThan(1e-15);
  });

  it('y\' = -y and the oscillator: the global error follows the tolerance', () => {
    // Measured relative errors at t = 5: 2.3e-5, 2.9e-7, 3.1e-9, 3.1e-11, 3.2e-13 for rtol 1e-4 ... 1e-12.
    for (const rtol of [1e-4, 1e-6, 1e-8, 1e-10, 1e-12]) {
      const r = dop853(decay, 0, Float64Array.of(1), 5, { rtol, atol: rtol * 1e-3 });
      expect(r.status).toBe('done');
      expect(r.t).toBe(5);
      const err = Math.abs(r.y[0] - Math.exp(-5)) / Math.exp(-5);
      expect(err).toBeLessThan(rtol);
      expect(err).toBeGreaterThan(rtol * 1e-3); // proportional to the tolerance, not accidentally exact
      // 11 stages per attempt + the FSAL stage per accepted step + f(t0) + the starting-step probe.
      expect(r.evaluations).toBe(11 * (r.acceptedSteps + r.rejectedSteps) + r.acceptedSteps + 2);
    }
    // Ten periods of the oscillator: measured 4.8e-6, 4.8e-8, 4.7e-10, 4.5e-12 for rtol 1e-6 ... 1e-12.
    const errs = [1e-6, 1e-8, 1e-10, 1e-12].map((rtol) => {
      const T = 20 * Math.PI;
      const r = dop853(oscillator, 0, Float64Array.of(1, 0), T, { rtol, atol: rtol * 1e-2 });
      const e = Math.hypot(r.y[0] - 1, r.y[1]);
      expect(e).toBeLessThan(10 * rtol);
      return e;
    });
    for (let i = 1; i < errs.length; i++) {
      expect(errs[i - 1] / errs[i]).toBeGreaterThan(30);
      expect(errs[i - 1] / errs[i]).toBeLessThan(300);
    }
  });

  it('eighth order: halving a fixed step divides the error by about 2^8 = 256', () => {
    // Tolerances loose enough never to reject, hMax fixes the step; h0 = hMax. The smallest
    // step 0.2 keeps the error (1.3e-12) far above rounding. Measured ratios 261.9, 257.0;
    // the range [200, 320] excludes the neighbouring orders (2^7 = 128, 2^9 = 512).
    const T = 8;
    const err = (h: number): number => {
      const r = dop853(oscillator, 0, Float64Array.of(1, 0), T, { rtol: 1, atol: 1, h0: h, hMax: h });
      expect(r.rejectedSteps).toBe(0);
      expect(r.acceptedSteps).toBe(Math.round(T / h));
      return oscErr(T, r.y);
    };
    const e = [0.8, 0.4, 0.2].map(err);
    for (let i = 1; i < e.length; i++) {
      expect(e[i - 1] / e[i]).toBeGreaterThan(200);
      expect(e[i - 1] / e[i]).toBeLessThan(320);
    }
  });

  it('dense output of one step: error O(h^8) inside (7th order), O(h^9) at the end', () => {
    // One step of size h from t = 0; outputs at theta = 0.1 ... 0.9. Measured interior errors
    // 1.5e-7, 5.8e-10, 2.2e-12 (ratios 261, 257: 2^8), end errors 8.9e-9, 1.7e-11, 3.3e-14
    // (ratios 524, 518: 2^9, the local error of an 8th-order step).
    const one = (h: number): { inside: number; end: number } => {
      const times = [0.1, 0.3, 0.5, 0.7, 0.9].map((s) => s * h);
      const r = dop853(oscillator, 0, Float64Array.of(1, 0), h, { rtol: 1, atol: 1, h0: h, hMax: h, outputTimes: times });
      expect(r.acceptedSteps).toBe(1);
      expect(r.evaluations).toBe(1 + 11 + 1 + 3); // f(t0), stages 2-12, FSAL, the 3 dense-output stages
      return { inside: Math.max(...r.outputs.map((o) => oscErr(o.t, o.y))), end: oscErr(h, r.y) };
    };
    const e = [0.8, 0.4, 0.2].map(one);
    for (let i = 1; i < e.length; i++) {
      expect(e[i - 1].inside / e[i].inside).toBeGreaterThan(200);
      expect(e[i - 1].inside / e[i].inside).toBeLessThan(320);
      expect(e[i - 1].end / e[i].end).toBeGreaterThan(400);
      expect(e[i - 1].end / e[i].end).toBeLessThan(640);
    }
    // Without outputs the three extra stages are not evaluated.
    expect(dop853(oscillator, 0, Float64Array.of(1, 0), 0.4, { rtol: 1, atol: 1, h0: 0.4 }).evaluations).toBe(13);
  });

  it('dense output at requested times, between adaptive steps, to the tolerance', () => {
    const times = Array.from({ length: 201 }, (_, i) => i * 0.05);
    const r = dop853(oscillator, 0, Float64Array.of(1, 0), 10, { rtol: 1e-10, atol: 1e-12, outputTimes: times });
    expect(r.outputs.map((o) => o.t)).toEqual(times);
    expect(r.acceptedSteps).toBeLessThan(times.length / 4); // most outputs fall inside steps
    const worst = Math.max(...r.outputs.map((o) => oscErr(o.t, o.y)));
    const end = oscErr(10, r.y);
    // Measured: interior 1.75e-10, end 7.3e-11 (33 steps; the same ratio 2.4 at rtol 1e-6 and 1e-8).
    expect(end).toBeLessThan(1e-9);
    expect(worst).toBeLessThan(4 * end);
  });

  it('terminal event: y\' = -y first reaches 1/2 at t = ln 2', () => {
    const r = dop853(decay, 0, Float64Array.of(1), 100, { rtol: 1e-12, atol: 1e-14, event: (_t, y) => y[0] - 0.5 });
    expect(r.status).toBe('event');
    expect(Math.abs(r.t - Math.LN2)).toBeLessThan(1e-11);
    expect(Math.abs(r.y[0] - 0.5)).toBeLessThan(1e-11);
    // The event is not met by a g that starts <= 0 (it must fall from > 0).
    expect(dop853(decay, 0, Float64Array.of(1), 2, { event: (_t, y) => y[0] - 2 }).status).toBe('done');
  });

  it('a step limit ends the run with status max_steps', () => {
    const r = dop853(oscillator, 0, Float64Array.of(1, 0), 1000, { maxSteps: 10 });
    expect(r.status).toBe('max_steps');
    expect(r.acceptedSteps + r.rejectedSteps).toBe(10);
    expect(r.t).toBeLessThan(1000);
  });

  it('integrate dispatches on the method name', () => {
    const opts = { rtol: 1e-9, atol: 1e-12, outputTimes: [0.5, 1] };
    for (const [name, fn] of [['dopri5', dopri5], ['dop853', dop853]] as const) {
      const a = integrate(name, oscillator, 0, Float64Array.of(1, 0), 3, opts);
      const b = fn(oscillator, 0, Float64Array.of(1, 0), 3, opts);
      expect(Array.from(a.y)).toEqual(Array.from(b.y));
      expect(a.acceptedSteps).toBe(b.acceptedSteps);
    }
    expect(integrate('dopri5', oscillator, 0, Float64Array.of(1, 0), 3, opts).acceptedSteps)
      .toBeGreaterThan(integrate('dop853', oscillator, 0, Float64Array.of(1, 0), 3, opts).acceptedSteps);
  });

  it('bad input: a one-line RangeError naming the option', () => {
    const y0 = Float64Array.of(1);
    const cases: Array<[string, () => unknown]> = [
      ['rtol: expected a finite number > 0, got 0', () => dop853(decay, 0, y0, 1, { rtol: 0 })],
      ['atol: expected a finite number > 0, got -1', () => dop853(decay, 0, y0, 1, { atol: -1 })],
      ['h0: expected a finite number > 0, got 0', () => dop853(decay, 0, y0, 1, { h0: 0 })],
      ['hMax: expected a finite number > 0, got NaN', () => dop853(decay, 0, y0, 1, { hMax: Number.NaN })],
      ['maxSteps: expected an integer >= 1, got 2.5', () => dop853(decay, 0, y0, 1, { maxSteps: 2.5 })],
      ['outputTimes: expected ascending times in [0, 1], got 2 at index 0', () => dop853(decay, 0, y0, 1, { outputTimes: [2] })],
      ['tEnd: expected a finite time > t0 = 0, got 0', () => dop853(decay, 0, y0, 0)],
      ['y0: entry 0 is Infinity', () => dop853(decay, 0, Float64Array.of(Infinity), 1)],
      ['resume: expected y of length 1 (as y0), got 2', () => dop853(decay, 0, y0, 1, {
        resume: { t: 0.5, y: Float64Array.of(1, 2), h: 0.1, acceptedSteps: 1, rejectedSteps: 0, evaluations: 14, lastRejected: false },
      })],
      ['resume: expected t in [0, 1), got 1', () => dop853(decay, 0, y0, 1, {
        resume: { t: 1, y: Float64Array.of(1), h: 0.1, acceptedSteps: 1, rejectedSteps: 0, evaluations: 14, lastRejected: false },
      })],
      ['resume: expected acceptedSteps an integer >= 0, got -1', () => dop853(decay, 0, y0, 1, {
        resume: { t: 0, y: Float64Array.of(1), h: 0.1, acceptedSteps: -1, rejectedSteps: 0, evaluations: 14, lastRejected: false },
      })],
      ['method: expected one of dopri5, dop853, rodas4, got rk4', () => integrate('rk4' as 'dopri5', decay, 0, y0, 1)],
    ];
    for (const [message, run] of cases) {
      let caught: unknown;
      try {
        run();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(RangeError);
      const m = (caught as RangeError).message;
      expect(m.startsWith(message)).toBe(true);
      expect(m).not.toContain('\n');
    }
  });
});

describe.each([['dopri5', dopri5], ['dop853', dop853]] as const)('long horizons (%s)', (name, method) => {
  it('y\' = -y / (1 + t) to t = 1e8 (y = 1 / (1 + t)) in few steps', () => {
    // The Jacobian -1/(1+t) fades, so the step grows with t. Measured at rtol 1e-10: dopri5 560
    // accepted steps, dop853 175, no rejections, relative errors 7e-16 and 3e-15.
    const r = method((t, y, dy) => {
      dy[0] = -y[0] / (1 + t);
    }, 0, Float64Array.of(1), 1e8, { rtol: 1e-10, atol: 1e-20 });
    expect(r.status).toBe('done');
    expect(r.t).toBe(1e8);
    expect(Math.abs(r.y[0] * (1 + 1e8) - 1)).toBeLessThan(1e-9);
    expect(r.acceptedSteps + r.rejectedSteps).toBeLessThan(name === 'dopri5' ? 700 : 250);
  });

  it('the logistic y\' = y (1 - y) from 1e-12: the rise to the closed form, then steps at the stability limit', () => {
    // y = 1 / (1 + (1/y0 - 1) e^-t) rises around t = ln(1e12) = 27.6. Past it, y = 1 is a stable
    // equilibrium with f'(1) = -1, and an explicit method's step is held at its real stability
    // limit whatever the tolerance (the controller lets the error grow until it rejects): |z| =
    // 3.306 for dopri5, 6.393 for dop853 (the real roots of |R(z)| = 1 of their stability
    // polynomials). So t = 1e8 would cost 1e8 / 3.3 = 3.0e7 or 1e8 / 6.4 = 1.6e7 steps: the
    // horizon is 1e4 here, and the mean step past saturation is checked against that limit.
    // Measured to 1e4 at rtol 1e-10: dopri5 3821 accepted + 493 rejected (831 + 3 up to t = 100),
    // dop853 1666 + 13 (117 + 12 up to t = 100); relative errors along the rise 5.0e-10, 3.7e-10.
    const y0 = 1e-12;
    const exact = logisticExact(y0);
    const times = [1, 10, 20, 25, 27, 27.6, 28, 30, 35, 40, 50, 100, 1e3, 1e4];
    let at100 = 0;
    const r = method(logistic, 0, Float64Array.of(y0), 1e4, {
      rtol: 1e-10, atol: 1e-22, outputTimes: times,
      onStep: (s) => {
        if (at100 === 0 && s.t >= 100) at100 = s.acceptedSteps;
      },
    });
    expect(r.status).toBe('done');
    for (const o of r.outputs) expect(Math.abs(o.y[0] - exact(o.t)) / exact(o.t)).toBeLessThan(2e-9);
    expect(at100).toBeLessThan(name === 'dopri5' ? 1000 : 150);
    const limit = name === 'dopri5' ? 3.306 : 6.393;
    const meanStep = (1e4 - 100) / (r.acceptedSteps - at100);
    expect(meanStep).toBeGreaterThan(0.95 * limit);
    expect(meanStep).toBeLessThan(1.05 * limit);
    expect(r.acceptedSteps + r.rejectedSteps).toBeLessThan(name === 'dopri5' ? 4800 : 1900);
  });
});

describe.each([['dopri5', dopri5], ['dop853', dop853]] as const)('outputs and a terminal event (%s)', (_name, method) => {
  it('returns no output past the event time, even one inside the step that crossed it', () => {
    // Loose tolerances: one step spans the crossing at ln 2 = 0.693 and the output times after it.
    const times = [0.1, 0.5, 0.69, 0.7, 0.75, 0.8, 0.9, 1.5];
    const r = method(decay, 0, Float64Array.of(1), 2, { rtol: 1e-2, atol: 1e-4, outputTimes: times, event: (_t, y) => y[0] - 0.5 });
    expect(r.status).toBe('event');
    expect(Math.abs(r.t - Math.LN2)).toBeLessThan(5e-2);
    expect(r.outputs.map((o) => o.t)).toEqual(times.filter((s) => s <= r.t));
  });
});
