import path from 'node:path';
import type { Command } from 'commander';
import { applyOverrides } from '../sweep/overrides.js';
import { readConfigFile } from '../sweep/config-file.js';
import { runConfigJsonSchema } from '../sweep/config.js';
import { expandGrid } from '../sweep/grid.js';
import { axesLabel, sweepProgress } from '../sweep/progress.js';
import { runSweep, type SweepOutcome, type SweepPoint } from '../sweep/run-sweep.js';
import { handleInterrupt } from './interrupt.js';
import { positiveInt } from './options.js';

interface RunOptions {
  set: string[];
  out?: string;
  workers?: number;
  dryRun?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Runs a sweep on the pool with Ctrl-C handled: the first Ctrl-C asks every running run to
 * checkpoint and stop (the next `implab run` resumes them), a second one exits at once.
 */
export async function runSweepInterruptibly(
  points: readonly SweepPoint[],
  out: string,
  options: { quiet?: boolean; workers?: number; meta?: Record<string, unknown>; beforeRun?: () => void },
): Promise<SweepOutcome> {
  const interrupt = handleInterrupt('stopping: running runs checkpoint and end');
  const progress = options.quiet ? null : sweepProgress(process.stderr);
  try {
    const outcome = await runSweep(points, out, { workers: options.workers, stopFlag: interrupt.stopFlag, onEvent: progress?.onEvent, meta: options.meta, beforeRun: options.beforeRun });
    progress?.close();
    if (interrupt.requested()) {
      throw new Error(`interrupted: ${outcome.finished}/${outcome.total} runs finished; run the same command again to resume`);
    }
    if (outcome.failed.length > 0) {
      const first = outcome.failed[0];
      throw new Error(
        `${outcome.failed.length} of ${outcome.total} runs failed; first: run ${first.point.id} (${axesLabel(first.point.axes)}): ${first.message}`,
      );
    }
    return outcome;
  } finally {
    interrupt.dispose();
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('one run or a sweep (any key may hold a list; the grid is the product) on all cores; resumable')
    .argument('<config>', 'run config, .toml or .json (`implab schema` prints its JSON Schema)')
    .option('--set <key=value>', 'override a key (dotted for nesting), e.g. --set optimizer.lr=[0.1,0.01]; repeatable', collect, [])
    .option('--out <dir>', 'sweep directory (default: results/<config name>)')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt('--workers'))
    .option('--dry-run', 'print the runs of the grid and exit')
    .option('--quiet', 'no progress output')
    .action(async (file: string, o: RunOptions) => {
      const raw = applyOverrides(readConfigFile(file), o.set);
      const grid = expandGrid(raw, file);
      const out = o.out ?? path.join('results', path.basename(file, path.extname(file)));
      if (o.dryRun) {
        for (const p of grid.points) console.log(`${p.id} ${axesLabel(p.axes)}`);
        console.log(`${grid.points.length} run${grid.points.length === 1 ? '' : 's'} -> ${out}`);
        return;
      }
      const outcome = await runSweepInterruptibly(grid.points, out, {
        quiet: o.quiet, workers: o.workers, meta: { source: path.resolve(file), overrides: o.set, config: raw, axes: grid.axes },
      });
      console.log(`${outcome.finished}/${outcome.total} runs finished (${outcome.ran} run now) -> ${path.join(out, 'results.jsonl')}`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of run configs (for editors and validators)')
    .action(() => {
      console.log(JSON.stringify(runConfigJsonSchema(), null, 2));
    });
}
