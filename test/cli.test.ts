import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeStatus } from '../src/linalg/select.js';
import { VERSION } from '../src/version.js';

// These run the built executable (npm test builds first), as a user would.
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

function implab(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, IMPLAB_BACKEND: undefined, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('implab CLI', () => {
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(implab(['--version']).stdout.trim()).toBe(VERSION);
  });

  it('info names the backend in use, BLAS, threads and versions', () => {
    const r = implab(['info']);
    expect(r.code).toBe(0);
    const status = nativeStatus();
    if (status.available) expect(r.stdout).toMatch(/^backend: native$/m);
    else expect(r.stdout).toContain(`backend: js (native unavailable: ${status.reason})`);
    expect(r.stdout).toMatch(/^blas: .+$/m);
    expect(r.stdout).toMatch(/^blas threads: .+$/m);
    expect(r.stdout).toContain(`node: ${process.version}`);
    expect(r.stdout).toContain(`implab: ${VERSION}`);
  });

  it('info --json is machine-readable', () => {
    const r = implab(['info', '--json'], { IMPLAB_BACKEND: 'js' });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { backend: string; implab: string };
    expect(j.backend).toBe('js');
    expect(j.implab).toBe(VERSION);
  });

  it('IMPLAB_BACKEND=js forces the js backend', () => {
    const r = implab(['info'], { IMPLAB_BACKEND: 'js' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backend: js/m);
    expect(r.stdout).toContain('blas: none (pure TypeScript)');
  });

  it('an unknown IMPLAB_BACKEND fails with one line naming it', () => {
    const r = implab(['info'], { IMPLAB_BACKEND: 'cuda' });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('IMPLAB_BACKEND: expected "js" or "native", got "cuda"');
  });

  it('forcing native where it cannot load fails with one line; unforced, js takes over and says why', () => {
    const missing = { IMPLAB_NATIVE_ADDON: '/nonexistent/implab_native.node' };
    const forced = implab(['info'], { ...missing, IMPLAB_BACKEND: 'native' });
    expect(forced.code).not.toBe(0);
    expect(forced.stderr.trim().split('\n')).toHaveLength(1);
    expect(forced.stderr).toContain('IMPLAB_BACKEND=native: the native backend cannot load (addon not built: /nonexistent/implab_native.node missing;');
    const auto = implab(['info'], missing);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toMatch(/^backend: js \(native unavailable: addon not built: \/nonexistent\/implab_native.node missing; .+\)$/m);
  });

  it('an unknown command or option fails with one line and a non-zero exit', () => {
    for (const args of [['info', '--bogus'], ['frobnicate']]) {
      const r = implab(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/error: unknown (option '--bogus'|command 'frobnicate')/);
    }
  });

  it('check passes on every backend and rejects a bad --n', () => {
    for (const name of nativeStatus().available ? ['js', 'native'] : ['js']) {
      const r = implab(['check', '--n', '60'], { IMPLAB_BACKEND: name });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`backend: ${name}, n = 60`);
      for (const routine of ['gemm', 'syevd', 'gesdd', 'potrf', 'expm']) expect(r.stdout).toMatch(new RegExp(`^${routine} .* ok$`, 'm'));
    }
    const bad = implab(['check', '--n', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--n: expected a positive integer, got "0"');
  });
});
