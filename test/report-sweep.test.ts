/*
 * The generic sweep report (src/report/sweep-report.ts) on small synthetic
 * sweep directories written to a temporary directory: a depth x init-scale x
 * seed sweep with nnm baselines, a diverged run and a truncated last line; a
 * single run without axes; a directory without finished runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHistory, parseResults } from '../src/report/results.js';
import { isSeedAxis, planAxes, writeSweepReport } from '../src/report/sweep-report.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-sweep-report-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hex = (n: number): string => n.toString(16).padStart(16, '0');

interface Run {
  id: string;
  axes: Record<string, unknown>;
  summary: Record<string, unknown>;
  history?: Array<Record<string, unknown>>;
}

function summary(method: string, status: string, err: number | null, step: number): Record<string, unknown> {
  return {
    status, method, step, loss: err === null ? null : err * err * 1e-3, recon_mse: err === null ? null : err * err,
    recon_rel: err, nuclear_norm: err === null ? null : 5 + err, effective_rank: err === null ? null : 1 + err,
    train_seconds: 0.25, total_seconds: 0.5, singular_values: [2, 1],
  };
}

/** Writes DIR/results.jsonl (plus `tail`, e.g. a truncated line) and the runs' history.jsonl. */
function writeSweep(name: string, runs: Run[], tail = ''): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const lines = runs.map((r) => JSON.stringify({ id: r.id, axes: r.axes, config: { model: { ...r.axes }, note: 'resolved' }, summary: r.summary }));
  fs.writeFileSync(path.join(dir, 'results.jsonl'), lines.map((l) => l + '\n').join('') + tail);
  for (const r of runs) {
    if (!r.history) continue;
    fs.mkdirSync(path.join(dir, 'runs', r.id), { recursive: true });
    fs.writeFileSync(path.join(dir, 'runs', r.id, 'history.jsonl'), r.history.map((h) => JSON.stringify(h) + '\n').join(''));
  }
  return dir;
}

function sweepRuns(): Run[] {
  const runs: Run[] = [];
  let n = 0;
  for (const depth of [1, 2]) {
    for (const scale of [0.001, 0.1]) {
      for (const seed of [0, 1]) {
        const err = scale * depth * (seed === 0 ? 1 : 3);
        const diverged = depth === 2 && scale === 0.1 && seed === 1;
        const history = [0, 10, 100, 1000].map((step) => ({ step, loss: 1 / (1 + step) + seed, recon_rel: err + 1 / (1 + step), effective_rank: null }));
        runs.push({
          id: hex(++n),
          axes: { 'model.depth': depth, 'model.init_scale': scale, 'seeds.init': seed },
          summary: summary('train', diverged ? 'diverged' : 'converged', diverged ? null : err, 1000),
          history,
        });
      }
    }
  }
  for (const seed of [0, 1]) {
    runs.push({ id: hex(++n), axes: { 'model.depth': 1, 'model.init_scale': 0.001, 'seeds.init': seed }, summary: summary('nnm', 'solved', 0.0005, 40) });
  }
  return runs;
}

describe('results parsing', () => {
  it('skips unparsable lines, keeps the last line of a repeated id, defaults missing figures to null', () => {
    const text = [
      JSON.stringify({ id: 'a', axes: { x: 1 }, summary: { status: 'converged', recon_rel: 0.5 } }),
      'garbage',
      JSON.stringify({ id: 'b', summary: { status: 'converged', loss: 'NaN' } }),
      JSON.stringify({ id: 'a', axes: { x: 2 }, summary: { status: 'converged' } }),
      '[1, 2]',
      '{"id": "c", "axes": {"x"',
    ].join('\n');
    const { items, skipped } = parseResults(text);
    expect(skipped).toEqual([2, 5, 6]);
    expect(items.map((r) => r.id)).toEqual(['a', 'b']);
    expect(items[0].axes).toEqual({ x: 2 });
    expect(items[1].axes).toEqual({});
    expect(items[1].summary).toMatchObject({ status: 'converged', method: 'train', loss: null, recon_rel: null, singular_values: null });
  });

  it('history: objects with a numeric step', () => {
    const { items, skipped } = parseHistory('{"step":0,"loss":1}\n{"loss":2}\n\n{"step":10,"loss":null}\n{"step":2');
    expect(items).toEqual([{ step: 0, loss: 1 }, { step: 10, loss: null }]);
    expect(skipped).toEqual([2, 5]);
  });
});

describe('axis roles', () => {
  it('seed axes, the x axis (first numeric non-seed axis that varies), series axes; a method axis is neither', () => {
    expect(isSeedAxis('seeds.init')).toBe(true);
    expect(isSeedAxis('model.seed')).toBe(false);
    const runs = parseResults(
      [
        { id: '1', axes: { 'problem.kind': 'sensing', 'optim.name': 'gd', 'model.depth': 1, 'seeds.init': 0, method: 'train' }, summary: { method: 'train' } },
        { id: '2', axes: { 'problem.kind': 'sensing', 'optim.name': 'adam', 'model.depth': 2, 'seeds.init': 1, method: 'train' }, summary: { method: 'train' } },
        { id: '3', axes: { 'problem.kind': 'sensing', 'optim.name': 'adam', 'model.depth': 2, 'seeds.init': 1, method: 'nnm' }, summary: { method: 'nnm' } },
      ].map((r) => JSON.stringify(r)).join('\n'),
    ).items;
    const plan = planAxes(runs);
    expect(plan.keys).toEqual(['problem.kind', 'optim.name', 'model.depth', 'seeds.init', 'method']);
    expect(plan.seeds).toEqual(['seeds.init']);
    expect(plan.x).toBe('model.depth');
    expect(plan.series).toEqual(['optim.name']); // problem.kind is constant, method mirrors the run's method
    expect(plan.short).toEqual({ 'optim.name': 'name' });
    expect(plan.values['optim.name']).toEqual(['adam', 'gd']);
  });
});

describe('writeSweepReport', () => {
  it('writes report.html and the figures of a sweep, skipping a truncated last line', async () => {
    const dir = writeSweep('sweep', sweepRuns(), '{"id": "00000000000000ff", "axes": {"model.de');
    const warnings: string[] = [];
    const out = await writeSweepReport(dir, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(out.html).toBe(path.join(dir, 'report.html'));
    const names = out.figures.map((f) => path.basename(f));
    expect(names).toEqual([
      'summary-recon_rel.svg', 'summary-recon_rel.png', 'summary-recon_mse.svg', 'summary-recon_mse.png',
      'summary-nuclear_norm.svg', 'summary-nuclear_norm.png', 'summary-effective_rank.svg', 'summary-effective_rank.png',
      'summary-loss.svg', 'summary-loss.png', 'summary-step.svg', 'summary-step.png',
      'curves-loss.svg', 'curves-loss.png', 'curves-recon_rel.svg', 'curves-recon_rel.png',
    ]);
    for (const f of out.figures) expect(fs.existsSync(f)).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'figures'))).toHaveLength(16);

    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).toContain('<title>Sweep sweep</title>');
    expect(html).toContain('10 finished runs (converged 7, diverged 1, solved 2)');
    expect(html).toContain('Skipped 1 line of <code>results.jsonl</code> that did not parse (line 11;');
    // The run table: every run, axes as written.
    expect(html.match(/<tr><td>0000000000000/g)).toHaveLength(10);
    expect(html).toContain('<td class="num">0.001</td>');
    // Mean ± std over the two seeds: depth 1, scale 0.001: errors 0.001 and 0.003.
    expect(html).toMatch(/<td class="num">0.00200 ± 0.00141<\/td>/);
    // Figures inline, with the nnm rule, x ticks at the grid values and the series legend.
    expect(html.match(/<svg/g)).toHaveLength(8);
    const recon = fs.readFileSync(path.join(dir, 'figures', 'summary-recon_rel.svg'), 'utf8');
    expect(recon).toContain('>min nuclear norm</text>');
    expect(recon).toContain('>init_scale</text>');
    expect(recon).toContain('>model.depth</text>');
    expect(html).toContain('1 run that diverged or failed is left out.');
    // The curves: one line per non-diverged training run.
    const curves = fs.readFileSync(path.join(dir, 'figures', 'curves-loss.svg'), 'utf8');
    expect(curves.match(/<g class="mark-line role-mark/g)).toHaveLength(7);
    // Configs: the distinct axis values and one resolved config.
    expect(html).toContain('<summary>Axes: the distinct values of each</summary>');
    expect(html).toContain('<summary>Resolved config of run 0000000000000001</summary>');
    expect(html).toContain('&quot;note&quot;: &quot;resolved&quot;');
    expect(html).not.toMatch(/src="http|<script/);
  });

  it('regenerates in place, deterministically', async () => {
    const dir = writeSweep('again', sweepRuns());
    await writeSweepReport(dir);
    const first = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    await writeSweepReport(dir);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe(first);
  });

  it('works for a single run without axes, with extra sections', async () => {
    const dir = writeSweep('single', [{
      id: hex(1), axes: {}, summary: summary('train', 'converged', 0.01, 500),
      history: [{ step: 0, loss: 1 }, { step: 100, loss: 0.1 }, { step: 500, loss: 0.001 }],
    }]);
    const out = await writeSweepReport(dir, {
      title: 'One <run>',
      extra: [{ heading: 'Published numbers', tables: [{ columns: [{ key: 'k', title: 'k' }], rows: [{ k: 1.5e-9 }] }] }],
    });
    expect(out.figures.map((f) => path.basename(f))).toEqual(['curves-loss.svg', 'curves-loss.png']);
    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).toContain('<h1>One &lt;run&gt;</h1>');
    expect(html).toContain('1 finished run (converged 1). A single run (no axes).');
    expect(html).toContain('<h2>Published numbers</h2>');
    expect(html).toContain('<td class="num">1.50e-9</td>');
    expect(html).not.toContain('Mean ± std over seeds');
    expect(html).not.toContain('Axes: the distinct values');
  });

  it('draws gradient flows against their time t, not the integrator steps', async () => {
    // Steps of an adaptive integrator are not a time axis: t = 10 took 273 steps, t = 1000 14,578.
    const dir = writeSweep('flows', [0, 1].map((seed) => ({
      id: hex(seed + 1), axes: { 'seeds.init': seed }, summary: { ...summary('flow', 't_max', 0.01, 14578), t: 1000 },
      history: [{ step: 0, t: 0, loss: 1 }, { step: 273, t: 10, loss: 1e-4 }, { step: 1574, t: 100, loss: 2e-5 }, { step: 14578, t: 1000, loss: 1e-6 + seed * 1e-7 }],
    })));
    await writeSweepReport(dir);
    const svg = fs.readFileSync(path.join(dir, 'figures', 'curves-loss.svg'), 'utf8');
    expect(svg).toContain('flow time t');
    expect(svg).not.toContain('>step<');
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('log time axis, so t = 0 is not drawn');
  });

  it('draws bar charts when no axis is numeric', async () => {
    const runs: Run[] = [];
    let n = 0;
    for (const opt of ['gd', 'adam']) for (const seed of [0, 1, 2]) {
      runs.push({ id: hex(++n), axes: { 'optim.name': opt, 'seeds.init': seed }, summary: summary('train', 'converged', (opt === 'gd' ? 1 : 2) * (1 + seed), 100) });
    }
    const dir = writeSweep('categorical', runs);
    const out = await writeSweepReport(dir);
    expect(out.figures.map((f) => path.basename(f))).toContain('summary-recon_rel.svg');
    const svg = fs.readFileSync(path.join(dir, 'figures', 'summary-recon_rel.svg'), 'utf8');
    // Bars in the order of the axis values (adam, gd), with ± std error bars.
    expect(svg.indexOf('>adam</text>')).toBeLessThan(svg.indexOf('>gd</text>'));
    expect(svg.match(/<g class="mark-rect role-mark/g)).toHaveLength(1);
    const bars = svg.match(/<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/)?.[1].match(/<path/g) ?? [];
    expect(bars).toHaveLength(2);
    expect(fs.readFileSync(out.html, 'utf8')).toContain('mean ± std over the seed axes (seeds.init), 3 runs per point');
  });

  it('works with zero finished runs', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const a = await writeSweepReport(empty);
    expect(a.figures).toEqual([]);
    expect(fs.readFileSync(a.html, 'utf8')).toContain('No finished runs yet: there is no <code>results.jsonl</code>');
    const truncated = writeSweep('truncated', [], '{"id": "0000');
    const b = await writeSweepReport(truncated);
    const html = fs.readFileSync(b.html, 'utf8');
    expect(html).toContain('No finished runs yet: <code>results.jsonl</code> holds no complete line.');
    expect(html).toContain('Skipped 1 line');
  });

  it('fails with one line for a missing directory', async () => {
    await expect(writeSweepReport(path.join(tmp, 'nope'))).rejects.toThrow(/nope: no such directory$/);
  });
});
