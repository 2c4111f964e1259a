/**
 * Sweep progress for the terminal: on a TTY one line redrawn in place (a bar, done/total,
 * rate and ETA); otherwise (a log file, CI) one plain line per finished or failed run.
 */

import type { RunFigures } from './execute.js';
import type { SweepEvent } from './run-sweep.js';

export interface ProgressSink {
  write(text: string): void;
  /** True for an interactive terminal. */
  isTTY?: boolean;
  /** Terminal width in columns. */
  columns?: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const sci = (x: number | null): string => (x === null ? '-' : x.toExponential(2));

/** `model.depth=3 seeds.init=1` (values as JSON, strings bare). */
export function axesLabel(axes: Record<string, unknown>): string {
  const parts = Object.entries(axes).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(' ') : '(single run)';
}

/** One line about a finished run: status, steps, the headline figures, time. */
export function figuresLine(f: RunFigures): string {
  if (f.method === 'search3x3') return `${f.status}: ${f.step} instances (${f.total_seconds.toFixed(1)} s)`;
  const what =
    f.method === 'nnm' || f.method === 'pgd' ? `${f.status} in ${f.step} iterations` :
    f.method === 'flow' ? `${f.status} at t = ${sci(f.t ?? null)} after ${f.step} steps, loss ${sci(f.loss)}` :
    `${f.status} at step ${f.step}, loss ${sci(f.loss)}`;
  return `${what}, recon_rel ${sci(f.recon_rel)}, eff. rank ${f.effective_rank === null ? '-' : f.effective_rank.toFixed(2)} (${f.total_seconds.toFixed(1)} s)`;
}

/**
 * A SweepEvent listener that prints progress to `sink` (process.stderr in the CLI).
 * `now` is injectable for tests.
 *
 * @example
 * const progress = sweepProgress(process.stderr);
 * await runSweep(points, dir, { onEvent: progress.onEvent });
 * progress.close();
 */
export function sweepProgress(sink: ProgressSink, now: () => number = () => performance.now()): { onEvent: (e: SweepEvent) => void; close: () => void } {
  let start = 0;
  let doneAtStart = 0;
  let total = 0;
  let done = 0;
  let drawn = false;
  const tty = sink.isTTY === true;
  const draw = (): void => {
    const ran = done - doneAtStart;
    const elapsed = (now() - start) / 1000;
    const rate = elapsed > 0 ? ran / elapsed : 0;
    const eta = ran > 0 ? (total - done) / rate : Infinity;
    const width = Math.max(10, Math.min(30, (sink.columns ?? 80) - 50));
    const filled = total > 0 ? Math.round((width * done) / total) : width;
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const ratePart = ran > 0 ? `${(rate * 60).toFixed(rate * 60 >= 10 ? 0 : 1)} runs/min, ETA ${duration(eta)}` : 'first runs in progress';
    sink.write(`\r[${bar}] ${done}/${total} · ${ratePart} · ${duration(elapsed)} elapsed\x1b[K`);
    drawn = true;
  };
  const clear = (): void => {
    if (tty && drawn) sink.write('\r\x1b[K');
  };
  const onEvent = (e: SweepEvent): void => {
    switch (e.kind) {
      case 'start':
        start = now();
        total = e.total;
        done = doneAtStart = e.done;
        sink.write(
          `${e.total} run${e.total === 1 ? '' : 's'}: ${e.done} already finished, ${e.todo} to run on ${e.workers} worker${e.workers === 1 ? '' : 's'}\n`,
        );
        if (tty && e.todo > 0) draw();
        return;
      case 'finished':
        done = e.done;
        if (tty) draw();
        else sink.write(`[${e.done}/${e.total}] ${e.point.id} ${axesLabel(e.point.axes)}: ${figuresLine(e.figures)}\n`);
        return;
      case 'failed':
        clear();
        sink.write(`run ${e.point.id} (${axesLabel(e.point.axes)}) failed: ${e.message}\n`);
        if (tty) draw();
        return;
    }
  };
  return {
    onEvent,
    close: () => {
      if (tty && drawn) sink.write('\n');
    },
  };
}
