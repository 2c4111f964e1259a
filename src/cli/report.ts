import path from 'node:path';
import type { Command } from 'commander';
import { readExperimentFile, writeExperimentReport } from '../experiments/reproduce.js';
import { writeSweepReport } from '../report/sweep-report.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('figures (DIR/figures/*.svg, *.png) and DIR/report.html for a sweep or reproduction directory')
    .argument('<dir>', 'a directory written by `implab run` or `implab reproduce`')
    .action(async (dir: string) => {
      const saved = readExperimentFile(dir);
      if (saved) await writeExperimentReport(dir, saved.experiment, saved.options);
      else await writeSweepReport(dir);
      console.log(`-> ${path.join(dir, 'report.html')}`);
    });
}
