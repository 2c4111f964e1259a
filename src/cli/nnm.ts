import type { Command } from 'commander';
import { runNnm } from '../runs/nnm-run.js';
import { nonNegativeNumber, positiveInt, positiveNumber } from './options.js';

interface NnmOptions {
  problem?: string;
  psd?: boolean;
  eps: number;
  tol: number;
  maxIters: number;
  out?: string;
  force?: boolean;
}

export function registerNnm(program: Command): void {
  program
    .command('nnm')
    .description('minimum-nuclear-norm solution with an optimality certificate; writes RUN_DIR/{result.npz,summary.json}')
    .option('--problem <file>', 'problem file (.npz)')
    .option('--psd', 'minimize tr(X) over positive semidefinite X (Gunasekar et al.)')
    .option('--eps <e>', 'allow |A(X) - y| <= eps entrywise (Arora et al. use 1e-3)', nonNegativeNumber('--eps'), 0)
    .option('--tol <t>', 'relative gap and infeasibilities for status solved', positiveNumber('--tol'), 1e-7)
    .option('--max-iters <n>', 'iteration limit (status inaccurate when reached)', positiveInt('--max-iters'), 20000)
    .option('--out <dir>', 'run directory to write')
    .option('--force', 'replace the run files in an existing --out directory')
    .action((o: NnmOptions) => {
      if (o.problem === undefined) throw new Error('--problem: required (a problem file, P.npz)');
      if (o.out === undefined) throw new Error('--out: required (the run directory to write)');
      const { result, runDir, reconRel } = runNnm(
        { problem: o.problem, psd: o.psd === true, eps: o.eps, tol: o.tol, maxIters: o.maxIters }, o.out, { force: o.force === true },
      );
      const line =
        `${result.status} after ${result.iterations} iterations (${result.seconds.toFixed(2)} s): ` +
        `objective ${result.primalObjective.toPrecision(10)}, certified gap ${result.relativeGap.toExponential(2)}, ` +
        `primal infeasibility ${result.primalInfeasibility.toExponential(2)}` +
        (reconRel === null ? '' : `, recon_rel ${reconRel.toExponential(3)}`) + ` -> ${runDir}`;
      if (result.status === 'infeasible') {
        throw new Error(`${o.problem}: the constraints A(X) = y${o.eps > 0 ? ' (within eps)' : ''} cannot be met (status infeasible; ${runDir}/summary.json has the figures)`);
      }
      console.log(line);
    });
}
