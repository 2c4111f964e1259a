/**
 * Errors of the file I/O layer. Every message is ONE line that starts with the
 * file (or archive member) it concerns, so that a command can print it as is.
 */

/** Collapses line breaks so that a message always stays on one line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/**
 * A file's bytes are not what they should be: not a zip archive, a truncated
 * member, a CRC mismatch, a malformed .npy header, an unsupported dtype, a
 * field of the wrong shape or type.
 *
 * `source` names the file, and for an archive member also the member, e.g.
 * `P.npz: member "y.npy"`; `problem` says what is wrong.
 *
 * @example
 * throw new FormatError('P.npz', 'not a zip archive (no end-of-central-directory record)');
 * // message: 'P.npz: not a zip archive (no end-of-central-directory record)'
 */
export class FormatError extends Error {
  readonly source: string;
  readonly problem: string;

  constructor(source: string, problem: string) {
    super(oneLine(`${source}: ${problem}`));
    this.name = 'FormatError';
    this.source = source;
    this.problem = problem;
  }
}

/**
 * A file cannot be read or written for a reason outside its contents: it does
 * not exist, it already exists and may not be replaced, it is a directory,
 * permission is denied.
 *
 * @example
 * throw new FileError('P.npz', 'no such file');
 * // message: 'P.npz: no such file'
 */
export class FileError extends Error {
  readonly path: string;
  readonly problem: string;

  constructor(path: string, problem: string) {
    super(oneLine(`${path}: ${problem}`));
    this.name = 'FileError';
    this.path = path;
    this.problem = problem;
  }
}

/**
 * The FileError for a failed file-system call (an errno code), naming the file.
 * ENOENT reads as "no such file"; other codes as their plain meaning.
 *
 * @example
 * try { readFileSync(p); } catch (e) { throw fileSystemError(e, p); }
 */
export function fileSystemError(err: unknown, file: string): FileError {
  if (err instanceof FileError) return err;
  const code = (err as { code?: string } | undefined)?.code;
  const text: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'is a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOTDIR: 'a component of the path is not a directory',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
  };
  return new FileError(file, (code && text[code]) ?? (err instanceof Error ? err.message : String(err)));
}
