/**
 * Razin and Cohen, "Implicit Regularization in Deep Learning May Not Be Explainable by Norms"
 * (2020): on the 2 x 2 completion [[?, 1], [1, 0]], gradient descent on a deep factorization
 * started with det(W) > 0 drives the unobserved entry, and with it every norm, to infinity as
 * the loss goes to 0, while the effective rank goes to 1: the implicit bias is toward low rank,
 * not toward a small norm.
 *
 *   razin2020   depths 2, 3, 4 with the paper's two (lr, init) settings each, i.i.d. Gaussian
 *               factors redrawn until det(W(0)) > 0; the perturbed family [[?, -2], [0.5, eps]];
 *               and, as a check of the theorem's own hypothesis, a balanced start.
 */

import { meanStd } from '../report/aggregate.js';
import { lineFigure, type Row } from '../report/spec.js';
import type { ResultLine } from '../sweep/store.js';
import type { HistoryRecord } from '../train/loop.js';
import { seedList, type Experiment, type ExperimentContext, type ExperimentOutput, type ExperimentTable, type ReproduceOptions } from './experiment.js';

/** The paper's settings: (lr, init) per depth; init is the standard deviation of the entries of W(0). */
export const RAZIN_SETTINGS: ReadonlyArray<{ depth: number; lr: number; init: number }> = [
  { depth: 2, lr: 6e-3, init: 1e-5 },
  { depth: 2, lr: 3e-3, init: 1e-6 },
  { depth: 3, lr: 6e-3, init: 1e-5 },
  { depth: 3, lr: 3e-3, init: 1e-6 },
  { depth: 4, lr: 3e-3, init: 1e-3 },
  { depth: 4, lr: 1.5e-3, init: 1e-4 },
];

/** The perturbed family's (1, 1) entries: observed (0,1) = -2, (1,0) = 0.5, (1,1) = eps. */
export const RAZIN_PERTURBATIONS: readonly number[] = [0, 0.01, 0.05, 0.1, 0.5];

/** The losses at which |W_00| is reported (table.json `abs_w00_at`). */
export const LOSS_MARKS: ReadonlyArray<readonly [string, number]> = [['1e-2', 1e-2], ['1e-3', 1e-3], ['1e-4', 1e-4]];

/** What a config builds: the default is the experiment; tests shrink it. */
export interface RazinScope {
  /** The unperturbed settings (default RAZIN_SETTINGS). */
  settings?: ReadonlyArray<{ depth: number; lr: number; init: number }>;
  /** The perturbed family's eps values (default RAZIN_PERTURBATIONS); it runs at the first setting of each depth. */
  perturbations?: readonly number[];
  /** Add the balanced start at the first setting of each depth (default true). */
  balanced?: boolean;
  /** Stop at this loss (default 1e-4). */
  stopLoss?: number;
  /** Init seeds (default: 2 quick, 5 full, or options.seeds). */
  seeds?: number;
}

const settingName = (s: { depth: number; lr: number; init: number }): string => `depth ${s.depth}, lr ${s.lr}, init ${s.init}`;

/** The first setting of each depth, in depth order. */
function firstPerDepth(settings: ReadonlyArray<{ depth: number; lr: number; init: number }>): Array<{ depth: number; lr: number; init: number }> {
  const out = new Map<number, { depth: number; lr: number; init: number }>();
  for (const s of settings) if (!out.has(s.depth)) out.set(s.depth, s);
  return [...out.values()];
}

/**
 * The sweep of razin2020 (a raw run config; `scope` shrinks it for tests).
 *
 * @example
 * expandGrid(razin2020Config({ quick: true, seeds: null }), 'razin2020').points.length;
 */
export function razin2020Config(o: ReproduceOptions, scope: RazinScope = {}): Record<string, unknown> {
  const settings = scope.settings ?? RAZIN_SETTINGS;
  const perturbations = scope.perturbations ?? RAZIN_PERTURBATIONS;
  const firsts = firstPerDepth(settings);
  const common = (s: { depth: number; lr: number }) => ({ model: { kind: 'deep', depth: s.depth }, optimizer: { name: 'gd', lr: s.lr } });
  const iid = (std: number) => ({ kind: 'normal-end-to-end', std, positiveDet: true });
  const variants: Array<Record<string, unknown>> = [
    ...settings.map((s) => ({ name: settingName(s), ...common(s), init: iid(s.init) })),
    ...(perturbations.length === 0 ? [] : firsts.map((s) => ({
      name: `perturbed, ${settingName(s)}`, ...common(s), init: iid(s.init),
      problem: { kind: 'razin2x2', perturbed: [...perturbations] },
    }))),
    // ||W(0)||_F = scale sqrt(2) for the balanced start, about 2 init for i.i.d. entries of std init.
    ...(scope.balanced === false ? [] : firsts.map((s) => ({
      name: `balanced, ${settingName(s)}`, ...common(s), init: { kind: 'balanced', scale: Math.SQRT2 * s.init, positiveDet: true },
    }))),
  ];
  return {
    name: 'razin2020',
    problem: { kind: 'razin2x2' },
    loss: 'half-sse',
    seeds: { init: seedList(o.seeds ?? scope.seeds ?? (o.quick ? 2 : 5)) },
    train: {
      maxIters: 20_000_000,
      stopLoss: scope.stopLoss ?? 1e-4,
      logEvery: 1_000_000,
      logPerDecade: 20,
      logPerLossDecade: 20,
      logSingular: 'all',
      logMatrix: true,
      // A checkpoint costs two fsyncs; a million 2x2 steps take under a second.
      checkpointEvery: 1_000_000,
    },
    variants,
  };
}

// ---------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------

interface RazinRunConfig {
  model: { depth: number };
  optimizer: { lr: number };
  init: { kind: string; std?: number; scale?: number };
  problem: { kind: string; perturbed?: number };
  seeds: { init: number };
}

/** One logged point of a run, with what the analysis reads off W. */
export interface TracePoint {
  step: number;
  loss: number;
  absW00: number;
  det: number;
  frobenius: number;
  nuclear: number;
  effectiveRank: number | null;
  /** The Schatten-p quasi-norm logged with the record (p = 2/N by default). */
  schatten: number | null;
  /** W, row-major. */
  w: number[];
}

/**
 * The logged points of a run that carry a loss and W (history with logMatrix), with |W_00|,
 * det(W), ||W||_F and ||W||_* (from the record, or for 2 x 2 sqrt(||W||_F^2 + 2 |det W|)).
 *
 * @example
 * trace(ctx.history(id)).map((p) => [p.loss, p.absW00]);
 */
export function trace(history: readonly HistoryRecord[]): TracePoint[] {
  const out: TracePoint[] = [];
  for (const h of history) {
    const w = h.w;
    if (h.loss === null || w === null || w === undefined || w.length !== 4) continue;
    const det = w[0] * w[3] - w[1] * w[2];
    const fro2 = w[0] * w[0] + w[1] * w[1] + w[2] * w[2] + w[3] * w[3];
    out.push({
      step: h.step, loss: h.loss, absW00: Math.abs(w[0]), det, frobenius: Math.sqrt(fro2),
      nuclear: h.nuclear_norm ?? Math.sqrt(fro2 + 2 * Math.abs(det)), effectiveRank: h.effective_rank,
      schatten: h.schatten_2_over_N, w: [...w],
    });
  }
  return out;
}

/**
 * The lower bound on |W_00| that det(W) > 0 forces on the unperturbed problem at loss L < 1/2:
 * with rho = sqrt(2L), |W_01 - 1|, |W_10 - 1|, |W_11| <= rho, and W_00 W_11 > W_01 W_10 >= (1 - rho)^2 > 0,
 * so |W_00| > (1 - rho)^2 / rho, which is 1/sqrt(2L) - 2 + O(sqrt(L)). Null for L >= 1/2.
 *
 * @example
 * w00LowerBound(1e-4); // 68.7 (1/sqrt(2e-4) = 70.7)
 */
export function w00LowerBound(loss: number): number | null {
  const rho = Math.sqrt(2 * loss);
  return rho < 1 ? ((1 - rho) * (1 - rho)) / rho : null;
}

/**
 * The largest top singular value at which plain gradient descent with step size lr is stable
 * on a depth-N factorization near a rank-1 W = sigma u v^T whose u and v are (near) unobserved
 * directions, as here: the Gauss-Newton curvature along the observed entries is about
 * sigma^(2 - 2/N) (balanced factors), and stability needs lr times it below 2, so
 * sigma < (2/lr)^(N / (2N - 2)). Null for N = 1 (no cap).
 *
 * @example
 * stableSigmaCap(4, 3e-3); // 76.3: |W_00| can pass 1/sqrt(2 loss) = 70.7 at loss 1e-4, not at 5e-5 (100)
 */
export function stableSigmaCap(depth: number, lr: number): number | null {
  return depth >= 2 ? (2 / lr) ** (depth / (2 * depth - 2)) : null;
}

/** |W_00| at the first logged point with loss below each mark (null when never below). */
export function absW00At(points: readonly TracePoint[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, mark] of LOSS_MARKS) out[key] = points.find((p) => p.loss < mark)?.absW00 ?? null;
  return out;
}

type Start = 'iid' | 'balanced';

interface RunRow {
  id: string;
  start: Start;
  depth: number;
  lr: number;
  init: number;
  perturbed: false | number;
  seed: number;
  points: TracePoint[];
  category: string;
  setting: string;
}

const CATEGORY = {
  kept: 'i.i.d. start, det > 0 throughout',
  flipped: 'i.i.d. start, det changed sign',
  balanced: 'balanced start',
} as const;

function runRow(line: ResultLine, history: readonly HistoryRecord[]): RunRow {
  const c = line.config as RazinRunConfig;
  const start: Start = c.init.kind === 'balanced' ? 'balanced' : 'iid';
  const init = start === 'balanced' ? (c.init.scale ?? NaN) / Math.SQRT2 : (c.init.std ?? NaN);
  const points = trace(history);
  const kept = points.length > 0 && points.every((p) => p.det > 0);
  const depth = c.model.depth, lr = c.optimizer.lr;
  return {
    id: line.id, start, depth, lr, init, perturbed: c.problem.perturbed ?? false, seed: c.seeds.init, points,
    category: start === 'balanced' ? CATEGORY.balanced : kept ? CATEGORY.kept : CATEGORY.flipped,
    setting: `lr ${lr}, init ${init.toPrecision(3).replace(/\.?0+e/, 'e')}`,
  };
}

function boundHolds(points: readonly TracePoint[]): boolean {
  return points.every((p) => {
    const b = w00LowerBound(p.loss);
    return !(p.det > 0) || b === null || p.absW00 >= b;
  });
}

function signChanges(points: readonly TracePoint[]): number {
  let n = 0;
  for (let i = 1; i < points.length; i++) if ((points[i].det > 0) !== (points[i - 1].det > 0)) n += 1;
  return n;
}

/** The table.json row of a run: the fields, then extras. */
function tableRow(r: RunRow, line: ResultLine): Record<string, unknown> {
  const s = line.summary;
  const last = r.points[r.points.length - 1];
  return {
    depth: r.depth,
    lr: r.lr,
    init: r.init,
    perturbed: r.perturbed,
    iterations: s.step,
    final_loss: s.loss,
    final_abs_w00: last?.absW00 ?? null,
    abs_w00_at: absW00At(r.points),
    det_positive_throughout: r.points.length > 0 && r.points.every((p) => p.det > 0),
    final_nuclear_norm: s.nuclear_norm,
    final_frobenius_norm: last?.frobenius ?? null,
    final_effective_rank: s.effective_rank,
    // Extras.
    init_kind: r.start === 'balanced' ? 'balanced' : 'normal-end-to-end',
    seed: r.seed,
    status: s.status,
    final_det: last?.det ?? null,
    det_sign_changes: signChanges(r.points),
    logged_points: r.points.length,
    final_w: last?.w ?? null,
    bound_at_final_loss: r.perturbed === false && s.loss !== null ? w00LowerBound(s.loss) : null,
    // A check of the data: wherever det(W) > 0 (and loss < 1/2), |W_00| is above the bound.
    bound_holds_where_det_positive: r.perturbed === false ? boundHolds(r.points) : null,
    stable_w00_cap: stableSigmaCap(r.depth, r.lr),
    train_seconds: s.train_seconds,
    run: r.id,
  };
}

const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toPrecision(digits));

/** "median (min – max)" of the finite values, or a dash. */
function spread(values: ReadonlyArray<number | null>): string {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return '—';
  const median = v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return v.length === 1 ? fmt(median) : `${fmt(median)} (${fmt(v[0])} – ${fmt(v[v.length - 1])})`;
}

function groupLabel(r: RunRow): string {
  const start = r.start === 'balanced' ? 'balanced' : 'i.i.d.';
  return r.perturbed === false ? `${start}, unperturbed` : `${start}, eps = ${r.perturbed}`;
}

/** The closing note: |W_00| at loss 1e-4 per depth, for the i.i.d. and balanced starts (unperturbed). */
function closingNote(runs: readonly RunRow[], table: ReadonlyArray<Record<string, unknown>>): string {
  const at = (r: RunRow, i: number): number | null => (table[i].abs_w00_at as Record<string, number | null>)['1e-4'];
  const parts: string[] = [];
  const depths = [...new Set(runs.map((r) => r.depth))].sort((a, b) => a - b);
  for (const depth of depths) {
    const pick = (start: Start) => runs.map((r, i) => (r.depth === depth && r.start === start && r.perturbed === false ? at(r, i) : undefined)).filter((x) => x !== undefined);
    const iid = pick('iid'), bal = pick('balanced');
    const kept = runs.filter((r) => r.depth === depth && r.start === 'iid' && r.perturbed === false && r.category === CATEGORY.kept).length;
    const total = runs.filter((r) => r.depth === depth && r.start === 'iid' && r.perturbed === false).length;
    parts.push(
      `depth ${depth}: ${spread(iid)} from the i.i.d. start (det > 0 throughout in ${kept} of ${total} runs)` +
        (bal.length > 0 ? `, ${spread(bal)} from the balanced start` : ''),
    );
  }
  const bound = w00LowerBound(1e-4);
  return `|W_00| at loss 1e-4, median (min – max) over runs: ${parts.join('; ')}. The bound det(W) > 0 forces there is ${fmt(bound)} (1/sqrt(2 loss) = ${fmt(1 / Math.sqrt(2e-4))}).`;
}

function analyze(ctx: ExperimentContext): ExperimentOutput {
  const runs = ctx.results.map((line) => runRow(line, ctx.history(line.id)));
  const table = runs.map((r, i) => tableRow(r, ctx.results[i]));

  // Printed table: one row per setting group (start, perturbation, depth, lr, init).
  const printedRows: Array<Record<string, unknown>> = [];
  const groups = new Map<string, number[]>();
  runs.forEach((r, i) => {
    const key = JSON.stringify([groupLabel(r), r.depth, r.lr, r.init]);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  for (const members of groups.values()) {
    const r0 = runs[members[0]];
    const at = (key: string) => members.map((i) => (table[i].abs_w00_at as Record<string, number | null>)[key]);
    printedRows.push({
      problem: groupLabel(r0), depth: r0.depth, lr: r0.lr, init: r0.init, runs: members.length,
      det: `${members.filter((i) => table[i].det_positive_throughout === true).length}/${members.length}`,
      w00_2: spread(at('1e-2')), w00_3: spread(at('1e-3')), w00_4: spread(at('1e-4')),
      steps: Math.max(...members.map((i) => table[i].iterations as number)),
      cap: stableSigmaCap(r0.depth, r0.lr),
      erank: spread(members.map((i) => table[i].final_effective_rank as number | null)),
      status: [...new Set(members.map((i) => table[i].status as string))].join(','),
    });
  }
  const note = closingNote(runs, table);
  const unpert = (start: Start) => runs.map((r, i) => ({ r, row: table[i] })).filter(({ r }) => r.perturbed === false && r.start === start);
  const stats = {
    iid: unpert('iid').length,
    flipped: unpert('iid').filter(({ row }) => row.det_positive_throughout !== true).length,
    balanced: unpert('balanced').length,
    balancedFlipped: unpert('balanced').filter(({ row }) => row.det_positive_throughout !== true).length,
    balancedFlipDepths: [...new Set(unpert('balanced').filter(({ row }) => row.det_positive_throughout !== true).map(({ r }) => r.depth))].sort((a, b) => a - b),
    boundChecked: [...unpert('iid'), ...unpert('balanced')].length,
    boundOk: [...unpert('iid'), ...unpert('balanced')].filter(({ row }) => row.bound_holds_where_det_positive === true).length,
  };
  const printed: ExperimentTable = {
    caption: `|W_00| when the loss first falls below 1e-2, 1e-3 and 1e-4: median (min – max) over init seeds; det > 0: runs with det(W) > 0 at every logged step.\n${note}`,
    columns: [
      { key: 'problem', title: 'start, problem', format: 'text' },
      { key: 'depth', title: 'depth', format: 'int' },
      { key: 'lr', title: 'lr', format: 'sci' },
      { key: 'init', title: 'init', format: 'sci' },
      { key: 'runs', title: 'runs', format: 'int' },
      { key: 'det', title: 'det > 0', format: 'text' },
      { key: 'w00_2', title: '|W00| @1e-2', format: 'text' },
      { key: 'w00_3', title: '|W00| @1e-3', format: 'text' },
      { key: 'w00_4', title: '|W00| @1e-4', format: 'text' },
      { key: 'steps', title: 'steps (max)', format: 'int' },
      { key: 'cap', title: 'stable |W00| <', format: 'fixed' },
      { key: 'erank', title: 'eff. rank', format: 'text' },
      { key: 'status', title: 'status', format: 'text' },
    ],
    rows: printedRows,
  };

  // Figure data: the fitted regime (loss <= 0.1), where the bound means something. Balanced runs
  // first and runs that kept det > 0 last, so that the latter are drawn on top.
  const FITTED = 0.1;
  const drawOrder: string[] = [CATEGORY.balanced, CATEGORY.flipped, CATEGORY.kept];
  const unperturbed = runs.filter((r) => r.perturbed === false).sort((a, b) => drawOrder.indexOf(a.category) - drawOrder.indexOf(b.category));
  const depthLabel = (r: RunRow): string => `depth ${r.depth}`;
  const w00Rows: Row[] = [];
  const normRows: Row[] = [];
  const rankRows: Row[] = [];
  for (const r of unperturbed) {
    for (const p of r.points) {
      if (p.loss > 0 && p.loss <= FITTED) {
        w00Rows.push({ loss: p.loss, w00: p.absW00, depth: depthLabel(r), category: r.category, run: r.id });
        normRows.push({ loss: p.loss, value: p.frobenius, norm: 'Frobenius norm', depth: depthLabel(r), run: r.id });
        normRows.push({ loss: p.loss, value: p.nuclear, norm: 'nuclear norm', depth: depthLabel(r), run: r.id });
        normRows.push({ loss: p.loss, value: p.schatten, norm: 'Schatten-2/N quasi-norm', depth: depthLabel(r), run: r.id });
      }
      if (p.loss > 0 && p.loss <= 0.5 && p.effectiveRank !== null) rankRows.push({ loss: p.loss, erank1: p.effectiveRank - 1, depth: depthLabel(r), category: r.category, run: r.id });
    }
  }
  const lossRange = (rows: readonly Row[], max: number): readonly [number, number] => [Math.min(max, ...rows.map((r) => r.loss as number)), max];
  const boundCurve = (range: readonly [number, number]): Row[] => {
    const out: Row[] = [];
    const lo = Math.log10(range[0]), hi = Math.log10(range[1]);
    for (let i = 0; i <= 60; i++) {
      const loss = 10 ** (hi - ((hi - lo) * i) / 60);
      out.push({ loss, w00: 1 / Math.sqrt(2 * loss), value: 1 / Math.sqrt(2 * loss) });
    }
    return out;
  };
  const fittedRange = lossRange(w00Rows, FITTED);
  const curve = { label: '1/sqrt(2 loss)', rows: boundCurve(fittedRange) };
  const categoryOrder = [CATEGORY.kept, CATEGORY.flipped, CATEGORY.balanced].filter((c) => runs.some((r) => r.category === c));
  const depthOrder = [...new Set(unperturbed.map(depthLabel))].sort();

  const perturbedRuns = runs.filter((r) => r.perturbed !== false && r.start === 'iid');
  const pertRows: Row[] = [];
  for (const r of perturbedRuns) {
    for (const p of r.points) {
      if (p.loss > 0 && p.loss <= FITTED) pertRows.push({ loss: p.loss, w00: p.absW00, eps: `eps = ${r.perturbed}`, depth: depthLabel(r), run: r.id });
    }
  }
  const epsValues = [...new Set(perturbedRuns.map((r) => r.perturbed as number))];
  const epsPositive = epsValues.filter((e) => e > 0);
  // Final |W_00| per (depth, eps > 0): median with a min - max band, against 1/eps.
  const finalPert: Row[] = [];
  const pertTableRows: Array<Record<string, unknown>> = [];
  for (const depth of [...new Set(perturbedRuns.map((r) => r.depth))].sort((a, b) => a - b)) {
    for (const eps of epsValues) {
      const finals = perturbedRuns.filter((r) => r.depth === depth && r.perturbed === eps).map((r) => r.points[r.points.length - 1]?.absW00).filter((x): x is number => x !== undefined);
      if (finals.length === 0) continue;
      finals.sort((a, b) => a - b);
      const median = finals.length % 2 === 1 ? finals[(finals.length - 1) / 2] : (finals[finals.length / 2 - 1] + finals[finals.length / 2]) / 2;
      if (eps > 0) finalPert.push({ depth: `depth ${depth}`, eps, median, min: finals[0], max: finals[finals.length - 1] });
      pertTableRows.push({ depth, eps, runs: finals.length, w00: spread(finals), rank1: eps > 0 ? 1 / eps : null, ratio: eps > 0 ? spread(finals.map((x) => x * eps)) : '—' });
    }
  }
  const pertTable: ExperimentTable = {
    caption: 'Perturbed family: |W_00| at the end of the run (median (min – max) over seeds) against the rank-1 completion |W_00| = 1/eps',
    columns: [
      { key: 'depth', title: 'depth', format: 'int' },
      { key: 'eps', title: 'eps', format: 'text' },
      { key: 'runs', title: 'runs', format: 'int' },
      { key: 'w00', title: 'final |W00|', format: 'text' },
      { key: 'rank1', title: '1/eps', format: 'sci' },
      { key: 'ratio', title: 'eps |W00|', format: 'text' },
    ],
    rows: pertTableRows,
  };
  const invEps: Row[] = [];
  if (epsPositive.length > 0) {
    const lo = Math.log10(Math.min(...epsPositive)), hi = Math.log10(Math.max(...epsPositive));
    for (let i = 0; i <= 40; i++) invEps.push({ eps: 10 ** (lo + ((hi - lo) * i) / 40), median: 10 ** -(lo + ((hi - lo) * i) / 40) });
  }

  const balancedFlips = stats.balancedFlipDepths.length === 0 ? '' :
    ` (${stats.balancedFlipDepths.length === 1 ? 'all at' : ''} depth ${stats.balancedFlipDepths.join(', ')}${stats.balancedFlipDepths.includes(2) ? '; at depth 2 the smallest singular ' +
      'value decays exponentially, at a rate proportional to sigma^(2 - 2/N) = sigma, until the step size decides its sign' : ''})`;

  const sections = [
    {
      heading: 'The unobserved entry against the loss',
      text:
        'Whenever det(W) > 0, fitting the observed entries (0,1) = (1,0) = 1 and (1,1) = 0 to loss L forces W_00 W_11 > W_01 W_10 ≈ 1 ' +
        'with |W_11| <= sqrt(2L), so |W_00| >= (1 - sqrt(2L))^2 / sqrt(2L) ≈ 1/sqrt(2L) (dashed): as gradient descent drives the loss to 0, ' +
        'the unobserved entry, and with it every norm, goes to infinity. Razin and Cohen prove that gradient flow keeps det(W) > 0 when it starts ' +
        'there from a balanced point. With the i.i.d. Gaussian factors of the experiment (redrawn until det(W(0)) > 0), the factors are far from ' +
        'balanced while W is at the scale of the initialization, and det(W) can change sign in the first thousands of steps, before the loss ' +
        `moves: here it did in ${stats.flipped} of ${stats.iid} unperturbed runs from the i.i.d. start (column det > 0), and in ${stats.balancedFlipped} ` +
        `of ${stats.balanced} from the balanced start${balancedFlips}. Wherever det(W) > 0 the logged |W_00| is above the bound ` +
        `(${stats.boundOk} of ${stats.boundChecked} runs checked at every logged step${stats.boundOk === stats.boundChecked ? '' : ': see bound_holds_where_det_positive in table.json'}). ` +
        'After a sign change nothing forces |W_00| up, and it levels off at a finite value that depends on the run: of order 1 at depth 2 from ' +
        'the i.i.d. start (a completion of effective rank near 2), while at depths 3 and 4 it first follows the bound, toward the rank-1 limit, ' +
        'for a stretch that grows with depth (figure): depth strengthens the pull toward low rank, and det(W) > 0 is what makes it unbounded. ' +
        'The step size caps |W_00| in turn: near W = sigma e_0 e_0^T the curvature along the observed entries is about sigma^(2 - 2/N), and ' +
        'gradient descent is stable only while lr sigma^(2 - 2/N) < 2 (column stable |W00| <); the settings reach loss 1e-4 (bound 70.7) ' +
        'inside that limit, with little room at depth 4, lr 3e-3 (76.3) and depth 3, lr 6e-3 (78.0). The closing numbers are in the ' +
        'caption of the table below.',
      tables: [printed],
      figures: [
        {
          name: 'razin-w00-vs-loss',
          caption: '|W_00| against the loss (log-log, loss <= 0.1), one line per run, one panel per depth; dashed: 1/sqrt(2 loss), the bound det(W) > 0 forces (asymptotically).',
          spec: lineFigure({
            data: w00Rows, x: 'loss', y: 'w00', color: 'category', colorTitle: 'start', colorOrder: categoryOrder, detail: 'run',
            facet: 'depth', facetTitle: '', facetOrder: depthOrder, columns: 3, curves: [curve], referenceTitle: 'bound',
            log: { x: true, y: true }, domain: { x: fittedRange }, xTitle: 'loss (half sum of squares)', yTitle: '|W_00| (unobserved entry)',
          }),
        },
      ],
    },
    {
      heading: 'Norms against the loss',
      text:
        'The Frobenius and nuclear norms of W grow with |W_00| as the loss goes to 0 (every norm of a 2 x 2 matrix is at least a constant times ' +
        '|W_00|): gradient descent is not minimizing any norm, since finite completions with small norms exist (e.g. W_00 = 0 has nuclear norm 2).',
      figures: [
        {
          name: 'razin-norms-vs-loss',
          caption:
            'Frobenius norm, nuclear norm and Schatten-2/N quasi-norm (N the depth) of W against the loss (log-log, loss <= 0.1), one line per run, ' +
            'one panel per norm; dashed: 1/sqrt(2 loss).',
          spec: lineFigure({
            data: normRows, x: 'loss', y: 'value', color: 'depth', colorTitle: 'depth', colorOrder: depthOrder, detail: 'run',
            facet: 'norm', facetTitle: '', columns: 3, curves: [{ ...curve, y: 'value' }], referenceTitle: 'bound',
            log: { x: true, y: true }, domain: { x: fittedRange }, xTitle: 'loss (half sum of squares)', yTitle: 'norm of W',
          }),
        },
      ],
    },
    {
      heading: 'Effective rank against the loss',
      text:
        'What does go down is the rank: the effective rank of W (exp of the entropy of the normalized singular values, between 1 and 2 here) ' +
        'falls toward 1 as the loss goes to 0 wherever |W_00| grows with the bound (shown minus 1, on a log axis); the runs of depth 2 that ' +
        'settle on a finite completion end with an effective rank near 2, and a run whose |W_00| stops growing stops there too.',
      figures: [
        {
          name: 'razin-effective-rank-vs-loss',
          caption:
            'Effective rank of W minus 1 against the loss (log-log; loss <= 0.5, from the end of the initial plateau at loss ~1 where W is ' +
            'still at the scale of the initialization), one line per run, one panel per depth. 0 would be rank 1; 1 is the most a 2 x 2 matrix has.',
          spec: lineFigure({
            data: rankRows, x: 'loss', y: 'erank1', color: 'category', colorTitle: 'start', colorOrder: categoryOrder, detail: 'run',
            facet: 'depth', facetTitle: '', facetOrder: depthOrder, columns: 3, log: { x: true, y: true },
            domain: { x: lossRange(rankRows, 0.5) },
            xTitle: 'loss (half sum of squares)', yTitle: 'effective rank − 1',
          }),
        },
      ],
    },
    ...(perturbedRuns.length === 0 ? [] : [{
      heading: 'The perturbed family',
      text:
        'Observed (0,1) = -2, (1,0) = 0.5, (1,1) = eps. The rank-1 completion has W_00 = -1/eps (dashed), large for small eps, while ' +
        'completions of small norm exist (W_00 = 0 has nuclear norm about 2.5). At depths 3 and 4, |W_00| climbs toward 1/eps as the loss ' +
        'falls (column eps |W00|: 1 is the rank-1 completion; at loss 1e-4 the fit of the (1,1) entry is still off by about 0.01, which ' +
        'matters for small eps), and some depth-4 runs overshoot it up to the step-size cap; depth 2 ends at a completion of small norm, ' +
        'far below 1/eps for small eps. For eps = 0 no finite completion has rank 1, and |W_00| behaves as on the original problem.',
      tables: [pertTable],
      figures: [
        {
          name: 'razin-perturbed-w00-vs-loss',
          caption: '|W_00| against the loss (log-log, loss <= 0.1) on the perturbed problems, one panel per eps, one line per run; dashed: 1/eps.',
          spec: lineFigure({
            data: pertRows, x: 'loss', y: 'w00', color: 'depth', colorTitle: 'depth', detail: 'run',
            facet: 'eps', facetTitle: '', facetOrder: epsValues.map((e) => `eps = ${e}`), columns: 3,
            rules: epsPositive.map((e) => ({ y: 1 / e, label: '1/eps (rank 1)', facet: `eps = ${e}` })),
            referenceTitle: 'reference', log: { x: true, y: true }, domain: { x: lossRange(pertRows, FITTED) },
            xTitle: 'loss (half sum of squares)', yTitle: '|W_00| (unobserved entry)',
          }),
        },
        ...(finalPert.length === 0 ? [] : [{
          name: 'razin-perturbed-final-w00',
          caption: '|W_00| at the end of the run (loss below the target) against eps (median over seeds; band: min to max); dashed: 1/eps, the rank-1 completion.',
          spec: lineFigure({
            data: finalPert, x: 'eps', y: 'median', color: 'depth', colorTitle: 'depth', band: { lower: 'min', upper: 'max' }, points: true,
            curves: [{ label: '1/eps (rank-1 completion)', rows: invEps }], referenceTitle: 'reference',
            log: { x: true, y: true }, xTitle: 'eps (observed (1,1) entry)', yTitle: 'final |W_00|',
          }),
        }]),
      ],
    }]),
  ];
  return { table, printed, sections };
}

export const razin2020: Experiment = {
  name: 'razin2020',
  title: 'Razin and Cohen 2020: implicit regularization drives every norm to infinity on a 2 x 2 completion',
  about:
    'Razin and Cohen (2020) complete the 2 x 2 matrix [[?, 1], [1, 0]] with gradient descent on products of 2, 3 and 4 matrices started ' +
    'near zero with det(W) > 0. Since det(W) > 0 and a small loss force |W_00| >= about 1/sqrt(2 loss), the unobserved entry and every norm ' +
    'of W grow without bound as the loss goes to 0, while the effective rank goes to 1: the implicit regularization cannot be a norm; it ' +
    'behaves like a minimization of rank. A perturbed family [[?, -2], [0.5, eps]] shows the same bias at finite values: at depths 3 and 4 ' +
    'the solution heads for the rank-1 completion W_00 = -1/eps, not for a completion of small norm.',
  config: (o) => razin2020Config(o),
  notes: (o) => {
    const seeds = o.seeds ?? (o.quick ? 2 : 5);
    return (
      `Loss half-sse, plain gradient descent, until the loss is below 1e-4 (at most 2e7 steps). Settings (lr, init): depths 2 and 3 with ` +
      '(6e-3, 1e-5) and (3e-3, 1e-6), depth 4 with (3e-3, 1e-3) and (1.5e-3, 1e-4). Initialization normal-end-to-end: every factor i.i.d. ' +
      'N(0, s^2) with s = (init^2 / 2^(N-1))^(1/(2N)), so that the entries of W(0) have standard deviation init, redrawn from the same seeded ' +
      `stream until det(W(0)) > 0. ${seeds} init seed(s) (0, 1, ...) per setting, never picked to match the paper. The perturbed family ` +
      '(eps = 0, 0.01, 0.05, 0.1, 0.5) runs at the first setting of each depth (our choice; the second settings give the same end points, ' +
      'several times slower). Added as a check of the theorem\'s hypothesis: a balanced start (Arora, Cohen and Hazan 2018; init kind ' +
      'balanced with scale sqrt(2) init, so ||W(0)||_F = 2 init, the typical size of i.i.d. entries of standard deviation init) with ' +
      'det(W(0)) > 0, at the first setting of each depth. Histories hold W at every logged step ' +
      '(train.logMatrix), 20 records per decade of steps and 20 per decade of loss (train.logPerLossDecade), so |W_00| at loss 1e-2, 1e-3, ' +
      '1e-4 is read at the first step below each. "det > 0 throughout" is checked at the logged steps.' +
      (o.quick ? ' Quick variant: 2 seeds instead of 5; everything else as the full one.' : '')
    );
  },
  analyze,
};
