/**
 * The ratings TSV loader (MovieLens style): a header line
 * `user_id<TAB>item_id<TAB>rating`, then one rating per line with 1-based ids.
 * Parsing is strict; every error is one line naming the source, the line number and
 * the field. Browser-safe: it takes the text, not a path.
 */

import { FormatError } from './errors.js';

/** Parsed ratings, in file order, with ids converted to 0-based indices. */
export interface Ratings {
  /** user_id - 1 of each rating. */
  users: Int32Array;
  /** item_id - 1 of each rating. */
  items: Int32Array;
  ratings: Float64Array;
  /** The largest user_id (so users index [0, nUsers)). */
  nUsers: number;
  /** The largest item_id. */
  nItems: number;
}

export const RATINGS_HEADER = ['user_id', 'item_id', 'rating'] as const;

const MAX_ID = 2 ** 31 - 1;

function parseId(text: string, where: string, field: string): number {
  if (!/^[0-9]+$/.test(text)) throw new FormatError(where, `field "${field}": expected a positive integer id, got "${text}"`);
  const v = Number(text);
  if (v < 1 || v > MAX_ID) throw new FormatError(where, `field "${field}": expected a positive integer id up to ${MAX_ID}, got "${text}"`);
  return v;
}

function parseRating(text: string, where: string): number {
  // Number() accepts "", " ", "0x10" and "Infinity"; only plain decimals are allowed.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new FormatError(where, `field "rating": expected a finite number, got "${text}"`);
  }
  const v = Number(text);
  if (!Number.isFinite(v)) throw new FormatError(where, `field "rating": expected a finite number, got "${text}"`);
  return v;
}

/**
 * Parses a ratings TSV. Lines may end in \n or \r\n; one final newline is allowed,
 * blank lines elsewhere are not. Ratings may be any finite decimal number.
 *
 * @throws FormatError (`ratings.tsv: line 7: field "item_id": expected a positive
 *   integer id, got "x"`) for a wrong header, a wrong column count, a bad id or rating.
 * @example
 * const r = parseRatings('user_id\titem_id\trating\n1\t2\t5\n', 'ratings.tsv');
 * r.users; // Int32Array [0]; r.items: [1]; r.nItems: 2
 */
export function parseRatings(text: string, source: string): Ratings {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new FormatError(source, `empty file (expected the header "${RATINGS_HEADER.join('\\t')}")`);
  const strip = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);
  const header = strip(lines[0]).split('\t');
  if (header.length !== 3 || header.some((h, i) => h !== RATINGS_HEADER[i])) {
    throw new FormatError(`${source}: line 1`, `expected the header "${RATINGS_HEADER.join('\\t')}", got "${strip(lines[0]).replace(/\t/g, '\\t')}"`);
  }
  const count = lines.length - 1;
  const users = new Int32Array(count);
  const items = new Int32Array(count);
  const ratings = new Float64Array(count);
  let nUsers = 0, nItems = 0;
  for (let i = 0; i < count; i++) {
    const where = `${source}: line ${i + 2}`;
    const line = strip(lines[i + 1]);
    if (line === '') throw new FormatError(where, 'empty line (expected user_id, item_id and rating separated by tabs)');
    const f = line.split('\t');
    if (f.length !== 3) throw new FormatError(where, `expected 3 tab-separated fields (user_id, item_id, rating), got ${f.length}`);
    const u = parseId(f[0], where, 'user_id');
    const it = parseId(f[1], where, 'item_id');
    ratings[i] = parseRating(f[2], where);
    users[i] = u - 1;
    items[i] = it - 1;
    if (u > nUsers) nUsers = u;
    if (it > nItems) nItems = it;
  }
  return { users, items, ratings, nUsers, nItems };
}
