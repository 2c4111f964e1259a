import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Command } from 'commander';
import type { InitConfig, TrainRunConfig, TrainRunOutcome } from '../runs/train-run.js';
import { handleInterrupt } from './interrupt.js';
import { runTrainJob, type JobOutcome, type TrainJob, type TrainWorkerData, type TrainWorkerMessage } from './train-worker.js';
import type { LossKind, ModelSpec } from '../models/model.js';
import type { OptimizerSpec } from '../optim/create.js';
import type { HistoryRecord } from '../train/loop.js';
import {
  choice, nonNegativeInt, nonNegativeNumber, positiveInt, positiveIntList, positiveNumber, refuseOnResume, unitInterval,
} from './options.js';

const MODELS = ['deep', 'psd', 'asymmetric', 'udu'] as const;
const OPTIMIZERS = ['gd', 'grouprmsprop', 'momentum', 'adam'] as const;
const LOSSES = ['mse', 'half-sse'] as const;

interface TrainOptions {
  problem?: string;
  model?: (typeof MODELS)[number];
  depth?: number;
  width?: number;
  widths?: number[];
  radius?: number;
  init?: string;
  initScale?: number;
  initStd?: number;
  positiveDet?: boolean;
  xi?: number;
  initRank?: number;
  optimizer: (typeof OPTIMIZERS)[number];
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  alpha?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  loss: LossKind;
  maxIters?: number;
  stopLoss?: number;
  stallWindow?: number;
  stallRtol?: number;
  logEvery: number;
  logPerDecade?: number;
  logPerLossDecade?: number;
  logMatrix?: boolean;
  logSingular: number;
  checkpointEvery?: number;
  seed: number;
  out?: string;
  resume?: string;
  force?: boolean;
  quiet?: boolean;
}

/** The options modelSpec reads (shared with implab flow). */
export type ModelOptions = Pick<TrainOptions, 'model' | 'depth' | 'width' | 'widths' | 'radius'>;
/** The options initConfig reads (shared with implab flow). */
export type InitOptions = Pick<TrainOptions, 'init' | 'initScale' | 'initStd' | 'positiveDet' | 'xi' | 'initRank'>;

/** Default learning rates: the papers' (Arora et al. use 1e-3 with GroupRMSprop). */
const DEFAULT_LR: Record<(typeof OPTIMIZERS)[number], number> = { gd: 0.01, grouprmsprop: 1e-3, momentum: 0.01, adam: 1e-3 };

export function need<T>(value: T | undefined, option: string, why: string): T {
  if (value === undefined) throw new Error(`${option}: required ${why}`);
  return value;
}

/** The model a command line describes (--model, --depth, --widths, --width, --radius). */
export function modelSpec(o: ModelOptions): ModelSpec {
  const kind = need(o.model, '--model', '(deep, psd, asymmetric or udu)');
  if (kind === 'deep') {
    if (o.width !== undefined) throw new Error('--width: not an option of the deep model (use --widths for hidden widths)');
    return { kind, depth: need(o.depth, '--depth', 'for the deep model'), ...(o.widths ? { widths: o.widths } : {}) };
  }
  if (o.depth !== undefined || o.widths !== undefined) throw new Error(`--depth/--widths: only for the deep model, not ${kind}`);
  const width = need(o.width, '--width', `for the ${kind} model (k; k = n is full dimensional)`);
  return kind === 'udu' ? { kind, width, ...(o.radius !== undefined ? { radius: o.radius } : {}) } : { kind, width };
}

/** The initialization a command line describes (--init and its options). */
export function initConfig(o: InitOptions): InitConfig {
  const text = o.init ?? 'gaussian';
  if (text.startsWith('file:')) {
    const file = text.slice(5);
    if (file === '') throw new Error('--init: expected file:PATH with a path after "file:"');
    return { kind: 'file', file };
  }
  const scale = o.initScale ?? 1e-3;
  if (o.initStd !== undefined && text !== 'normal-end-to-end') throw new Error(`--init-std: only for --init normal-end-to-end, got --init ${text}`);
  const det = o.positiveDet === true ? { positiveDet: true } : {};
  if (o.positiveDet === true && !['gaussian', 'normal-end-to-end', 'orthogonal', 'balanced', 'scaled-direction'].includes(text)) {
    throw new Error(`--positive-det: only for the random initializations (gaussian, normal-end-to-end, orthogonal, balanced, scaled-direction), got --init ${text}`);
  }
  switch (text) {
    case 'identity':
      return { kind: text, scale };
    case 'gaussian':
    case 'orthogonal':
    case 'balanced':
      return { kind: text, scale, ...det };
    case 'normal-end-to-end':
      return { kind: 'normal-end-to-end', std: o.initStd ?? 1e-3, ...det };
    case 'scaled-direction':
      return { kind: 'scaled-direction', xi: o.xi ?? 1e-3, ...det };
    case 'svd':
      return o.initRank !== undefined ? { kind: 'svd', rank: o.initRank } : { kind: 'svd' };
    default:
      throw new Error(`--init: expected gaussian, normal-end-to-end, identity, orthogonal, balanced, scaled-direction, svd or file:PATH, got "${text}"`);
  }
}

function optimizerSpec(o: TrainOptions): OptimizerSpec {
  const lr = o.lr ?? DEFAULT_LR[o.optimizer];
  const extra = (pairs: Record<string, unknown>) => Object.fromEntries(Object.entries(pairs).filter(([, v]) => v !== undefined));
  const misplaced = (names: string[]) => {
    for (const n of names) {
      if ((o as unknown as Record<string, unknown>)[n] !== undefined) throw new Error(`--${n.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: not an option of the ${o.optimizer} optimizer`);
    }
  };
  switch (o.optimizer) {
    case 'gd':
      misplaced(['momentum', 'nesterov', 'alpha', 'beta1', 'beta2', 'eps']);
      return { name: 'gd', lr };
    case 'grouprmsprop':
      misplaced(['momentum', 'nesterov', 'beta1', 'beta2']);
      return { name: 'grouprmsprop', lr, ...extra({ alpha: o.alpha, eps: o.eps }) };
    case 'momentum':
      misplaced(['alpha', 'beta1', 'beta2', 'eps']);
      return { name: 'momentum', lr, ...extra({ momentum: o.momentum, nesterov: o.nesterov }) };
    case 'adam':
      misplaced(['momentum', 'nesterov', 'alpha']);
      return { name: 'adam', lr, ...extra({ beta1: o.beta1, beta2: o.beta2, eps: o.eps }) };
  }
}

/** The run a command line describes (everything but the output directory). */
export function trainConfigFromOptions(o: TrainOptions): TrainRunConfig {
  return {
    problem: need(o.problem, '--problem', '(a problem file, P.npz)'),
    model: modelSpec(o),
    init: initConfig(o),
    optimizer: optimizerSpec(o),
    loss: o.loss,
    train: {
      maxIters: o.maxIters ?? 10000,
      ...(o.stopLoss !== undefined ? { stopLoss: o.stopLoss } : {}),
      ...(o.stallWindow !== undefined ? { stallWindow: o.stallWindow } : {}),
      ...(o.stallRtol !== undefined ? { stallRtol: o.stallRtol } : {}),
      logEvery: o.logEvery,
      ...(o.logPerDecade !== undefined ? { logPerDecade: o.logPerDecade } : {}),
      ...(o.logPerLossDecade !== undefined ? { logPerLossDecade: o.logPerLossDecade } : {}),
      logSingular: o.logSingular,
      ...(o.logMatrix === true ? { logMatrix: true } : {}),
      ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    },
    seed: o.seed,
  };
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : x.toExponential(3);
}

function progressLine(r: HistoryRecord): string {
  return `step ${r.step}  loss ${fmt(r.loss)}  recon_rel ${fmt(r.recon_rel)}  eff_rank ${r.effective_rank === null ? '-' : r.effective_rank.toFixed(3)}`;
}

function report(outcome: TrainRunOutcome): void {
  const f = outcome.final;
  console.log(
    `${outcome.status} at step ${outcome.step}: loss ${fmt(f.loss)}, recon_rel ${fmt(f.recon_rel)}, ` +
      `effective rank ${f.effective_rank === null ? '-' : f.effective_rank.toFixed(4)}, ` +
      `${outcome.trainSeconds.toFixed(2)} s training -> ${outcome.runDir}`,
  );
}

/**
 * The model and initialization options of `train` and `flow` (--model with the given kinds,
 * --depth, --widths, --width, --radius where udu is one of them, --init and its options).
 */
export function addModelAndInitOptions(command: Command, models: readonly string[]): Command {
  command
    .option('--model <kind>', models.join(' | '), choice('--model', models))
    .option('--depth <n>', 'depth N of the deep model', positiveInt('--depth'))
    .option('--widths <list>', 'hidden widths d_1..d_(N-1) of the deep model, e.g. 100,100', positiveIntList('--widths'))
    .option('--width <k>', `k of U (n x k) for ${models.filter((m) => m !== 'deep').join(', ')}`, positiveInt('--width'));
  if (models.includes('udu')) command.option('--radius <r>', 'Frobenius radius of U for udu (default 1)', positiveNumber('--radius'));
  return command
    .option('--init <kind>', 'gaussian | normal-end-to-end | identity | orthogonal | balanced | scaled-direction | svd | file:F.npz (default gaussian)')
    .option('--init-scale <s>', 'init scale (Arora et al.: ||W(0)||_F ~ s sqrt(n); psd identity: X(0) = s I); default 1e-3', positiveNumber('--init-scale'))
    .option('--init-std <s>', 'normal-end-to-end: standard deviation of the entries of W(0) (default 1e-3)', positiveNumber('--init-std'))
    .option('--positive-det', 'redraw the (random) initialization until det(W(0)) > 0 (square problems)')
    .option('--xi <xi>', 'Frobenius norm of U_0 for scaled-direction (default 1e-3)', positiveNumber('--xi'))
    .option('--init-rank <r>', 'rank of the svd start', positiveInt('--init-rank'));
}

/**
 * The run-directory flags of `train` and `flow`: --seed, --out, --resume (continuing with a
 * larger `extend`), --force, --quiet.
 */
export function addRunDirOptions(command: Command, extend: string): Command {
  return command
    .option('--seed <s>', 'seed of the initialization', nonNegativeInt('--seed'), 0)
    .option('--out <dir>', 'run directory to write')
    .option('--resume <dir>', `continue the run in this directory from its last checkpoint (optionally with a larger ${extend})`)
    .option('--force', 'replace the run files in an existing --out directory')
    .option('--quiet', 'no progress lines');
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train a factorization on a problem file; writes RUN_DIR/{result.npz,summary.json,history.jsonl}')
    .option('--problem <file>', 'problem file (.npz)');
  addModelAndInitOptions(command, MODELS);
  command
    .option('--optimizer <name>', 'gd | grouprmsprop | momentum | adam', choice('--optimizer', OPTIMIZERS), 'gd')
    .option('--lr <lr>', 'learning rate (default: gd/momentum 0.01, grouprmsprop/adam 1e-3)', positiveNumber('--lr'))
    .option('--momentum <mu>', 'momentum coefficient (momentum; default 0.9)', unitInterval('--momentum'))
    .option('--nesterov', 'Nesterov momentum (momentum)')
    .option('--alpha <a>', 'GroupRMSprop decay (default 0.99)', unitInterval('--alpha'))
    .option('--beta1 <b>', 'Adam beta1 (default 0.9)', unitInterval('--beta1'))
    .option('--beta2 <b>', 'Adam beta2 (default 0.999)', unitInterval('--beta2'))
    .option('--eps <e>', 'GroupRMSprop / Adam epsilon', positiveNumber('--eps'))
    .option('--loss <kind>', 'mse | half-sse', choice('--loss', LOSSES), 'mse')
    .option('--max-iters <n>', 'maximum number of steps (default 10000)', nonNegativeInt('--max-iters'))
    .option('--stop-loss <l>', 'stop when the training loss falls below this', nonNegativeNumber('--stop-loss'))
    .option('--stall-window <k>', 'stop (status stalled) when the loss has not fallen by --stall-rtol in this many steps', positiveInt('--stall-window'))
    .option('--stall-rtol <r>', 'the relative decrease that counts as progress for --stall-window (default 1e-3)', positiveNumber('--stall-rtol'))
    .option('--log-every <k>', 'log every k steps', positiveInt('--log-every'), 100)
    .option('--log-per-decade <d>', 'also log about d times per decade of steps (for log-step plots)', positiveInt('--log-per-decade'))
    .option('--log-per-loss-decade <d>', 'also log at the first step below each of 10^(-j/d): d records per decade of loss', positiveInt('--log-per-loss-decade'))
    .option('--log-matrix', 'record the end-to-end matrix W in every history line (n1 n2 <= 64)')
    .option('--log-singular <k>', 'number of top singular values to log', positiveInt('--log-singular'), 10)
    .option('--checkpoint-every <k>', 'write a resumable checkpoint every k steps', positiveInt('--checkpoint-every'));
  addRunDirOptions(command, '--max-iters')
    .action(async (o: TrainOptions, cmd: Command) => {
      let job: TrainJob;
      if (o.resume !== undefined) {
        refuseOnResume(o, cmd, ['maxIters'], '--max-iters');
        job = { kind: 'resume', dir: o.resume, ...(o.maxIters !== undefined ? { maxIters: o.maxIters } : {}) };
      } else {
        job = { kind: 'run', config: trainConfigFromOptions(o), out: need(o.out, '--out', '(the run directory to write)'), force: o.force === true };
      }
      report(await trainInterruptibly(job, o.quiet === true));
    });
}

/**
 * A training job in a worker thread, with Ctrl-C handled (runJobInterruptibly).
 */
async function trainInterruptibly(job: TrainJob, quiet: boolean): Promise<TrainRunOutcome> {
  return (await runJobInterruptibly(job, quiet ? undefined : (r) => console.log(progressLine(r)))) as TrainRunOutcome;
}

/**
 * Runs a job of train-worker.ts (training or flow) in a worker thread while this thread
 * listens for Ctrl-C: the first one stops the run cleanly (checkpoint and summary; `--resume`
 * continues it), a second one exits at once.
 */
export async function runJobInterruptibly<R extends HistoryRecord>(job: TrainJob, onLog: ((r: R) => void) | undefined): Promise<JobOutcome> {
  const workerFile = fileURLToPath(new URL('./train-worker.js', import.meta.url));
  // From the TypeScript sources there is no worker file: run here (Ctrl-C is then not handled).
  if (!existsSync(workerFile)) return runTrainJob(job, new SharedArrayBuffer(4), onLog as ((r: HistoryRecord) => void) | undefined);
  const interrupt = handleInterrupt('stopping after this step (checkpoint and summary follow)');
  const stopFlag = interrupt.stopFlag;
  try {
    return await new Promise<JobOutcome>((resolve, reject) => {
      const data: TrainWorkerData = { job, stopFlag, quiet: onLog === undefined };
      const worker = new Worker(workerFile, { workerData: data });
      worker.on('message', (m: TrainWorkerMessage) => {
        if (m.kind === 'log') onLog?.(m.record as R);
        else if (m.kind === 'done') resolve(m.outcome);
        else reject(new Error(m.message));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`training worker exited with code ${code}`)));
    });
  } finally {
    interrupt.dispose();
  }
}
