import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveRunConfig } from '../src/sweep/config.js';
import { readConfigFile } from '../src/sweep/config-file.js';
import { expandGrid, type Grid } from '../src/sweep/grid.js';
import { applyOverrides } from '../src/sweep/overrides.js';
import { runId } from '../src/sweep/run-id.js';
import { configErrorOf } from './helpers/config-error.js';

const SRC = 'sweep.toml';
const P = { kind: 'razin2x2' };

const gridError = (raw: unknown): string => configErrorOf(() => expandGrid(raw, SRC));

const axesOf = (g: Grid): Array<Record<string, unknown>> => g.points.map((p) => p.axes);

describe('expandGrid: products', () => {
  test('a config without lists is one point with no axes', () => {
    const raw = { problem: P, model: { depth: 2 } };
    const g = expandGrid(raw, SRC);
    expect(g.axes).toEqual([]);
    expect(g.points).toHaveLength(1);
    const config = resolveRunConfig(raw, SRC);
    expect(g.points[0]).toStrictEqual({ config, axes: {}, id: runId(config) });
  });

  test('the grid is the product; the last axis varies fastest', () => {
    const g = expandGrid({ problem: P, model: { depth: [2, 3] }, optimizer: { lr: [0.1, 0.01, 0.001] } }, SRC);
    expect(g.axes).toEqual([
      { key: 'model.depth', values: [2, 3] },
      { key: 'optimizer.lr', values: [0.1, 0.01, 0.001] },
    ]);
    expect(axesOf(g)).toEqual([
      { 'model.depth': 2, 'optimizer.lr': 0.1 }, { 'model.depth': 2, 'optimizer.lr': 0.01 }, { 'model.depth': 2, 'optimizer.lr': 0.001 },
      { 'model.depth': 3, 'optimizer.lr': 0.1 }, { 'model.depth': 3, 'optimizer.lr': 0.01 }, { 'model.depth': 3, 'optimizer.lr': 0.001 },
    ]);
    for (const p of g.points) {
      expect(p.config.model).toStrictEqual({ kind: 'deep', depth: p.axes['model.depth'] });
      expect(p.config.optimizer).toStrictEqual({ name: 'gd', lr: p.axes['optimizer.lr'] });
      expect(p.id).toBe(runId(p.config));
    }
    expect(new Set(g.points.map((p) => p.id)).size).toBe(6);
  });

  test('axes follow the order keys first appear in the file, depth-first', () => {
    const g = expandGrid({ seeds: { init: [0, 1], data: [5, 6] }, optimizer: { lr: [0.1, 0.2] }, problem: P, model: { depth: [2, 3] } }, SRC);
    expect(g.axes.map((a) => a.key)).toEqual(['seeds.init', 'seeds.data', 'optimizer.lr', 'model.depth']);
    expect(g.points).toHaveLength(16);
    expect(g.points[0].axes).toEqual({ 'seeds.init': 0, 'seeds.data': 5, 'optimizer.lr': 0.1, 'model.depth': 2 });
    expect(g.points[1].axes).toEqual({ 'seeds.init': 0, 'seeds.data': 5, 'optimizer.lr': 0.1, 'model.depth': 3 });
    expect(g.points[15].axes).toEqual({ 'seeds.init': 1, 'seeds.data': 6, 'optimizer.lr': 0.2, 'model.depth': 3 });
    expect(Object.keys(g.points[0].axes)).toEqual(['seeds.init', 'seeds.data', 'optimizer.lr', 'model.depth']);
  });

  test('seeds are axes; sampling follows data unless given', () => {
    const g = expandGrid({ problem: { kind: 'sensing', n: 5, m: 10 }, seeds: { data: [0, 1, 2] } }, SRC);
    expect(g.points.map((p) => p.config.seeds)).toEqual([0, 1, 2].map((d) => ({ data: d, sampling: d, init: 0 })));
  });

  test('ids are stable under key reordering and differ between points', () => {
    const a = expandGrid({ problem: { kind: 'sensing', n: 5, m: 10 }, optimizer: { lr: [0.1, 0.2], name: 'momentum' }, seeds: { data: [0, 1] } }, SRC);
    const b = expandGrid({ seeds: { data: [0, 1] }, optimizer: { name: 'momentum', lr: [0.1, 0.2] }, problem: { m: 10, kind: 'sensing', n: 5 } }, SRC);
    expect(new Set(b.points.map((p) => p.id))).toEqual(new Set(a.points.map((p) => p.id)));
    expect(a.points.map((p) => p.id)).not.toEqual(b.points.map((p) => p.id)); // same runs, other order
    expect(new Set(a.points.map((p) => p.id)).size).toBe(4);
    const again = expandGrid({ problem: { kind: 'sensing', n: 5, m: 10 }, optimizer: { lr: [0.1, 0.2], name: 'momentum' }, seeds: { data: [0, 1] } }, SRC);
    expect(again.points.map((p) => p.id)).toEqual(a.points.map((p) => p.id));
  });

  test('a list of booleans or strings is an axis too', () => {
    const g = expandGrid({ problem: P, loss: ['mse', 'half-sse'], train: { keepHistory: [true, false] } }, SRC);
    expect(g.axes).toEqual([{ key: 'loss', values: ['mse', 'half-sse'] }, { key: 'train.keepHistory', values: [true, false] }]);
    expect(g.points).toHaveLength(4);
  });

  test('the input is not modified', () => {
    const raw = { problem: P, model: { depth: [2, 3] }, variants: [{ optimizer: { lr: [0.1, 0.2] } }] };
    const copy = structuredClone(raw);
    expandGrid(raw, SRC);
    expect(raw).toStrictEqual(copy);
  });
});

describe('expandGrid: the schema decides what a list means', () => {
  test('where the schema expects a list, a list is one value and a list of lists is an axis', () => {
    const one = expandGrid({ problem: P, model: { depth: 3, widths: [4, 5] } }, SRC);
    expect(one.axes).toEqual([]);
    expect(one.points[0].config.model).toStrictEqual({ kind: 'deep', depth: 3, widths: [4, 5] });
    const two = expandGrid({ problem: P, model: { depth: 3, widths: [[4, 5], [6, 6]] } }, SRC);
    expect(two.axes).toEqual([{ key: 'model.widths', values: [[4, 5], [6, 6]] }]);
    expect(two.points.map((p) => p.config.model)).toEqual([
      { kind: 'deep', depth: 3, widths: [4, 5] },
      { kind: 'deep', depth: 3, widths: [6, 6] },
    ]);
    expect(two.points[0].id).toBe(one.points[0].id);
  });

  test('a list of tables where a table is expected is an axis over whole tables (paired settings)', () => {
    const g = expandGrid({ problem: P, model: [{ depth: 2 }, { kind: 'psd', width: 2 }], init: [{ kind: 'identity', scale: 0.1 }, { scale: 1e-3 }] }, SRC);
    expect(g.axes.map((a) => a.key)).toEqual(['model', 'init']);
    expect(g.points.map((p) => [p.config.model, p.config.init])).toEqual([
      [{ kind: 'deep', depth: 2 }, { kind: 'identity', scale: 0.1 }],
      [{ kind: 'deep', depth: 2 }, { kind: 'gaussian', scale: 1e-3 }],
      [{ kind: 'psd', width: 2 }, { kind: 'identity', scale: 0.1 }],
      [{ kind: 'psd', width: 2 }, { kind: 'gaussian', scale: 1e-3 }],
    ]);
  });

  test('lists inside a listed table expand within it', () => {
    const g = expandGrid({ problem: P, model: [{ depth: [2, 3] }, { kind: 'psd', width: 2 }] }, SRC);
    expect(axesOf(g)).toEqual([
      { model: { depth: [2, 3] }, 'model.depth': 2 },
      { model: { depth: [2, 3] }, 'model.depth': 3 },
      { model: { kind: 'psd', width: 2 } },
    ]);
    expect(g.points.map((p) => p.config.model)).toEqual([{ kind: 'deep', depth: 2 }, { kind: 'deep', depth: 3 }, { kind: 'psd', width: 2 }]);
  });

  test('a list-valued discriminator: each value selects its branch', () => {
    const g = expandGrid({ problem: P, init: { kind: ['gaussian', 'identity', 'orthogonal'], scale: [0.1, 0.01] } }, SRC);
    expect(g.axes).toEqual([
      { key: 'init.kind', values: ['gaussian', 'identity', 'orthogonal'] },
      { key: 'init.scale', values: [0.1, 0.01] },
    ]);
    expect(g.points.map((p) => p.config.init)).toEqual(
      ['gaussian', 'identity', 'orthogonal'].flatMap((kind) => [0.1, 0.01].map((scale) => ({ kind, scale }))),
    );
  });

  test('a list-valued discriminator is the first axis of its table, wherever it is written', () => {
    const g = expandGrid({ problem: P, optimizer: { lr: [0.1, 0.2], name: ['gd', 'adam'] } }, SRC);
    expect(g.axes.map((a) => a.key)).toEqual(['optimizer.name', 'optimizer.lr']);
    expect(g.points.map((p) => p.config.optimizer.name)).toEqual(['gd', 'gd', 'adam', 'adam']);
  });

  test('a key that only one branch knows is an unknown-key error at the points of the others', () => {
    expect(gridError({ problem: P, model: { kind: ['deep', 'psd'], depth: [2, 3] } })).toBe(
      'sweep.toml: model.depth: unknown key (expected one of kind, width) (at model.kind=psd)',
    );
    expect(gridError({ problem: P, optimizer: { name: ['momentum', 'gd'], momentum: 0.5 } })).toBe(
      'sweep.toml: optimizer.momentum: unknown key (expected one of name, lr) (at optimizer.name=gd)',
    );
  });

  test('a bad discriminator in a list names its value', () => {
    expect(gridError({ problem: P, model: { kind: ['deep', 'dep'] } })).toBe(
      'sweep.toml: model.kind: expected one of deep, psd, asymmetric, udu, got "dep" (at model.kind=dep)',
    );
  });

  test('lists under unknown keys are left to validation', () => {
    expect(gridError({ problem: P, model: { dpeth: [2, 3] } })).toBe('sweep.toml: model.dpeth: unknown key (expected one of kind, depth, widths)');
  });

  test('a problem axis: kinds with their own keys as a list of tables', () => {
    const g = expandGrid({ problem: [{ kind: 'sensing', n: 4, m: [8, 12] }, { kind: 'completion', n: 4, m: 8 }] }, SRC);
    expect(g.points.map((p) => [p.config.problem.kind, (p.config.problem as { m: number }).m])).toEqual([
      ['sensing', 8], ['sensing', 12], ['completion', 8],
    ]);
  });
});

describe('expandGrid: variants', () => {
  test('each variant is merged over the base; the variants axis comes first; names label it', () => {
    const g = expandGrid({
      problem: P,
      seeds: { data: [0, 1] },
      optimizer: { lr: 0.1 },
      variants: [
        { name: 'small', init: { scale: 1e-4 }, optimizer: { lr: 0.01 } },
        { name: 'large', init: { scale: 1e-1 } },
      ],
    }, SRC);
    expect(g.axes).toEqual([{ key: 'variants', values: ['small', 'large'] }, { key: 'seeds.data', values: [0, 1] }]);
    expect(axesOf(g)).toEqual([
      { variants: 'small', 'seeds.data': 0 }, { variants: 'small', 'seeds.data': 1 },
      { variants: 'large', 'seeds.data': 0 }, { variants: 'large', 'seeds.data': 1 },
    ]);
    expect(g.points.map((p) => [p.config.name, p.config.init, p.config.optimizer.lr])).toEqual([
      ['small', { kind: 'gaussian', scale: 1e-4 }, 0.01], ['small', { kind: 'gaussian', scale: 1e-4 }, 0.01],
      ['large', { kind: 'gaussian', scale: 1e-1 }, 0.1], ['large', { kind: 'gaussian', scale: 1e-1 }, 0.1],
    ]);
  });

  test('unnamed variants are labelled by index; variant lists expand within the variant', () => {
    const g = expandGrid({ problem: P, variants: [{ model: { depth: [2, 3] } }, { model: { kind: 'psd', width: 2 }, init: { scale: [0.1, 0.2] } }] }, SRC);
    expect(g.axes).toEqual([
      { key: 'variants', values: [0, 1] },
      { key: 'model.depth', values: [2, 3] },
      { key: 'init.scale', values: [0.1, 0.2] },
    ]);
    expect(axesOf(g)).toEqual([
      { variants: 0, 'model.depth': 2 }, { variants: 0, 'model.depth': 3 },
      { variants: 1, 'init.scale': 0.1 }, { variants: 1, 'init.scale': 0.2 },
    ]);
  });

  test('a variant that changes a discriminator replaces the table; the same one merges', () => {
    const base = { problem: P, model: { depth: [2, 3] } };
    const replaced = expandGrid({ ...base, variants: [{ model: { kind: 'psd', width: 3 } }] }, SRC);
    expect(replaced.points.map((p) => p.config.model)).toEqual([{ kind: 'psd', width: 3 }]);
    const merged = expandGrid({ problem: P, model: { depth: 3 }, variants: [{ model: { kind: 'deep', widths: [[4, 4], [5, 5]] } }] }, SRC);
    expect(merged.points.map((p) => p.config.model)).toEqual([
      { kind: 'deep', depth: 3, widths: [4, 4] },
      { kind: 'deep', depth: 3, widths: [5, 5] },
    ]);
  });

  test('a base table without a discriminator or a default one (shared problem sizes) is merged into', () => {
    const g = expandGrid({
      problem: { n: 6, m: [10, 20] },
      variants: [{ name: 'c', problem: { kind: 'completion' } }, { name: 's', problem: { kind: 'sensing', symmetric: true } }],
    }, SRC);
    expect(g.points.map((p) => [p.axes, p.config.problem.kind, (p.config.problem as { n1: number; m: number }).m])).toEqual([
      [{ variants: 'c', 'problem.m': 10 }, 'completion', 10], [{ variants: 'c', 'problem.m': 20 }, 'completion', 20],
      [{ variants: 's', 'problem.m': 10 }, 'sensing', 10], [{ variants: 's', 'problem.m': 20 }, 'sensing', 20],
    ]);
    expect(g.points[2].config.problem).toMatchObject({ n1: 6, n2: 6, symmetric: true });
  });

  test('a variant overrides a base list with a single value (pairs that are not a product)', () => {
    const g = expandGrid({
      problem: P,
      optimizer: { lr: [0.1, 0.01] },
      variants: [{ name: 'a', optimizer: { lr: 0.5 }, init: { scale: 1e-2 } }, { name: 'b', init: { scale: 1e-3 } }],
    }, SRC);
    expect(axesOf(g)).toEqual([
      { variants: 'a' },
      { variants: 'b', 'optimizer.lr': 0.1 }, { variants: 'b', 'optimizer.lr': 0.01 },
    ]);
    expect(g.points.map((p) => [p.config.optimizer.lr, (p.config.init as { scale: number }).scale])).toEqual([[0.5, 1e-2], [0.1, 1e-3], [0.01, 1e-3]]);
  });

  test('variant errors', () => {
    expect(gridError({ problem: P, variants: [] })).toBe('sweep.toml: variants: expected a non-empty list of tables (partial configs), got an empty list');
    expect(gridError({ problem: P, variants: { a: 1 } })).toBe('sweep.toml: variants: expected a non-empty list of tables (partial configs), got {"a":1}');
    expect(gridError({ problem: P, variants: [{}, 3] })).toBe('sweep.toml: variants[1]: expected a table (a partial config), got 3');
    expect(gridError({ problem: P, variants: [{ name: 'a' }, { name: 'a', seeds: { init: 1 } }] })).toBe(
      'sweep.toml: variants[1].name: expected a name not already used, got "a" (the name of variants[0])',
    );
    expect(gridError({ problem: P, variants: [{ name: 'a', model: { depth: 0 } }] })).toBe(
      'sweep.toml: model.depth: expected an integer >= 1, got 0 (at variants=a)',
    );
    expect(gridError({ problem: P, variants: [{ name: 'a', optimizer: { lr: [] } }] })).toBe(
      'sweep.toml: optimizer.lr: expected a value or a non-empty list of values, got an empty list (at variants=a)',
    );
  });
});

describe('expandGrid: errors', () => {
  test('an empty list names its key', () => {
    expect(gridError({ problem: P, optimizer: { lr: [] } })).toBe('sweep.toml: optimizer.lr: expected a value or a non-empty list of values, got an empty list');
    expect(gridError({ problem: P, model: [] })).toBe('sweep.toml: model: expected a value or a non-empty list of values, got an empty list');
    expect(gridError({ problem: P, seeds: { data: [1, 2] }, model: { depth: [] } })).toBe(
      'sweep.toml: model.depth: expected a value or a non-empty list of values, got an empty list (at seeds.data=1)',
    );
  });

  test('an invalid point names its axis values', () => {
    expect(gridError({ problem: P, model: { depth: [2, 0] } })).toBe('sweep.toml: model.depth: expected an integer >= 1, got 0 (at model.depth=0)');
    expect(gridError({ problem: P, seeds: { data: [0, 1] }, optimizer: { name: 'adam', beta1: [0.9, 1] } })).toBe(
      'sweep.toml: optimizer.beta1: expected a number in [0, 1), got 1 (at seeds.data=0, optimizer.beta1=1)',
    );
    expect(gridError({ problem: { kind: 'sensing', n: [4, 2], m: 8, rank: 3 } })).toBe(
      'sweep.toml: problem.rank: expected an integer in [1, 2] (min(n1, n2)), got 3 (at problem.n=2)',
    );
  });

  test('an invalid config without axes has no "(at ...)"', () => {
    expect(gridError({ problem: P, model: { depth: 0 } })).toBe('sweep.toml: model.depth: expected an integer >= 1, got 0');
  });

  test('a list of lists where a single value is expected', () => {
    expect(gridError({ problem: P, model: { depth: [[2, 3], 4] } })).toBe(
      'sweep.toml: model.depth: expected a value or a list of values, got a list of lists ([2,3] is itself a list) (at model.depth=[2,3])',
    );
  });

  test('duplicate points name both assignments', () => {
    expect(gridError({ problem: P, optimizer: { lr: [0.1, 0.1] } })).toBe(
      `sweep.toml: the points (optimizer.lr=0.1) and (optimizer.lr=0.1) are the same run ${runId(resolveRunConfig({ problem: P, optimizer: { lr: 0.1 } }, SRC))} ` +
        '(their resolved configs are equal; the name is not part of the run id)',
    );
    expect(gridError({ problem: P, model: [{ depth: 3 }, {}] })).toMatch(/^sweep\.toml: the points \(model=\{"depth":3\}\) and \(model=\{\}\) are the same run [0-9a-f]{16} /);
    expect(gridError({ problem: P, variants: [{ name: 'x' }, { name: 'y' }] })).toMatch(/the points \(variants=x\) and \(variants=y\) are the same run/);
    expect(gridError({ problem: { kind: 'sensing', n: 5, m: 10 }, seeds: { data: [1, 2], sampling: 1 }, variants: [{ seeds: { data: 1 } }, {}] }))
      .toMatch(/the points \(variants=0\) and \(variants=1, seeds\.data=1\) are the same run/);
  });

  test('the top level must be a table', () => {
    expect(gridError([1])).toBe('sweep.toml: expected a table at the top level, got [1]');
    expect(gridError(null)).toBe('sweep.toml: expected a table at the top level, got null');
  });
});

describe('expandGrid with files and overrides', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'implab-sweep-grid-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a TOML sweep with [[variants]] and --set overrides', () => {
    const file = path.join(dir, 'depth.toml');
    writeFileSync(file, [
      'name = "depth sweep"',
      '[problem]',
      'kind = "completion"',
      'n = 10',
      'm = 40',
      '[model]',
      'depth = [1, 2, 3]',
      '[train]',
      'maxIters = 100',
      '[[variants]]',
      'name = "gd"',
      '[[variants]]',
      'name = "adam"',
      'optimizer = { name = "adam", lr = 1e-3 }',
      '',
    ].join('\n'));
    const raw = applyOverrides(readConfigFile(file), ['seeds.data=[0,1]', 'train.logEvery=10']);
    const g = expandGrid(raw, file);
    expect(g.axes).toEqual([
      { key: 'variants', values: ['gd', 'adam'] },
      { key: 'model.depth', values: [1, 2, 3] },
      { key: 'seeds.data', values: [0, 1] },
    ]);
    expect(g.points).toHaveLength(12);
    expect(g.points[0].config).toMatchObject({ name: 'gd', train: { maxIters: 100, logEvery: 10 }, optimizer: { name: 'gd', lr: 0.01 } });
    expect(g.points[11].config).toMatchObject({ name: 'adam', model: { depth: 3 }, seeds: { data: 1 }, optimizer: { name: 'adam', lr: 1e-3 } });
    expect(g.points[11].axes).toEqual({ variants: 'adam', 'model.depth': 3, 'seeds.data': 1 });
  });

  test('--set with a list makes an axis; errors name the file', () => {
    const raw = applyOverrides({ problem: P }, ['optimizer.lr=[0.1,0.01]', 'model.kind=psd', 'model.width=2']);
    const g = expandGrid(raw, 'run.json');
    expect(g.axes).toEqual([{ key: 'optimizer.lr', values: [0.1, 0.01] }]);
    expect(g.points[0].config.model).toStrictEqual({ kind: 'psd', width: 2 });
    expect(() => expandGrid(applyOverrides({ problem: P }, ['model.depth=[2,0]']), 'run.json')).toThrow(
      'run.json: model.depth: expected an integer >= 1, got 0 (at model.depth=0)',
    );
  });
});
