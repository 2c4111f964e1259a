/**
 * Parsing of a sweep directory's JSON-lines files for the report:
 * `results.jsonl` (one line per finished run) and a run's `history.jsonl`
 * (one line per logged step). Pure: text in, plain objects out (the files
 * are read by sweep-report.ts).
 *
 * Both parsers are lenient the way a report should be: a line that does not
 * parse (the truncated last line after a crash, or a line damaged by hand) is
 * skipped and its 1-based number reported, never an error.
 */

/** The summary figures of a finished run, as results.jsonl records them. */
export interface RunSummary {
  status: string;
  method: string;
  step: number | null;
  loss: number | null;
  recon_mse: number | null;
  recon_rel: number | null;
  nuclear_norm: number | null;
  effective_rank: number | null;
  train_seconds: number | null;
  total_seconds: number | null;
  singular_values: number[] | null;
  /** Any further figure (test_loss, relative_gap, ...), kept as found. */
  [key: string]: unknown;
}

/** One line of results.jsonl. */
export interface RunResult {
  /** The run id (16 hex digits), also its directory DIR/runs/<id>. */
  id: string;
  /** The run's value on each axis of the sweep, by dotted key; {} for a single run. */
  axes: Record<string, unknown>;
  /** The resolved run config. */
  config: unknown;
  summary: RunSummary;
}

/** What a parse found. */
export interface Parsed<T> {
  items: T[];
  /** 1-based numbers of the lines skipped because they did not parse. */
  skipped: number[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Parses results.jsonl text. A line is a run when it is a JSON object with a
 * string `id`; `axes` defaults to {} and missing summary figures to null
 * (non-finite numbers become null too). When an id appears twice (a run
 * redone), the later line wins, at the earlier line's place. Blank lines are
 * ignored; other lines that do not parse are skipped and listed.
 *
 * @example
 * const { items, skipped } = parseResults(fs.readFileSync('sweep/results.jsonl', 'utf8'));
 * items[0].summary.recon_rel; // number | null
 */
export function parseResults(text: string): Parsed<RunResult> {
  const byId = new Map<string, RunResult>();
  const skipped: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skipped.push(i + 1);
      return;
    }
    if (!isObject(v) || typeof v.id !== 'string') {
      skipped.push(i + 1);
      return;
    }
    const s = isObject(v.summary) ? v.summary : {};
    const summary: RunSummary = {
      ...s,
      status: typeof s.status === 'string' ? s.status : 'unknown',
      method: typeof s.method === 'string' ? s.method : 'train',
      step: numOrNull(s.step),
      loss: numOrNull(s.loss),
      recon_mse: numOrNull(s.recon_mse),
      recon_rel: numOrNull(s.recon_rel),
      nuclear_norm: numOrNull(s.nuclear_norm),
      effective_rank: numOrNull(s.effective_rank),
      train_seconds: numOrNull(s.train_seconds),
      total_seconds: numOrNull(s.total_seconds),
      singular_values: Array.isArray(s.singular_values) ? s.singular_values.map((x) => Number(x)) : null,
    };
    byId.set(v.id, { id: v.id, axes: isObject(v.axes) ? v.axes : {}, config: v.config ?? null, summary });
  });
  return { items: [...byId.values()], skipped };
}

/** One logged step of a run's history.jsonl: `step` and whatever figures were logged. */
export type HistoryRow = { step: number } & Record<string, unknown>;

/**
 * Parses history.jsonl text: the JSON objects with a finite numeric `step`,
 * in file order. Other lines are skipped and listed.
 *
 * @example
 * const { items } = parseHistory(text);
 * items.map((r) => [r.step, r.loss]);
 */
export function parseHistory(text: string): Parsed<HistoryRow> {
  const items: HistoryRow[] = [];
  const skipped: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const v: unknown = JSON.parse(line);
      if (isObject(v) && typeof v.step === 'number' && Number.isFinite(v.step)) {
        items.push(v as HistoryRow);
        return;
      }
    } catch {
      // fall through
    }
    skipped.push(i + 1);
  });
  return { items, skipped };
}
