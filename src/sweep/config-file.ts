/**
 * Reading a run or sweep config file (TOML or JSON). Node only.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, describeConfigValue, isConfigTable, plainConfigData } from './config.js';

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(file, '', 'no such file');
    if (code === 'EISDIR') throw new ConfigError(file, '', 'is a directory, not a config file');
    if (code === 'EACCES' || code === 'EPERM') throw new ConfigError(file, '', 'permission denied');
    throw new ConfigError(file, '', (e as Error).message.split('\n')[0]);
  }
}

/**
 * Reads a config file by its extension: `.toml` (smol-toml) or `.json`. The top level
 * must be a table. Tables come back as plain objects, in the file's key order.
 *
 * @throws ConfigError, one line: `sweep.toml: no such file`,
 *   `sweep.toml: line 3, column 9: invalid value`, `run.json: not valid JSON (...)`,
 *   `run.yaml: expected a .toml or .json file`.
 * @example
 * const raw = readConfigFile('sweep.toml');
 * const grid = expandGrid(applyOverrides(raw, ['optimizer.lr=0.1']), 'sweep.toml');
 */
export function readConfigFile(file: string): Record<string, unknown> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.toml' && ext !== '.json') throw new ConfigError(file, '', `expected a .toml or .json file, got ${ext === '' ? 'no extension' : `"${ext}"`}`);
  const text = readText(file);
  let data: unknown;
  if (ext === '.toml') {
    try {
      data = parse(text, { unsafeKeyBehaviour: 'throw' });
    } catch (e) {
      if (e instanceof TomlError) {
        const message = e.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
        throw new ConfigError(file, '', `line ${e.line}, column ${e.column}: ${message}`);
      }
      throw new ConfigError(file, '', `not valid TOML (${(e as Error).message.split('\n')[0]})`);
    }
  } else {
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(file, '', `not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
  }
  if (!isConfigTable(data)) throw new ConfigError(file, '', `expected a table at the top level, got ${describeConfigValue(data)}`);
  return plainConfigData(data) as Record<string, unknown>;
}
