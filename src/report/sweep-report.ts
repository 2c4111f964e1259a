/**
 * The generic report of a sweep directory (what `implab report DIR` writes):
 * DIR/report.html and DIR/figures/<name>.svg / .png, from DIR/results.jsonl
 * and the runs' DIR/runs/<id>/history.jsonl. Node only (reads and writes
 * files); the figures and the page come from the pure building blocks
 * (spec.ts, aggregate.ts, html.ts), which experiments call directly for
 * their own figures and pass as `extra` sections.
 *
 * What the report shows:
 * - a table of every run: its axes and summary figures;
 * - with seed axes (keys starting with `seeds.`), a table of mean ± std over
 *   them, per combination of the other axes;
 * - for each summary figure (recon_rel, recon_mse, nuclear_norm,
 *   effective_rank, loss, step), a figure against the x axis: the first
 *   numeric non-seed axis with at least two values. Series (colours) are the
 *   combinations of the remaining non-seed axes that vary; points are means
 *   over the seed axes with a ± std band. Runs of method `nnm` are drawn as
 *   horizontal reference lines (their mean over seeds and over the x axis),
 *   when there are also training runs. Without a numeric axis the summary
 *   figures are bar charts of the series (when there are at least two);
 * - training curves from the histories: loss (and recon_rel, effective_rank
 *   when logged) against step, one line per run, coloured like the series;
 * - the configurations: the distinct values of each axis and the full
 *   resolved config of the first run.
 * Runs that diverged (status `diverged`, or `infeasible` for nnm) are listed
 * in the table but left out of the figures; captions say how many.
 *
 * Figures of an earlier report that this one does not make stay in
 * DIR/figures (nothing is deleted); report.html shows only the current ones.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { atomicWriteFile } from '../io/files.js';
import { FileError } from '../io/errors.js';
import { meanStd } from './aggregate.js';
import { formatNumber, reportHtml, type ReportColumn, type ReportFigure, type ReportSection, type ReportTable } from './html.js';
import { writeFigure } from './render.js';
import { parseHistory, parseResults, type HistoryRow, type RunResult } from './results.js';
import { barFigure, isLogWorthy, lineFigure, type ReferenceRule } from './spec.js';

/** A section of a report (re-exported for `extra`). */
export type Section = ReportSection;

/** Options of `writeSweepReport`. */
export interface SweepReportOptions {
  /** Page title (default: "Sweep <directory name>"). */
  title?: string;
  /** Sections appended after the generic ones (an experiment's own figures and tables). */
  extra?: readonly Section[];
  /** Called with Vega warnings (default: dropped). */
  onWarning?: (message: string) => void;
}

/** What `writeSweepReport` wrote. */
export interface SweepReportFiles {
  /** Path of DIR/report.html. */
  html: string;
  /** Paths of the figure files written, DIR/figures/<name>.svg and .png, in report order. */
  figures: string[];
}

/** The summary figures drawn, with their axis titles. */
const SUMMARY_METRICS: ReadonlyArray<{ key: string; title: string; rule: boolean }> = [
  { key: 'recon_rel', title: 'relative error ‖W − W*‖ / ‖W*‖', rule: true },
  { key: 'recon_mse', title: 'reconstruction error (mean squared)', rule: true },
  { key: 'nuclear_norm', title: 'nuclear norm ‖W‖*', rule: true },
  { key: 'effective_rank', title: 'effective rank', rule: true },
  { key: 'loss', title: 'final training loss', rule: false },
  { key: 'step', title: 'steps', rule: false },
];

/** History figures drawn against step (when logged). */
const CURVE_METRICS: ReadonlyArray<{ key: string; title: string }> = [
  { key: 'loss', title: 'training loss' },
  { key: 'recon_rel', title: 'relative reconstruction error' },
  { key: 'effective_rank', title: 'effective rank' },
];

/** Statuses whose figures are left out of the plots. */
const FAILED = new Set(['diverged', 'infeasible']);

/** At most this many points per run in the training-curve figures. */
const MAX_CURVE_POINTS = 300;

/**
 * True for a seed axis: a key starting with `seeds.` (means and bands are
 * taken over these).
 *
 * @example
 * isSeedAxis('seeds.init'); // true
 * isSeedAxis('model.depth'); // false
 */
export function isSeedAxis(key: string): boolean {
  return key.startsWith('seeds.');
}

/** A value as it appears in series labels: short numbers as written, long ones to 3 digits. */
function valueLabel(v: unknown): string {
  if (typeof v === 'number') {
    const s = String(v);
    return s.length <= 8 ? s : formatNumber(v);
  }
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? 'null';
}

/** Orders axis values: numbers by value before strings, strings lexicographically, others by JSON. */
function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const sa = typeof a === 'string' ? a : JSON.stringify(a) ?? '';
  const sb = typeof b === 'string' ? b : JSON.stringify(b) ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** The roles of a sweep's axes. */
export interface AxisPlan {
  /** Every axis key, in order of first appearance. */
  keys: string[];
  /** Distinct values per axis, sorted. */
  values: Record<string, unknown[]>;
  seeds: string[];
  /** The x axis of the summary figures, if any. */
  x: string | null;
  /** Non-seed axes that vary, other than x: they make the series labels. */
  series: string[];
  /** Short names of the series axes (last dotted segment unless ambiguous). */
  short: Record<string, string>;
}

/**
 * Sorts out the roles of the axes of `runs`: seed axes (`seeds.*`), the x
 * axis (the first non-seed axis whose values are all finite numbers and that
 * has at least two of them), and the series axes (the other non-seed axes
 * with at least two values). Constant axes play no role in figures, nor does
 * an axis whose value is each run's method (`train` / `nnm`).
 *
 * @example
 * planAxes(runs); // { x: 'model.init_scale', series: ['model.depth'], seeds: ['seeds.init'], ... }
 */
export function planAxes(runs: readonly RunResult[]): AxisPlan {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.axes)) if (!seen.has(k)) (seen.add(k), keys.push(k));
  const values: Record<string, unknown[]> = {};
  for (const k of keys) {
    const distinct = new Map<string, unknown>();
    for (const r of runs) {
      const v = r.axes[k] ?? null;
      distinct.set(JSON.stringify(v), v);
    }
    values[k] = [...distinct.values()].sort(compareValues);
  }
  const seeds = keys.filter(isSeedAxis);
  // An axis that only repeats each run's method (train / nnm) is shown by the rules, not as a series.
  const isMethodAxis = (k: string): boolean => runs.every((r) => r.axes[k] === r.summary.method);
  const varying = keys.filter((k) => !isSeedAxis(k) && values[k].length >= 2 && !isMethodAxis(k));
  const x = varying.find((k) => runs.every((r) => typeof r.axes[k] === 'number' && Number.isFinite(r.axes[k]))) ?? null;
  const series = varying.filter((k) => k !== x);
  const last = (k: string): string => k.split('.').pop() ?? k;
  const short: Record<string, string> = {};
  for (const k of series) short[k] = series.filter((o) => last(o) === last(k)).length > 1 ? k : last(k);
  return { keys, values, seeds, x, series, short };
}

/**
 * The series label of a run: the value of the one series axis (its name is
 * the legend title), or `depth=2, init_scale=0.01` for several; '' for none.
 */
function seriesLabel(plan: AxisPlan, r: RunResult): string {
  if (plan.series.length === 1) return valueLabel(r.axes[plan.series[0]] ?? null);
  return plan.series.map((k) => `${plan.short[k]}=${valueLabel(r.axes[k] ?? null)}`).join(', ');
}

/** The legend title of the series: their axes' short names. */
function seriesTitle(plan: AxisPlan): string {
  return plan.series.map((k) => plan.short[k]).join(', ');
}

/** Series labels in the order of their axis values. */
function seriesOrder(plan: AxisPlan, runs: readonly RunResult[]): string[] {
  const byLabel = new Map<string, RunResult>();
  for (const r of runs) if (!byLabel.has(seriesLabel(plan, r))) byLabel.set(seriesLabel(plan, r), r);
  return [...byLabel.entries()]
    .sort(([, a], [, b]) => {
      for (const k of plan.series) {
        const c = compareValues(a.axes[k] ?? null, b.axes[k] ?? null);
        if (c !== 0) return c;
      }
      return 0;
    })
    .map(([label]) => label);
}

/** A figure to render: its name, spec and caption. */
interface PlannedFigure {
  name: string;
  spec: TopLevelSpec;
  caption: string;
}

/** Rows of a history thinned to at most ~2 * max points: evenly in index, and evenly in log(step). */
function thin(rows: readonly HistoryRow[], max: number): HistoryRow[] {
  const n = rows.length;
  if (n <= max) return [...rows];
  const keep = new Set<number>();
  for (let k = 0; k < max; k++) keep.add(Math.round((k * (n - 1)) / (max - 1)));
  const first = rows.find((r) => r.step > 0)?.step;
  const lastStep = rows[n - 1].step;
  if (first !== undefined && lastStep > first) {
    let j = 0;
    for (let k = 0; k < max; k++) {
      const target = first * (lastStep / first) ** (k / (max - 1));
      while (j < n - 1 && rows[j].step < target) j++;
      keep.add(j);
    }
  }
  return [...keep].sort((a, b) => a - b).map((i) => rows[i]);
}

function countText(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The seed-averaging part of a caption. */
function seedsCaption(plan: AxisPlan, counts: number[]): string {
  if (plan.seeds.length === 0) return 'one run per point (no seed axes)';
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  const n = lo === hi ? `${lo}` : `${lo}–${hi}`;
  return `mean ± std over the seed axes (${plan.seeds.join(', ')}), ${n} runs per point`;
}

/**
 * Plans the generic figures and tables of a sweep (pure apart from the
 * histories, which are passed in).
 */
function planReport(
  runs: readonly RunResult[],
  histories: ReadonlyMap<string, HistoryRow[]>,
): { sections: Array<{ section: ReportSection; figures: PlannedFigure[] }>; plan: AxisPlan } {
  const plan = planAxes(runs);
  const out: Array<{ section: ReportSection; figures: PlannedFigure[] }> = [];

  // Table of all runs.
  const runColumns: ReportColumn[] = [
    { key: 'id', title: 'run', format: 'text' },
    // Axis values as written in the config (0.001, not 0.00100).
    ...plan.keys.map((k): ReportColumn => ({ key: `axis:${k}`, title: k, format: 'text' })),
    { key: 'method', title: 'method', format: 'text' },
    { key: 'status', title: 'status', format: 'text' },
    { key: 'step', title: 'steps', format: 'int' },
    { key: 'loss', title: 'loss' },
    { key: 'recon_rel', title: 'recon_rel' },
    { key: 'recon_mse', title: 'recon_mse' },
    { key: 'nuclear_norm', title: 'nuclear norm' },
    { key: 'effective_rank', title: 'effective rank' },
    { key: 'train_seconds', title: 'train s' },
  ];
  const runRows = runs.map((r) => {
    const row: Record<string, unknown> = { ...r.summary, id: r.id };
    for (const k of plan.keys) row[`axis:${k}`] = r.axes[k] ?? null;
    return row;
  });
  out.push({
    section: {
      heading: 'Runs',
      text: `${countText(runs.length, 'finished run')}, in the order of \`results.jsonl\`.`,
      tables: [{ columns: runColumns, rows: runRows }],
    },
    figures: [],
  });

  const ok = runs.filter((r) => !FAILED.has(r.summary.status));
  const failed = runs.length - ok.length;
  const failedNote = failed > 0 ? ` ${countText(failed, 'run')} that diverged or failed ${failed === 1 ? 'is' : 'are'} left out.` : '';
  const train = ok.filter((r) => r.summary.method !== 'nnm');
  const nnm = ok.filter((r) => r.summary.method === 'nnm');
  // nnm runs are reference lines only next to training runs; alone, they are the data.
  const lines = train.length > 0 ? train : nnm;
  const refs = train.length > 0 ? nnm : [];
  const order = seriesOrder(plan, lines);
  const fields = SUMMARY_METRICS.map((m) => m.key);
  const flat = (r: RunResult): Record<string, unknown> => ({
    ...Object.fromEntries(fields.map((f) => [f, r.summary[f] ?? null])),
    x: plan.x ? r.axes[plan.x] : null,
    label: seriesLabel(plan, r),
  });

  // Mean ± std table over the seed axes, per method and combination of the other axes.
  if (plan.seeds.length > 0 && ok.length > 0) {
    const methods = new Set(ok.map((r) => r.summary.method));
    const by = ['method', 'label', ...(plan.x ? ['x'] : [])];
    const groups = meanStd(ok.map((r) => ({ ...flat(r), method: r.summary.method })), { by, fields });
    const columns: ReportColumn[] = [
      ...(methods.size > 1 ? [{ key: 'method', title: 'method', format: 'text' as const }] : []),
      ...(plan.series.length > 0 ? [{ key: 'label', title: seriesTitle(plan), format: 'text' as const }] : []),
      ...(plan.x ? [{ key: 'x', title: plan.x }] : []),
      { key: 'count', title: 'runs', format: 'int' },
      ...SUMMARY_METRICS.map((m): ReportColumn => ({ key: `${m.key}_mean`, std: `${m.key}_std`, title: `${m.key} (mean ± std)` })),
    ];
    const table: ReportTable = { caption: `Mean ± std over the seed axes (${plan.seeds.join(', ')}).${failedNote}`, columns, rows: groups };
    out.push({ section: { heading: 'Mean ± std over seeds', tables: [table] }, figures: [] });
  }

  // Summary figures.
  const summaryFigures: PlannedFigure[] = [];
  for (const m of SUMMARY_METRICS) {
    const rows = lines.map(flat).filter((r) => typeof r[m.key] === 'number');
    if (rows.length === 0) continue;
    if (plan.x) {
      const agg = meanStd(rows, { by: ['label', 'x'], fields: [m.key] });
      const rules: ReferenceRule[] = [];
      if (m.rule) {
        const refRows = refs.map(flat).filter((r) => typeof r[m.key] === 'number');
        const refAgg = meanStd(refRows, { by: ['label'], fields: [m.key] });
        const ys = refAgg.map((g) => g[`${m.key}_mean`]).filter((y): y is number => typeof y === 'number');
        // One rule when every series has the same baseline (e.g. nnm runs repeated along a model axis).
        const same = ys.every((y) => Math.abs(y - ys[0]) <= 1e-9 * Math.abs(ys[0]));
        if (ys.length > 0 && same) rules.push({ y: ys[0], label: 'min nuclear norm' });
        else {
          for (const g of refAgg) {
            const y = g[`${m.key}_mean`];
            if (typeof y === 'number') rules.push({ y, label: g.label ? `min nuclear norm (${String(g.label)})` : 'min nuclear norm' });
          }
        }
      }
      summaryFigures.push({
        name: `summary-${m.key}`,
        spec: lineFigure({
          data: agg,
          x: 'x',
          y: `${m.key}_mean`,
          xTitle: plan.x,
          yTitle: m.title,
          // Few x values (a grid axis): ticks exactly at them.
          ...(plan.values[plan.x].length <= 12 ? { xTicks: plan.values[plan.x] as number[] } : {}),
          ...(plan.series.length > 0 ? { color: 'label', colorTitle: seriesTitle(plan), colorOrder: order } : {}),
          band: { lower: `${m.key}_lower`, upper: `${m.key}_upper` },
          points: true,
          rules,
        }),
        caption: `${m.title} against ${plan.x}: ${seedsCaption(plan, agg.map((g) => Number(g[`${m.key}_count`])))}.` +
          (rules.length > 0 ? ' Dashed: the minimum-nuclear-norm solution (nnm runs, mean over seeds).' : '') + failedNote,
      });
    } else if (order.length >= 2) {
      const agg = meanStd(rows, { by: ['label'], fields: [m.key] }).sort((a, b) => order.indexOf(String(a.label)) - order.indexOf(String(b.label)));
      summaryFigures.push({
        name: `summary-${m.key}`,
        spec: barFigure({
          data: agg, x: 'label', y: `${m.key}_mean`, error: { lower: `${m.key}_lower`, upper: `${m.key}_upper` },
          xTitle: seriesTitle(plan), yTitle: m.title,
        }),
        caption: `${m.title}: ${seedsCaption(plan, agg.map((g) => Number(g[`${m.key}_count`])))}.${failedNote}`,
      });
    }
  }
  if (summaryFigures.length > 0) {
    out.push({
      section: {
        heading: 'Summary figures',
        text: plan.x
          ? `Final figures of the runs against \`${plan.x}\`${plan.series.length > 0 ? `, one series per value of ${plan.series.map((k) => `\`${k}\``).join(', ')}` : ''}.`
          : `Final figures of the runs, one bar per value of ${plan.series.map((k) => `\`${k}\``).join(', ')}.`,
      },
      figures: summaryFigures,
    });
  }

  // Training curves.
  const curveRuns = ok.filter((r) => r.summary.method !== 'nnm' && (histories.get(r.id)?.length ?? 0) > 0);
  const curveFigures: PlannedFigure[] = [];
  if (curveRuns.length > 0) {
    const curveOrder = seriesOrder(plan, curveRuns);
    // Gradient flows are drawn against their time t (their steps are the integrator's, of varying size).
    const flowTime = curveRuns.every((r) => r.summary.method === 'flow');
    const xKey = flowTime ? 't' : 'step';
    for (const m of CURVE_METRICS) {
      const rows: Record<string, unknown>[] = [];
      for (const r of curveRuns) {
        for (const h of thin(histories.get(r.id) ?? [], MAX_CURVE_POINTS)) {
          const v = h[m.key];
          if (typeof v === 'number' && Number.isFinite(v)) rows.push({ step: h[xKey], value: v, run: r.id, label: seriesLabel(plan, r) });
        }
      }
      if (rows.length === 0) continue;
      // Log step axis when the positive steps span two decades (step 0 then cannot be drawn).
      const logX = isLogWorthy(rows.map((r) => r.step).filter((s) => typeof s === 'number' && s > 0));
      curveFigures.push({
        name: `curves-${m.key}`,
        spec: lineFigure({
          data: rows,
          x: 'step',
          y: 'value',
          xTitle: flowTime ? 'flow time t' : 'step',
          yTitle: m.title,
          detail: 'run',
          ...(plan.series.length > 0 ? { color: 'label', colorTitle: seriesTitle(plan), colorOrder: curveOrder } : {}),
          log: { x: logX, y: 'auto' },
        }),
        caption: `${m.title} during training, one line per run (${curveRuns.length})` +
          (logX ? `; log ${flowTime ? 'time' : 'step'} axis, so ${flowTime ? 't' : 'step'} = 0 is not drawn.` : '.') + failedNote,
      });
    }
  }
  if (curveFigures.length > 0) {
    out.push({ section: { heading: 'Training curves', text: 'From each run\'s `history.jsonl`.' }, figures: curveFigures });
  }
  return { sections: out, plan };
}

/**
 * Writes the generic report of the sweep directory `dir`: `dir/report.html`
 * (self-contained) and `dir/figures/<name>.svg` and `.png`, replacing earlier
 * versions. Works for a sweep, a single run (no axes) and zero finished runs
 * (a page saying so). Lines of results.jsonl or history.jsonl that do not
 * parse (a truncated last line after a crash) are skipped, and the page says
 * which.
 *
 * @throws FileError when `dir` does not exist or a file cannot be written.
 * @example
 * const { html, figures } = await writeSweepReport('runs/depth-sweep', { title: 'Depth sweep' });
 * // html: 'runs/depth-sweep/report.html'; figures: ['runs/depth-sweep/figures/summary-recon_rel.svg', ...]
 */
export async function writeSweepReport(dir: string, options: SweepReportOptions = {}): Promise<SweepReportFiles> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new FileError(dir, 'no such directory');
  }
  if (!stat.isDirectory()) throw new FileError(dir, 'not a directory');
  const resultsFile = path.join(dir, 'results.jsonl');
  const notes: string[] = [];
  let runs: RunResult[] = [];
  if (fs.existsSync(resultsFile)) {
    const parsed = parseResults(fs.readFileSync(resultsFile, 'utf8'));
    runs = parsed.items;
    if (parsed.skipped.length > 0) {
      notes.push(`Skipped ${countText(parsed.skipped.length, 'line')} of \`results.jsonl\` that did not parse (line ${parsed.skipped.join(', ')}; a truncated last line is what a crash leaves).`);
    }
  }
  const histories = new Map<string, HistoryRow[]>();
  for (const r of runs) {
    const file = path.join(dir, 'runs', r.id, 'history.jsonl');
    if (!/^[A-Za-z0-9_-]+$/.test(r.id) || !fs.existsSync(file)) continue;
    const parsed = parseHistory(fs.readFileSync(file, 'utf8'));
    histories.set(r.id, parsed.items);
    if (parsed.skipped.length > 0) notes.push(`Skipped ${countText(parsed.skipped.length, 'line')} of \`runs/${r.id}/history.jsonl\` that did not parse.`);
  }

  const title = options.title ?? `Sweep ${path.basename(path.resolve(dir))}`;
  const figuresDir = path.join(dir, 'figures');
  const written: string[] = [];
  const sections: ReportSection[] = [];
  let intro: string;
  let configs: Array<{ title: string; json: unknown }> = [];
  if (runs.length === 0) {
    intro = fs.existsSync(resultsFile)
      ? 'No finished runs yet: `results.jsonl` holds no complete line.'
      : 'No finished runs yet: there is no `results.jsonl` in this directory.';
  } else {
    const { sections: planned, plan } = planReport(runs, histories);
    const statuses = new Map<string, number>();
    for (const r of runs) statuses.set(r.summary.status, (statuses.get(r.summary.status) ?? 0) + 1);
    const statusText = [...statuses.entries()].map(([s, n]) => `${s} ${n}`).join(', ');
    intro =
      `${countText(runs.length, 'finished run')} (${statusText}).` +
      (plan.keys.length > 0 ? ` Axes: ${plan.keys.map((k) => `\`${k}\` (${plan.values[k].length})`).join(', ')}.` : ' A single run (no axes).');
    for (const { section, figures } of planned) {
      const rendered: ReportFigure[] = [];
      for (const f of figures) {
        const w = await writeFigure(figuresDir, f.name, f.spec, { onWarning: options.onWarning });
        written.push(w.svgPath, w.pngPath);
        rendered.push({ name: f.name, svg: w.svg, caption: f.caption });
      }
      sections.push({ ...section, ...(rendered.length > 0 ? { figures: rendered } : {}) });
    }
    configs = [
      ...(plan.keys.length > 0 ? [{ title: 'Axes: the distinct values of each', json: plan.values }] : []),
      { title: `Resolved config of run ${runs[0].id}`, json: runs[0].config },
    ];
  }
  if (notes.length > 0) intro += '\n\n' + notes.join('\n\n');
  sections.push(...(options.extra ?? []));
  const html = reportHtml({ title, intro, sections, configs });
  const htmlPath = path.join(dir, 'report.html');
  atomicWriteFile(htmlPath, new TextEncoder().encode(html), { overwrite: true });
  return { html: htmlPath, figures: written };
}
