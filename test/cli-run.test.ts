/**
 * `implab run` and `implab train` as a user runs them (the built binary): a sweep on the
 * worker pool, skipping finished runs, exact completion after SIGKILL, Ctrl-C, bad input.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMPLAB_BIN, runImplab } from './helpers/cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-cli-run-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Six training runs of a few thousand steps each, checkpointed often, and one nnm run. */
const SWEEP_TOML = `
name = "kill-test"
loss = "mse"
[problem]
kind = "completion"
n1 = 30
n2 = 30
m = 300
rank = 2
[seeds]
data = [1, 2]
[init]
kind = "gaussian"
scale = 1e-2
[optimizer]
name = "gd"
lr = 0.2
[train]
maxIters = 40000
logEvery = 2000
checkpointEvery = 1000
[[variants]]
name = "depth 2"
model = { kind = "deep", depth = 2 }
[[variants]]
name = "depth 3"
model = { kind = "deep", depth = 3 }
[[variants]]
name = "nnm"
method = "nnm"
`;

function writeConfig(name: string, text: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}

interface Line {
  id: string;
  axes: Record<string, unknown>;
  summary: Record<string, unknown>;
}

function readResults(dir: string): Line[] {
  return fs.readFileSync(path.join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
}

/** A result line without the timings, which differ between any two runs. */
function timeless(l: Line): unknown {
  const { train_seconds: _t, total_seconds: _s, ...summary } = l.summary;
  return { ...l, summary };
}

describe('implab run', () => {
  const config = writeConfig('sweep.toml', SWEEP_TOML);

  it('--dry-run lists the grid: 2 seeds x 3 variants', () => {
    const r = runImplab(['run', config, '--dry-run', '--out', path.join(root, 'dry')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toMatch(/^6 runs -> /);
    expect(lines[0]).toMatch(/^[0-9a-f]{16} /);
    expect(fs.existsSync(path.join(root, 'dry'))).toBe(false);
  });

  const straight = path.join(root, 'straight');
  it('runs every point once on the pool; a second call runs nothing', () => {
    const r = runImplab(['run', config, '--out', straight, '--workers', '2']);
    expect(r.stderr).toContain('6 runs: 0 already finished, 6 to run on 2 workers');
    expect(r.code).toBe(0);
    const lines = readResults(straight);
    expect(lines).toHaveLength(6);
    expect(new Set(lines.map((l) => l.id)).size).toBe(6);
    for (const l of lines) {
      expect(fs.existsSync(path.join(straight, 'runs', l.id, 'summary.json'))).toBe(true);
      expect(fs.existsSync(path.join(straight, 'runs', l.id, 'config.json')) || l.summary.method === 'nnm').toBe(true);
      expect(['max_iters', 'converged', 'solved']).toContain(l.summary.status);
    }
    const again = runImplab(['run', config, '--out', straight]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('6/6 runs finished (0 run now)');
    expect(readResults(straight).map(timeless)).toEqual(lines.map(timeless));
  }, 120_000);

  it('killed with SIGKILL halfway and run again: every run exactly once, equal to the uninterrupted sweep', async () => {
    const killed = path.join(root, 'killed');
    const child = spawn(process.execPath, [IMPLAB_BIN, 'run', config, '--out', killed, '--workers', '2', '--quiet'], { stdio: 'ignore' });
    // Wait until some run has checkpointed mid-way and at least one has finished, then kill.
    const deadline = Date.now() + 60_000;
    const midway = (): boolean => {
      const runs = path.join(killed, 'runs');
      if (!fs.existsSync(runs)) return false;
      const dirs = fs.readdirSync(runs);
      const checkpointed = dirs.some((d) => fs.existsSync(path.join(runs, d, 'checkpoint.json')) && !fs.existsSync(path.join(runs, d, 'summary.json')));
      return checkpointed && fs.existsSync(path.join(killed, 'results.jsonl'));
    };
    while (!midway() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const before = readResults(killed).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(6);
    const r = runImplab(['run', config, '--out', killed, '--workers', '2']);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain(`6/6 runs finished (${6 - before} run now)`);
    const a = readResults(killed);
    const b = readResults(straight);
    expect(a.map((l) => l.id)).toEqual(b.map((l) => l.id));
    expect(a.map(timeless)).toEqual(b.map(timeless));
    for (const l of a) {
      const bytes = (dir: string, f: string) => fs.readFileSync(path.join(dir, 'runs', l.id, f));
      expect(bytes(killed, 'result.npz').equals(bytes(straight, 'result.npz'))).toBe(true);
      if (l.summary.method === 'train') expect(bytes(killed, 'history.jsonl').equals(bytes(straight, 'history.jsonl'))).toBe(true);
    }
  }, 180_000);

  it('Ctrl-C: running runs checkpoint and stop, the command says how to resume, and resuming gives the same results', async () => {
    const stopped = path.join(root, 'sigint');
    const child = spawn(process.execPath, [IMPLAB_BIN, 'run', config, '--out', stopped, '--workers', '2', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 60_000;
    const started = (): boolean => {
      const runs = path.join(stopped, 'runs');
      return fs.existsSync(runs) && fs.readdirSync(runs).some((d) => fs.existsSync(path.join(runs, d, 'checkpoint.json')));
    };
    while (!started() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await code).toBe(1);
    expect(stderr).toContain('implab: interrupted:');
    expect(stderr).toContain('run the same command again to resume');
    const r = runImplab(['run', config, '--out', stopped, '--workers', '2']);
    expect(r.code).toBe(0);
    expect(readResults(stopped).map(timeless)).toEqual(readResults(straight).map(timeless));
  }, 120_000);

  it('bad input: one line naming the key, non-zero exit, nothing written', () => {
    const bad = writeConfig('bad.toml', SWEEP_TOML.replace('depth = 3', 'depth = 0'));
    const out = path.join(root, 'bad-out');
    const r = runImplab(['run', bad, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/model\.depth/);
    expect(fs.existsSync(out)).toBe(false);
    const missing = runImplab(['run', path.join(root, 'nope.toml')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.toml/);
    const set = runImplab(['run', config, '--set', 'optimizer.lr', '--dry-run']);
    expect(set.code).not.toBe(0);
    expect(set.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--set overrides, with lists as axes', () => {
    const r = runImplab(['run', config, '--set', 'optimizer.lr=[0.1, 0.2]', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/12 runs -> /);
  });

  it('implab report writes report.html and the figures of a sweep directory', () => {
    const r = runImplab(['report', straight]);
    expect(r.code).toBe(0);
    const html = fs.readFileSync(path.join(straight, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    const figures = fs.readdirSync(path.join(straight, 'figures'));
    expect(figures.some((f) => f.endsWith('.svg'))).toBe(true);
    expect(figures.some((f) => f.endsWith('.png'))).toBe(true);
  }, 60_000);

  it('implab schema prints a JSON Schema', () => {
    const r = runImplab(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(schema.$schema).toMatch(/json-schema/);
    expect(JSON.stringify(schema)).toContain('maxIters');
  });
});

describe('implab reproduce', () => {
  it('an unknown name: one line listing the known ones', () => {
    const r = runImplab(['reproduce', 'arora2091']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('arora2019-table1');
  });

  // The README's main job, in its quick form (one instance, ~15 s on native); the js
  // backend pass of CI skips it (its 2e5 GD steps at depth 2 take minutes there).
  it.skipIf(process.env.IMPLAB_BACKEND === 'js')('arora2019-table1 --quick: depth 3 far below the minimum nuclear norm, with table, figures and report', () => {
    const out = path.join(root, 'table1');
    const r = runImplab(['reproduce', 'arora2019-table1', '--quick', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const table = JSON.parse(fs.readFileSync(path.join(out, 'table.json'), 'utf8')) as Array<Record<string, unknown>>;
    const row = (method: string, depth?: number) => table.find((t) => t.method === method && t.depth === (depth ?? null))!;
    const nnm = row('nnm'), d1 = row('gd', 1), d2 = row('gd', 2), d3 = row('gd', 3);
    for (const t of [d1, d2, d3]) expect(t.statuses).toBe('converged');
    expect(nnm.statuses).toBe('solved');
    expect(d3.recon_mse as number).toBeLessThan((nnm.recon_mse as number) / 100);
    expect(d3.effective_rank as number).toBeCloseTo(5, 1);
    expect(d1.recon_mse as number).toBeGreaterThan(0.5);
    expect(d3.paper_recon_mse).toBe(2.58e-5);
    expect(r.stdout).toMatch(/depth 3 +\d\.\d\de-5/);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
    expect(fs.readdirSync(path.join(out, 'figures')).sort()).toEqual(['table1-recon.png', 'table1-recon.svg', 'table1-spectra.png', 'table1-spectra.svg']);
  }, 180_000);
});

describe('Ctrl-C', () => {
  const problem = path.join(root, 'p.npz');
  it('implab train: the first SIGINT stops after the step with a checkpoint; --resume finishes the run', async () => {
    expect(runImplab(['gen', 'completion', '--n', '60', '--m', '900', '--rank', '3', '--seed', '1', '--out', problem]).code).toBe(0);
    const out = path.join(root, 'interrupted');
    const child = spawn(process.execPath, [IMPLAB_BIN, 'train', '--problem', problem, '--model', 'deep', '--depth', '3', '--max-iters', '100000000', '--log-every', '1000', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('step 1000 ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await code).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as { status: string; step: number };
    expect(summary.status).toBe('stopped');
    expect(fs.existsSync(path.join(out, 'checkpoint.npz'))).toBe(true);
    const resumed = runImplab(['train', '--resume', out, '--max-iters', String(summary.step + 500), '--quiet']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^max_iters at step ${summary.step + 500}:`));
  }, 60_000);
});
