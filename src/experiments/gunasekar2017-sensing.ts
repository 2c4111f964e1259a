/**
 * Gunasekar et al. (2017), Figures 1 and 2: PSD matrix sensing with n = 50 and symmetrized
 * Gaussian measurements, gradient descent on U (n x k) for widths k from 1 to n.
 *
 *   gunasekar2017-fig1   reconstruction error (and training loss) of each solution against k,
 *                        for several initialization scales and step sizes, the SVD-based start,
 *                        projected GD on X (the rank-unconstrained reference) and the
 *                        minimum-nuclear-norm solution;
 *   gunasekar2017-fig2   the same runs: the nuclear norm of each solution relative to the minimum.
 *
 * Three planted X*: (a) rank 2 with m = 3nr = 300 measurements, (b) full rank with spectrum
 * k^-1.5 (m = 300), (c) rank 2 with only m = nr/4 = 25 measurements (not reconstructable).
 */

import { lineFigure } from '../report/spec.js';
import type { ResultLine } from '../sweep/store.js';
import type { Experiment, ExperimentContext, ExperimentOutput, ExperimentTable, ReproduceOptions } from './experiment.js';

export const SENSING_N = 50;
/** The three planted matrices and their measurement counts (Gunasekar et al.'s (a), (b), (c)). */
export const SENSING_PROBLEMS = [
  { label: '(a) rank 2, m = 3nr = 300', truth: 'psd', rank: 2, m: 300 },
  { label: '(b) spectrum k^-1.5, m = 300', truth: 'psd-spectrum', m: 300 },
  { label: '(c) rank 2, m = nr/4 = 25', truth: 'psd', rank: 2, m: 25 },
] as const;

export const SENSING_SETTINGS = {
  full: { widths: [1, 2, 3, 5, 10, 20, 50], alphas: [1e-3, 1e-5, 1e-7], etas: [0.05, 0.02], maxIters: 50_000 },
  quick: { widths: [1, 2, 5, 50], alphas: [1e-3, 1e-7], etas: [0.05], maxIters: 20_000 },
  stopLoss: 1e-12,
  stallWindow: 5_000,
  stallRtol: 1e-4,
  svdEta: 0.05,
} as const;

function sensingConfig(o: ReproduceOptions): Record<string, unknown> {
  const s = o.quick ? SENSING_SETTINGS.quick : SENSING_SETTINGS.full;
  const train = (maxIters: number) => ({
    maxIters, stopLoss: SENSING_SETTINGS.stopLoss, stallWindow: SENSING_SETTINGS.stallWindow, stallRtol: SENSING_SETTINGS.stallRtol,
    logEvery: maxIters, logSingular: 'all',
  });
  return {
    name: 'gunasekar2017-sensing',
    problem: SENSING_PROBLEMS.map(({ label: _l, ...p }) => ({
      kind: 'sensing', n: SENSING_N, ...p, symmetric: true, scale: 'isometric', truthNorm: 1, psd: true,
    })),
    seeds: { data: o.seeds === null ? 0 : Array.from({ length: o.seeds }, (_, i) => i), init: 0 },
    loss: 'half-sse',
    model: { kind: 'psd', width: SENSING_N },
    variants: [
      {
        name: 'gd', method: 'train', model: { kind: 'psd', width: [...s.widths] }, init: { kind: 'gaussian', scale: [...s.alphas] },
        optimizer: { name: 'gd', lr: [...s.etas] }, train: train(s.maxIters),
      },
      {
        name: 'svd', method: 'train', model: { kind: 'psd', width: [...s.widths] }, init: { kind: 'svd' },
        optimizer: { name: 'gd', lr: SENSING_SETTINGS.svdEta }, train: train(s.maxIters),
      },
      { name: 'pgd', method: 'pgd', pgd: { tol: 1e-10, maxIters: 100_000 } },
      { name: 'nnm', method: 'nnm', nnm: { psd: true } },
    ],
  };
}

type SensingConfig = {
  method: string;
  problem: { truth: string; m: number };
  model: { width: number };
  init: { kind: string; scale?: number };
  optimizer: { lr: number };
  seeds: { data: number };
};

/** One solution: which problem, which method, its figures. */
export type SensingRow = {
  problem: string;
  instance: number;
  method: 'gd' | 'svd' | 'pgd' | 'nnm';
  /** The series it belongs to in the figures (e.g. "GD α = 1e-3, η = 0.05"). */
  series: string;
  width: number | null;
  alpha: number | null;
  eta: number | null;
  recon_rel: number | null;
  train_loss: number | null;
  nuclear_norm: number | null;
  /** nuclear_norm / the minimum nuclear norm of the same problem. */
  nuclear_ratio: number | null;
  effective_rank: number | null;
  status: string;
  steps: number;
};

const sci0 = (x: number): string => x.toExponential(0);

function problemLabel(c: SensingConfig): string {
  const p = SENSING_PROBLEMS.find((q) => q.truth === c.problem.truth && q.m === c.problem.m);
  return p ? p.label : `${c.problem.truth}, m = ${c.problem.m}`;
}

function sensingRows(results: readonly ResultLine[]): SensingRow[] {
  const base = results.map((line) => {
    const c = line.config as SensingConfig;
    const method: SensingRow['method'] = c.method === 'nnm' ? 'nnm' : c.method === 'pgd' ? 'pgd' : c.init.kind === 'svd' ? 'svd' : 'gd';
    const trained = method === 'gd' || method === 'svd';
    const series =
      method === 'gd' ? `GD α = ${sci0(c.init.scale ?? NaN)}, η = ${c.optimizer.lr}` :
      method === 'svd' ? `GD from the SVD start, η = ${c.optimizer.lr}` :
      method === 'pgd' ? 'PGD on X (no factorization)' : 'minimum nuclear norm';
    return {
      problem: problemLabel(c), instance: c.seeds.data, method, series,
      width: trained ? c.model.width : null,
      alpha: method === 'gd' ? (c.init.scale ?? null) : null,
      eta: trained ? c.optimizer.lr : null,
      recon_rel: line.summary.recon_rel, train_loss: line.summary.loss, nuclear_norm: line.summary.nuclear_norm, nuclear_ratio: null as number | null,
      effective_rank: line.summary.effective_rank, status: line.summary.status, steps: line.summary.step,
    };
  });
  for (const r of base) {
    const min = base.find((b) => b.method === 'nnm' && b.problem === r.problem && b.instance === r.instance)?.nuclear_norm;
    r.nuclear_ratio = min && r.nuclear_norm !== null ? r.nuclear_norm / min : null;
  }
  return base;
}

/** The baselines (no width) drawn across the widths of the trained runs, as flat series. */
function withBaselinesAcrossWidths(rows: readonly SensingRow[], field: 'recon_rel' | 'nuclear_ratio' | 'train_loss'): Array<Record<string, unknown>> {
  const widths = [...new Set(rows.filter((r) => r.width !== null).map((r) => r.width as number))].sort((a, b) => a - b);
  return rows.flatMap((r) => {
    const value = r[field];
    if (value === null || !(value > 0)) return [];
    const at = r.width === null ? widths : [r.width];
    return at.map((k) => ({ problem: r.problem, series: r.series, instance: r.instance, k, value }));
  });
}

const seriesOrder = (rows: readonly SensingRow[]): string[] => {
  const names = [...new Set(rows.map((r) => r.series))];
  const rank = (s: string) => (s.startsWith('GD α') ? 0 : s.startsWith('GD from') ? 1 : s.startsWith('PGD') ? 2 : 3);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
};

function sensingFigure(rows: readonly SensingRow[], field: 'recon_rel' | 'nuclear_ratio' | 'train_loss', yTitle: string) {
  return lineFigure({
    data: withBaselinesAcrossWidths(rows, field), x: 'k', y: 'value', color: 'series', colorTitle: '', colorOrder: seriesOrder(rows), detail: 'instance',
    facet: 'problem', facetTitle: '', facetOrder: SENSING_PROBLEMS.map((p) => p.label), columns: 3, points: true,
    log: { x: true, y: field === 'nuclear_ratio' ? 'auto' : true }, xTitle: 'width k of U (n x k)', yTitle, width: 260, height: 220,
  });
}

const fmt = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toExponential(2));

function printedTable(rows: readonly SensingRow[], field: 'recon_rel' | 'nuclear_ratio', caption: string): ExperimentTable {
  // One line per problem and series at the widest U (k = n) and at k = 2, with the baselines.
  const out: Array<Record<string, unknown>> = [];
  for (const p of SENSING_PROBLEMS) {
    for (const series of seriesOrder(rows)) {
      const of = rows.filter((r) => r.problem === p.label && r.series === series && r.instance === rows[0]?.instance);
      if (of.length === 0) continue;
      const at = (k: number | null) => of.find((r) => r.width === k);
      out.push({
        problem: p.label, series,
        k2: (at(2) ?? at(null))?.[field] ?? null,
        kn: (at(SENSING_N) ?? at(null))?.[field] ?? null,
        status: [...new Set(of.map((r) => r.status))].join(','),
      });
    }
  }
  return {
    caption,
    columns: [
      { key: 'problem', title: 'problem', format: 'text' },
      { key: 'series', title: 'method', format: 'text' },
      { key: 'k2', title: `${field} (k = 2)`, format: 'sci' },
      { key: 'kn', title: `${field} (k = n)`, format: 'sci' },
      { key: 'status', title: 'status', format: 'text' },
    ],
    rows: out,
  };
}

/** What the runs show, measured rather than assumed. */
function summaryText(rows: readonly SensingRow[]): string {
  return SENSING_PROBLEMS.map((p) => {
    const of = rows.filter((r) => r.problem === p.label);
    const nnm = of.find((r) => r.method === 'nnm');
    const pgd = of.find((r) => r.method === 'pgd');
    const full = of.filter((r) => r.method === 'gd' && r.width === SENSING_N).sort((a, b) => (b.alpha ?? 0) - (a.alpha ?? 0));
    const trend = full.map((r) => `${fmt(r.recon_rel)} (α = ${sci0(r.alpha ?? NaN)}, η = ${r.eta})`).join(', ');
    const ratios = full.map((r) => fmt(r.nuclear_ratio)).join(', ');
    return (
      `${p.label}: the minimum nuclear norm reconstructs to ${fmt(nnm?.recon_rel)} and PGD on X to ${fmt(pgd?.recon_rel)}. ` +
      `GD on the full U (k = n), as α shrinks: ${trend}; nuclear norm relative to the minimum: ${ratios}.`
    );
  }).join('\n\n');
}

function analyze(ctx: ExperimentContext, figure: 'fig1' | 'fig2'): ExperimentOutput {
  const rows = sensingRows(ctx.results);
  const text = summaryText(rows);
  if (figure === 'fig1') {
    const printed = printedTable(rows, 'recon_rel', 'Relative reconstruction error ||X - X*||_F / ||X*||_F at k = 2 and k = n (first instance)');
    return {
      table: rows,
      printed,
      sections: [{
        heading: 'Figure 1: reconstruction error against the width k',
        text,
        tables: [printed],
        figures: [
          { name: 'fig1-recon', caption: 'Relative reconstruction error of each solution against the width k of U; the baselines (no k) are drawn flat.', spec: sensingFigure(rows, 'recon_rel', '||X - X*||_F / ||X*||_F') },
          { name: 'fig1-loss', caption: 'Final training loss (1/2)||A(X) - y||² against k.', spec: sensingFigure(rows, 'train_loss', 'training loss') },
        ],
      }],
    };
  }
  const printed = printedTable(rows, 'nuclear_ratio', 'Nuclear norm of the solution relative to the minimum nuclear norm, at k = 2 and k = n (first instance)');
  return {
    table: rows,
    printed,
    sections: [{
      heading: 'Figure 2: nuclear norm relative to the minimum, against the width k',
      text,
      tables: [printed],
      figures: [
        { name: 'fig2-nuclear', caption: '||X||_* / min ||X||_* of each solution against the width k of U (1 = the minimum); the baselines are drawn flat.', spec: sensingFigure(rows, 'nuclear_ratio', '||X||_* / minimum') },
      ],
    }],
  };
}

const notes = (o: ReproduceOptions): string => {
  const s = o.quick ? SENSING_SETTINGS.quick : SENSING_SETTINGS.full;
  return (
    `${o.quick ? 'Quick variant (fewer widths, scales and steps). ' : ''}n = ${SENSING_N}; A_i = (B_i + B_iᵀ)/2 with B_i entries N(0, 1/m) (scale isometric: ` +
    'E||A(X)||² = ||X||_F² for symmetric X); X* = U* U*ᵀ with U* Gaussian (rank 2) or with eigenvalues k^-1.5 (full rank), scaled to ||X*||_F = 1. ' +
    `Loss (1/2)||A(U Uᵀ) - y||². GD on U (n x k) for k in {${s.widths.join(', ')}} from Gaussian U_0 at scale α in {${s.alphas.map(sci0).join(', ')}} ` +
    `(Arora et al.'s convention: entries N(0, α/sqrt(n k)), α/n at k = n) with step η in {${s.etas.join(', ')}}, and from the SVD start (the top-k part of A*(y), scaled to fit y; ` +
    `η = ${SENSING_SETTINGS.svdEta}). Stopping: loss below ${SENSING_SETTINGS.stopLoss}, or no relative decrease of ${SENSING_SETTINGS.stallRtol} in ` +
    `${SENSING_SETTINGS.stallWindow} steps (stalled, e.g. k = 1 cannot fit), or ${s.maxIters} steps. PGD on X: X <- Proj_PSD(X - G/L) from X = 0 to a gradient ` +
    'mapping below 1e-10 ||A*(y)||_F. Minimum nuclear norm: min tr X over PSD X with A(X) = y (ADMM, certified gap). The paper does not state its scales, ' +
    'step sizes or measurement normalization; these are ours.'
  );
};

const about =
  'Gunasekar et al. conjecture that gradient descent on a full-dimensional factorization X = U Uᵀ with a small initialization and small steps ' +
  'converges to the minimum-nuclear-norm solution. Their Figures 1 and 2 test it on PSD matrix sensing with 50 x 50 matrices: as the ' +
  'initialization shrinks, the solutions of GD approach the minimum nuclear norm, whatever the width k of U once k reaches the rank, ' +
  'while projected gradient descent on X itself finds some other point of the solution set.';

export const gunasekar2017Fig1: Experiment = {
  name: 'gunasekar2017-fig1',
  title: 'Gunasekar et al. 2017, Figure 1: reconstruction error of GD on U Uᵀ against the width',
  about,
  config: sensingConfig,
  notes,
  analyze: (ctx) => analyze(ctx, 'fig1'),
};

export const gunasekar2017Fig2: Experiment = {
  name: 'gunasekar2017-fig2',
  title: 'Gunasekar et al. 2017, Figure 2: nuclear norm of the solutions relative to the minimum',
  about,
  config: sensingConfig,
  notes,
  analyze: (ctx) => analyze(ctx, 'fig2'),
};
