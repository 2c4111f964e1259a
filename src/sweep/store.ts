/**
 * The results store of a sweep: DIR/results.jsonl, one line per finished run
 * `{ id, axes, config, summary }`.
 *
 * Every change rewrites the whole file atomically (temporary file, fsync, rename), so a
 * crash leaves either the old file or the new one, never half a line; the file is small
 * (a line per run). Lines are kept in grid order, so an interrupted and resumed sweep ends
 * with the same file as an uninterrupted one (timings aside). Lines of runs that are not in
 * the current grid (an earlier sweep into the same directory) are kept, after the others.
 * A file damaged by hand is read leniently: an unparsable line is reported (`unparsable`)
 * and kept verbatim, after the lines of the current grid; the next sweep records its run
 * again (from the run directory when the run had finished).
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { atomicWriteFile } from '../io/files.js';
import { toJsonText } from '../io/run-dir.js';
import type { RunFigures } from './execute.js';

export const RESULTS_FILE = 'results.jsonl';

/** One line of results.jsonl. */
export interface ResultLine {
  /** The run id: the hash of its resolved config, also its directory under runs/. */
  id: string;
  /** The run's value on each axis of the sweep (dotted keys). */
  axes: Record<string, unknown>;
  /** The resolved config. */
  config: unknown;
  summary: RunFigures;
}

export interface ResultsStore {
  readonly file: string;
  has(id: string): boolean;
  get(id: string): ResultLine | undefined;
  /** Every line, in file order. */
  lines(): ResultLine[];
  /** Lines of the file that could not be parsed (1-based line numbers), kept verbatim. */
  readonly unparsable: number[];
  /** Adds (or replaces) a line and rewrites the file, ordered by `order` (grid index of an id). */
  add(line: ResultLine, order?: ReadonlyMap<string, number>): void;
}

/**
 * Opens DIR/results.jsonl (absent: an empty store; the file appears at the first add).
 *
 * @example
 * const store = openResultsStore('sweep');
 * if (!store.has(point.id)) store.add({ id: point.id, axes: point.axes, config: point.config, summary });
 */
export function openResultsStore(dir: string): ResultsStore {
  const file = path.join(dir, RESULTS_FILE);
  const byId = new Map<string, ResultLine>();
  const raw: Array<{ id: string | null; text: string }> = [];
  const unparsable: number[] = [];
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    text.split('\n').forEach((lineText, i) => {
      if (lineText.trim() === '') return;
      try {
        const line = JSON.parse(lineText) as ResultLine;
        if (typeof line.id !== 'string') throw new Error('no id');
        byId.set(line.id, line);
        raw.push({ id: line.id, text: lineText });
      } catch {
        unparsable.push(i + 1);
        raw.push({ id: null, text: lineText });
      }
    });
  }
  const write = (order?: ReadonlyMap<string, number>): void => {
    const rank = (id: string | null): number => (id !== null && order?.has(id) ? order.get(id)! : Infinity);
    const indexed = raw.map((r, i) => ({ r, i }));
    indexed.sort((a, b) => rank(a.r.id) - rank(b.r.id) || a.i - b.i);
    const body = indexed.map(({ r }) => r.text + '\n').join('');
    atomicWriteFile(file, Buffer.from(body, 'utf8'));
    // Keep the in-memory order that of the file, so that lines() is in file order.
    raw.splice(0, raw.length, ...indexed.map(({ r }) => r));
  };
  return {
    file,
    unparsable,
    has: (id) => byId.has(id),
    get: (id) => byId.get(id),
    lines: () => raw.filter((r) => r.id !== null).map((r) => byId.get(r.id!)!),
    add(line, order) {
      const text = toJsonText(line);
      const at = raw.findIndex((r) => r.id === line.id);
      if (at >= 0) raw[at] = { id: line.id, text };
      else raw.push({ id: line.id, text });
      byId.set(line.id, line);
      write(order);
    },
  };
}
