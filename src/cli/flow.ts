/**
 * `implab flow`: the gradient flow of a factorization (or Gunasekar et al.'s steering path)
 * on a problem file, with the model and initialization flags of `implab train`; a thin
 * layer over runFlow / resumeFlow (src/runs/flow-run.ts).
 */

import type { Command } from 'commander';
import { FLOW_SOLVERS, type FlowRecord, type FlowSettings } from '../flow/follow.js';
import type { LossKind } from '../models/model.js';
import type { FlowRunConfig, FlowRunOutcome } from '../runs/flow-run.js';
import { choice, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber, refuseOnResume } from './options.js';
import { addModelAndInitOptions, addRunDirOptions, initConfig, modelSpec, need, runJobInterruptibly, type InitOptions, type ModelOptions } from './train.js';
import type { TrainJob } from './train-worker.js';

const MODELS = ['deep', 'psd', 'asymmetric'] as const;
const LOSSES = ['mse', 'half-sse'] as const;
const FORMS = ['factors', 'x'] as const;

interface FlowOptions extends ModelOptions, InitOptions {
  problem?: string;
  loss: LossKind;
  method: (typeof FLOW_SOLVERS)[number];
  form?: (typeof FORMS)[number];
  rtol?: number;
  atol?: number;
  eta?: number;
  tMax?: number;
  maxSteps?: number;
  stopLoss?: number;
  logPerDecade?: number;
  logFrom?: number;
  logSingular?: number;
  logMatrix?: boolean;
  checkpointEvery?: number;
  seed: number;
  out?: string;
  resume?: string;
  force?: boolean;
  quiet?: boolean;
}

/** The run a command line describes (everything but the output directory). */
export function flowConfigFromOptions(o: FlowOptions): FlowRunConfig {
  const given = <K extends keyof FlowSettings>(key: K, value: FlowSettings[K] | undefined) => (value === undefined ? {} : { [key]: value });
  // The flag combinations the run layer would also refuse, named as flags.
  if (o.eta !== undefined && o.method !== 'steer') throw new Error(`--eta: only used with --method steer (the steering path), got --method ${o.method}`);
  if (o.method === 'steer' && o.form === 'factors') throw new Error('--form: --method steer evolves X itself (--form x), got factors');
  if ((o.method === 'steer' || o.form === 'x') && o.model !== undefined && o.model !== 'psd') {
    throw new Error(`--model: ${o.method === 'steer' ? '--method steer' : '--form x'} evolves X = U U^T and needs --model psd, got ${o.model}`);
  }
  if (o.logFrom !== undefined && !(o.logFrom < (o.tMax ?? 1e8))) throw new Error(`--log-from: expected a time below --t-max = ${o.tMax ?? 1e8}, got ${o.logFrom}`);
  return {
    problem: need(o.problem, '--problem', '(a problem file, P.npz)'),
    model: modelSpec(o),
    init: initConfig(o),
    loss: o.loss,
    flow: {
      solver: o.method,
      ...given('form', o.form),
      ...given('rtol', o.rtol),
      ...given('atol', o.atol),
      ...given('eta', o.eta),
      ...given('tMax', o.tMax),
      ...given('maxSteps', o.maxSteps),
      ...given('stopLoss', o.stopLoss),
      ...given('logPerDecade', o.logPerDecade),
      ...given('logFrom', o.logFrom),
      ...given('logSingular', o.logSingular),
      ...(o.logMatrix === true ? { logMatrix: true } : {}),
      ...given('checkpointEvery', o.checkpointEvery),
    },
    seed: o.seed,
  };
}

const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toExponential(3));

function progressLine(r: FlowRecord): string {
  return `t ${fmt(r.t)}  step ${r.step}  loss ${fmt(r.loss)}  recon_rel ${fmt(r.recon_rel)}  nuclear ${fmt(r.nuclear_norm)}  eff_rank ${r.effective_rank === null ? '-' : r.effective_rank.toFixed(3)}`;
}

export function registerFlow(program: Command): void {
  const command = program
    .command('flow')
    .description('follow the gradient flow of a factorization (or the steering path) on a problem file; writes RUN_DIR like train')
    .option('--problem <file>', 'problem file (.npz)');
  addModelAndInitOptions(command, MODELS);
  command
    .option('--loss <kind>', 'mse | half-sse', choice('--loss', LOSSES), 'mse')
    .option('--method <m>', 'dopri5 | dop853 (adaptive Runge-Kutta on the flow) | rodas4 (L-stable Rosenbrock, for the stiff late phase) | steer (X <- exp(-eta S) X exp(-eta S))', choice('--method', FLOW_SOLVERS), 'dopri5')
    .option('--form <f>', 'factors (the flow of the factors) | x (dX/dt = -(S X + X S), psd model); steer implies x', choice('--form', FORMS))
    .option('--rtol <r>', 'relative tolerance of dopri5 / dop853 / rodas4 (default 1e-8)', positiveNumber('--rtol'))
    .option('--atol <a>', 'absolute tolerance of dopri5 / dop853 / rodas4 (default 1e-14; keep it below the entries of the start)', positiveNumber('--atol'))
    .option('--eta <eta>', 'step of the steering path (default 1e-3)', positiveNumber('--eta'))
    .option('--t-max <t>', 'horizon: follow the flow up to this time (default 1e8)', positiveNumber('--t-max'))
    .option('--max-steps <n>', 'step limit: attempted integrator steps or steering steps (default 1e6)', positiveInt('--max-steps'))
    .option('--stop-loss <l>', 'stop when the training loss falls below this (located on the dense output)', nonNegativeNumber('--stop-loss'))
    .option('--log-per-decade <d>', 'history records per decade of t (default 10)', positiveInt('--log-per-decade'))
    .option('--log-from <t>', 'first logged time after 0 (default 1e-2)', positiveNumber('--log-from'))
    .option('--log-singular <k>', 'number of top singular values to log (default 10)', nonNegativeInt('--log-singular'))
    .option('--log-matrix', 'record the end-to-end matrix W in every history line (n1 n2 <= 64)')
    .option('--checkpoint-every <k>', 'write a resumable checkpoint every k accepted steps', positiveInt('--checkpoint-every'));
  addRunDirOptions(command, '--t-max or --max-steps')
    .action(async (o: FlowOptions, cmd: Command) => {
      let job: TrainJob;
      if (o.resume !== undefined) {
        refuseOnResume(o, cmd, ['tMax', 'maxSteps'], '--t-max and --max-steps');
        job = { kind: 'flow-resume', dir: o.resume, ...(o.tMax !== undefined ? { tMax: o.tMax } : {}), ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}) };
      } else {
        job = { kind: 'flow', config: flowConfigFromOptions(o), out: need(o.out, '--out', '(the run directory to write)'), force: o.force === true };
      }
      const outcome = (await runJobInterruptibly<FlowRecord>(job, o.quiet === true ? undefined : (r) => console.log(progressLine(r)))) as FlowRunOutcome;
      const f = outcome.final;
      console.log(
        `${outcome.status} at t = ${fmt(outcome.t)} after ${outcome.step} steps: loss ${fmt(f.loss)}, recon_rel ${fmt(f.recon_rel)}, ` +
          `nuclear norm ${fmt(f.nuclear_norm)}, effective rank ${f.effective_rank === null ? '-' : f.effective_rank.toFixed(4)}, ` +
          `${outcome.trainSeconds.toFixed(2)} s -> ${outcome.runDir}`,
      );
    });
}
