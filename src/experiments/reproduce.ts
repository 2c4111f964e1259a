/**
 * `implab reproduce NAME`: the sweep of a reproduced result, then its analysis written to
 * DIR/table.json, DIR/figures/*.svg|png and DIR/report.html. The sweep itself is run by the
 * caller (the CLI runs it on the pool with Ctrl-C handling); everything here is the part
 * after it, so that `implab report DIR` can redo it from the files alone.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { atomicWriteFile } from '../io/files.js';
import { toJsonText } from '../io/run-dir.js';
import { reportHtml } from '../report/html.js';
import { parseHistory } from '../report/results.js';
import { writeFigure } from '../report/render.js';
import { expandGrid, type Grid } from '../sweep/grid.js';
import { openResultsStore } from '../sweep/store.js';
import type { HistoryRecord } from '../train/loop.js';
import type { Experiment, ExperimentOutput, ExperimentTable, ReproduceOptions } from './experiment.js';
import { EXPERIMENTS } from './registry.js';

/** DIR/experiment.json: which experiment and options produced a directory (read by `implab report`). */
export const EXPERIMENT_FILE = 'experiment.json';

/**
 * The experiment of a name, or an error listing the known names.
 *
 * @example
 * findExperiment('arora2019-table1').title;
 */
export function findExperiment(name: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new RangeError(`reproduce: unknown experiment "${name}" (expected one of ${EXPERIMENTS.map((x) => x.name).join(', ')})`);
  return e;
}

/** The grid of an experiment under some options. */
export function experimentGrid(experiment: Experiment, options: ReproduceOptions): Grid {
  return expandGrid(experiment.config(options), experiment.name);
}

/** Records the experiment and its options in DIR (before the sweep, so that a resumed run matches). */
export function writeExperimentFile(dir: string, experiment: Experiment, options: ReproduceOptions): void {
  atomicWriteFile(path.join(dir, EXPERIMENT_FILE), Buffer.from(toJsonText({ name: experiment.name, options }, 2) + '\n', 'utf8'));
}

/** The experiment and options recorded in DIR, or null for a plain sweep directory. */
export function readExperimentFile(dir: string): { experiment: Experiment; options: ReproduceOptions } | null {
  const file = path.join(dir, EXPERIMENT_FILE);
  if (!existsSync(file)) return null;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { name: string; options: ReproduceOptions };
  return { experiment: findExperiment(saved.name), options: saved.options };
}

/** A run's history.jsonl (a line cut short by a crash is skipped). */
function readHistory(dir: string, id: string): HistoryRecord[] {
  const file = path.join(dir, 'runs', id, 'history.jsonl');
  return existsSync(file) ? (parseHistory(readFileSync(file, 'utf8')).items as unknown as HistoryRecord[]) : [];
}

/**
 * Analyzes the finished runs of an experiment's grid in DIR and writes table.json, the
 * figures and report.html. Runs not finished yet are missing from the analysis (the
 * report says how many).
 *
 * @example
 * const out = await writeExperimentReport('out/table1', findExperiment('arora2019-table1'), { quick: true, seeds: null });
 * out.printed.rows;
 */
export async function writeExperimentReport(dir: string, experiment: Experiment, options: ReproduceOptions): Promise<ExperimentOutput> {
  const grid = experimentGrid(experiment, options);
  const store = openResultsStore(dir);
  const results = grid.points.filter((p) => store.has(p.id)).map((p) => store.get(p.id)!);
  if (results.length === 0) throw new Error(`${dir}: none of the ${grid.points.length} runs of ${experiment.name} has finished`);
  const output = experiment.analyze({ dir, options, results, history: (id) => readHistory(dir, id) });
  atomicWriteFile(path.join(dir, 'table.json'), Buffer.from(toJsonText(output.table, 2) + '\n', 'utf8'));
  const figuresDir = path.join(dir, 'figures');
  const sections = [];
  for (const s of output.sections) {
    const figures = [];
    for (const f of s.figures ?? []) {
      const written = await writeFigure(figuresDir, f.name, f.spec);
      figures.push({ name: f.name, svg: written.svg, caption: f.caption });
    }
    sections.push({ heading: s.heading, text: s.text, figures, tables: s.tables });
  }
  const missing = grid.points.length - results.length;
  const html = reportHtml({
    title: experiment.title,
    intro:
      `${experiment.about}\n\n${experiment.notes(options)}\n\n` +
      `${results.length} of ${grid.points.length} runs finished${missing > 0 ? ` (${missing} missing: run the same command again to finish them)` : ''}. ` +
      'Every run directory is under runs/<id>/ (config.json, history.jsonl, result.npz, summary.json); results.jsonl has one line per run.',
    sections,
    configs: [{ title: 'Sweep config (lists are axes; variants are paired settings)', json: experiment.config(options) }, { title: 'Resolved config of the first run', json: grid.points[0].config }],
  });
  atomicWriteFile(path.join(dir, 'report.html'), Buffer.from(html, 'utf8'));
  return output;
}

/** A table as aligned text columns, for the terminal. */
export function formatTable(t: ExperimentTable): string {
  const cell = (v: unknown, format: string | undefined): string => {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return '—';
      if (format === 'int') return String(Math.round(v));
      if (format === 'fixed') return v.toFixed(2);
      if (format === 'sci') return v.toExponential(2);
    }
    return String(v);
  };
  const header = t.columns.map((c) => c.title);
  const body = t.rows.map((r) => t.columns.map((c) => cell(r[c.key], c.format)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [t.caption, line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
