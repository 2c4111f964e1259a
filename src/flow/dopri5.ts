/**
 * The Dormand–Prince 5(4) embedded Runge–Kutta method (Dormand and Prince 1980; the
 * coefficients, error estimate and 4th-order dense output as in Hairer, Nørsett and Wanner,
 * "Solving Ordinary Differential Equations I", II.4–II.6), with rtol/atol step-size
 * control, output at requested times, and a terminal event (the first zero of g(t, y)
 * from above, located on the dense output).
 *
 * The step size is free to grow by up to 10x per accepted step, so slow phases of a
 * gradient flow (small initializations, long plateaus) cost few steps however long in t.
 * The right-hand side writes into a buffer it is given; a step allocates nothing.
 */

/** dy <- f(t, y). Must not keep or modify y. */
export type OdeRhs = (t: number, y: Float64Array, dy: Float64Array) => void;

export interface Dopri5Options {
  /** Relative tolerance (per component). Default 1e-8. */
  rtol?: number;
  /** Absolute tolerance (per component). Default 1e-10. */
  atol?: number;
  /** Initial step; default: chosen from f at t0 (Hairer's starting step). */
  h0?: number;
  /** Largest step. Default: |tEnd - t0|. */
  hMax?: number;
  /** Step limit (status `max_steps`). Default 1e6. */
  maxSteps?: number;
  /** Times (ascending, within [t0, tEnd]) at which to return y, from the dense output. */
  outputTimes?: readonly number[];
  /** Terminal event: the run ends at the first t where g(t, y(t)) falls to <= 0 from > 0. */
  event?: (t: number, y: Float64Array) => number;
}

export interface Dopri5Result {
  status: 'done' | 'event' | 'max_steps';
  /** Final time: tEnd, the event time, or where the step limit stopped the run. */
  t: number;
  y: Float64Array;
  /** y at each requested output time reached. */
  outputs: Array<{ t: number; y: Float64Array }>;
  acceptedSteps: number;
  rejectedSteps: number;
  /** Right-hand side evaluations. */
  evaluations: number;
}

// Butcher tableau (FSAL: the 7th stage is f at the new point).
const C2 = 1 / 5, C3 = 3 / 10, C4 = 4 / 5, C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40, A32 = 9 / 40;
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9;
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729;
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656;
const A71 = 35 / 384, A73 = 500 / 1113, A74 = 125 / 192, A75 = -2187 / 6784, A76 = 11 / 84;
// Error coefficients: 5th-order weights minus the embedded 4th-order ones.
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40;
// Dense output (Hairer's contd5).
const D1 = -12715105075 / 11282082432, D3 = 87487479700 / 32700410799, D4 = -10690763975 / 1880347072;
const D5 = 701980252875 / 199316789632, D6 = -1453857185 / 822651844, D7 = 69997945 / 29380423;

const SAFETY = 0.9;
const FAC_MIN = 0.2;
const FAC_MAX = 10;

function positive(name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name}: expected a finite number > 0, got ${v}`);
}

/**
 * Integrates y' = f(t, y) from (t0, y0) to tEnd (tEnd > t0).
 *
 * @throws RangeError naming a bad option or a non-finite y0.
 * @example
 * const r = dopri5((t, y, dy) => { dy[0] = -y[0]; }, 0, Float64Array.of(1), 1, { rtol: 1e-10 });
 * r.y[0]; // 0.36787944117..., e^-1
 */
export function dopri5(f: OdeRhs, t0: number, y0: Float64Array, tEnd: number, options: Dopri5Options = {}): Dopri5Result {
  const rtol = options.rtol ?? 1e-8;
  const atol = options.atol ?? 1e-10;
  positive('rtol', rtol);
  positive('atol', atol);
  if (!Number.isFinite(t0) || !Number.isFinite(tEnd) || !(tEnd > t0)) throw new RangeError(`tEnd: expected a finite time > t0 = ${t0}, got ${tEnd}`);
  const hMax = options.hMax ?? tEnd - t0;
  positive('hMax', hMax);
  const maxSteps = options.maxSteps ?? 1e6;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`maxSteps: expected an integer >= 1, got ${maxSteps}`);
  for (let i = 0; i < y0.length; i++) if (!Number.isFinite(y0[i])) throw new RangeError(`y0: entry ${i} is ${y0[i]} (expected finite values)`);
  const outputTimes = options.outputTimes ?? [];
  for (let i = 0; i < outputTimes.length; i++) {
    const s = outputTimes[i];
    if (!(s >= t0 && s <= tEnd) || (i > 0 && !(s >= outputTimes[i - 1]))) {
      throw new RangeError(`outputTimes: expected ascending times in [${t0}, ${tEnd}], got ${s} at index ${i}`);
    }
  }

  const n = y0.length;
  const y = Float64Array.from(y0);
  const y1 = new Float64Array(n), ys = new Float64Array(n), err = new Float64Array(n);
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n);
  const k5 = new Float64Array(n), k6 = new Float64Array(n), k7 = new Float64Array(n);
  const r2 = new Float64Array(n), r3 = new Float64Array(n), r4 = new Float64Array(n), r5 = new Float64Array(n);
  const yTheta = new Float64Array(n);
  let evaluations = 0;
  const rhs = (t: number, at: Float64Array, out: Float64Array): void => {
    f(t, at, out);
    evaluations += 1;
  };

  const scaledNorm = (v: Float64Array, a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const sc = atol + rtol * Math.max(Math.abs(a[i]), Math.abs(b[i]));
      const q = v[i] / sc;
      s += q * q;
    }
    return n === 0 ? 0 : Math.sqrt(s / n);
  };

  rhs(t0, y, k1);
  let h = options.h0 ?? initialStep(rhs, t0, y, k1, rtol, atol, hMax, ys, k2);
  positive('h0', h);

  // The dense output of the last accepted step [tOld, tOld + hOld], at theta in [0, 1].
  const dense = (theta: number, out: Float64Array): void => {
    const t1 = 1 - theta;
    for (let i = 0; i < n; i++) out[i] = ys[i] + theta * (r2[i] + t1 * (r3[i] + theta * (r4[i] + t1 * r5[i])));
  };

  const outputs: Array<{ t: number; y: Float64Array }> = [];
  let nextOutput = 0;
  while (nextOutput < outputTimes.length && outputTimes[nextOutput] === t0) outputs.push({ t: outputTimes[nextOutput++], y: Float64Array.from(y) });
  let gOld = options.event ? options.event(t0, y) : 0;

  let t = t0;
  let accepted = 0, rejected = 0;
  let lastRejected = false;
  for (;;) {
    if (accepted + rejected >= maxSteps) {
      return { status: 'max_steps', t, y, outputs, acceptedSteps: accepted, rejectedSteps: rejected, evaluations };
    }
    h = Math.min(h, hMax);
    const last = t + 1.01 * h >= tEnd;
    if (last) h = tEnd - t;

    for (let i = 0; i < n; i++) y1[i] = y[i] + h * A21 * k1[i];
    rhs(t + C2 * h, y1, k2);
    for (let i = 0; i < n; i++) y1[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
    rhs(t + C3 * h, y1, k3);
    for (let i = 0; i < n; i++) y1[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
    rhs(t + C4 * h, y1, k4);
    for (let i = 0; i < n; i++) y1[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
    rhs(t + C5 * h, y1, k5);
    for (let i = 0; i < n; i++) ys[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
    const tNew = last ? tEnd : t + h;
    rhs(tNew, ys, k6);
    for (let i = 0; i < n; i++) y1[i] = y[i] + h * (A71 * k1[i] + A73 * k3[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i]);
    rhs(tNew, y1, k7);
    for (let i = 0; i < n; i++) err[i] = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
    const e = scaledNorm(err, y, y1);

    if (!Number.isFinite(e) || e > 1) {
      // Rejected: shrink (never grow right after a rejection).
      rejected += 1;
      lastRejected = true;
      h *= Number.isFinite(e) ? Math.max(FAC_MIN, SAFETY * e ** -0.2) : FAC_MIN;
      if (!(h > 0) || t + h === t) throw new RangeError(`dopri5: the step size underflowed at t = ${t} (a singularity, or tolerances too tight)`);
      continue;
    }
    accepted += 1;
    // Dense output coefficients of this step (ys holds y at the start from here on).
    for (let i = 0; i < n; i++) {
      const diff = y1[i] - y[i];
      const bspl = h * k1[i] - diff;
      r2[i] = diff;
      r3[i] = bspl;
      r4[i] = diff - h * k7[i] - bspl;
      r5[i] = h * (D1 * k1[i] + D3 * k3[i] + D4 * k4[i] + D5 * k5[i] + D6 * k6[i] + D7 * k7[i]);
      ys[i] = y[i];
    }
    const tOld = t;
    const hOld = h;
    while (nextOutput < outputTimes.length && outputTimes[nextOutput] <= tNew) {
      const s = outputTimes[nextOutput++];
      dense((s - tOld) / hOld, yTheta);
      outputs.push({ t: s, y: Float64Array.from(yTheta) });
    }
    if (options.event) {
      const gNew = options.event(tNew, y1);
      if (gOld > 0 && gNew <= 0) {
        // Bisection on the dense output: the crossing to within a few ulps of t.
        let lo = 0, hi = 1;
        for (let it = 0; it < 200 && tOld + lo * hOld < tOld + hi * hOld; it++) {
          const mid = 0.5 * (lo + hi);
          if (tOld + mid * hOld === tOld + lo * hOld || tOld + mid * hOld === tOld + hi * hOld) break;
          dense(mid, yTheta);
          if (options.event(tOld + mid * hOld, yTheta) > 0) lo = mid;
          else hi = mid;
        }
        dense(hi, yTheta);
        return { status: 'event', t: tOld + hi * hOld, y: Float64Array.from(yTheta), outputs, acceptedSteps: accepted, rejectedSteps: rejected, evaluations };
      }
      gOld = gNew;
    }
    y.set(y1);
    k1.set(k7); // FSAL
    t = tNew;
    if (last) return { status: 'done', t, y, outputs, acceptedSteps: accepted, rejectedSteps: rejected, evaluations };
    const grow = e === 0 ? FAC_MAX : Math.min(FAC_MAX, Math.max(FAC_MIN, SAFETY * e ** -0.2));
    h *= lastRejected ? Math.min(1, grow) : grow;
    lastRejected = false;
  }
}

/** Hairer's starting step (hinit): an Euler step's error estimate matched to the tolerance. */
function initialStep(
  rhs: OdeRhs, t0: number, y0: Float64Array, f0: Float64Array, rtol: number, atol: number, hMax: number,
  y1: Float64Array, f1: Float64Array,
): number {
  const n = y0.length;
  let dnf = 0, dny = 0;
  for (let i = 0; i < n; i++) {
    const sk = atol + rtol * Math.abs(y0[i]);
    dnf += (f0[i] / sk) ** 2;
    dny += (y0[i] / sk) ** 2;
  }
  let h = dnf <= 1e-10 || dny <= 1e-10 ? 1e-6 : 0.01 * Math.sqrt(dny / dnf);
  h = Math.min(h, hMax);
  for (let i = 0; i < n; i++) y1[i] = y0[i] + h * f0[i];
  rhs(t0 + h, y1, f1);
  let der2 = 0;
  for (let i = 0; i < n; i++) {
    const sk = atol + rtol * Math.abs(y0[i]);
    der2 += ((f1[i] - f0[i]) / sk) ** 2;
  }
  der2 = Math.sqrt(der2) / h;
  const der12 = Math.max(Math.abs(der2), Math.sqrt(dnf));
  const h1 = der12 <= 1e-15 ? Math.max(1e-6, Math.abs(h) * 1e-3) : (0.01 / der12) ** 0.2;
  return Math.min(100 * h, h1, hMax);
}
