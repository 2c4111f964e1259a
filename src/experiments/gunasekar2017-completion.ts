/**
 * Gunasekar et al. (2017), Figure 3: PSD matrix completion with uniform and with power-law
 * sampling. Gradient descent on U U^T, the gradient flow (an adaptive ODE solver) and the
 * steering path exp(-η S) X exp(-η S), all from the same small start and followed to the
 * same time T, against the minimum-nuclear-norm solution, as the initialization shrinks.
 *
 *   gunasekar2017-fig3   n = 30, rank 2, 300 observed entries (symmetric pairs), GD (η = 0.01,
 *                        T/η steps), dopri5 on U (rtol 1e-7), steering (η = 0.01), T = 1000.
 */

import path from 'node:path';
import { readNpzFile } from '../io/files.js';
import { matFromNd } from '../io/npz.js';
import type { Mat } from '../linalg/mat.js';
import { lineFigure } from '../report/spec.js';
import type { ResultLine } from '../sweep/store.js';
import { seedList, type Experiment, type ExperimentContext, type ExperimentOutput, type ExperimentTable, type ReproduceOptions } from './experiment.js';

export const COMPLETION_SETTINGS = {
  n: 30,
  rank: 2,
  m: 300,
  /** The common horizon: GD takes T/η steps, the flow runs to t = T, steering takes T/η steps. */
  horizon: 1000,
  gdEta: 0.01,
  steerEta: 0.01,
  rtol: 1e-7,
  stopLoss: 1e-10,
  full: { alphas: [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8], seeds: 3 },
  quick: { alphas: [1e-2, 1e-4, 1e-6], seeds: 1 },
} as const;

function completionConfig(o: ReproduceOptions): Record<string, unknown> {
  const s = COMPLETION_SETTINGS;
  const v = o.quick ? s.quick : s.full;
  const start = { init: { kind: 'gaussian', scale: [...v.alphas] }, model: { kind: 'psd', width: s.n } };
  return {
    name: 'gunasekar2017-fig3',
    problem: { kind: 'completion', n: s.n, rank: s.rank, m: s.m, symmetric: true, sampling: ['uniform', 'powerlaw'] },
    seeds: { data: seedList(o.seeds ?? v.seeds), init: 0 },
    loss: 'half-sse',
    variants: [
      {
        name: 'gd', method: 'train', ...start, optimizer: { name: 'gd', lr: s.gdEta },
        train: { maxIters: Math.round(s.horizon / s.gdEta), stopLoss: s.stopLoss, logEvery: 10_000, logPerDecade: 5, logSingular: 'all' },
      },
      { name: 'flow', method: 'flow', ...start, flow: { solver: 'dopri5', rtol: s.rtol, atol: 1e-14, tMax: s.horizon, stopLoss: s.stopLoss, logPerDecade: 5, logSingular: 'all' } },
      { name: 'steer', method: 'flow', ...start, flow: { solver: 'steer', eta: s.steerEta, tMax: s.horizon, stopLoss: s.stopLoss, logPerDecade: 5, logSingular: 'all' } },
      { name: 'nnm', method: 'nnm', nnm: { psd: true } },
    ],
  };
}

type CompletionConfig = {
  method: string;
  problem: { sampling: string };
  init: { scale?: number };
  seeds: { data: number };
  flow?: { solver: string };
};

export type CompletionRow = {
  sampling: string;
  instance: number;
  method: 'GD' | 'gradient flow' | 'steering path' | 'minimum nuclear norm';
  alpha: number | null;
  /** ||X - X_nnm||_F / ||X_nnm||_F. */
  dist_to_nnm: number | null;
  recon_rel: number | null;
  /** ||X||_* / ||X_nnm||_*. */
  nuclear_ratio: number | null;
  train_loss: number | null;
  /** Flow time reached (GD: steps x η). */
  t: number | null;
  status: string;
  steps: number;
};

function methodOf(c: CompletionConfig): CompletionRow['method'] {
  if (c.method === 'nnm') return 'minimum nuclear norm';
  if (c.method === 'train') return 'GD';
  return c.flow?.solver === 'steer' ? 'steering path' : 'gradient flow';
}

function readW(dir: string, line: ResultLine): Mat | null {
  try {
    return matFromNd(readNpzFile(path.join(dir, 'runs', line.id, 'result.npz')).get('W'), 'W', 'result.npz');
  } catch {
    return null;
  }
}

function relDistance(x: Mat, ref: Mat): number {
  let d = 0, r = 0;
  for (let i = 0; i < x.data.length; i++) {
    d += (x.data[i] - ref.data[i]) ** 2;
    r += ref.data[i] ** 2;
  }
  return Math.sqrt(d / r);
}

const METHODS: readonly CompletionRow['method'][] = ['GD', 'gradient flow', 'steering path', 'minimum nuclear norm'];
const sci = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toExponential(d));

function analyzeCompletion(ctx: ExperimentContext): ExperimentOutput {
  const runs = ctx.results.map((line) => ({ line, c: line.config as CompletionConfig }));
  const nnmOf = (sampling: string, instance: number) => runs.find((r) => r.c.method === 'nnm' && r.c.problem.sampling === sampling && r.c.seeds.data === instance);
  const refs = new Map<string, Mat | null>();
  const rows: CompletionRow[] = runs.map(({ line, c }) => {
    const method = methodOf(c);
    const key = `${c.problem.sampling}/${c.seeds.data}`;
    if (!refs.has(key)) {
      const n = nnmOf(c.problem.sampling, c.seeds.data);
      refs.set(key, n ? readW(ctx.dir, n.line) : null);
    }
    const ref = refs.get(key) ?? null;
    const w = method === 'minimum nuclear norm' ? ref : readW(ctx.dir, line);
    const minNorm = nnmOf(c.problem.sampling, c.seeds.data)?.line.summary.nuclear_norm ?? null;
    const s = line.summary;
    return {
      sampling: c.problem.sampling,
      instance: c.seeds.data,
      method,
      alpha: method === 'minimum nuclear norm' ? null : (c.init.scale ?? null),
      dist_to_nnm: w && ref ? relDistance(w, ref) : null,
      recon_rel: s.recon_rel,
      nuclear_ratio: minNorm && s.nuclear_norm !== null ? s.nuclear_norm / minNorm : null,
      train_loss: s.loss,
      t: method === 'GD' ? s.step * COMPLETION_SETTINGS.gdEta : method === 'minimum nuclear norm' ? null : (s.t ?? null),
      status: s.status,
      steps: s.step,
    };
  });
  const alphas = [...new Set(rows.filter((r) => r.alpha !== null).map((r) => r.alpha as number))].sort((a, b) => b - a);
  const series = (field: 'dist_to_nnm' | 'recon_rel' | 'nuclear_ratio', withBaseline: boolean) =>
    rows.flatMap((r) => {
      const v = r[field];
      if (v === null || !(v > 0)) return [];
      if (r.alpha === null) return withBaseline ? alphas.map((a) => ({ sampling: r.sampling, method: r.method, instance: r.instance, alpha: a, value: v })) : [];
      return [{ sampling: r.sampling, method: r.method, instance: r.instance, alpha: r.alpha, value: v }];
    });
  const figure = (field: 'dist_to_nnm' | 'recon_rel' | 'nuclear_ratio', yTitle: string, withBaseline: boolean) => lineFigure({
    data: series(field, withBaseline), x: 'alpha', y: 'value', color: 'method', colorTitle: '', colorOrder: METHODS, detail: 'instance',
    facet: 'sampling', facetTitle: '', facetOrder: ['uniform', 'powerlaw'], columns: 2, points: true,
    log: { x: true, y: field === 'nuclear_ratio' ? 'auto' : true }, xTitle: 'initialization scale α', yTitle, width: 320, height: 230,
  });

  const first = rows[0]?.instance ?? 0;
  const printedRows = rows
    .filter((r) => r.instance === first)
    .sort((a, b) => a.sampling.localeCompare(b.sampling) || METHODS.indexOf(a.method) - METHODS.indexOf(b.method) || (b.alpha ?? 0) - (a.alpha ?? 0));
  const printed: ExperimentTable = {
    caption: `Distance to the minimum-nuclear-norm solution, ||X - X_nnm||_F / ||X_nnm||_F, at time T = ${COMPLETION_SETTINGS.horizon} (instance ${first})`,
    columns: [
      { key: 'sampling', title: 'sampling', format: 'text' },
      { key: 'method', title: 'method', format: 'text' },
      { key: 'alpha', title: 'α', format: 'sci' },
      { key: 'dist_to_nnm', title: 'dist. to nnm', format: 'sci' },
      { key: 'recon_rel', title: 'recon_rel', format: 'sci' },
      { key: 'nuclear_ratio', title: '‖X‖*/min', format: 'sci' },
      { key: 'train_loss', title: 'loss', format: 'sci' },
      { key: 'status', title: 'status', format: 'text' },
    ],
    rows: printedRows,
  };
  const text = ['uniform', 'powerlaw'].map((sampling) => {
    const at = (method: CompletionRow['method'], pick: 'max' | 'min') => {
      const rs = rows.filter((r) => r.sampling === sampling && r.method === method && r.alpha !== null);
      const alpha = pick === 'max' ? Math.max(...rs.map((r) => r.alpha!)) : Math.min(...rs.map((r) => r.alpha!));
      const vals = rs.filter((r) => r.alpha === alpha).map((r) => r.dist_to_nnm).filter((v): v is number => v !== null);
      return vals.length ? `${sci(Math.max(...vals))} at α = ${sci(alpha, 0)}` : '—';
    };
    const gdVsFlow = rows.filter((r) => r.sampling === sampling && r.method === 'GD').map((g) => {
      const f = rows.find((r) => r.sampling === sampling && r.method === 'gradient flow' && r.alpha === g.alpha && r.instance === g.instance);
      return f && g.nuclear_ratio !== null && f.nuclear_ratio !== null ? Math.abs(g.nuclear_ratio - f.nuclear_ratio) : null;
    }).filter((v): v is number => v !== null);
    const nnm = rows.find((r) => r.sampling === sampling && r.method === 'minimum nuclear norm');
    return (
      `${sampling} sampling: distance to the minimum-nuclear-norm solution (worst instance) for GD ${at('GD', 'max')} and ${at('GD', 'min')}; ` +
      `the flow ${at('gradient flow', 'max')} and ${at('gradient flow', 'min')}; the steering path ${at('steering path', 'max')} and ${at('steering path', 'min')}. ` +
      `GD and the flow agree on ||X||_*/min to ${sci(gdVsFlow.length ? Math.max(...gdVsFlow) : null)} at every α. ` +
      `The minimum nuclear norm itself reconstructs X* to ${sci(nnm?.recon_rel)} (recon_rel).`
    );
  }).join('\n\n');
  return {
    table: rows,
    printed,
    sections: [{
      heading: 'Figure 3: GD, the gradient flow and the steering path against the minimum nuclear norm',
      text,
      tables: [printed],
      figures: [
        { name: 'fig3-distance', caption: `||X - X_nnm||_F / ||X_nnm||_F at T = ${COMPLETION_SETTINGS.horizon} against the initialization scale, per sampling; one line per method and instance.`, spec: figure('dist_to_nnm', '||X - X_nnm||_F / ||X_nnm||_F', false) },
        { name: 'fig3-recon', caption: 'Relative reconstruction error ||X - X*||_F / ||X*||_F against α; the minimum nuclear norm is drawn flat.', spec: figure('recon_rel', '||X - X*||_F / ||X*||_F', true) },
        { name: 'fig3-nuclear', caption: '||X||_* relative to the minimum against α (1 = the minimum).', spec: figure('nuclear_ratio', '||X||_* / minimum', false) },
      ],
    }],
  };
}

export const gunasekar2017Fig3: Experiment = {
  name: 'gunasekar2017-fig3',
  title: 'Gunasekar et al. 2017, Figure 3: completion with uniform and power-law sampling',
  about:
    'Gunasekar et al. compare, on PSD matrix completion with uniformly and with power-law sampled entries, gradient descent on U Uᵀ, the gradient flow ' +
    'itself (followed with an ODE solver) and their steering path X <- exp(-η S) X exp(-η S), S = A*(r) + A*(r)ᵀ, which stays PSD, with the minimum-nuclear-norm ' +
    'solution: as the initialization shrinks, all three approach it.',
  config: completionConfig,
  notes: (o) => {
    const s = COMPLETION_SETTINGS;
    const v = o.quick ? s.quick : s.full;
    return (
      `${o.quick ? 'Quick variant (one instance, three scales). ' : ''}X* = U* U*ᵀ, U* ${s.n} x ${s.rank} Gaussian, scaled to ||X*||_F = n; ${s.m} observed entries ` +
      '(symmetric: (i, j) and (j, i) together), uniformly or by power-law row/column weights (exponent 1). Loss (1/2)||A(X) - y||². ' +
      `Every method starts from the same U_0 (Gaussian at scale α in {${v.alphas.map((a) => a.toExponential(0)).join(', ')}}, U U^T for the steering path) ` +
      `and is followed to the same time T = ${s.horizon}: GD with η = ${s.gdEta} for T/η steps, the flow of U by dopri5 (rtol ${s.rtol}, atol 1e-14) to t = T, ` +
      `the steering path with η = ${s.steerEta} for T/η steps; each also stops once the loss is below ${s.stopLoss}. ` +
      'The steering step must keep η λ_max(S) small: at η = 0.05 it diverged on power-law sampling here. Minimum nuclear norm: min tr X over PSD X with A(X) = y (ADMM, certified gap). ' +
      'Grid, scales, steps and horizon are ours; the paper does not state them.'
    );
  },
  analyze: analyzeCompletion,
};
