import { Command } from 'commander';
import { selfCheck } from '../linalg/selfcheck.js';
import { backend } from '../linalg/select.js';
import { VERSION } from '../version.js';
import { collectInfo, formatInfo } from './info.js';
import { positiveInt } from './options.js';
import { registerGen } from './gen.js';
import { registerTrain } from './train.js';
import { registerFlow } from './flow.js';
import { registerNnm } from './nnm.js';
import { registerReport } from './report.js';
import { registerReproduce } from './reproduce.js';
import { registerRun } from './run.js';

export function buildProgram(): Command {
  const program = new Command('implab')
    .description('Implicit regularization of gradient descent on matrix factorizations')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();

  program
    .command('info')
    .description('backend in use, BLAS library and threads, versions')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const report = collectInfo();
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatInfo(report));
    });

  program
    .command('check')
    .description('a quick numerical self-check of the backend in use (errors in units of n*eps)')
    .option('--n <n>', 'matrix size', positiveInt('--n'), 200)
    .option('--seed <seed>', 'random seed', positiveInt('--seed'), 1)
    .action((opts: { n: number; seed: number }) => {
      const be = backend();
      console.log(`backend: ${be.name}, n = ${opts.n}`);
      console.log('routine  error/(n eps)  bound   ms       result');
      let failed = 0;
      for (const r of selfCheck(be, opts.n, opts.seed)) {
        if (!r.ok) failed++;
        console.log(`${r.routine.padEnd(8)} ${r.error.toExponential(2).padStart(13)}  ${String(r.bound).padStart(5)}  ${r.ms.toFixed(1).padStart(7)}  ${r.ok ? 'ok' : 'FAILED'}`);
      }
      if (failed > 0) throw new Error(`check: ${failed} routine(s) outside their error bound`);
    });
  registerGen(program);
  registerTrain(program);
  registerFlow(program);
  registerNnm(program);
  registerRun(program);
  registerReproduce(program);
  registerReport(program);
  return program;
}
