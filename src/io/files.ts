/**
 * Reading and writing .npz files on disk (Node only: the one module of
 * src/io that imports node:fs). Writes are atomic: the archive goes to a
 * temporary file in the target's directory, which is then renamed (or, when
 * replacing is not allowed, hard-linked) into place, so a reader never sees a
 * partial file and a failed write leaves nothing behind.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileError, fileSystemError } from './errors.js';
import type { NdArray } from './npy.js';
import { encodeNpz, readNpz } from './npz.js';


/**
 * Reads an .npz file. Errors are one line naming `file`.
 *
 * @throws FileError (`P.npz: no such file`, ...) or FormatError (a malformed archive).
 * @example
 * const arrays = readNpzFile('P.npz');
 * arrays.get('y'); // NdArray
 */
export function readNpzFile(file: string): Map<string, NdArray> {
  let bytes: Uint8Array;
  try {
    const buf = fs.readFileSync(file);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw fileSystemError(err, file);
  }
  return readNpz(bytes, file);
}

/**
 * Writes arrays to an .npz file atomically. Unless `overwrite` is true an
 * existing file is left alone and a FileError is thrown (`P.npz: already
 * exists (refusing to overwrite it)`), also when it appears while writing.
 *
 * @throws FileError for a missing directory, an existing file, permissions;
 *   RangeError for an inconsistent array (nothing is written then).
 * @example
 * writeNpzFile('out/result.npz', { W: ndFromMat(W) }, { compress: true });
 */
export function writeNpzFile(
  file: string,
  entries: Record<string, NdArray> | Map<string, NdArray>,
  options: { compress?: boolean; overwrite?: boolean } = {},
): void {
  const bytes = encodeNpz(entries, { compress: options.compress });
  const dir = path.dirname(file);
  if (!options.overwrite && fs.existsSync(file)) throw new FileError(file, 'already exists (refusing to overwrite it)');
  try {
    if (!fs.statSync(dir).isDirectory()) throw new FileError(file, `${dir} is not a directory`);
  } catch (err) {
    if (err instanceof FileError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FileError(file, `no such directory ${dir}`);
    throw fileSystemError(err, dir);
  }
  atomicWriteFile(file, bytes, { overwrite: options.overwrite === true });
}

/**
 * Writes bytes to `file` atomically: a temporary file beside it, fsync, then a rename
 * over the target (overwrite, the default) or a hard link that never replaces an
 * existing file (overwrite: false); finally a best-effort fsync of the directory.
 * A reader never sees a partial file, and a failed write leaves nothing behind.
 *
 * @throws FileError naming the file.
 * @example
 * atomicWriteFile('run/summary.json', new TextEncoder().encode('{}\n'));
 */
export function atomicWriteFile(file: string, bytes: Uint8Array, options: { overwrite?: boolean } = {}): void {
  const overwrite = options.overwrite ?? true;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let placed = false;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (overwrite) {
      fs.renameSync(tmp, file);
      placed = true;
    } else {
      // link() never replaces an existing file, so a file that appeared meanwhile is kept.
      try {
        fs.linkSync(tmp, file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new FileError(file, 'already exists (refusing to overwrite it)');
        // File systems without hard links: fall back to check-then-rename.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
        if (fs.existsSync(file)) throw new FileError(file, 'already exists (refusing to overwrite it)');
        fs.renameSync(tmp, file);
        placed = true;
      }
    }
  } catch (err) {
    throw fileSystemError(err, file);
  } finally {
    if (!placed) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // never created, linked (the link keeps the data), or already gone
      }
    }
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Directories cannot be fsynced everywhere; the rename itself is atomic.
  }
}
