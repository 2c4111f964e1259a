/**
 * The adaptive driver shared by the embedded Runge–Kutta pairs of src/flow (dopri5, dop853):
 * step-size control on the mixed rtol/atol RMS error norm (Hairer, Nørsett and Wanner,
 * "Solving Ordinary Differential Equations I", II.4), Hairer's starting step, output at
 * requested times from the method's dense output (II.6), a terminal event located by
 * bisection on that dense output, a per-step callback that may stop the run, and exact
 * resume from a stopped (or checkpointed) state.
 *
 * A method supplies only its stages and error estimate, the order of that estimate (the
 * controller's exponent) and its dense output; everything else is written once, here.
 *
 * The step may grow by up to 10x per accepted step (never right after a rejection), so the
 * slow phases of a gradient flow (small initializations, long plateaus) cost few steps
 * however long they last in t. The right-hand side writes into a buffer it is given; a
 * step allocates nothing (only the y copies of requested outputs are new arrays).
 */

/** dy <- f(t, y). Must not keep or modify y. */
export type OdeRhs = (t: number, y: Float64Array, dy: Float64Array) => void;

/**
 * Everything needed to continue a run exactly: plain numbers, a boolean and one
 * Float64Array, so it can be written to a file (y as a list of numbers) and read back.
 * A result is one (pass it as `resume`); so is the `info` given to `onStep`.
 */
export interface OdeState {
  /** Time reached. */
  t: number;
  /** y(t). */
  y: Float64Array;
  /** The step the controller proposes next (before hMax and the end of the interval). */
  h: number;
  acceptedSteps: number;
  rejectedSteps: number;
  /** Right-hand side evaluations so far (a resume adds one: f(t, y) is recomputed). */
  evaluations: number;
  /** Whether the last attempted step was rejected (then the next step may not grow). */
  lastRejected: boolean;
}

/** Options common to every method. */
export interface OdeOptions {
  /** Relative tolerance (per component). Default 1e-8. */
  rtol?: number;
  /** Absolute tolerance (per component). Default 1e-10. */
  atol?: number;
  /** Initial step; default: chosen from f at t0 (Hairer's starting step). Ignored on resume. */
  h0?: number;
  /** Largest step. Default: |tEnd - t0|. */
  hMax?: number;
  /** Limit on attempted steps, accepted + rejected, counted from t0 across resumes (status `max_steps`). Default 1e6. */
  maxSteps?: number;
  /** Times (ascending, within [t0, tEnd]) at which to return y, from the dense output. */
  outputTimes?: readonly number[];
  /** Terminal event: the run ends at the first t where g(t, y(t)) falls to <= 0 from > 0. */
  event?: (t: number, y: Float64Array) => number;
  /**
   * Called after every accepted step; returning true ends the run with status `stopped`
   * (unless that step reached tEnd: then `done`). `info` is one object reused for every
   * call and `info.y` is the integrator's buffer: copy what you keep, modify nothing.
   */
  onStep?: (info: Readonly<OdeState>) => boolean | void;
  /**
   * Continue from this state (a result, or an `onStep` info copied to a file) instead of
   * (t0, y0). With the same f, t0, y0, tEnd and other options as the original run, the
   * continuation is bit-for-bit the uninterrupted run: same steps, y, outputs after
   * resume.t, event time; only `evaluations` is larger by one (f(t, y) is recomputed).
   */
  resume?: OdeState;
}

export interface OdeResult extends OdeState {
  status: 'done' | 'event' | 'max_steps' | 'stopped';
  /** y at each requested output time reached in this call (after resume.t on a resume). */
  outputs: Array<{ t: number; y: Float64Array }>;
}

/**
 * One embedded Runge–Kutta pair as the driver sees it: work buffers for one dimension n,
 * filled by the calls of one step in this order: stages, error, then, if the step is
 * accepted, accept, prepareDense (only when an output or event needs it), dense, advance.
 */
export interface RkStepper {
  /** f(t, y) at the start of the next step. The driver fills it at the start and on resume. */
  readonly f0: Float64Array;
  /** The stages of a step of size h from (t, y); tNew (t + h, or tEnd exactly on the last step) is the time of the stages at c = 1. Writes the new solution. */
  stages(t: number, y: Float64Array, h: number, tNew: number, yNew: Float64Array): void;
  /** The RMS norm of the last attempt's error estimate, each component divided by sc[i] = atol + rtol max(|y_i|, |yNew_i|). */
  error(h: number, sc: Float64Array): number;
  /** The step is accepted: f(tNew, yNew), the first stage of the next step, is made ready (evaluated here unless it was a stage). */
  accept(tNew: number, yNew: Float64Array): void;
  /** The dense output of the accepted step from (t, y) of size h; before advance. */
  prepareDense(t: number, y: Float64Array, h: number, yNew: Float64Array): void;
  /** The dense output at t + theta h, theta in [0, 1]. */
  dense(theta: number, out: Float64Array): void;
  /** f(tNew, yNew) becomes f0 (first same as last). */
  advance(): void;
}

export interface RkMethod {
  /** Name in error messages. */
  name: string;
  /** q with error estimate ~ h^q: the controller's exponent is 1/q, as is the starting step's (5 for dopri5, 8 for dop853). */
  order: number;
  /** Work buffers for dimension n; rhs counts its calls. */
  create(n: number, rhs: OdeRhs): RkStepper;
}

const SAFETY = 0.9;
const FAC_MIN = 0.2;
const FAC_MAX = 10;

function positive(name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name}: expected a finite number > 0, got ${v}`);
}

function count(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`resume: expected ${name} an integer >= 0, got ${v}`);
}

function checkResume(s: OdeState, n: number, t0: number, tEnd: number): void {
  if (!s || !(s.y instanceof Float64Array)) throw new RangeError('resume: expected a state with y a Float64Array (a result, or an onStep info)');
  if (s.y.length !== n) throw new RangeError(`resume: expected y of length ${n} (as y0), got ${s.y.length}`);
  if (!(s.t >= t0 && s.t < tEnd)) throw new RangeError(`resume: expected t in [${t0}, ${tEnd}), got ${s.t}`);
  if (!(s.h > 0) || !Number.isFinite(s.h)) throw new RangeError(`resume: expected h a finite number > 0, got ${s.h}`);
  count('acceptedSteps', s.acceptedSteps);
  count('rejectedSteps', s.rejectedSteps);
  count('evaluations', s.evaluations);
  if (typeof s.lastRejected !== 'boolean') throw new RangeError(`resume: expected lastRejected a boolean, got ${String(s.lastRejected)}`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(s.y[i])) throw new RangeError(`resume: y entry ${i} is ${s.y[i]} (expected finite values)`);
}

/**
 * Integrates y' = f(t, y) from (t0, y0) to tEnd (tEnd > t0) with one method; dopri5 and
 * dop853 are this with their method.
 *
 * @throws RangeError naming a bad option, a non-finite y0, or a step size that underflowed.
 * @example
 * import { DOPRI5 } from './dopri5.js';
 * const r = runAdaptive(DOPRI5, (t, y, dy) => { dy[0] = -y[0]; }, 0, Float64Array.of(1), 1, { rtol: 1e-10 });
 * r.y[0]; // 0.367879441..., e^-1
 */
export function runAdaptive(method: RkMethod, f: OdeRhs, t0: number, y0: Float64Array, tEnd: number, options: OdeOptions = {}): OdeResult {
  const rtol = options.rtol ?? 1e-8;
  const atol = options.atol ?? 1e-10;
  positive('rtol', rtol);
  positive('atol', atol);
  if (!Number.isFinite(t0) || !Number.isFinite(tEnd) || !(tEnd > t0)) throw new RangeError(`tEnd: expected a finite time > t0 = ${t0}, got ${tEnd}`);
  const hMax = options.hMax ?? tEnd - t0;
  positive('hMax', hMax);
  if (options.h0 !== undefined) positive('h0', options.h0);
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
  const resume = options.resume;
  if (resume !== undefined) checkResume(resume, n, t0, tEnd);
  const event = options.event;
  const onStep = options.onStep;

  let evaluations = resume ? resume.evaluations : 0;
  const rhs: OdeRhs = (t, at, out) => {
    f(t, at, out);
    evaluations += 1;
  };
  const stepper = method.create(n, rhs);
  const f0 = stepper.f0;
  const y = Float64Array.from(resume ? resume.y : y0);
  const y1 = new Float64Array(n), sc = new Float64Array(n), yTheta = new Float64Array(n);
  let t = resume ? resume.t : t0;
  let accepted = resume ? resume.acceptedSteps : 0;
  let rejected = resume ? resume.rejectedSteps : 0;
  let lastRejected = resume ? resume.lastRejected : false;
  const expo = 1 / method.order;

  rhs(t, y, f0);
  let h: number;
  if (resume) h = resume.h;
  else if (options.h0 !== undefined) h = options.h0;
  else {
    h = initialStep(rhs, t, y, f0, rtol, atol, hMax, method.order, y1, new Float64Array(n));
    if (!(h > 0)) throw new RangeError(`y0: f(t0, y0) is not finite, so no starting step (got ${h})`);
  }

  const outputs: Array<{ t: number; y: Float64Array }> = [];
  let nextOutput = 0;
  if (resume) while (nextOutput < outputTimes.length && outputTimes[nextOutput] <= t) nextOutput++; // emitted before the stop
  else while (nextOutput < outputTimes.length && outputTimes[nextOutput] === t0) outputs.push({ t: outputTimes[nextOutput++], y: Float64Array.from(y) });
  // On resume g is recomputed at (t, y): the value the uninterrupted run carried over.
  let gOld = event ? event(t, y) : 0;

  const info: OdeState = { t, y, h, acceptedSteps: accepted, rejectedSteps: rejected, evaluations, lastRejected };
  const result = (status: OdeResult['status'], tr: number, yr: Float64Array): OdeResult => ({
    status, t: tr, y: yr, h, acceptedSteps: accepted, rejectedSteps: rejected, evaluations, lastRejected, outputs,
  });

  for (;;) {
    if (accepted + rejected >= maxSteps) return result('max_steps', t, y);
    h = Math.min(h, hMax);
    const last = t + 1.01 * h >= tEnd;
    if (last) h = tEnd - t;
    const tNew = last ? tEnd : t + h;

    stepper.stages(t, y, h, tNew, y1);
    for (let i = 0; i < n; i++) sc[i] = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(y1[i]));
    const e = stepper.error(h, sc);

    if (!Number.isFinite(e) || e > 1) {
      // Rejected: shrink (never grow right after a rejection).
      rejected += 1;
      lastRejected = true;
      h *= Number.isFinite(e) ? Math.max(FAC_MIN, SAFETY * e ** -expo) : FAC_MIN;
      if (!(h > 0) || t + h === t) throw new RangeError(`${method.name}: the step size underflowed at t = ${t} (a singularity, or tolerances too tight)`);
      continue;
    }
    accepted += 1;
    stepper.accept(tNew, y1);
    const hOld = h;
    const grow = e === 0 ? FAC_MAX : Math.min(FAC_MAX, Math.max(FAC_MIN, SAFETY * e ** -expo));
    h *= lastRejected ? Math.min(1, grow) : grow;
    lastRejected = false;

    // Outputs inside the step from the dense output (prepared once, only if needed).
    let dense = false;
    while (nextOutput < outputTimes.length && outputTimes[nextOutput] <= tNew) {
      const s = outputTimes[nextOutput++];
      if (s === tNew) {
        outputs.push({ t: s, y: Float64Array.from(y1) });
        continue;
      }
      if (!dense) stepper.prepareDense(t, y, hOld, y1);
      dense = true;
      stepper.dense((s - t) / hOld, yTheta);
      outputs.push({ t: s, y: Float64Array.from(yTheta) });
    }
    if (event) {
      const gNew = event(tNew, y1);
      if (gOld > 0 && gNew <= 0) {
        if (!dense) stepper.prepareDense(t, y, hOld, y1);
        // Bisection on the dense output: the crossing to within a few ulps of t.
        let lo = 0, hi = 1;
        for (let it = 0; it < 200; it++) {
          const mid = 0.5 * (lo + hi);
          if (t + mid * hOld === t + lo * hOld || t + mid * hOld === t + hi * hOld) break;
          stepper.dense(mid, yTheta);
          if (event(t + mid * hOld, yTheta) > 0) lo = mid;
          else hi = mid;
        }
        stepper.dense(hi, yTheta);
        const tEvent = t + hi * hOld;
        // The run ends at the event: output times of this step beyond it were not reached (a
        // resume from this result emits them, as its nextOutput skips only times <= tEvent).
        while (outputs.length > 0 && outputs[outputs.length - 1].t > tEvent) outputs.pop();
        return result('event', tEvent, Float64Array.from(yTheta));
      }
      gOld = gNew;
    }
    y.set(y1);
    stepper.advance();
    t = tNew;
    let stop = false;
    if (onStep) {
      info.t = t;
      info.h = h;
      info.acceptedSteps = accepted;
      info.rejectedSteps = rejected;
      info.evaluations = evaluations;
      info.lastRejected = false;
      stop = onStep(info) === true;
    }
    if (last) return result('done', t, y);
    if (stop) return result('stopped', t, y);
  }
}

/**
 * Hairer's starting step (hinit): an Euler step's error estimate matched to the tolerance,
 * for a method whose error estimate is O(h^order).
 *
 * @example
 * const f: OdeRhs = (t, y, dy) => { dy[0] = -y[0]; };
 * const y0 = Float64Array.of(1), f0 = new Float64Array(1);
 * f(0, y0, f0);
 * initialStep(f, 0, y0, f0, 1e-8, 1e-10, 1, 5, new Float64Array(1), new Float64Array(1)); // 0.01002 (two scratch buffers)
 */
export function initialStep(
  rhs: OdeRhs, t0: number, y0: Float64Array, f0: Float64Array, rtol: number, atol: number, hMax: number, order: number,
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
  const h1 = der12 <= 1e-15 ? Math.max(1e-6, Math.abs(h) * 1e-3) : (0.01 / der12) ** (1 / order);
  return Math.min(100 * h, h1, hMax);
}
