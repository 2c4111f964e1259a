import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpzFile } from '../src/io/files.js';
import { encodeNpz } from '../src/io/npz.js';
import { runImplab } from './helpers/cli.js';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-cli-train-'));

function implab(args: string[], cwd = TMP) {
  return runImplab(args, { cwd });
}

function oneLineError(r: { code: number | null; stderr: string }, text: string): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(text);
}

const base = ['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '3', '--init', 'identity', '--init-scale', '1e-2', '--lr', '0.1', '--log-every', '50', '--quiet'];

beforeAll(() => {
  const g = implab(['gen', 'completion', '--n', '12', '--rank', '2', '--m', '80', '--seed', '3', '--out', 'P.npz']);
  expect(g.stderr).toBe('');
  expect(g.code).toBe(0);
});

describe('implab train', () => {
  it('writes config, history, result and summary as DESIGN says', () => {
    const r = implab([...base, '--max-iters', '200', '--out', 'ok']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^max_iters at step 200: loss .* -> ok$/m);
    const dir = path.join(TMP, 'ok');
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('max_iters');
    expect(summary.step).toBe(200);
    expect(typeof summary.train_seconds).toBe('number');
    expect(summary.total_seconds).toBeGreaterThanOrEqual(summary.train_seconds);
    expect(summary.config.model).toEqual({ kind: 'deep', depth: 3 });
    expect(summary.config.optimizer).toEqual({ name: 'gd', lr: 0.1 });
    const lines = fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([0, 50, 100, 150, 200]);
    for (const key of ['loss', 'recon_mse', 'recon_rel', 'nuclear_norm', 'schatten_2_over_N', 'effective_rank', 'singular_values', 'grad_align_diag']) {
      expect(lines[4][key]).not.toBeNull();
    }
    const result = readNpzFile(path.join(dir, 'result.npz'));
    expect([...result.keys()].sort()).toEqual(['W', 'W1', 'W2', 'W3']);
    expect(result.get('W')!.shape).toEqual([12, 12]);
  });

  it('refuses to overwrite a run without --force, and replaces it with --force', () => {
    implab([...base, '--max-iters', '10', '--out', 'twice']);
    const before = fs.readFileSync(path.join(TMP, 'twice', 'summary.json'), 'utf8');
    oneLineError(implab([...base, '--max-iters', '20', '--out', 'twice']), 'already exists and is not empty');
    expect(fs.readFileSync(path.join(TMP, 'twice', 'summary.json'), 'utf8')).toBe(before);
    const forced = implab([...base, '--max-iters', '20', '--out', 'twice', '--force']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(TMP, 'twice', 'summary.json'), 'utf8')).step).toBe(20);
  });

  it('a run extended with --resume equals an uninterrupted run bit for bit', () => {
    const opts = ['--optimizer', 'grouprmsprop', '--lr', '1e-2', '--checkpoint-every', '40'];
    const b = base.filter((x, i) => !(x === '--lr' || base[i - 1] === '--lr'));
    expect(implab([...b, ...opts, '--max-iters', '300', '--out', 'straight']).code).toBe(0);
    expect(implab([...b, ...opts, '--max-iters', '130', '--out', 'resumed']).code).toBe(0);
    const r = implab(['train', '--resume', 'resumed', '--max-iters', '300', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const a = readNpzFile(path.join(TMP, 'straight', 'result.npz'));
    const c = readNpzFile(path.join(TMP, 'resumed', 'result.npz'));
    for (const k of ['W1', 'W2', 'W3', 'W']) expect(Buffer.from((c.get(k)!.data as Float64Array).buffer)).toEqual(Buffer.from((a.get(k)!.data as Float64Array).buffer));
    const hist = (d: string) => fs.readFileSync(path.join(TMP, d, 'history.jsonl'), 'utf8');
    expect(hist('resumed')).toBe(hist('straight'));
    oneLineError(implab(['train', '--resume', 'resumed', '--lr', '5']), '--resume: continues with the run\'s saved configuration');
    // Flags that have defaults are refused too when given (they used to be ignored silently).
    for (const flag of [['--optimizer', 'adam'], ['--loss', 'half-sse'], ['--log-every', '7'], ['--seed', '3']]) {
      oneLineError(implab(['train', '--resume', 'resumed', ...flag]), `--resume: continues with the run's saved configuration; only --max-iters may change (got ${flag[0]})`);
    }
    // The extension is recorded: a plain resume afterwards goes on from 300 steps (nothing to do), not back to 130.
    expect(JSON.parse(fs.readFileSync(path.join(TMP, 'resumed', 'config.json'), 'utf8')).train.maxIters).toBe(300);
    const again = implab(['train', '--resume', 'resumed', '--quiet']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(hist('resumed')).toBe(hist('straight'));
  });

  it('a diverging run stops with status diverged and the step, never a silent NaN', () => {
    const r = implab([...base.filter((x, i) => !(x === '--lr' || base[i - 1] === '--lr')), '--lr', '1e4', '--max-iters', '1000', '--out', 'boom']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^diverged at step \d+/m);
    const summary = JSON.parse(fs.readFileSync(path.join(TMP, 'boom', 'summary.json'), 'utf8'));
    expect(summary.status).toBe('diverged');
    expect(summary.step).toBeLessThan(1000);
    expect(fs.readFileSync(path.join(TMP, 'boom', 'history.jsonl'), 'utf8')).not.toContain('NaN');
  });

  it('bad input: one line naming the field, a non-zero exit, and no run written', () => {
    fs.writeFileSync(path.join(TMP, 'corrupt.npz'), 'not a zip');
    fs.writeFileSync(path.join(TMP, 'nan.npz'), encodeNpz({
      shape: { dtype: 'int64', shape: [2], data: BigInt64Array.of(2n, 2n) },
      rows: { dtype: 'int64', shape: [1], data: BigInt64Array.of(0n) },
      cols: { dtype: 'int64', shape: [1], data: BigInt64Array.of(1n) },
      y: { dtype: 'float64', shape: [1], data: Float64Array.of(NaN) },
    }));
    fs.writeFileSync(path.join(TMP, 'badinit.npz'), encodeNpz({
      W1: { dtype: 'float64', shape: [12, 5], data: new Float64Array(60) },
      W2: { dtype: 'float64', shape: [12, 12], data: new Float64Array(144) },
      W3: { dtype: 'float64', shape: [12, 12], data: new Float64Array(144) },
    }));
    const cases: [string[], string][] = [
      [['train', '--problem', 'P.npz', '--model', 'mlp', '--out', 'x1'], "--model: expected one of deep, psd, asymmetric, udu, got \"mlp\""],
      [['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '0', '--out', 'x2'], '--depth: expected a positive integer, got "0"'],
      [['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '3', '--widths', '12', '--out', 'x3'], 'widths'],
      [['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '2', '--lr', '-0.1', '--out', 'x4'], '--lr: expected a positive finite number, got "-0.1"'],
      [['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '2', '--optimizer', 'sgdx', '--out', 'x5'], '--optimizer: expected one of gd, grouprmsprop, momentum, adam, got "sgdx"'],
      [['train', '--problem', 'missing.npz', '--model', 'deep', '--depth', '2', '--out', 'x6'], 'missing.npz: no such file'],
      [['train', '--problem', 'corrupt.npz', '--model', 'deep', '--depth', '2', '--out', 'x7'], 'corrupt.npz: not a zip archive'],
      [['train', '--problem', 'nan.npz', '--model', 'deep', '--depth', '2', '--out', 'x8'], 'nan.npz'],
      [['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '3', '--init', 'file:badinit.npz', '--out', 'x9'], 'W1: expected shape 12x12, got 12x5'],
      [['train', '--problem', 'P.npz', '--model', 'psd', '--out', 'x10'], '--width: required'],
      [['train', '--model', 'deep', '--depth', '2', '--out', 'x11'], '--problem: required'],
      [['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '2', '--momentum', '0.5', '--out', 'x12'], '--momentum: not an option of the gd optimizer'],
      [['train', '--problem', 'P.npz', '--model', 'deep', '--depth', '2', '--bogus', '--out', 'x13'], "unknown option '--bogus'"],
    ];
    for (const [args, text] of cases) {
      const r = implab(args);
      oneLineError(r, text);
      const out = args[args.indexOf('--out') + 1];
      expect(fs.existsSync(path.join(TMP, out))).toBe(false);
    }
    const nanMsg = implab(['train', '--problem', 'nan.npz', '--model', 'deep', '--depth', '2', '--out', 'x8']).stderr;
    expect(nanMsg).toMatch(/y.*(NaN|finite)/);
  });
});
