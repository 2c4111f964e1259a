/*
 * The Vega-Lite spec builders of src/report/spec.ts, checked on the specs
 * themselves (what they encode), not on pictures: the auto-log rule, binning,
 * internal fields, log scales, band/rule/curve layers, facets. The pictures
 * are held by the SVG snapshots of report-render.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  barFigure, binValues, chooseLog, histogramFigure, isLogWorthy, lineFigure,
} from '../src/report/spec.js';

/** The spec as plain JSON (what vega-lite reads). */
function json(spec: unknown): any {
  return JSON.parse(JSON.stringify(spec));
}

describe('auto-log rule', () => {
  it('is log when every value is > 0 and max/min >= 100', () => {
    expect(isLogWorthy([1e-4, 0.5, 1])).toBe(true);
    expect(isLogWorthy([1, 100])).toBe(true); // exactly two decades
    expect(isLogWorthy([1, 99.9])).toBe(false);
    expect(isLogWorthy([0, 1e-3, 10])).toBe(false); // 0 cannot be drawn
    expect(isLogWorthy([-1, 1e-3, 10])).toBe(false);
    expect(isLogWorthy([])).toBe(false);
    expect(isLogWorthy([null, NaN, Infinity, 'x', 1e-3, 1])).toBe(true); // non-numbers ignored
  });

  it('chooseLog honours true/false and defaults to auto', () => {
    expect(chooseLog(true, [1, 2])).toBe(true);
    expect(chooseLog(false, [1, 1e6])).toBe(false);
    expect(chooseLog('auto', [1, 1e6])).toBe(true);
    expect(chooseLog(undefined, [1, 2])).toBe(false);
  });
});

describe('binValues', () => {
  it('bins linearly with a closed last bin', () => {
    expect(binValues([1, 2, 2, 3], { bins: 2 })).toEqual([
      { lo: 1, hi: 2, count: 1 },
      { lo: 2, hi: 3, count: 3 },
    ]);
  });

  it('bins in log10 when log, dropping values <= 0', () => {
    const bins = binValues([1e-3, 1e-2, 0.05, 1, 0, -1], { bins: 3, log: true });
    expect(bins.map((b) => b.count)).toEqual([1, 2, 1]);
    expect(bins[0].lo).toBeCloseTo(1e-3, 15);
    expect(bins[0].hi).toBeCloseTo(1e-2, 15);
    expect(bins[2].hi).toBe(1);
  });

  it('handles one distinct value and no values', () => {
    const one = binValues([5, 5], { bins: 4 });
    expect(one.reduce((s, b) => s + b.count, 0)).toBe(2);
    expect(one[0].lo).toBeLessThan(5);
    expect(one[3].hi).toBeGreaterThan(5);
    expect(binValues([NaN], { bins: 3 })).toEqual([]);
  });
});

describe('lineFigure', () => {
  const data = [
    { 'model.depth': 1, s: 1e-3, err: 0.01, lo: 0.008, hi: 0.012, f: 'a' },
    { 'model.depth': 1, s: 1, err: 1, lo: 0.9, hi: 1.1, f: 'a' },
    { 'model.depth': 2, s: 1e-3, err: 0.02, lo: -0.01, hi: 0.05, f: 'b' },
    { 'model.depth': 2, s: 1, err: 2, lo: 1.5, hi: 2.5, f: 'b' },
  ];

  it('copies rows into internal fields, so dotted keys are safe, and titles default to field names', () => {
    const spec = json(lineFigure({ data, x: 's', y: 'err', color: 'model.depth' }));
    const line = spec.layer.find((l: any) => l.mark.type === 'line');
    expect(line.encoding.x.field).toBe('__x');
    expect(line.encoding.x.axis.title).toBe('s');
    expect(line.encoding.y.axis.title).toBe('err');
    expect(line.encoding.color.title).toBe('model.depth');
    expect(line.encoding.color.scale.domain).toEqual(['1', '2']);
    expect(spec.data.values[0]).toEqual({ __kind: 'line', __x: 0.001, __y: 0.01, __c: '1' });
    expect(spec.config.font).toBe('DejaVu Sans');
    expect(spec.width).toBe(360);
    expect(spec.height).toBe(240);
  });

  it('uses log scales by the auto rule and nulls values <= 0 there', () => {
    // The band's -0.01 keeps the auto rule from choosing a log y axis ...
    const auto = json(lineFigure({ data, x: 's', y: 'err', band: { lower: 'lo', upper: 'hi' } }));
    expect(auto.layer[1].encoding.x.scale.type).toBe('log');
    expect(auto.layer[1].encoding.y.scale).toEqual({ zero: false });
    // ... and on a forced log y axis it cannot be drawn: that lower band edge is null.
    const spec = json(lineFigure({ data, x: 's', y: 'err', band: { lower: 'lo', upper: 'hi' }, log: { y: true } }));
    const [band, line] = spec.layer;
    expect(band.mark.type).toBe('area');
    expect(band.encoding.y.field).toBe('__lo');
    expect(band.encoding.y2.field).toBe('__hi');
    expect(line.encoding.y.scale.type).toBe('log');
    expect(spec.data.values[2].__lo).toBeNull();
    expect(spec.data.values[2].__hi).toBe(0.05);
    const linear = json(lineFigure({ data, x: 's', y: 'err', log: { x: false, y: false } }));
    expect(linear.layer[0].encoding.x.scale).toEqual({ zero: false });
  });

  it('replicates a rule without a facet into every panel and keeps a facet rule in its panel', () => {
    const spec = json(lineFigure({
      data, x: 's', y: 'err', facet: 'f', columns: 2, independentY: true,
      rules: [{ y: 0.5, label: 'baseline' }, { y: 0.7, label: 'only b', facet: 'b' }],
    }));
    const rules = spec.data.values.filter((v: any) => v.__kind === 'rule');
    expect(rules).toEqual([
      { __kind: 'rule', __y: 0.5, __ref: 'baseline', __f: 'a' },
      { __kind: 'rule', __y: 0.5, __ref: 'baseline', __f: 'b' },
      { __kind: 'rule', __y: 0.7, __ref: 'only b', __f: 'b' },
    ]);
    expect(spec.facet.field).toBe('__f');
    expect(spec.facet.sort).toEqual(['a', 'b']);
    expect(spec.columns).toBe(2);
    expect(spec.resolve).toEqual({ scale: { y: 'independent' } });
    expect(spec.spec.layer.map((l: any) => l.mark.type)).toEqual(['line', 'rule']);
  });

  it('draws reference curves dashed with a legend shared with the rules', () => {
    const spec = json(lineFigure({
      data, x: 's', y: 'err',
      rules: [{ y: 0.5, label: 'nnm' }],
      curves: [{ label: '1/sqrt(2 loss)', rows: [{ t: 1e-3, v: 1 }, { t: 1, v: 2 }], x: 't', y: 'v' }],
      referenceTitle: 'bounds',
    }));
    const curve = spec.layer[spec.layer.length - 1];
    expect(curve.mark.type).toBe('line');
    expect(curve.encoding.strokeDash.scale.domain).toEqual(['nnm', '1/sqrt(2 loss)']);
    expect(curve.encoding.strokeDash.title).toBe('bounds');
    expect(spec.data.values.filter((v: any) => v.__kind === 'curve')).toEqual([
      { __kind: 'curve', __x: 0.001, __y: 1, __ref: '1/sqrt(2 loss)' },
      { __kind: 'curve', __x: 1, __y: 2, __ref: '1/sqrt(2 loss)' },
    ]);
  });

  it('is deterministic', () => {
    const o = { data, x: 's', y: 'err', color: 'f', points: true };
    expect(JSON.stringify(lineFigure(o))).toBe(JSON.stringify(lineFigure(o)));
  });
});

describe('histogramFigure and barFigure', () => {
  it('histogram: bins in the spec, log x by the auto rule', () => {
    const spec = json(histogramFigure({ values: [1e-6, 1e-4, 1e-2, 1e-2], bins: 4, xTitle: 'deviation' }));
    expect(spec.encoding.x.scale.type).toBe('log');
    expect(spec.encoding.x.axis.title).toBe('deviation');
    expect(spec.data.values.map((v: any) => v.__n)).toEqual([1, 0, 1, 2]);
  });

  it('histogram of grouped rows shares the bin edges', () => {
    const rows = [{ v: 1, g: 'a' }, { v: 2, g: 'a' }, { v: 3, g: 'b' }];
    const spec = json(histogramFigure({ data: rows, field: 'v', color: 'g', bins: 2, log: false }));
    expect(spec.data.values).toEqual([
      { __lo: 1, __hi: 2, __n: 1, __c: 'a' },
      { __lo: 2, __hi: 3, __n: 1, __c: 'a' },
      { __lo: 1, __hi: 2, __n: 0, __c: 'b' },
      { __lo: 2, __hi: 3, __n: 1, __c: 'b' },
    ]);
  });

  it('bar: categories in order of appearance, error bars as a rule layer', () => {
    const spec = json(barFigure({ data: [{ k: 'z', m: 1, lo: 0.5, hi: 1.5 }, { k: 'a', m: 2, lo: 1.5, hi: 2.5 }], x: 'k', y: 'm', error: { lower: 'lo', upper: 'hi' } }));
    expect(spec.layer.map((l: any) => l.mark.type)).toEqual(['bar', 'rule']);
    expect(spec.layer[0].encoding.x.sort).toEqual(['z', 'a']);
    expect(spec.layer[0].encoding.y.scale).toEqual({ zero: true });
  });
});

describe('barFigure on a log axis', () => {
  it('bars rise from the decade below the smallest value (vega-lite would draw them from -infinity)', () => {
    const spec = barFigure({ data: [{ m: 'a', v: 0.02 }, { m: 'b', v: 3e-5 }, { m: 'c', v: 0.8 }], x: 'm', y: 'v', log: true }) as unknown as {
      layer: Array<{ encoding: { y: { scale: { domainMin?: number; domainMax?: number } }; y2?: { datum: number } } }>;
    };
    const bar = spec.layer[0].encoding;
    expect(bar.y2).toEqual({ datum: 1e-5 });
    expect(bar.y.scale.domainMin).toBe(1e-5);
    expect(bar.y.scale.domainMax).toBe(1);
  });
});
