/**
 * Mean ± standard deviation over groups of rows (e.g. over seeds), the data of
 * the bands in figures and of the `mean ± std` columns of tables. Pure.
 */

/** Options of `meanStd`. */
export interface MeanStdOptions {
  /** Fields whose values define a group (compared by value, JSON-wise). */
  by: readonly string[];
  /** Numeric fields to summarize. */
  fields: readonly string[];
}

/**
 * One row per group of `rows` with equal values in every `by` field, in order
 * of the group's first appearance. Each output row holds the `by` values and,
 * for every field `f`:
 * - `f_mean`: the mean of the finite numbers among the group's `f` values
 *   (nulls, NaN, ±Infinity and non-numbers are left out); null when none;
 * - `f_std`: their sample standard deviation (n - 1 in the denominator);
 *   0 for a single value; null when none;
 * - `f_lower`, `f_upper`: mean - std and mean + std, except that when the
 *   mean is > 0 but mean - std is <= 0, `f_lower` is the smallest value of
 *   the group instead, so that a band over a positive quantity (an error, a
 *   norm) stays drawable on a log axis and still covers the data; null when
 *   that value is not positive either (mean <= 0: plain mean - std);
 * - `f_count`: how many values entered the mean;
 * and `count`: the number of rows in the group.
 *
 * @example
 * meanStd(
 *   [{ depth: 2, seed: 0, err: 1 }, { depth: 2, seed: 1, err: 3 }, { depth: 3, seed: 0, err: 0.5 }],
 *   { by: ['depth'], fields: ['err'] },
 * );
 * // [{ depth: 2, err_mean: 2, err_std: 1.414.., err_lower: 1, err_upper: 3.414.., err_count: 2, count: 2 },
 * //  { depth: 3, err_mean: 0.5, err_std: 0, err_lower: 0.5, err_upper: 0.5, err_count: 1, count: 1 }]
 */
export function meanStd(rows: readonly Readonly<Record<string, unknown>>[], options: MeanStdOptions): Record<string, unknown>[] {
  const groups = new Map<string, Readonly<Record<string, unknown>>[]>();
  for (const row of rows) {
    const key = JSON.stringify(options.by.map((b) => row[b] ?? null));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(row);
  }
  const out: Record<string, unknown>[] = [];
  for (const members of groups.values()) {
    const first = members[0];
    const row: Record<string, unknown> = {};
    for (const b of options.by) row[b] = first[b] ?? null;
    for (const f of options.fields) {
      const s = summarize(members.map((m) => m[f]));
      row[`${f}_mean`] = s.mean;
      row[`${f}_std`] = s.std;
      row[`${f}_lower`] = s.lower;
      row[`${f}_upper`] = s.upper;
      row[`${f}_count`] = s.count;
    }
    row.count = members.length;
    out.push(row);
  }
  return out;
}

/** The statistics of one field over one group (see `meanStd`). */
export interface FieldStats {
  mean: number | null;
  std: number | null;
  lower: number | null;
  upper: number | null;
  count: number;
}

/**
 * Mean, sample standard deviation and band edges of the finite numbers among
 * `values`, as documented for `meanStd`.
 *
 * @example
 * summarize([1, 3, null]); // { mean: 2, std: 1.414.., lower: 0.586.., upper: 3.414.., count: 2 }
 * summarize([0.1, 10]);    // mean 5.05, std 7.0: lower = 0.1 (the min, as mean - std < 0), upper = 12.05
 */
export function summarize(values: readonly unknown[]): FieldStats {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, lower: null, upper: null, count: 0 };
  // Two-pass mean and variance (accurate when the spread is small against the mean).
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  let lower: number | null = mean - std;
  if (mean > 0 && lower <= 0) {
    let min = Infinity;
    for (const x of xs) if (x < min) min = x;
    lower = min > 0 ? min : null;
  }
  return { mean, std, lower, upper: mean + std, count: n };
}
