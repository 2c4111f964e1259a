/*
 * The hou2025-udu experiment: its grid (both methods from the same U_0, the paper's 3 x 3
 * step sizes and scales, noiseless and noisy, full and quick sizes) and its analysis on a
 * tiny real run: runSweep in-process into a temporary directory (n = 12, m = 60, 300
 * steps), then writeExperimentReport, checking table.json's rows (exactly the issue's
 * fields) and sigma4 / sigma1 and the numerical rank against the SVD of each run's saved W.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOU_ETAS, HOU_NOISE, HOU_XIS, hou2025Udu, numericalRank, sigmaRatio, truthLoss } from '../src/experiments/hou2025.js';
import type { Experiment, ReproduceOptions } from '../src/experiments/experiment.js';
import { experimentGrid, findExperiment, formatTable, writeExperimentReport } from '../src/experiments/reproduce.js';
import { readNpzFile } from '../src/io/files.js';
import { matFromNd } from '../src/io/npz.js';
import { backend } from '../src/linalg/select.js';
import { buildRunProblem } from '../src/sweep/execute.js';
import { runSweep } from '../src/sweep/run-sweep.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-hou-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const QUICK: ReproduceOptions = { quick: true, seeds: null };
const FULL: ReproduceOptions = { quick: false, seeds: null };

describe('hou2025-udu grid', () => {
  it('is registered', () => {
    expect(findExperiment('hou2025-udu')).toBe(hou2025Udu);
  });

  it.each([[FULL, 100, 900, 1_000_000], [QUICK, 50, 400, 30_000]] as const)('36 runs: 2 methods x 2 noise levels x 3 x 3, sizes and cap (%#)', (o, n, m, cap) => {
    const grid = experimentGrid(hou2025Udu, o);
    expect(grid.points).toHaveLength(36);
    expect(grid.axes.map((a) => a.key)).toEqual(['variants', 'problem.noiseRelative', 'init.xi', 'optimizer.lr']);
    for (const p of grid.points) {
      const c = p.config;
      expect(c.problem).toMatchObject({ kind: 'sensing', n1: n, n2: n, m, rank: 3, truth: 'psd', symmetric: true, scale: 'isometric', truthNorm: 1 });
      expect(c.model.kind === 'udu' ? c.model : null).toEqual(c.model.kind === 'udu' ? { kind: 'udu', width: n, radius: 1 } : null);
      if (c.model.kind === 'psd') expect(c.model).toEqual({ kind: 'psd', width: n });
      expect(c.loss).toBe('half-sse');
      expect(c.optimizer).toEqual({ name: 'gd', lr: expect.any(Number) });
      expect(c.train).toMatchObject({ maxIters: cap, stopLoss: 1e-13, stallWindow: 10_000, stallRtol: 1e-3, logSingular: 'all' });
      expect(c.seeds).toEqual({ data: 0, sampling: 0, init: 0 });
    }
    const values = (key: string) => grid.axes.find((a) => a.key === key)!.values;
    expect(values('optimizer.lr')).toEqual([...HOU_ETAS]);
    expect(values('init.xi')).toEqual([...HOU_XIS]);
    expect(values('problem.noiseRelative')).toEqual([0, HOU_NOISE]);
    expect(values('variants')).toEqual(['udu', 'bm']);
  });

  it('sigmaRatio and numericalRank', () => {
    expect(sigmaRatio([4, 2, 1, 0.5, 0])).toBe(0.125);
    expect(sigmaRatio([1, 0.5, 0.2])).toBeNull();
    expect(sigmaRatio(null)).toBeNull();
    expect(sigmaRatio([0, 0, 0, 0])).toBeNull();
    expect(numericalRank([1, 0.5, 1e-10, 1.0000001e-10, 1e-12])).toBe(3);
    expect(numericalRank([0, 0])).toBe(0);
    expect(numericalRank(null)).toBeNull();
  });
});

describe('hou2025-udu on a tiny real run', () => {
  // The experiment as registered, at n = 12, m = 60 and 300 steps.
  const tiny: Experiment = {
    ...hou2025Udu,
    name: 'tiny-hou',
    config: (o) => {
      const c = hou2025Udu.config(o) as Record<string, Record<string, unknown>> & { variants: Array<Record<string, unknown>> };
      return {
        ...c,
        name: 'tiny-hou',
        problem: { ...c.problem, n: 12, m: 60 },
        train: { ...c.train, maxIters: 300, logEvery: 100, logPerDecade: 3 },
        variants: [{ name: 'udu', model: { kind: 'udu', width: 12, radius: 1 } }, { name: 'bm', model: { kind: 'psd', width: 12 } }],
      };
    },
  };
  const dir = path.join(tmp, 'tiny');

  it('table.json rows hold exactly the issue fields; sigma4/sigma1 and the numerical rank are those of the saved W', async () => {
    const grid = experimentGrid(tiny, QUICK);
    const outcome = await runSweep(grid.points, dir, { workers: 1 });
    expect(outcome.failed).toEqual([]);
    expect(outcome.finished).toBe(36);
    const out = await writeExperimentReport(dir, tiny, QUICK);
    const table = JSON.parse(fs.readFileSync(path.join(dir, 'table.json'), 'utf8')) as Array<Record<string, unknown>>;
    expect(table).toEqual(JSON.parse(JSON.stringify(out.table)));
    expect(table).toHaveLength(36);
    const be = backend();
    for (const [i, row] of table.entries()) {
      expect(Object.keys(row).sort()).toEqual(['eta', 'iterations', 'method', 'noise', 'numerical_rank', 'recon_rel', 'sigma4_over_sigma1', 'train_loss', 'xi'].sort());
      const p = grid.points[i];
      expect(row.method).toBe(p.config.model.kind === 'udu' ? 'udu' : 'bm');
      expect(row.eta).toBe(p.config.optimizer.lr);
      expect(row.xi).toBe((p.config.init as { xi: number }).xi);
      expect(row.noise).toBe((p.config.problem as { noiseRelative: number }).noiseRelative);
      const summary = JSON.parse(fs.readFileSync(path.join(dir, 'runs', p.id, 'summary.json'), 'utf8')) as { step: number; status: string; final: { loss: number; recon_rel: number } };
      expect(row.iterations).toBe(summary.step);
      expect(summary.status === 'max_iters' ? summary.step : 300).toBe(300);
      expect(row.train_loss).toBe(summary.final.loss);
      expect(row.recon_rel).toBe(summary.final.recon_rel);
      // Independently: the singular values of the W the run saved.
      const w = matFromNd(readNpzFile(path.join(dir, 'runs', p.id, 'result.npz')).get('W')!, 'W', 'result.npz');
      const s = be.singularValues(w);
      expect(s).toHaveLength(12);
      const ratio = row.sigma4_over_sigma1 as number;
      expect(Math.abs(ratio - s[3] / s[0])).toBeLessThanOrEqual(1e-10 * (s[3] / s[0]) + 1e-15);
      expect(row.numerical_rank).toBe(s.filter((x) => x > 1e-10 * s[0]).length);
    }
    // Both methods start from the same X_0 = U_0 U_0^T (D_0 = I): same loss at step 0.
    for (const p of grid.points.filter((q) => q.config.model.kind === 'udu')) {
      const twin = grid.points.find((q) => q.config.model.kind === 'psd' && q.axes['init.xi'] === p.axes['init.xi'] &&
        q.axes['optimizer.lr'] === p.axes['optimizer.lr'] && q.axes['problem.noiseRelative'] === p.axes['problem.noiseRelative'])!;
      const first = (id: string) => JSON.parse(fs.readFileSync(path.join(dir, 'runs', id, 'history.jsonl'), 'utf8').split('\n')[0]) as { loss: number };
      expect(first(p.id).loss).toBe(first(twin.id).loss);
    }
    // The printed table: one line per (noise, eta, xi), the two methods side by side.
    expect(out.printed.rows).toHaveLength(18);
    const r0 = out.printed.rows[0];
    const udu0 = table.find((t) => t.method === 'udu' && t.noise === 0 && t.eta === HOU_ETAS[0] && t.xi === HOU_XIS[0])!;
    const bm0 = table.find((t) => t.method === 'bm' && t.noise === 0 && t.eta === HOU_ETAS[0] && t.xi === HOU_XIS[0])!;
    expect([r0.udu_ratio, r0.bm_ratio, r0.udu_rank, r0.bm_rank]).toEqual([udu0.sigma4_over_sigma1, bm0.sigma4_over_sigma1, udu0.numerical_rank, bm0.numerical_rank]);
    expect(formatTable(out.printed).split('\n')).toHaveLength(18 + 3);
    for (const f of ['spectra-noiseless', 'spectra-noisy', 'loss-noiseless', 'loss-noisy', 'sigma-ratio-noiseless', 'sigma-ratio-noisy', 'sigma-ratio-overview']) {
      expect(fs.existsSync(path.join(dir, 'figures', `${f}.svg`))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'figures', `${f}.png`))).toBe(true);
    }
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('isometric');
    expect(html).toContain('UDUᵀ is the lower of the two in');
  }, 120_000);

  it('truthLoss is (1/2)||omega||^2 = (1/2) level^2 ||b#||^2', () => {
    const config = experimentGrid(tiny, QUICK).points.find((p) => (p.config.problem as { noiseRelative: number }).noiseRelative > 0)!.config;
    const problem = buildRunProblem(config);
    const b = problem.op.apply(problem.xStar!, new Float64Array(problem.y.length));
    const bb = b.reduce((a, v) => a + v * v, 0);
    expect(Math.abs(truthLoss(config)! - 0.5 * HOU_NOISE ** 2 * bb)).toBeLessThan(1e-12 * 0.5 * HOU_NOISE ** 2 * bb);
  });
});
