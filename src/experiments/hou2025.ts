/**
 * Hou, Sra and Yurtsever (2025), "Implicit Bias in Matrix Factorization and its Explicit
 * Realization in a New Architecture": X = U D U^T with U on the unit Frobenius ball and D
 * diagonal and nonnegative, trained by projected gradient descent, finds truly low-rank
 * solutions whatever the step size and the initialization scale; Burer-Monteiro gradient
 * descent on X = U U^T from the same start need not.
 *   hou2025-udu   symmetric Gaussian sensing of a rank-3 PSD matrix (n = 100, m = 900;
 *                 quick: n = 50, m = 400), noiseless and with 1% relative noise, projected
 *                 GD on U D U^T against GD on U U^T over step sizes {1e-3, 1e-2, 1e-1} and
 *                 initialization scales xi in {1e-2, 1e-4, 1e-6}.
 */

import { lineFigure, type ReferenceRule } from '../report/spec.js';
import { buildRunProblem, type ExecutableRunConfig } from '../sweep/execute.js';
import type { ResultLine } from '../sweep/store.js';
import type { Experiment, ExperimentContext, ExperimentOutput, ExperimentTable, ReproduceOptions } from './experiment.js';

/** The grid of the paper's experiment. */
export const HOU_ETAS = [1e-3, 1e-2, 1e-1] as const;
export const HOU_XIS = [1e-2, 1e-4, 1e-6] as const;
/** The noisy setting: ||omega|| = HOU_NOISE ||b#||. */
export const HOU_NOISE = 1e-2;
/** Relative threshold of the numerical rank: #{k : sigma_k > 1e-10 sigma_1}. */
export const NUMERICAL_RANK_RTOL = 1e-10;

/** Sizes, cap and stopping rule of the two variants. */
export const HOU_SETTINGS = {
  full: { n: 100, m: 900, maxIters: 1_000_000, logEvery: 10_000 },
  quick: { n: 50, m: 400, maxIters: 30_000, logEvery: 1_000 },
  rank: 3,
  stopLoss: 1e-13,
  stallWindow: 10_000,
  stallRtol: 1e-3,
  logPerDecade: 10,
} as const;

/**
 * The sweep: one problem per noise level (same truth, same measurements), 3 x 3 step sizes
 * and scales, the two methods as variants (both from U_0 = xi U_hat / ||U_hat||_F with the
 * same U_hat: the same init seed draws the same n x n Gaussian first).
 */
function houConfig(o: ReproduceOptions): Record<string, unknown> {
  const s = o.quick ? HOU_SETTINGS.quick : HOU_SETTINGS.full;
  return {
    name: 'hou2025-udu',
    problem: {
      kind: 'sensing', n: s.n, m: s.m, rank: HOU_SETTINGS.rank, truth: 'psd', symmetric: true,
      scale: 'isometric', truthNorm: 1, noiseRelative: [0, HOU_NOISE],
    },
    seeds: { data: 0, init: 0 },
    init: { kind: 'scaled-direction', xi: [...HOU_XIS] },
    optimizer: { name: 'gd', lr: [...HOU_ETAS] },
    loss: 'half-sse',
    train: {
      maxIters: s.maxIters, stopLoss: HOU_SETTINGS.stopLoss, stallWindow: HOU_SETTINGS.stallWindow, stallRtol: HOU_SETTINGS.stallRtol,
      logEvery: s.logEvery, logPerDecade: HOU_SETTINGS.logPerDecade, logSingular: 'all',
    },
    variants: [
      { name: 'udu', model: { kind: 'udu', width: s.n, radius: 1 } },
      { name: 'bm', model: { kind: 'psd', width: s.n } },
    ],
  };
}

interface HouRun {
  line: ResultLine;
  method: 'udu' | 'bm';
  eta: number;
  xi: number;
  noise: number;
}

function houRun(line: ResultLine): HouRun {
  const c = line.config as { model: { kind: string }; optimizer: { lr: number }; init: { xi: number }; problem: { noiseRelative?: number; noise?: number } };
  return {
    line,
    method: c.model.kind === 'udu' ? 'udu' : 'bm',
    eta: c.optimizer.lr,
    xi: c.init.xi,
    noise: c.problem.noiseRelative ?? 0,
  };
}

/** sigma_4 / sigma_1 of a descending spectrum (null without 4 values or with sigma_1 = 0). */
export function sigmaRatio(s: readonly number[] | null | undefined, k = 4): number | null {
  if (!s || s.length < k || !(s[0] > 0)) return null;
  return s[k - 1] / s[0];
}

/** The number of singular values above rtol * sigma_1 (null without a spectrum). */
export function numericalRank(s: readonly number[] | null | undefined, rtol = NUMERICAL_RANK_RTOL): number | null {
  if (!s || s.length === 0) return null;
  if (!(s[0] > 0)) return 0;
  return s.filter((x) => x > rtol * s[0]).length;
}

/**
 * The loss of the truth, (1/2)||A(X#) - b||^2 = (1/2)||omega||^2, on the problem of a run
 * (regenerated from its config: same seeds, same problem); null without a ground truth.
 */
export function truthLoss(config: unknown): number | null {
  const problem = buildRunProblem(config as Pick<ExecutableRunConfig, 'problem' | 'seeds'>);
  if (!problem.xStar) return null;
  const r = problem.op.apply(problem.xStar, new Float64Array(problem.y.length));
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (r[i] - problem.y[i]) ** 2;
  return 0.5 * s;
}

/** A row of table.json: exactly the issue's fields. */
export type HouRow = {
  method: 'udu' | 'bm';
  eta: number;
  xi: number;
  noise: number;
  iterations: number;
  train_loss: number | null;
  recon_rel: number | null;
  sigma4_over_sigma1: number | null;
  numerical_rank: number | null;
};

function houRow(r: HouRun): HouRow {
  const s = r.line.summary;
  return {
    method: r.method,
    eta: r.eta,
    xi: r.xi,
    noise: r.noise,
    iterations: s.step,
    train_loss: s.loss,
    recon_rel: s.recon_rel,
    sigma4_over_sigma1: sigmaRatio(s.singular_values),
    numerical_rank: numericalRank(s.singular_values),
  };
}

const sci = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toExponential(digits));
const cellLabel = (eta: number, xi: number): string => `η = ${sci(eta, 0)}, ξ = ${sci(xi, 0)}`;
const noiseLabel = (noise: number): string => (noise === 0 ? 'noiseless' : `noise ${sci(noise, 0)}`);
const METHOD_LABEL = { udu: 'UDUᵀ (projected GD)', bm: 'UUᵀ (Burer–Monteiro GD)' } as const;

/** The range [min, max] of the finite values (null when none). */
function range(values: Array<number | null>): [number, number] | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : [Math.min(...v), Math.max(...v)];
}

function describeRange(r: [number, number] | null, format: (x: number) => string = (x) => sci(x)): string {
  return r === null ? '—' : r[0] === r[1] ? format(r[0]) : `${format(r[0])} to ${format(r[1])}`;
}

function analyzeHou(ctx: ExperimentContext): ExperimentOutput {
  const runs = ctx.results.map(houRun);
  const table = runs.map(houRow);
  const cells = HOU_ETAS.flatMap((eta) => HOU_XIS.map((xi) => cellLabel(eta, xi)));
  const noises = [...new Set(runs.map((r) => r.noise))].sort((a, b) => a - b);
  const methodOrder = [METHOD_LABEL.udu, METHOD_LABEL.bm];
  // The loss of the truth per noise level (the same problem for every run of that level).
  const truthLosses = new Map<number, number | null>();
  for (const noise of noises) {
    const first = runs.find((r) => r.noise === noise);
    truthLosses.set(noise, noise > 0 && first ? truthLoss(first.line.config) : null);
  }
  /** sigma_4/sigma_1 at the first logged step whose loss is at most the truth's (the discrepancy principle). */
  const atNoiseLevel = (r: HouRun): { step: number; ratio: number | null } | null => {
    const level = truthLosses.get(r.noise);
    if (level === null || level === undefined) return null;
    const h = ctx.history(r.line.id).find((x) => x.loss !== null && x.loss <= level);
    return h ? { step: h.step, ratio: sigmaRatio(h.singular_values) } : null;
  };

  // Spectra: every positive singular value of every solution (zeros have no place on a log axis).
  const spectra = (noise: number) =>
    runs.filter((r) => r.noise === noise).flatMap((r) =>
      (r.line.summary.singular_values ?? []).map((sigma, k) => ({ cell: cellLabel(r.eta, r.xi), method: METHOD_LABEL[r.method], k: k + 1, sigma })));

  // Histories: loss and sigma_4 / sigma_1 against the step.
  const curves = (noise: number) =>
    runs.filter((r) => r.noise === noise).flatMap((r) =>
      ctx.history(r.line.id).filter((h) => h.step >= 1).map((h) => ({
        cell: cellLabel(r.eta, r.xi), method: METHOD_LABEL[r.method], step: h.step, loss: h.loss, ratio: sigmaRatio(h.singular_values),
      })));

  // Printed table: one line per (noise, eta, xi), the two methods side by side.
  const find = (method: 'udu' | 'bm', noise: number, eta: number, xi: number): HouRow | undefined =>
    table.find((t) => t.method === method && t.noise === noise && t.eta === eta && t.xi === xi);
  const printedRows: Array<Record<string, unknown>> = [];
  for (const noise of noises) {
    for (const eta of HOU_ETAS) {
      for (const xi of HOU_XIS) {
        const u = find('udu', noise, eta, xi), b = find('bm', noise, eta, xi);
        if (!u && !b) continue;
        printedRows.push({
          noise, eta, xi,
          udu_ratio: u?.sigma4_over_sigma1, bm_ratio: b?.sigma4_over_sigma1,
          udu_rank: u?.numerical_rank, bm_rank: b?.numerical_rank,
          udu_recon: u?.recon_rel, bm_recon: b?.recon_rel,
          udu_steps: u?.iterations, bm_steps: b?.iterations,
          udu_status: runs.find((r) => r.method === 'udu' && r.noise === noise && r.eta === eta && r.xi === xi)?.line.summary.status,
          bm_status: runs.find((r) => r.method === 'bm' && r.noise === noise && r.eta === eta && r.xi === xi)?.line.summary.status,
        });
      }
    }
  }
  const printed: ExperimentTable = {
    caption: `σ4/σ1 and numerical rank (σ_k > ${sci(NUMERICAL_RANK_RTOL, 0)} σ1) of the solutions, UDUᵀ against UUᵀ, per noise level, step size η and scale ξ`,
    columns: [
      { key: 'noise', title: 'noise', format: 'sci' },
      { key: 'eta', title: 'η', format: 'sci' },
      { key: 'xi', title: 'ξ', format: 'sci' },
      { key: 'udu_ratio', title: 'σ4/σ1 UDUᵀ', format: 'sci' },
      { key: 'bm_ratio', title: 'σ4/σ1 UUᵀ', format: 'sci' },
      { key: 'udu_rank', title: 'rank UDUᵀ', format: 'int' },
      { key: 'bm_rank', title: 'rank UUᵀ', format: 'int' },
      { key: 'udu_recon', title: 'recon UDUᵀ', format: 'sci' },
      { key: 'bm_recon', title: 'recon UUᵀ', format: 'sci' },
      { key: 'udu_steps', title: 'steps UDUᵀ', format: 'int' },
      { key: 'bm_steps', title: 'steps UUᵀ', format: 'int' },
      { key: 'udu_status', title: 'status UDUᵀ', format: 'text' },
      { key: 'bm_status', title: 'status UUᵀ', format: 'text' },
    ],
    rows: printedRows,
  };

  // The text states what the numbers show, computed here rather than assumed.
  const summaryText = noises.map((noise) => {
    const rows = table.filter((t) => t.noise === noise);
    const udu = rows.filter((t) => t.method === 'udu'), bm = rows.filter((t) => t.method === 'bm');
    let lower = 0, pairs = 0;
    for (const u of udu) {
      const b = bm.find((x) => x.eta === u.eta && x.xi === u.xi);
      if (!b || u.sigma4_over_sigma1 === null || b.sigma4_over_sigma1 === null) continue;
      pairs += 1;
      if (u.sigma4_over_sigma1 < b.sigma4_over_sigma1) lower += 1;
    }
    const ranks = (rs: HouRow[]) => describeRange(range(rs.map((t) => t.numerical_rank)), String);
    const rank3 = (rs: HouRow[]) => rs.filter((t) => t.numerical_rank === HOU_SETTINGS.rank).length;
    const far = rows.filter((t) => t.recon_rel !== null && t.recon_rel > 0.1);
    const farText = far.length === 0 ? '' :
      ` Still far from X# when stopped (recon_rel > 0.1, so their spectra describe an unfinished fit): ` +
      `${far.map((t) => `${t.method === 'udu' ? 'UDUᵀ' : 'UUᵀ'} at η = ${sci(t.eta, 0)}, ξ = ${sci(t.xi, 0)}`).join('; ')}.`;
    const level = truthLosses.get(noise);
    const early = (method: 'udu' | 'bm') => range(runs.filter((r) => r.noise === noise && r.method === method).map((r) => atNoiseLevel(r)?.ratio ?? null));
    const noiseText = level === null || level === undefined ? '' :
      ` The loss of the truth is (1/2)||ω||² = ${sci(level, 2)}; at the first logged step where the training loss is at most that ` +
      `(where the discrepancy principle would stop), σ4/σ1 was ${describeRange(early('udu'))} for UDUᵀ and ${describeRange(early('bm'))} for UUᵀ ` +
      '(runs that never got there are left out); the final values above are after the runs went on fitting the noise.';
    return (
      `${noise === 0 ? 'Noiseless' : `Noise ${sci(noise, 0)} (relative)`}: σ4/σ1 of UDUᵀ ranges over ${describeRange(range(udu.map((t) => t.sigma4_over_sigma1)))} ` +
      `(numerical rank ${ranks(udu)}), of UUᵀ over ${describeRange(range(bm.map((t) => t.sigma4_over_sigma1)))} (numerical rank ${ranks(bm)}); ` +
      `UDUᵀ is the lower of the two in ${lower} of ${pairs} cells, and has numerical rank exactly ${HOU_SETTINGS.rank} (the truth's) in ` +
      `${rank3(udu)} of ${udu.length} (UUᵀ: ${rank3(bm)} of ${bm.length}). Relative reconstruction error: UDUᵀ ${describeRange(range(udu.map((t) => t.recon_rel)))}, ` +
      `UUᵀ ${describeRange(range(bm.map((t) => t.recon_rel)))}.` + farText + noiseText
    );
  }).join('\n\n');

  const spectrumFigure = (noise: number) => ({
    name: `spectra-${noise === 0 ? 'noiseless' : 'noisy'}`,
    caption:
      `All ${runs[0]?.line.summary.singular_values?.length ?? 'n'} singular values of each solution (${noiseLabel(noise)}), log scale, one panel per step size η and ` +
      'initialization scale ξ, UDUᵀ and UUᵀ overlaid. The truth has rank 3. Values near 1e-16 σ1 are the rounding floor of the SVD ' +
      '(float64); exact zeros would be left out of the log axis.',
    spec: lineFigure({
      data: spectra(noise), x: 'k', y: 'sigma', color: 'method', colorTitle: 'method', colorOrder: methodOrder,
      facet: 'cell', facetTitle: '', facetOrder: cells, columns: 3, log: { x: false, y: true },
      xTitle: 'index k', yTitle: 'singular value σ_k', width: 260, height: 180,
    }),
  });
  const truthRule = (noise: number): ReferenceRule[] => {
    const level = truthLosses.get(noise);
    return level === null || level === undefined || !(level > 0) ? [] : [{ y: level, label: 'loss of the truth (1/2)||ω||²' }];
  };
  const curveFigure = (noise: number, field: 'loss' | 'ratio') => ({
    name: `${field === 'loss' ? 'loss' : 'sigma-ratio'}-${noise === 0 ? 'noiseless' : 'noisy'}`,
    caption: field === 'loss'
      ? `Training loss (1/2)||A(X) - b||² against the step (${noiseLabel(noise)}), one panel per (η, ξ).`
      : `σ4/σ1 of X along training (${noiseLabel(noise)}), at the logged steps, one panel per (η, ξ).`,
    spec: lineFigure({
      data: curves(noise), x: 'step', y: field, color: 'method', colorTitle: 'method', colorOrder: methodOrder,
      facet: 'cell', facetTitle: '', facetOrder: cells, columns: 3, log: { x: true, y: true },
      rules: field === 'loss' ? truthRule(noise) : [],
      xTitle: 'step', yTitle: field === 'loss' ? 'training loss' : 'σ4/σ1', width: 260, height: 220,
    }),
  });
  const overview = table.filter((t) => t.sigma4_over_sigma1 !== null).map((t) => ({
    panel: `${noiseLabel(t.noise)}, ξ = ${sci(t.xi, 0)}`, method: METHOD_LABEL[t.method], eta: t.eta, ratio: t.sigma4_over_sigma1,
  }));

  return {
    table,
    printed,
    sections: [
      {
        heading: 'σ4/σ1 per step size and initialization scale',
        text: summaryText,
        tables: [printed],
        figures: [{
          name: 'sigma-ratio-overview',
          caption: 'σ4/σ1 of the final solutions against the step size, one panel per noise level and initialization scale ξ.',
          spec: lineFigure({
            data: overview, x: 'eta', y: 'ratio', color: 'method', colorTitle: 'method', colorOrder: methodOrder, points: true,
            facet: 'panel', facetTitle: '', columns: 3, log: { x: true, y: true }, xTicks: [...HOU_ETAS],
            xTitle: 'step size η', yTitle: 'σ4/σ1', width: 260, height: 180,
          }),
        }],
      },
      ...noises.map((noise) => ({
        heading: `Singular values of the solutions (${noiseLabel(noise)})`,
        figures: [spectrumFigure(noise)],
      })),
      {
        heading: 'Training',
        text:
          'Loss curves and σ4/σ1 along training. With noise, the loss first falls to about the loss of the truth, ' +
          '(1/2)||ω||², and then, where it goes on falling, the model fits the noise; the σ4/σ1 panels show what that does to the rank.',
        figures: noises.flatMap((noise) => [curveFigure(noise, 'loss'), curveFigure(noise, 'ratio')]),
      },
    ],
  };
}

export const hou2025Udu: Experiment = {
  name: 'hou2025-udu',
  title: 'Hou, Sra and Yurtsever 2025: U D Uᵀ with projected gradient descent against Burer–Monteiro',
  about:
    'Hou, Sra and Yurtsever (2025) factor a PSD matrix as X = U D Uᵀ with U (n x n) on the unit Frobenius ball and D diagonal and ' +
    'nonnegative, trained by projected gradient descent, and report truly low-rank solutions whatever the step size and the ' +
    'initialization scale, where gradient descent on the Burer–Monteiro factorization X = U Uᵀ from the same start finds only ' +
    'approximately low-rank ones. The experiment recovers a rank-3 PSD matrix from symmetric Gaussian measurements, noiseless and ' +
    'noisy, over a 3 x 3 grid of step sizes η and initialization scales ξ.',
  config: houConfig,
  notes: (o) => {
    const s = o.quick ? HOU_SETTINGS.quick : HOU_SETTINGS.full;
    return (
      `${o.quick ? 'Quick variant (smaller problem, fewer steps; the whole grid). ' : ''}` +
      `Problem: X# = U# U#ᵀ, U# an ${s.n} x ${HOU_SETTINGS.rank} standard Gaussian matrix, rescaled to ||X#||_F = 1; m = ${s.m} measurements ` +
      'b_i = <A_i, X#> with A_i = (B_i + B_iᵀ)/2, B_i i.i.d. N(0, 1/m) entries (scale = "isometric"): for every symmetric X, ' +
      '<A_i, X> = <B_i, X> ~ N(0, ||X||_F²/m), so E||A(X)||² = ||X||_F² and the loss (1/2)||A(X) - b||² is about (1/2)||X - X#||_F² ' +
      'on low-rank X. Both normalizations are needed for the paper\'s step sizes to mean the same thing for both factors of U D Uᵀ: ' +
      'rescaling the truth by s changes the effective step of U by s² but that of D by 1, so no operator scale alone would do. ' +
      `Noisy: b = b# + ω with ω along a Gaussian draw, ||ω|| = ${sci(HOU_NOISE, 0)} ||b#|| exactly (noiseRelative). ` +
      `Methods: projected GD on U D Uᵀ (U ${s.n} x ${s.n} projected onto ||U||_F <= 1, D clipped at 0, U_0 = ξ Û/||Û||_F, D_0 = I) and GD on ` +
      'U Uᵀ from the same U_0 (the same init seed draws the same Û), loss (1/2)||A(X) - b||², step sizes η in {1e-3, 1e-2, 1e-1}, ξ in {1e-2, 1e-4, 1e-6}. ' +
      `Stopping: loss below ${sci(HOU_SETTINGS.stopLoss, 0)} (about 2e-13 times the initial loss; status converged), or no relative decrease of ` +
      `${sci(HOU_SETTINGS.stallRtol, 0)} in ${HOU_SETTINGS.stallWindow} steps (status stalled), or ${s.maxIters} steps (status max_iters; the paper runs about 1e6). ` +
      'σ4/σ1 and the numerical rank (σ_k > 1e-10 σ1) are those of the final X, from its SVD.'
    );
  },
  analyze: analyzeHou,
};
