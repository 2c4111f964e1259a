/**
 * The run directory (Node only): where one training run leaves its record.
 *
 *   history.jsonl     one JSON object per logged step, appended and written through
 *                     to the OS line by line, so a crash keeps what was logged
 *   checkpoint.npz    float64 arrays of the resumable state
 *   checkpoint.json   its JSON half, with the size and CRC-32 of checkpoint.npz
 *   result.npz        the factors by name, plus W
 *   summary.json      final figures, status, step, backend, timings, resolved config
 *
 * Every file but history.jsonl is written atomically (a temporary file in the same
 * directory, fsync, rename), so a reader never sees a partial file. summary.json is
 * written last: its presence marks a finished run.
 *
 * This module knows nothing of training: it takes serialized arrays and plain JSON.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mat } from '../linalg/mat.js';
import { crc32 } from './crc32.js';
import { FileError, fileSystemError } from './errors.js';
import { atomicWriteFile } from './files.js';
import type { NdArray } from './npy.js';
import { encodeNpz, ndFromMat, readNpz } from './npz.js';

/** @example fs.readFileSync(path.join(runDir, HISTORY_FILE), 'utf8').split('\n') */
export const HISTORY_FILE = 'history.jsonl';
/** @example readNpzFile(path.join(runDir, CHECKPOINT_NPZ)) */
export const CHECKPOINT_NPZ = 'checkpoint.npz';
/** @example JSON.parse(fs.readFileSync(path.join(runDir, CHECKPOINT_JSON), 'utf8')).state.step */
export const CHECKPOINT_JSON = 'checkpoint.json';
/** @example readNpzFile(path.join(runDir, RESULT_FILE)).get('W') */
export const RESULT_FILE = 'result.npz';
/** @example JSON.parse(fs.readFileSync(path.join(runDir, SUMMARY_FILE), 'utf8')).status */
export const SUMMARY_FILE = 'summary.json';

/**
 * The files a run writes; `force` removes exactly these (and stale temporaries).
 *
 * @example
 * RUN_FILES.filter((f) => fs.existsSync(path.join(runDir, f)));
 */
export const RUN_FILES: readonly string[] = [HISTORY_FILE, CHECKPOINT_NPZ, CHECKPOINT_JSON, RESULT_FILE, SUMMARY_FILE];

export interface RunDirOptions {
  /** Reuse a non-empty directory, removing the run files already there (others are left alone). */
  force?: boolean;
  /** Continue the run in an existing directory: nothing is removed; call truncateHistory next. */
  resume?: boolean;
  /** fsync history.jsonl after every line (survives an OS crash, slower). Default false: a process crash still keeps every line. */
  fsyncHistory?: boolean;
}

/** summary.json: the fields DESIGN fixes, and any others the caller adds. */
export interface RunSummary {
  status: string;
  step: number;
  /** The final figures (the last history record). */
  final: Record<string, unknown>;
  /** Backend name ('js' | 'native'). */
  backend: string;
  /** The training loop alone. */
  train_seconds: number;
  /** The whole command, loading and writing included. */
  total_seconds: number;
  /** The full resolved configuration. */
  config: unknown;
  [key: string]: unknown;
}

/** A checkpoint as read back: the arrays and the JSON the caller stored with them. */
export interface StoredCheckpoint {
  arrays: Map<string, NdArray>;
  meta: unknown;
}

/** An open run directory. */
export interface RunDir {
  readonly path: string;
  /** Appends one record as a line of history.jsonl, written through before returning. */
  appendHistory(record: object): void;
  /**
   * Keeps only the complete lines whose `step` is below `beforeStep` (dropping a line
   * cut short by a crash), rewriting history.jsonl atomically. Returns the lines kept.
   */
  truncateHistory(beforeStep: number): number;
  /** The records of history.jsonl (a trailing partial line is ignored). */
  readHistory(): Record<string, unknown>[];
  /** Writes checkpoint.npz then checkpoint.json, each atomically. */
  writeCheckpoint(arrays: Map<string, NdArray> | Record<string, NdArray>, meta: unknown): void;
  /** The last checkpoint, or null when there is none; verifies the two files belong together. */
  readCheckpoint(): StoredCheckpoint | null;
  /** result.npz: the factors (a Mat is stored 2-D; pass an NdArray for another shape) and W. */
  writeResult(factors: Record<string, Mat | NdArray> | Map<string, Mat | NdArray>, w: Mat): void;
  /** summary.json, atomically (non-finite numbers become null, typed arrays plain arrays). */
  writeSummary(summary: RunSummary): void;
  /** Closes history.jsonl (appendHistory reopens it). */
  close(): void;
}


const TMP_PATTERN = /^\..+\.\d+\.[0-9a-z]+\.tmp$/;


/**
 * JSON text with non-finite numbers as null and typed arrays as plain arrays, so the
 * output is always valid JSON (never NaN).
 *
 * @example
 * toJsonText({ a: NaN, s: new Float64Array([1, 2]) }); // '{"a":null,"s":[1,2]}'
 */
export function toJsonText(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number') return Number.isFinite(v) ? v : null;
      if (typeof v === 'bigint') return Number(v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
      return v;
    },
    indent,
  );
}

function isEmptyDir(dir: string): boolean {
  return fs.readdirSync(dir).length === 0;
}

/**
 * Opens RUN_DIR for a run. A missing directory is created (with its parents). An
 * existing non-empty directory is refused unless `force` (the run files listed in
 * RUN_FILES are removed first; other files stay) or `resume` (nothing is removed;
 * the caller reads the checkpoint and truncates the history to its step).
 *
 * @throws FileError, one line: `run: already exists and is not empty (use --force to
 *   replace the run in it, or --resume to continue it)`, `run: no such directory
 *   (nothing to resume)`, `run: not a directory`, permissions.
 * @example
 * const dir = openRunDir('runs/deep3', { force: opts.force });
 * train({ ..., hooks: { onLog: (r) => dir.appendHistory(r) } });
 */
export function openRunDir(dir: string, options: RunDirOptions = {}): RunDir {
  if (options.force && options.resume) throw new FileError(dir, 'force and resume exclude each other');
  let exists = false;
  try {
    const st = fs.statSync(dir);
    if (!st.isDirectory()) throw new FileError(dir, 'not a directory');
    exists = true;
  } catch (err) {
    if (err instanceof FileError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(err, dir);
  }
  try {
    if (!exists) {
      if (options.resume) throw new FileError(dir, 'no such directory (nothing to resume)');
      fs.mkdirSync(dir, { recursive: true });
    } else if (!isEmptyDir(dir)) {
      if (options.force) {
        for (const name of RUN_FILES) fs.rmSync(path.join(dir, name), { force: true });
      } else if (!options.resume) {
        throw new FileError(dir, 'already exists and is not empty (use --force to replace the run in it, or --resume to continue it)');
      }
      // Temporaries left by a crash in the middle of an atomic write.
      for (const name of fs.readdirSync(dir)) {
        if (TMP_PATTERN.test(name) && RUN_FILES.some((f) => name.startsWith(`.${f}.`))) fs.rmSync(path.join(dir, name), { force: true });
      }
    }
  } catch (err) {
    throw fileSystemError(err, dir);
  }
  return new RunDirImpl(dir, options.fsyncHistory === true);
}

class RunDirImpl implements RunDir {
  readonly path: string;
  private readonly fsyncHistory: boolean;
  private historyFd: number | null = null;

  constructor(dir: string, fsyncHistory: boolean) {
    this.path = dir;
    this.fsyncHistory = fsyncHistory;
  }

  private file(name: string): string {
    return path.join(this.path, name);
  }

  appendHistory(record: object): void {
    const file = this.file(HISTORY_FILE);
    const bytes = Buffer.from(toJsonText(record) + '\n', 'utf8');
    try {
      this.historyFd ??= fs.openSync(file, 'a', 0o644);
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(this.historyFd, bytes, off, bytes.length - off);
      if (this.fsyncHistory) fs.fsyncSync(this.historyFd);
    } catch (err) {
      throw fileSystemError(err, file);
    }
  }

  private historyLines(): { lines: string[]; partial: boolean } {
    const file = this.file(HISTORY_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], partial: false };
      throw fileSystemError(err, file);
    }
    const parts = text.split('\n');
    const last = parts.pop() ?? '';
    return { lines: parts, partial: last.length > 0 };
  }

  private parseLine(line: string, i: number): Record<string, unknown> {
    const where = `${this.file(HISTORY_FILE)}: line ${i + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new FileError(where, 'not valid JSON');
    }
    if (typeof rec !== 'object' || rec === null || typeof (rec as { step?: unknown }).step !== 'number') {
      throw new FileError(where, 'expected a JSON object with a numeric "step"');
    }
    return rec as Record<string, unknown>;
  }

  readHistory(): Record<string, unknown>[] {
    return this.historyLines().lines.map((l, i) => this.parseLine(l, i));
  }

  truncateHistory(beforeStep: number): number {
    this.close();
    const { lines, partial } = this.historyLines();
    const kept: string[] = [];
    lines.forEach((line, i) => {
      if ((this.parseLine(line, i).step as number) < beforeStep) kept.push(line);
    });
    if (kept.length !== lines.length || partial) {
      atomicWriteFile(this.file(HISTORY_FILE), Buffer.from(kept.map((l) => l + '\n').join(''), 'utf8'));
    }
    return kept.length;
  }

  writeCheckpoint(arrays: Map<string, NdArray> | Record<string, NdArray>, meta: unknown): void {
    const bytes = encodeNpz(arrays);
    atomicWriteFile(this.file(CHECKPOINT_NPZ), bytes);
    const wrapper = { npz: CHECKPOINT_NPZ, npz_bytes: bytes.length, npz_crc32: crc32(bytes), state: meta };
    atomicWriteFile(this.file(CHECKPOINT_JSON), Buffer.from(toJsonText(wrapper, 1) + '\n', 'utf8'));
  }

  readCheckpoint(): StoredCheckpoint | null {
    const jsonFile = this.file(CHECKPOINT_JSON);
    const npzFile = this.file(CHECKPOINT_NPZ);
    let text: string;
    try {
      text = fs.readFileSync(jsonFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fileSystemError(err, jsonFile);
    }
    let wrapper: { npz_bytes?: unknown; npz_crc32?: unknown; state?: unknown };
    try {
      wrapper = JSON.parse(text) as typeof wrapper;
    } catch {
      throw new FileError(jsonFile, 'not valid JSON');
    }
    if (typeof wrapper !== 'object' || wrapper === null || typeof wrapper.npz_crc32 !== 'number' || !('state' in wrapper)) {
      throw new FileError(jsonFile, 'expected {npz, npz_bytes, npz_crc32, state}');
    }
    let buf: Buffer;
    try {
      buf = fs.readFileSync(npzFile);
    } catch (err) {
      throw fileSystemError(err, npzFile);
    }
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (bytes.length !== wrapper.npz_bytes || crc32(bytes) !== wrapper.npz_crc32) {
      throw new FileError(npzFile, `does not match ${CHECKPOINT_JSON} (size or CRC-32 differs: a checkpoint write was interrupted)`);
    }
    return { arrays: readNpz(bytes, npzFile), meta: wrapper.state };
  }

  writeResult(factors: Record<string, Mat | NdArray> | Map<string, Mat | NdArray>, w: Mat): void {
    const entries = new Map<string, NdArray>();
    const list = factors instanceof Map ? [...factors] : Object.entries(factors);
    for (const [name, x] of list) {
      if (name === 'W') throw new FileError(this.file(RESULT_FILE), 'a factor may not be named "W" (W is the end-to-end matrix)');
      entries.set(name, 'dtype' in x ? x : ndFromMat(x));
    }
    entries.set('W', ndFromMat(w));
    atomicWriteFile(this.file(RESULT_FILE), encodeNpz(entries));
  }

  writeSummary(summary: RunSummary): void {
    atomicWriteFile(this.file(SUMMARY_FILE), Buffer.from(toJsonText(summary, 2) + '\n', 'utf8'));
  }

  close(): void {
    if (this.historyFd !== null) {
      const fd = this.historyFd;
      this.historyFd = null;
      try {
        fs.closeSync(fd);
      } catch (err) {
        throw fileSystemError(err, this.file(HISTORY_FILE));
      }
    }
  }
}
