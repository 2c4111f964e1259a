/**
 * The Dormand–Prince 5(4) integrator on problems with known solutions: accuracy against
 * the tolerance, the order of the method (error against a fixed step), dense output, the
 * terminal event, long horizons in few steps, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { dopri5, type OdeRhs } from '../src/flow/dopri5.js';

const decay: OdeRhs = (_t, y, dy) => {
  dy[0] = -y[0];
};
const oscillator: OdeRhs = (_t, y, dy) => {
  dy[0] = y[1];
  dy[1] = -y[0];
};

describe('dopri5', () => {
  it('y\' = -y: the global error follows the tolerance', () => {
    const errors = [1e-4, 1e-7, 1e-10].map((rtol) => {
      const r = dopri5(decay, 0, Float64Array.of(1), 5, { rtol, atol: rtol * 1e-3 });
      expect(r.status).toBe('done');
      expect(r.t).toBe(5);
      return Math.abs(r.y[0] - Math.exp(-5)) / Math.exp(-5);
    });
    expect(errors[0]).toBeLessThan(1e-3);
    expect(errors[1]).toBeLessThan(1e-6);
    expect(errors[2]).toBeLessThan(1e-9);
    expect(errors[2]).toBeLessThan(errors[1]);
  });

  it('fifth order: halving a fixed step divides the error by about 32', () => {
    // Tolerances loose enough never to reject, hMax fixes the step; h0 = hMax.
    const err = (h: number): number => {
      const r = dopri5(oscillator, 0, Float64Array.of(1, 0), 2, { rtol: 1, atol: 1, h0: h, hMax: h });
      return Math.hypot(r.y[0] - Math.cos(2), r.y[1] + Math.sin(2));
    };
    const ratio1 = err(0.2) / err(0.1);
    const ratio2 = err(0.1) / err(0.05);
    expect(ratio1).toBeGreaterThan(25);
    expect(ratio1).toBeLessThan(45);
    expect(ratio2).toBeGreaterThan(25);
    expect(ratio2).toBeLessThan(45);
  });

  it('harmonic oscillator over 10 periods: solution and energy to the tolerance', () => {
    const T = 20 * Math.PI;
    const r = dopri5(oscillator, 0, Float64Array.of(1, 0), T, { rtol: 1e-11, atol: 1e-13 });
    expect(Math.abs(r.y[0] - 1)).toBeLessThan(1e-8);
    expect(Math.abs(r.y[1])).toBeLessThan(1e-8);
    expect(Math.abs(r.y[0] ** 2 + r.y[1] ** 2 - 1)).toBeLessThan(1e-8);
    expect(r.evaluations).toBe(6 * (r.acceptedSteps + r.rejectedSteps) + 2); // FSAL: 6 per step, + f(t0) + the starting-step probe
  });

  it('dense output at requested times, between steps, to the tolerance', () => {
    const times = Array.from({ length: 201 }, (_, i) => i * 0.05);
    const r = dopri5(oscillator, 0, Float64Array.of(1, 0), 10, { rtol: 1e-6, atol: 1e-8, outputTimes: times });
    expect(r.outputs.map((o) => o.t)).toEqual(times);
    expect(r.acceptedSteps).toBeLessThan(times.length); // so most outputs fall inside steps
    let worst = 0;
    for (const o of r.outputs) worst = Math.max(worst, Math.abs(o.y[0] - Math.cos(o.t)), Math.abs(o.y[1] + Math.sin(o.t)));
    // The endpoint error at this tolerance, and the dense output within a small factor of it.
    const end = Math.hypot(r.y[0] - Math.cos(10), r.y[1] + Math.sin(10));
    expect(end).toBeLessThan(1e-5);
    expect(worst).toBeLessThan(2e-5);
  });

  it('terminal event: y\' = -y first reaches 1/2 at t = ln 2', () => {
    const r = dopri5(decay, 0, Float64Array.of(1), 100, { rtol: 1e-12, atol: 1e-14, event: (_t, y) => y[0] - 0.5 });
    expect(r.status).toBe('event');
    expect(Math.abs(r.t - Math.LN2)).toBeLessThan(1e-11);
    expect(Math.abs(r.y[0] - 0.5)).toBeLessThan(1e-11);
  });

  it('long horizons cost few steps: y\' = -y / (1 + t) to t = 1e8 (y = 1 / (1 + t))', () => {
    const r = dopri5((t, y, dy) => {
      dy[0] = -y[0] / (1 + t);
    }, 0, Float64Array.of(1), 1e8, { rtol: 1e-10, atol: 1e-20 });
    expect(r.status).toBe('done');
    expect(Math.abs(r.y[0] * (1 + 1e8) - 1)).toBeLessThan(1e-7);
    expect(r.acceptedSteps).toBeLessThan(2000);
  });

  it('dense output costs no evaluation; an output at the end of a step is that step\'s value', () => {
    const r = dopri5(oscillator, 0, Float64Array.of(1, 0), 3, { rtol: 1e-8, atol: 1e-10, outputTimes: [0.1, 1.7, 2.9, 3] });
    expect(r.evaluations).toBe(6 * (r.acceptedSteps + r.rejectedSteps) + 2);
    expect(Array.from(r.outputs[3].y)).toEqual(Array.from(r.y));
    expect(() => dopri5(decay, 0, Float64Array.of(1), 1, { h0: -1 })).toThrow('h0: expected a finite number > 0, got -1');
  });

  it('a step limit ends the run with status max_steps; bad input is one line naming the option', () => {
    const r = dopri5(oscillator, 0, Float64Array.of(1, 0), 1000, { maxSteps: 10 });
    expect(r.status).toBe('max_steps');
    expect(r.t).toBeLessThan(1000);
    expect(() => dopri5(decay, 0, Float64Array.of(1), 1, { rtol: 0 })).toThrow('rtol: expected a finite number > 0, got 0');
    expect(() => dopri5(decay, 0, Float64Array.of(1), -1)).toThrow('tEnd: expected a finite time > t0 = 0, got -1');
    expect(() => dopri5(decay, 0, Float64Array.of(Number.NaN), 1)).toThrow('y0: entry 0 is NaN');
    expect(() => dopri5(decay, 0, Float64Array.of(1), 1, { outputTimes: [0.5, 0.2] })).toThrow('outputTimes: expected ascending times');
  });
});
