/*
 * Figures rendered to SVG and PNG (src/report/render.ts), tested in the manner
 * of Observable Plot: representative specs from fixed data are rendered and
 * compared byte for byte with committed SVG snapshots in
 * test/fixtures/report/*.svg. A missing or different snapshot fails the test.
 *
 * To (re)write the snapshots (then look at the new pictures: a PNG of each is
 * written to the temporary directory, and `git diff` shows what changed):
 *
 *   UPDATE_SNAPSHOTS=1 npx vitest run test/report-render.test.ts
 *
 * Besides the bytes, each picture is checked for facts that must not drift
 * silently: axis titles, log-scale tick labels, legend entries, the number of
 * line / area / rule marks. Also: two renders are identical (clip-path ids
 * included), PNGs are valid with the expected size, writeFigure writes both files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vega from 'vega';
import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { renderPng, renderSvg, writeFigure } from '../src/report/render.js';
import { histogramFigure, lineFigure } from '../src/report/spec.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'report');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';

/** Compares `svg` with the snapshot `name`.svg (writes it, and a PNG to look at, when updating). */
function expectSnapshot(name: string, svg: string): void {
  const file = path.join(FIXTURES, `${name}.svg`);
  if (UPDATE) {
    fs.writeFileSync(file, svg);
    const png = path.join(os.tmpdir(), `implab-snapshot-${name}.png`);
    fs.writeFileSync(png, renderPng(svg, { scale: 1 }));
    console.log(`wrote ${file} (to look at: ${png})`);
    return;
  }
  if (!fs.existsSync(file)) {
    throw new Error(`missing SVG snapshot ${file}: write it with UPDATE_SNAPSHOTS=1 npx vitest run test/report-render.test.ts`);
  }
  // toBe on strings of ~30 KB gives an unreadable diff; compare, then point at the first difference.
  const expected = fs.readFileSync(file, 'utf8');
  if (svg !== expected) {
    let i = 0;
    while (i < svg.length && svg[i] === expected[i]) i++;
    expect.fail(`${name}.svg differs from the snapshot at character ${i}:\n  got:      ${svg.slice(Math.max(0, i - 60), i + 60)}\n  expected: ${expected.slice(Math.max(0, i - 60), i + 60)}`);
  }
}

/** The text contents of an SVG, unescaped, in document order. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&'),
  );
}

/** The texts of the groups of one role (e.g. 'axis-title', 'legend-label', 'axis-label'). */
function roleTexts(svg: string, role: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<g class="mark-text role-${role}"[^>]*>(.*?)</g>`, 'g');
  for (const m of svg.matchAll(re)) out.push(...texts(m[1]));
  return out;
}

/** How many mark groups of a type and role (vega draws each line or area series as one such group with one path). */
function markCount(svg: string, type: string): number {
  return svg.match(new RegExp(`<g class="mark-${type} role-mark[ "]`, 'g'))?.length ?? 0;
}

// Fixed data, literal numbers only (no Math.random, no transcendental functions).
const SCALES = [0.0001, 0.001, 0.01, 0.1, 1];
const ERR: Record<string, number[]> = {
  'depth 1': [0.012, 0.013, 0.022, 0.13, 1.2],
  'depth 2': [0.011, 0.0125, 0.035, 0.24, 2.2],
  'depth 3': [0.0095, 0.012, 0.042, 0.31, 2.9],
};
const bandRows = Object.entries(ERR).flatMap(([depth, errs]) =>
  errs.map((e, i) => ({ depth, scale: SCALES[i], err: e, lo: e * 0.8, hi: e * 1.25 })),
);

const loglogSpec = lineFigure({
  data: bandRows,
  x: 'scale',
  y: 'err',
  xTitle: 'initialization scale',
  yTitle: 'relative reconstruction error',
  color: 'depth',
  colorTitle: 'depth',
  band: { lower: 'lo', upper: 'hi' },
  points: true,
  rules: [{ y: 0.005, label: 'min nuclear norm' }],
  curves: [{ label: '1/sqrt(2 loss)', rows: [{ scale: 0.0001, err: 0.002 }, { scale: 1, err: 2 }] }],
});

const facetRows = ['depth 1', 'depth 2', 'depth 3'].flatMap((depth, d) =>
  [0, 1].flatMap((seed) =>
    [0, 100, 200, 300, 400].map((step, i) => ({ depth, seed: `seed ${seed}`, step, loss: (5 - i) * (d + 1) + seed })),
  ),
);
const facetSpec = lineFigure({
  data: facetRows,
  x: 'step',
  y: 'loss',
  yTitle: 'training loss',
  color: 'seed',
  facet: 'depth',
  facetTitle: 'network depth',
  columns: 2,
  independentY: true,
  rules: [{ y: 4, label: 'target' }, { y: 12, label: 'depth-3 bound', facet: 'depth 3' }],
});

const DEVIATIONS = [2e-7, 5e-7, 1e-6, 3e-6, 8e-6, 1e-5, 2e-5, 2e-5, 5e-5, 1e-4, 1e-4, 2e-4, 4e-4, 1e-3, 2e-3, 3e-3, 1e-2, 5e-2];
const histSpec = histogramFigure({ values: DEVIATIONS, bins: 12, xTitle: 'relative deviation from the published value' });

describe('SVG snapshots', () => {
  it('log-log line figure with band, markers, rule, reference curve and legends', async () => {
    const warnings: string[] = [];
    const svg = await renderSvg(loglogSpec, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expectSnapshot('line-loglog-band', svg);

    expect(roleTexts(svg, 'axis-title')).toEqual(['initialization scale', 'relative reconstruction error']);
    const labels = roleTexts(svg, 'axis-label');
    // Log tick labels: exponent form below 0.001, decimals above.
    expect(labels).toEqual(expect.arrayContaining(['1e-4', '0.001', '0.01', '0.1', '1', '10']));
    expect(labels).not.toContain('0.0001');
    expect(roleTexts(svg, 'legend-title')).toEqual(['depth', 'reference']);
    expect(roleTexts(svg, 'legend-label')).toEqual(['depth 1', 'depth 2', 'depth 3', 'min nuclear norm', '1/sqrt(2 loss)']);
    expect(markCount(svg, 'area')).toBe(3); // one band per series
    expect(markCount(svg, 'line')).toBe(4); // three series and the reference curve
    expect(markCount(svg, 'rule')).toBe(1);
    expect(svg).toMatch(/font-family="DejaVu Sans/);
    expect(svg).toMatch(/stroke-dasharray="6,3"/); // the rule's dash
  });

  it('faceted panels with independent y scales and per-panel rules', async () => {
    const warnings: string[] = [];
    const svg = await renderSvg(facetSpec, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expectSnapshot('facets-rule', svg);

    expect(texts(svg)).toEqual(expect.arrayContaining(['depth 1', 'depth 2', 'depth 3', 'network depth']));
    expect(roleTexts(svg, 'axis-title').filter((t) => t === 'training loss')).toHaveLength(3); // one y axis per panel
    expect(roleTexts(svg, 'legend-label')).toEqual(['seed 0', 'seed 1', 'target', 'depth-3 bound']);
    expect(markCount(svg, 'line')).toBe(6); // 3 panels x 2 seeds
    // The 'target' rule in every panel, the bound in one: 3 + 1 rule lines in 3 rule groups.
    expect(markCount(svg, 'rule')).toBe(3);
    const ruleLines = [...svg.matchAll(/<g class="mark-rule role-mark[^"]*"[^>]*>(.*?)<\/g>/g)].map((m) => m[1].match(/<line/g)?.length ?? 0);
    expect(ruleLines.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('histogram on a log x axis', async () => {
    const warnings: string[] = [];
    const svg = await renderSvg(histSpec, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expectSnapshot('histogram-log', svg);

    expect(roleTexts(svg, 'axis-title')).toEqual(['relative deviation from the published value', 'count']);
    expect(roleTexts(svg, 'axis-label')).toEqual(expect.arrayContaining(['1e-6', '1e-4', '0.01']));
    expect(svg.match(/<path[^>]*role-mark|<g class="mark-rect role-mark/g)).toHaveLength(1);
    const rects = svg.match(/<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/)?.[1].match(/<path/g) ?? [];
    expect(rects).toHaveLength(12); // one per bin
  });
});

describe('determinism', () => {
  it('renders the same spec to identical SVG twice in one process', async () => {
    const t0 = performance.now();
    const a = await renderSvg(loglogSpec);
    const ms = performance.now() - t0;
    const b = await renderSvg(loglogSpec);
    expect(b).toBe(a);
    console.log(`render of the log-log figure: ${ms.toFixed(0)} ms (second: measured by the snapshot test)`);
  });

  it('numbers clip-path ids from 1 in every render (vega counts them process-wide)', async () => {
    const spec: TopLevelSpec = {
      width: 100,
      height: 80,
      data: { values: [{ x: 0, y: 0 }, { x: 2, y: 3 }] },
      mark: { type: 'line', clip: true },
      encoding: { x: { field: 'x', type: 'quantitative', scale: { domain: [0, 1] } }, y: { field: 'y', type: 'quantitative' } },
    };
    const a = await renderSvg(spec);
    const b = await renderSvg(spec);
    expect(a).toContain('<clipPath id="clip1">');
    expect(a).toContain('clip-path="url(#clip1)"');
    expect(a).not.toContain('clip2');
    expect(b).toBe(a);
  });

  it('measures text with the DejaVu table, not vega\'s estimate or node-canvas', async () => {
    await renderSvg(histSpec);
    const tm = (vega as unknown as { textMetrics: { width: (item: object, text: string) => number; estimateWidth: (item: object, text: string) => number } }).textMetrics;
    // "0.001" at 10 px in DejaVu Sans: (4 * 636 + 318) / 100 = 28.62 px; vega's estimate says 0.8 em a character.
    expect(tm.width({ fontSize: 10 }, '0.001')).toBeCloseTo(28.62, 12);
    expect(tm.width({ fontSize: 10, fontWeight: 'bold' }, '0.001')).toBeCloseTo((4 * 696 + 380) / 100, 12);
    expect(tm.estimateWidth({ fontSize: 10 }, '0.001')).toBe(40);
  });
});

describe('PNG', () => {
  it('is a valid PNG scale times the SVG size', async () => {
    const svg = await renderSvg(histSpec);
    const [, w, h] = svg.match(/<svg[^>]* width="(\d+)" height="(\d+)"/)!.map(Number);
    for (const scale of [1, 2]) {
      const png = renderPng(svg, { scale });
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
      expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
      expect(dv.getUint32(16)).toBe(w * scale);
      expect(dv.getUint32(20)).toBe(h * scale);
    }
    expect(() => renderPng(svg, { scale: 0 })).toThrow(/scale/);
  });

  it('never fails for missing fonts (falls back to system fonts)', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text x="2" y="14" font-family="DejaVu Sans">ab</text></svg>';
    const png = renderPng(svg, { scale: 1, fontDir: '/nonexistent' });
    expect(png.length).toBeGreaterThan(8);
  });
});

describe('writeFigure', () => {
  it('writes name.svg and name.png, replacing earlier ones', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-report-'));
    try {
      const out = path.join(dir, 'figures');
      const first = await writeFigure(out, 'hist', histSpec);
      expect(fs.readFileSync(first.svgPath, 'utf8')).toBe(first.svg);
      expect(fs.readFileSync(first.pngPath).subarray(1, 4).toString()).toBe('PNG');
      const second = await writeFigure(out, 'hist', histSpec, { scale: 1 });
      expect(second.svgPath).toBe(path.join(out, 'hist.svg'));
      expect(fs.readdirSync(out).sort()).toEqual(['hist.png', 'hist.svg']); // no temporary files left
      await expect(writeFigure(out, '../evil', histSpec)).rejects.toThrow(/bad figure name/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
