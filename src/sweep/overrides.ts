/**
 * `--set key=value` overrides of a raw run config (before grid expansion).
 * Browser-safe (smol-toml is pure JavaScript).
 */

import { parse } from 'smol-toml';
import { isConfigTable as isTable, plainConfigData as plain } from './config.js';

const KEY_PART = /^[A-Za-z0-9_-]+$/;
const JS_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The value of `--set key=VALUE`: a TOML value (number, boolean, "string", [array],
 * {inline = "table"}); anything that is not one is a number if JavaScript reads it as
 * one (`.5`), else the text itself as a string, so bare words work (`model.kind=psd`).
 * TOML dates are kept as the text.
 *
 * @example
 * parseSetValue('[0.1, 0.01]'); // [0.1, 0.01]
 * parseSetValue('psd');         // 'psd'
 * parseSetValue('1e-3');        // 0.001
 */
export function parseSetValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  let parsed: unknown;
  try {
    parsed = parse(`v = ${trimmed}`, { unsafeKeyBehaviour: 'throw' }).v;
  } catch {
    return JS_NUMBER.test(trimmed) ? Number(trimmed) : text;
  }
  if (parsed instanceof Date) return text;
  return plain(parsed);
}

/**
 * Applies `--set key=value` overrides to a raw config, in order. A dotted key sets a
 * nested key, creating tables on the way (`optimizer.lr=0.1`); the value is parsed by
 * parseSetValue (TOML, with bare words as strings), so a list makes a grid axis
 * (`--set optimizer.lr=[0.1,0.01]`). Returns a new object; `raw` is not modified.
 * Overrides change the base config: a `[[variants]]` entry that sets the same key
 * still wins for its points.
 *
 * @throws Error, one line: `--set: expected key=value, got "x"`,
 *   `--set model.depth: model holds a list, not a table`.
 * @example
 * applyOverrides({ model: { kind: 'deep' } }, ['model.depth=4', 'optimizer.lr=[0.1,0.01]']);
 * // { model: { kind: 'deep', depth: 4 }, optimizer: { lr: [0.1, 0.01] } }
 */
export function applyOverrides(raw: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  const out = plain(raw) as Record<string, unknown>;
  for (const set of sets) {
    const eq = set.indexOf('=');
    const key = eq < 0 ? '' : set.slice(0, eq).trim();
    if (eq < 0 || key === '') throw new Error(`--set: expected key=value, got ${JSON.stringify(set)}`);
    const parts = key.split('.');
    for (const part of parts) {
      if (!KEY_PART.test(part) || part === '__proto__') {
        throw new Error(`--set: expected a dotted key of letters, digits, _ and -, got ${JSON.stringify(key)}`);
      }
    }
    const value = parseSetValue(set.slice(eq + 1));
    let table = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i];
      const next = table[part];
      if (next === undefined) {
        table = table[part] = {};
      } else if (isTable(next)) {
        table = next;
      } else {
        const what = Array.isArray(next) ? 'a list' : `the value ${JSON.stringify(next)}`;
        throw new Error(`--set ${key}: ${parts.slice(0, i + 1).join('.')} holds ${what}, not a table`);
      }
    }
    table[parts[parts.length - 1]] = value;
  }
  return out;
}
