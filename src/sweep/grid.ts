/**
 * Grid expansion of a sweep config: any key may hold a list, and the grid is the
 * product of the lists. Browser-safe.
 *
 * Rules (the schema decides what a list means; the raw config is walked alongside
 * runConfigSchema):
 * - A list where the schema expects a single value (a number, a string, a table) is an
 *   axis. Where it expects a list (model.widths), a list of lists is an axis and any
 *   other list is the value itself. A list of tables where a table is expected
 *   (`[[model]]`) is an axis over whole tables, which pairs settings.
 * - Discriminators (`kind`, `optimizer.name`) choose which keys exist. A list-valued
 *   discriminator is an axis placed where its table begins (before the table's other
 *   keys, wherever it is written); each of its values selects its own branch, and the
 *   rest of the table is expanded against that branch. A key that only some branches
 *   know is therefore an unknown-key error at the points of the others, e.g.
 *   `model.depth: unknown key (expected one of kind, width) (at model.kind=psd)`;
 *   pair kind-specific keys with a list of tables or with variants instead.
 * - `variants = [ {partial config}, ... ]` (`[[variants]]` in TOML) is one axis, always
 *   the first (slowest): key `variants`, value the variant's `name` if it is a string,
 *   else its index. Each variant is deep-merged over the rest of the file before
 *   expansion (a table whose discriminator the variant changes is replaced, not merged;
 *   a base table without a discriminator or a default one, e.g. `problem = { n = 100 }`,
 *   is merged into), and may itself hold lists, which expand within that variant.
 * - Order: axes in the order their keys first appear in the file (depth-first), the
 *   last axis varying fastest. Grid.axes lists every axis of any point in order of first
 *   appearance, with its distinct values.
 * - Errors (ConfigError, one line): an empty list names its key; a point that fails
 *   resolveRunConfig names the axis values of the point, `(at model.depth=0)`; two
 *   points with the same run id name both axis assignments.
 */

import type { z } from 'zod';
import { ConfigError, describeConfigValue, dottedKey, isConfigTable, resolveRunConfig, runConfigSchema, type ResolvedRunConfig } from './config.js';
import { canonicalJson, runId } from './run-id.js';

/** One axis of the grid: a dotted key and its distinct values, in order. */
export interface Axis {
  key: string;
  values: unknown[];
}

/** One run of the grid. */
export interface GridPoint {
  config: ResolvedRunConfig;
  /** This point's value on each of its axes (dotted key -> value), in axis order. */
  axes: Record<string, unknown>;
  /** runId(config): the run lives in DIR/runs/<id>/. */
  id: string;
}

export interface Grid {
  axes: Axis[];
  points: GridPoint[];
}

/** A guard against a product that could never run (and would exhaust memory first). */
const MAX_POINTS = 1_000_000;

// ---------------------------------------------------------------------------
// Walking zod 4 schemas
// ---------------------------------------------------------------------------

type Schema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  options?: Schema[];
  discriminator?: string;
}

type Kind =
  | { kind: 'table'; shape: Record<string, Schema> }
  | { kind: 'union'; discriminator: string; options: Schema[] }
  | { kind: 'list' }
  | { kind: 'value' };

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch']);

function classify(schema: Schema | undefined): Kind {
  let s = schema;
  while (s) {
    const d = s._zod.def as unknown as Def;
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'object' && d.shape) return { kind: 'table', shape: d.shape };
    else if (d.type === 'union' && d.options && typeof d.discriminator === 'string') return { kind: 'union', discriminator: d.discriminator, options: d.options };
    else if (d.type === 'array') return { kind: 'list' };
    else return { kind: 'value' };
  }
  return { kind: 'value' };
}

function propValues(option: Schema, discriminator: string): Set<unknown> {
  return (option._zod.propValues?.[discriminator] as Set<unknown> | undefined) ?? new Set();
}

/** The shape of the union branch a discriminator value selects (undefined selects the default branch). */
function branchShape(u: Extract<Kind, { kind: 'union' }>, value: unknown): Record<string, Schema> | undefined {
  const option = u.options.find((o) => propValues(o, u.discriminator).has(value));
  if (!option) return undefined;
  const k = classify(option);
  return k.kind === 'table' ? k.shape : undefined;
}

/** The discriminator value a missing discriminator stands for (the branch whose literal has a default). */
function effectiveDiscriminator(u: Extract<Kind, { kind: 'union' }>, value: unknown): unknown {
  if (value !== undefined) return value;
  for (const o of u.options) {
    const values = propValues(o, u.discriminator);
    if (values.has(undefined)) return [...values].find((v) => v !== undefined);
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Finding axes
// ---------------------------------------------------------------------------

interface Found {
  path: string[];
  values: unknown[];
}

/** The first axis of `value` (depth-first, keys in their order; a table's list discriminator first), or null. */
function findAxis(value: unknown, schema: Schema | undefined, path: string[]): Found | null {
  const k = classify(schema);
  if (Array.isArray(value)) {
    if (k.kind !== 'list') return { path, values: value };
    return value.length > 0 && value.every((v) => Array.isArray(v)) ? { path, values: value } : null;
  }
  if (!isConfigTable(value)) return null;
  let shape: Record<string, Schema> | undefined;
  if (k.kind === 'table') {
    shape = k.shape;
  } else if (k.kind === 'union') {
    const d = value[k.discriminator];
    if (Array.isArray(d)) return { path: [...path, k.discriminator], values: d };
    shape = branchShape(k, d);
  }
  if (!shape) return null;
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(shape, key)) continue;
    const found = findAxis(value[key], shape[key], [...path, key]);
    if (found) return found;
  }
  return null;
}

/** A copy of `root` with the value at `path` replaced (tables along the path copied). */
function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const out = { ...root };
  let table = out;
  for (let i = 0; i < path.length - 1; i++) {
    const next = { ...(table[path[i]] as Record<string, unknown>) };
    table[path[i]] = next;
    table = next;
  }
  table[path[path.length - 1]] = value;
  return out;
}

/**
 * `variant` deep-merged over `base`: tables merge key by key (base keys keep their
 * order, new ones follow); anything else in the variant replaces. A table whose
 * discriminator the variant sets to another value is replaced whole (a missing
 * discriminator counts as its default, e.g. model.kind = deep; a table with neither,
 * like a problem table of shared sizes, is merged into).
 */
function mergeVariant(base: unknown, over: unknown, schema: Schema | undefined): unknown {
  if (!isConfigTable(base) || !isConfigTable(over)) return over;
  const k = classify(schema);
  let shape: Record<string, Schema> | undefined;
  if (k.kind === 'union') {
    const d = k.discriminator;
    const mine = effectiveDiscriminator(k, base[d]);
    const theirs = effectiveDiscriminator(k, over[d]);
    // Replace only a table that has a kind (given, or the default branch's) and a different one: a
    // kind-less base table without a default branch (e.g. shared problem sizes) is merged into.
    if (Object.prototype.hasOwnProperty.call(over, d) && mine !== undefined && canonicalJson(mine) !== canonicalJson(theirs ?? null)) return over;
    shape = Array.isArray(mine) ? undefined : branchShape(k, base[d]);
  } else if (k.kind === 'table') {
    shape = k.shape;
  }
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(over)) {
    out[key] = Object.prototype.hasOwnProperty.call(base, key) ? mergeVariant(base[key], over[key], shape?.[key]) : over[key];
  }
  return out;
}

// ---------------------------------------------------------------------------
// Expansion
// ---------------------------------------------------------------------------

type Assignment = [key: string, value: unknown];

function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v) ?? String(v);
}

function formatAssignments(assigns: readonly Assignment[]): string {
  return assigns.map(([k, v]) => `${k}=${formatValue(v)}`).join(', ');
}

function at(assigns: readonly Assignment[]): string {
  return assigns.length === 0 ? '' : ` (at ${formatAssignments(assigns)})`;
}

interface RawPoint {
  raw: Record<string, unknown>;
  assigns: Assignment[];
}

function expand(raw: Record<string, unknown>, assigns: Assignment[], out: RawPoint[], source: string): void {
  const found = findAxis(raw, runConfigSchema, []);
  if (!found) {
    if (out.length >= MAX_POINTS) throw new ConfigError(source, '', `the grid has more than ${MAX_POINTS} points; split the sweep`);
    out.push({ raw, assigns });
    return;
  }
  const key = dottedKey(found.path);
  if (found.values.length === 0) {
    throw new ConfigError(source, key, `expected a value or a non-empty list of values, got an empty list${at(assigns)}`);
  }
  if (assigns.some(([k]) => k === key)) {
    const current = assigns.find(([k]) => k === key)![1];
    throw new ConfigError(source, key, `expected a value or a list of values, got a list of lists (${describeConfigValue(current)} is itself a list)${at(assigns)}`);
  }
  for (const v of found.values) expand(setAt(raw, found.path, v), [...assigns, [key, v]], out, source);
}

/** The raw configs of the variants (merged over the base), each with its axis value; or the base alone. */
function variantsOf(raw: Record<string, unknown>, source: string): RawPoint[] {
  if (!Object.prototype.hasOwnProperty.call(raw, 'variants')) return [{ raw, assigns: [] }];
  const { variants, ...base } = raw;
  if (!Array.isArray(variants) || variants.length === 0) {
    throw new ConfigError(source, 'variants', `expected a non-empty list of tables (partial configs), got ${describeConfigValue(variants)}`);
  }
  const seen = new Map<string, number>();
  return variants.map((v, i) => {
    if (!isConfigTable(v)) throw new ConfigError(source, `variants[${i}]`, `expected a table (a partial config), got ${describeConfigValue(v)}`);
    let label: string | number = i;
    if (typeof v.name === 'string') {
      const before = seen.get(v.name);
      if (before !== undefined) throw new ConfigError(source, `variants[${i}].name`, `expected a name not already used, got ${JSON.stringify(v.name)} (the name of variants[${before}])`);
      seen.set(v.name, i);
      label = v.name;
    }
    return { raw: mergeVariant(base, v, runConfigSchema) as Record<string, unknown>, assigns: [['variants', label]] };
  });
}

/**
 * Expands a sweep config into its grid of runs: every list is an axis (see the module
 * comment for what counts as a list and how discriminators and variants work), every
 * point is validated and resolved with resolveRunConfig, and gets its run id.
 *
 * @throws ConfigError, one line: `sweep.toml: optimizer.lr: expected a value or a non-empty
 *   list of values, got an empty list`, `sweep.toml: model.depth: expected an integer >= 1,
 *   got 0 (at model.depth=0)`, `sweep.toml: the points (seeds.data=1, name=a) and
 *   (seeds.data=1, name=b) are the same run 3f9a0c1d2e4b5a69 ...`.
 * @example
 * const grid = expandGrid({ problem: { kind: 'razin2x2' }, model: { depth: [2, 3] }, optimizer: { lr: [0.1, 0.01] } }, 'sweep.toml');
 * grid.axes;                       // [{ key: 'model.depth', values: [2, 3] }, { key: 'optimizer.lr', values: [0.1, 0.01] }]
 * grid.points.map((p) => p.axes);  // depth 2 lr 0.1, depth 2 lr 0.01, depth 3 lr 0.1, depth 3 lr 0.01
 */
export function expandGrid(raw: unknown, source: string): Grid {
  if (!isConfigTable(raw)) throw new ConfigError(source, '', `expected a table at the top level, got ${describeConfigValue(raw)}`);
  const rawPoints: RawPoint[] = [];
  for (const v of variantsOf(raw, source)) expand(v.raw, v.assigns, rawPoints, source);

  const points: GridPoint[] = [];
  const byId = new Map<string, number>();
  const axes: Axis[] = [];
  const axisIndex = new Map<string, { axis: Axis; seen: Set<string> }>();
  for (const { raw: pointRaw, assigns } of rawPoints) {
    let config: ResolvedRunConfig;
    try {
      config = resolveRunConfig(pointRaw, source);
    } catch (e) {
      if (e instanceof ConfigError && assigns.length > 0) throw new ConfigError(e.source, e.key, `${e.detail}${at(assigns)}`);
      throw e;
    }
    const id = runId(config);
    const twin = byId.get(id);
    if (twin !== undefined) {
      throw new ConfigError(
        source, '',
        `the points (${formatAssignments(rawPoints[twin].assigns)}) and (${formatAssignments(assigns)}) are the same run ${id} ` +
          '(their resolved configs are equal; the name is not part of the run id)',
      );
    }
    byId.set(id, points.length);
    const pointAxes: Record<string, unknown> = {};
    for (const [key, value] of assigns) {
      pointAxes[key] = value;
      let entry = axisIndex.get(key);
      if (!entry) {
        entry = { axis: { key, values: [] }, seen: new Set() };
        axisIndex.set(key, entry);
        axes.push(entry.axis);
      }
      const canon = canonicalJson(value);
      if (!entry.seen.has(canon)) {
        entry.seen.add(canon);
        entry.axis.values.push(value);
      }
    }
    points.push({ config, axes: pointAxes, id });
  }
  return { axes, points };
}
