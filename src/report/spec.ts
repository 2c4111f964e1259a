/**
 * Typed builders of Vega-Lite specs for implab's figures: line figures (with
 * mean ± std bands, facets, markers and reference rules or curves), histograms
 * and bar charts. Pure and browser-safe: plain data in, a plain JSON spec out,
 * no file or font access (rendering lives in render.ts).
 *
 * Conventions shared by every builder:
 * - The caller's rows are copied into internal fields (`__x`, `__y`, ...), so
 *   field names may contain dots or brackets (`model.depth`) without Vega-Lite
 *   reading them as nested paths. Axis and legend titles default to the
 *   caller's field names.
 * - Categories (series, facets, bars) keep the order in which they first
 *   appear in the data unless an explicit order is given.
 * - A log axis is used when asked (`true`), or with `'auto'` (the default)
 *   when every value is finite and > 0 and max/min >= 100 (see `chooseLog`).
 *   On a log axis, values <= 0 cannot be drawn: they become null, which
 *   breaks the line (or band) there instead of warping the scale.
 * - The output is deterministic: the same options give the same spec.
 */

import type { TopLevelSpec } from 'vega-lite';
import type { Field } from 'vega-lite/types_unstable/channeldef.js';
import type { Config } from 'vega-lite/types_unstable/config.js';
import type { LayerSpec } from 'vega-lite/types_unstable/spec/layer.js';
import type { UnitSpec } from 'vega-lite/types_unstable/spec/unit.js';
import type { TopLevelFacetSpec } from 'vega-lite/types_unstable/spec/index.js';
import { dejaVuTextWidth } from './text-width.js';

/** One data row: a plain object. */
export type Row = Readonly<Record<string, unknown>>;

/** Log scale choice for an axis: always, never, or by the `chooseLog` rule. */
export type LogOption = 'auto' | boolean;

/** Default panel size in pixels (per facet panel). */
export const DEFAULT_WIDTH = 360;
export const DEFAULT_HEIGHT = 240;
/** The font named in every figure; render.ts loads its files for the PNG. */
export const FIGURE_FONT = 'DejaVu Sans';

/** Series colours (Tableau 10), in order of the series' first appearance. */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
/** Dash patterns of the reference rules and curves, in order. */
const DASHES: number[][] = [[6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [12, 4]];
/** Colour of the reference rules and curves. */
const REFERENCE_COLOR = '#333333';

type Unit = UnitSpec<Field>;
type Encoding = NonNullable<Unit['encoding']>;
type Scale = NonNullable<Extract<NonNullable<Encoding['x']>, { scale?: unknown }>['scale']>;
type Axis = NonNullable<Extract<NonNullable<Encoding['x']>, { axis?: unknown }>['axis']>;

/** `o` without its undefined properties (Vega-Lite reads a present-but-undefined channel as set). */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * The shared look of every figure: DejaVu Sans, readable sizes, a white
 * background, no outer border. Exported so that experiments writing their own
 * specs look the same.
 *
 * @example
 * const spec = { ...myUnitSpec, config: figureConfig() };
 */
export function figureConfig(): Config {
  return {
    font: FIGURE_FONT,
    background: 'white',
    padding: 8,
    view: { stroke: '#cccccc' },
    axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#ececec', domainColor: '#888888', tickColor: '#888888' },
    legend: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', labelLimit: 260, symbolStrokeWidth: 2 },
    header: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
    title: { fontSize: 13, fontWeight: 'normal', anchor: 'start' },
    line: { strokeWidth: 1.5 },
  };
}

/**
 * The auto-log rule: a log scale suits `values` when every one is finite and
 * strictly positive and they span at least two decades (max/min >= 100).
 * Non-finite values and nulls are ignored; no values at all → false.
 *
 * @example
 * isLogWorthy([1e-4, 0.5, 1]);   // true  (span 1e4)
 * isLogWorthy([1, 50]);          // false (span 50)
 * isLogWorthy([0, 1e-3, 10]);    // false (0 cannot be drawn on a log axis)
 */
export function isLogWorthy(values: Iterable<unknown>): boolean {
  let min = Infinity;
  let max = -Infinity;
  let any = false;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (v <= 0) return false;
    any = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return any && max / min >= 100;
}

/**
 * Resolves a LogOption for an axis showing `values`: `true`/`false` as given,
 * `'auto'` (or undefined) by `isLogWorthy`.
 *
 * @example
 * chooseLog('auto', [1, 10, 1000]); // true
 * chooseLog(false, [1, 10, 1000]);  // false
 */
export function chooseLog(option: LogOption | undefined, values: Iterable<unknown>): boolean {
  if (option === true || option === false) return option;
  return isLogWorthy(values);
}

/** A finite number, or null (non-numbers, NaN, ±Infinity, and <= 0 on a log axis). */
function num(v: unknown, log: boolean): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  if (log && v <= 0) return null;
  return v;
}

/** Distinct labels in order of first appearance. */
function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

function label(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/**
 * Tick labels of a log axis: plain decimals from 0.001 to 9999 ("0.01", "2",
 * "500"), exponent form outside ("1e-4", "2e+5"), never SI prefixes ("100µ").
 */
const LOG_LABEL = "datum.label === '' ? '' : abs(datum.value) < 1e-3 || abs(datum.value) >= 1e4 ? format(datum.value, '~e') : datum.label";

/** Labels of explicit tick values: every one shown, in the log-axis style. */
const TICK_LABEL = "datum.value !== 0 && (abs(datum.value) < 1e-3 || abs(datum.value) >= 1e4) ? format(datum.value, '~e') : format(datum.value, '~g')";

/** Axis properties for a quantitative axis. */
/** Horizontal log axes label decades only: "2e-5 3e-5 4e-5" side by side overlap. */
const DECADE_LABEL = `abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) > 1e-9 ? '' : (${LOG_LABEL})`;

function axisOf(title: string, log: boolean, horizontal = false): Axis {
  return log ? { title, format: '~g', labelExpr: horizontal ? DECADE_LABEL : LOG_LABEL } : { title };
}

function scaleOf(log: boolean, domain?: readonly [number, number]): Scale {
  const base: Scale = log ? { type: 'log' } : { zero: false };
  // An explicit domain is kept as given (no rounding out to nice values, e.g. a log axis
  // ending at 1e-4 instead of 1e-5).
  return domain ? { ...base, domain: [domain[0], domain[1]], nice: false } : base;
}

/** A horizontal reference line (e.g. the nuclear-norm baseline), optionally in one facet only. */
export interface ReferenceRule {
  /** Height of the line, in data units of the y axis. */
  y: number;
  /** Legend entry (rules and curves with the same label share one entry and dash). */
  label: string;
  /** The facet value whose panel gets the rule; omitted → every panel. */
  facet?: unknown;
}

/** A reference curve drawn dashed with its own legend entry (e.g. 1/sqrt(2 loss)). */
export interface ReferenceCurve {
  /** Legend entry. */
  label: string;
  /** The curve's points; x and y fields default to the figure's. */
  rows: readonly Row[];
  x?: string;
  y?: string;
  /** Field of `rows` naming the facet of each point; without it, the curve is drawn in every panel. */
  facet?: string;
}

/** Options of `lineFigure`. */
export interface LineFigureOptions {
  /** The rows to draw, one point each. */
  data: readonly Row[];
  /** Fields of the rows for the x and y positions. */
  x: string;
  y: string;
  xTitle?: string;
  yTitle?: string;
  /** Tick values of the x axis (e.g. the values of a grid axis); default: Vega's. */
  xTicks?: readonly number[];
  /** Figure title above the plot. */
  title?: string;
  /** Field naming the series (one colour and legend entry each). */
  color?: string;
  colorTitle?: string;
  /** Legend order of the series; default: order of first appearance. */
  colorOrder?: readonly string[];
  /** Field that splits lines within one colour (e.g. the run id), without a legend. */
  detail?: string;
  /** Field naming the panel: one panel per value, `columns` panels per row. */
  facet?: string;
  facetTitle?: string;
  /** Panel order; default: order of first appearance. */
  facetOrder?: readonly string[];
  /** Panels per row (default: 3). */
  columns?: number;
  /** One y scale per panel instead of a shared one. */
  independentY?: boolean;
  /** Fields holding the lower and upper edge of a band drawn under the line (e.g. mean ∓ std). */
  band?: { lower: string; upper: string };
  /** Draw a marker at every point. */
  points?: boolean;
  /** Horizontal reference lines. */
  rules?: readonly ReferenceRule[];
  /** Dashed reference curves. */
  curves?: readonly ReferenceCurve[];
  /** Legend title of the rules and curves (default: "reference"). */
  referenceTitle?: string;
  /** Log scales; default 'auto' for both. */
  log?: { x?: LogOption; y?: LogOption };
  /** Axis ranges [min, max], kept exactly (marks outside are clipped); default: Vega's, rounded out to nice values. */
  domain?: { x?: readonly [number, number]; y?: readonly [number, number] };
  /** Panel size in pixels (default 360 x 240). */
  width?: number;
  height?: number;
}

/**
 * A line figure: one line per series (colour) and per `detail` value, in one
 * panel or one per facet value, with an optional band (drawn as a translucent
 * area in the series' colour), markers, and reference rules and curves in
 * dark grey, dashed, with their own legend.
 *
 * @example
 * const spec = lineFigure({
 *   data: meanStd(rows, { by: ['depth', 'init_scale'], fields: ['recon_rel'] }),
 *   x: 'init_scale', y: 'recon_rel_mean', xTitle: 'initialization scale', yTitle: 'relative error',
 *   color: 'depth', colorTitle: 'depth',
 *   band: { lower: 'recon_rel_lower', upper: 'recon_rel_upper' }, points: true,
 *   rules: [{ y: 0.012, label: 'min nuclear norm' }],
 * });
 * const svg = await renderSvg(spec);
 */
export function lineFigure(o: LineFigureOptions): TopLevelSpec {
  const xValues: unknown[] = [];
  const yValues: unknown[] = [];
  for (const r of o.data) {
    xValues.push(r[o.x]);
    yValues.push(r[o.y]);
    if (o.band) yValues.push(r[o.band.lower], r[o.band.upper]);
  }
  for (const c of o.curves ?? []) {
    for (const r of c.rows) {
      xValues.push(r[c.x ?? o.x]);
      yValues.push(r[c.y ?? o.y]);
    }
  }
  for (const rule of o.rules ?? []) yValues.push(rule.y);
  const logX = chooseLog(o.log?.x, xValues);
  const logY = chooseLog(o.log?.y, yValues);

  const facetValues = o.facet
    ? (o.facetOrder ? [...o.facetOrder] : distinct(o.data.map((r) => label(r[o.facet as string]))))
    : [];
  const everyFacet = (f: unknown): (string | undefined)[] =>
    !o.facet ? [undefined] : f === undefined ? facetValues : [label(f)];

  const values: Record<string, unknown>[] = [];
  for (const r of o.data) {
    const row: Record<string, unknown> = { __kind: 'line', __x: num(r[o.x], logX), __y: num(r[o.y], logY) };
    if (o.color) row.__c = label(r[o.color]);
    if (o.detail) row.__d = label(r[o.detail]);
    if (o.facet) row.__f = label(r[o.facet]);
    if (o.band) {
      row.__lo = num(r[o.band.lower], logY);
      row.__hi = num(r[o.band.upper], logY);
    }
    values.push(row);
  }
  const refLabels: string[] = [];
  for (const rule of o.rules ?? []) {
    refLabels.push(rule.label);
    for (const f of everyFacet(rule.facet)) {
      const row: Record<string, unknown> = { __kind: 'rule', __y: num(rule.y, logY), __ref: rule.label };
      if (f !== undefined) row.__f = f;
      values.push(row);
    }
  }
  for (const c of o.curves ?? []) {
    refLabels.push(c.label);
    for (const r of c.rows) {
      for (const f of everyFacet(c.facet ? r[c.facet] : undefined)) {
        const row: Record<string, unknown> = {
          __kind: 'curve', __x: num(r[c.x ?? o.x], logX), __y: num(r[c.y ?? o.y], logY), __ref: c.label,
        };
        if (f !== undefined) row.__f = f;
        values.push(row);
      }
    }
  }
  const refs = distinct(refLabels);
  const colorDomain = o.color ? (o.colorOrder ? [...o.colorOrder] : distinct(values.filter((v) => v.__kind === 'line').map((v) => v.__c as string))) : [];

  const xTicks = o.xTicks?.filter((t) => Number.isFinite(t) && (!logX || t > 0));
  const xAxis: Axis = xTicks ? { ...axisOf(o.xTitle ?? o.x, logX), values: xTicks, labelExpr: TICK_LABEL } : axisOf(o.xTitle ?? o.x, logX, true);
  const x: Encoding['x'] = { field: '__x', type: 'quantitative', scale: scaleOf(logX, o.domain?.x), axis: xAxis };
  const y = (field: string): Encoding['y'] => ({ field, type: 'quantitative', scale: scaleOf(logY, o.domain?.y), axis: axisOf(o.yTitle ?? o.y, logY) });
  const clip = o.domain?.x !== undefined || o.domain?.y !== undefined ? { clip: true } : {};
  // The legend comes from the line layer (a line, or a dot with markers);
  // the band layer shares the scale but not its translucent legend symbol.
  const colorDef = (legend: boolean): Encoding['color'] =>
    o.color
      ? {
          field: '__c', type: 'nominal', title: o.colorTitle ?? o.color, scale: { domain: colorDomain, range: PALETTE },
          legend: { symbolType: o.points ? 'circle' : 'stroke', symbolOpacity: 1 },
        }
      : undefined;
  const strokeDash: Encoding['strokeDash'] = {
    field: '__ref', type: 'nominal', title: o.referenceTitle ?? 'reference',
    scale: { domain: refs, range: refs.map((_, i) => DASHES[i % DASHES.length]) },
  };
  const detail: Encoding['detail'] = o.detail ? { field: '__d', type: 'nominal' } : undefined;
  const kind = (k: string): { filter: string } => ({ filter: `datum.__kind === '${k}'` });
  const fixedColor = o.color ? {} : { color: PALETTE[0] };

  const layers: Unit[] = [];
  if (o.band) {
    layers.push({
      transform: [kind('line')],
      mark: { type: 'area', opacity: 0.18, ...fixedColor, ...clip },
      encoding: defined({ x, y: y('__lo'), y2: { field: '__hi' }, color: colorDef(false), detail }),
    });
  }
  layers.push({
    transform: [kind('line')],
    mark: { type: 'line', ...(o.points ? { point: { size: 22 } } : {}), ...fixedColor, ...clip },
    encoding: defined({ x, y: y('__y'), color: colorDef(true), detail }),
  });
  if ((o.rules ?? []).length > 0) {
    layers.push({
      transform: [kind('rule')],
      mark: { type: 'rule', color: REFERENCE_COLOR, strokeWidth: 1.25, ...clip },
      encoding: { y: y('__y'), strokeDash },
    });
  }
  if ((o.curves ?? []).length > 0) {
    layers.push({
      transform: [kind('curve')],
      mark: { type: 'line', color: REFERENCE_COLOR, strokeWidth: 1.25, ...clip },
      encoding: { x, y: y('__y'), strokeDash, detail: { field: '__ref', type: 'nominal' } },
    });
  }

  const width = o.width ?? DEFAULT_WIDTH;
  const height = o.height ?? DEFAULT_HEIGHT;
  const common = defined({ title: o.title, data: { values }, config: figureConfig() });
  if (o.facet) {
    const spec: TopLevelFacetSpec = {
      ...common,
      facet: { field: '__f', type: 'nominal', title: o.facetTitle ?? o.facet, sort: facetValues },
      columns: o.columns ?? 3,
      spec: { width, height, layer: layers },
      ...(o.independentY ? { resolve: { scale: { y: 'independent' } } } : {}),
    };
    return spec;
  }
  const spec: LayerSpec<Field> & TopLevelSpec = { ...common, width, height, layer: layers };
  return spec;
}

/** Titles and panel size, common to every figure (size default 360 x 240). */
export interface FrameOptions {
  xTitle?: string;
  yTitle?: string;
  /** Figure title above the plot. */
  title?: string;
  width?: number;
  height?: number;
}

/** Options of `histogramFigure`. */
export interface HistogramFigureOptions extends FrameOptions {
  /** The values, or rows with the value in `field` (and a group in `color`). */
  values?: readonly number[];
  data?: readonly Row[];
  field?: string;
  /** Field of `data` naming a group: one translucent histogram per group, overlaid. */
  color?: string;
  colorTitle?: string;
  /** Number of bins (default 30). */
  bins?: number;
  /** Log x axis with log-spaced bins; default 'auto' (the `chooseLog` rule on the values). */
  log?: LogOption;
}

/** One histogram bin: [lo, hi) (the last bin includes hi) and its count. */
export interface Bin {
  lo: number;
  hi: number;
  count: number;
}

/**
 * Bins finite `values` (positive ones only when `log`) into `bins` equal bins
 * between their min and max, equal in log10 when `log`. The last bin is
 * closed. A single distinct value gets one bin around it. No values → [].
 *
 * @example
 * binValues([1, 2, 2, 3], { bins: 2 });
 * // [{ lo: 1, hi: 2, count: 1 }, { lo: 2, hi: 3, count: 3 }]
 */
export function binValues(values: readonly number[], options: { bins?: number; log?: boolean } = {}): Bin[] {
  const binning = makeBinning(values, options);
  if (!binning) return [];
  const bins = binning.edges.map((e) => ({ ...e, count: 0 }));
  for (const v of values) {
    const i = binning.index(v);
    if (i >= 0) bins[i].count++;
  }
  return bins;
}

/** Bin edges for `values` and the bin of a value (-1: not drawable). Null when no value is drawable. */
function makeBinning(
  values: readonly number[],
  options: { bins?: number; log?: boolean },
): { edges: { lo: number; hi: number }[]; index: (v: number) => number } | null {
  const log = options.log === true;
  const n = Math.max(1, Math.floor(options.bins ?? 30));
  const ok = (v: number): boolean => Number.isFinite(v) && (!log || v > 0);
  const t = (v: number): number => (log ? Math.log10(v) : v);
  const inv = (u: number): number => (log ? 10 ** u : u);
  let a = Infinity;
  let b = -Infinity;
  for (const v of values) {
    if (!ok(v)) continue;
    const u = t(v);
    if (u < a) a = u;
    if (u > b) b = u;
  }
  if (a > b) return null;
  if (a === b) {
    const half = log ? 0.05 : a !== 0 ? Math.abs(a) * 0.05 : 0.5;
    a -= half;
    b += half;
  }
  const cut = Array.from({ length: n + 1 }, (_, i) => (i === n ? b : a + ((b - a) * i) / n));
  const edges = Array.from({ length: n }, (_, i) => ({ lo: inv(cut[i]), hi: inv(cut[i + 1]) }));
  const index = (v: number): number => {
    if (!ok(v)) return -1;
    const i = Math.floor(((t(v) - a) / (b - a)) * n);
    return Math.min(n - 1, Math.max(0, i));
  };
  return { edges, index };
}

/**
 * A histogram (e.g. of relative deviations on a log x axis). Binning happens
 * here, not in Vega, so that log-spaced bins are possible and the spec holds
 * only the bins. Groups share the bin edges.
 *
 * @example
 * const spec = histogramFigure({ values: deviations, log: true, xTitle: '|Δ| / |published|' });
 */
export function histogramFigure(o: HistogramFigureOptions): TopLevelSpec {
  const groups = new Map<string, number[]>();
  if (o.values) groups.set('', [...o.values]);
  if (o.data && o.field) {
    for (const r of o.data) {
      const g = o.color ? label(r[o.color]) : '';
      const v = r[o.field];
      if (typeof v !== 'number') continue;
      if (!groups.has(g)) groups.set(g, []);
      (groups.get(g) as number[]).push(v);
    }
  }
  const all = [...groups.values()].flat();
  const log = chooseLog(o.log, all);
  const binning = makeBinning(all, { bins: o.bins, log });
  const values: Record<string, unknown>[] = [];
  for (const [g, vs] of groups) {
    if (!binning) break;
    const counts = binning.edges.map(() => 0);
    for (const v of vs) {
      const i = binning.index(v);
      if (i >= 0) counts[i]++;
    }
    binning.edges.forEach((e, i) => values.push({ __lo: e.lo, __hi: e.hi, __n: counts[i], ...(o.color ? { __c: g } : {}) }));
  }
  const colorDomain = [...groups.keys()];
  const grouped = o.color !== undefined && colorDomain.length > 0;
  const spec: TopLevelSpec = {
    ...defined({ title: o.title }),
    width: o.width ?? DEFAULT_WIDTH,
    height: o.height ?? DEFAULT_HEIGHT,
    data: { values },
    mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5, ...(grouped ? { opacity: 0.55 } : { color: PALETTE[0] }) },
    encoding: {
      x: { field: '__lo', type: 'quantitative', scale: scaleOf(log), axis: axisOf(o.xTitle ?? o.field ?? 'value', log, true) },
      x2: { field: '__hi' },
      y: { field: '__n', type: 'quantitative', axis: { title: o.yTitle ?? 'count', tickMinStep: 1 } },
      y2: { datum: 0 },
      ...(grouped ? { color: { field: '__c', type: 'nominal', title: o.colorTitle ?? o.color, scale: { domain: colorDomain, range: PALETTE } } } : {}),
    },
    config: figureConfig(),
  };
  return spec;
}

/** Options of `barFigure`. */
export interface BarFigureOptions extends FrameOptions {
  data: readonly Row[];
  /** Category field (one bar, or group of bars, per value, in order of appearance). */
  x: string;
  /** Bar height field. */
  y: string;
  /** Field splitting each category into side-by-side coloured bars. */
  color?: string;
  colorTitle?: string;
  /** Fields of an error bar drawn over each bar (e.g. mean ∓ std). */
  error?: { lower: string; upper: string };
  /** Log y axis; default 'auto'. A log axis starts at the smallest value's decade instead of 0. */
  log?: LogOption;
}

/**
 * A bar chart of one number per category, optionally split by colour and with
 * error bars.
 *
 * @example
 * const spec = barFigure({ data: groups, x: 'label', y: 'recon_rel_mean',
 *   error: { lower: 'recon_rel_lower', upper: 'recon_rel_upper' }, yTitle: 'relative error' });
 */
export function barFigure(o: BarFigureOptions): TopLevelSpec {
  const yValues: unknown[] = [];
  for (const r of o.data) {
    yValues.push(r[o.y]);
    if (o.error) yValues.push(r[o.error.lower], r[o.error.upper]);
  }
  const log = chooseLog(o.log, yValues);
  const values = o.data.map((r) => ({
    __x: label(r[o.x]),
    __y: num(r[o.y], log),
    ...(o.color ? { __c: label(r[o.color]) } : {}),
    ...(o.error ? { __lo: num(r[o.error.lower], log), __hi: num(r[o.error.upper], log) } : {}),
  }));
  const xDomain = distinct(values.map((v) => v.__x));
  const colorDomain = o.color ? distinct(values.map((v) => (v as { __c?: string }).__c as string)) : [];
  // Labels that do not fit under their bar are set at an angle (widths in DejaVu Sans at 10 px).
  const width = o.width ?? DEFAULT_WIDTH;
  const widest = Math.max(0, ...xDomain.map((d) => dejaVuTextWidth(d, 10)));
  const fits = widest <= (0.9 * width) / Math.max(1, xDomain.length);
  const xAxis: Axis = fits ? { labelAngle: 0 } : { labelAngle: -30, labelAlign: 'right', labelBaseline: 'top', labelLimit: 220 };
  const x: Encoding['x'] = { field: '__x', type: 'nominal', title: o.xTitle ?? o.x, sort: xDomain, axis: xAxis };
  const yScale: Scale = log ? { type: 'log' } : { zero: true };
  const yAxis = axisOf(o.yTitle ?? o.y, log);
  const y = (field: string): Encoding['y'] => ({ field, type: 'quantitative', scale: yScale, axis: yAxis });
  const color: Encoding['color'] = o.color
    ? { field: '__c', type: 'nominal', title: o.colorTitle ?? o.color, scale: { domain: colorDomain, range: PALETTE } }
    : undefined;
  const xOffset: Encoding['xOffset'] = o.color ? { field: '__c', type: 'nominal', sort: colorDomain } : undefined;
  // A log axis has no zero: bars rise from the decade below the smallest value (and the
  // scale's domain starts there), otherwise vega-lite draws them from -infinity, i.e. not at all.
  const positive = values.flatMap((v) => [v.__y, (v as { __lo?: number | null }).__lo]).filter((t): t is number => typeof t === 'number' && t > 0);
  const base = log && positive.length > 0 ? Number(`1e${Math.floor(Math.log10(Math.min(...positive)))}`) : null; // 10 ** -5 is not 1e-5
  if (base !== null) {
    yScale.domainMin = base;
    const top = Math.max(...positive, ...values.map((v) => (v as { __hi?: number | null }).__hi ?? 0).filter((t) => t > 0));
    yScale.domainMax = Number(`1e${Math.ceil(Math.log10(top))}`);
  }
  const layers: Unit[] = [
    {
      mark: { type: 'bar', ...(color ? {} : { color: PALETTE[0] }) },
      encoding: defined({ x, y: y('__y'), ...(base !== null ? { y2: { datum: base } } : {}), color, xOffset }),
    },
  ];
  if (o.error) {
    layers.push({
      mark: { type: 'rule', color: REFERENCE_COLOR, strokeWidth: 1.25 },
      encoding: defined({ x, y: y('__lo'), y2: { field: '__hi' }, xOffset }),
    });
  }
  const spec: TopLevelSpec = {
    ...defined({ title: o.title }),
    width,
    height: o.height ?? DEFAULT_HEIGHT,
    data: { values },
    layer: layers,
    config: figureConfig(),
  };
  return spec;
}
