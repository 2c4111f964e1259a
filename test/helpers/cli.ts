import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built executable (npm test builds it first), run as a user runs it. */
export const IMPLAB_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `implab ARGS` in `cwd`, with `env` added to (or, as undefined, removed from) the environment. */
export function runImplab(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): CliRun {
  const r = spawnSync(process.execPath, [IMPLAB_BIN, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
