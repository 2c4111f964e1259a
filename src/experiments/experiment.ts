/**
 * What a reproduced result is: a sweep config (the runs), and an analysis that turns the
 * finished runs into the paper's table, figures and report sections. `implab reproduce`
 * (src/experiments/reproduce.ts) runs the sweep on the pool, then the analysis.
 */

import type { TopLevelSpec } from 'vega-lite';
import type { ReportTable } from '../report/html.js';
import type { HistoryRecord } from '../train/loop.js';
import type { ResultLine } from '../sweep/store.js';

export interface ReproduceOptions {
  /** The reduced variant: under 3 minutes on a 2-core machine, still showing the result. */
  quick: boolean;
  /** Seeded instances (or initializations) per setting; null: the experiment's default. */
  seeds: number | null;
}

/** A table of the report and of the printed summary. */
export interface ExperimentTable extends ReportTable {
  caption: string;
}

export interface ExperimentFigure {
  /** File name stem under DIR/figures/. */
  name: string;
  caption: string;
  spec: TopLevelSpec;
}

export interface ExperimentSection {
  heading: string;
  text?: string;
  figures?: ExperimentFigure[];
  tables?: ExperimentTable[];
}

/** What the analysis gets: the finished runs of the sweep and a reader of their histories. */
export interface ExperimentContext {
  dir: string;
  options: ReproduceOptions;
  /** results.jsonl lines of this sweep, in grid order. */
  results: ResultLine[];
  /** The logged records of a run (history.jsonl). */
  history(id: string): HistoryRecord[];
}

export interface ExperimentOutput {
  /** DIR/table.json: one object per row. */
  table: Array<Record<string, unknown>>;
  /** The table printed at the end of `implab reproduce`. */
  printed: ExperimentTable;
  sections: ExperimentSection[];
}

export interface Experiment {
  name: string;
  title: string;
  /** The paper and what the experiment shows, for the report's introduction. */
  about: string;
  /** The sweep (a raw run config: lists are axes, `variants` an axis of paired settings). */
  config(options: ReproduceOptions): Record<string, unknown>;
  /** Settings the report states, with the choices made where the paper is silent. */
  notes(options: ReproduceOptions): string;
  analyze(context: ExperimentContext): ExperimentOutput;
}

/** 0, 1, ..., n - 1: the data seeds of n instances. */
export function seedList(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
