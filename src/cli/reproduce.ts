import path from 'node:path';
import type { Command } from 'commander';
import { experimentGrid, findExperiment, formatTable, writeExperimentFile, writeExperimentReport } from '../experiments/reproduce.js';
import { EXPERIMENTS } from '../experiments/registry.js';
import { positiveInt } from './options.js';
import { runSweepInterruptibly } from './run.js';

interface ReproduceCliOptions {
  quick?: boolean;
  seeds?: number;
  out?: string;
  workers?: number;
  quiet?: boolean;
}

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description(`a paper's result with its table, figures and report: ${EXPERIMENTS.map((e) => e.name).join(', ')}`)
    .argument('<name>', 'the experiment')
    .option('--quick', 'the reduced variant (under 3 minutes on 2 cores)')
    .option('--seeds <n>', 'instances per setting (default: the experiment\'s)', positiveInt('--seeds'))
    .option('--out <dir>', 'output directory (default: results/<name>[-quick])')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt('--workers'))
    .option('--quiet', 'no progress output')
    .action(async (name: string, o: ReproduceCliOptions) => {
      const experiment = findExperiment(name);
      const options = { quick: o.quick === true, seeds: o.seeds ?? null };
      const out = o.out ?? path.join('results', `${name}${options.quick ? '-quick' : ''}`);
      const grid = experimentGrid(experiment, options);
      const t0 = performance.now();
      const outcome = await runSweepInterruptibly(grid.points, out, {
        quiet: o.quiet, workers: o.workers, meta: { experiment: name, options, axes: grid.axes },
        beforeRun: () => writeExperimentFile(out, experiment, options),
      });
      const output = await writeExperimentReport(out, experiment, options);
      console.log(formatTable(output.printed));
      const seconds = (performance.now() - t0) / 1000;
      console.log(`${outcome.finished}/${outcome.total} runs (${outcome.ran} run now) in ${seconds.toFixed(1)} s -> ${path.join(out, 'report.html')}, ${path.join(out, 'table.json')}`);
    });
}
