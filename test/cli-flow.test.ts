/*
 * `implab flow` on the built binary (npm run build first): each method writes the run
 * directory and prints its final line, and its figures are those of the library's
 * followFlow on the same problem file; bad flags give one line and exit 1 with nothing
 * written; --resume continues a run (to the bytes of an uninterrupted one) or extends its
 * horizon; an existing --out is not overwritten without --force.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowRecordTimes, followFlow, resolveFlowSettings } from '../src/flow/follow.js';
import { readNpzFile } from '../src/io/files.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import { problemFromNd } from '../src/problems/file.js';
import { Random } from '../src/rng/random.js';
import { assertAllclose } from './helpers/allclose.js';
import { runImplab } from './helpers/cli.js';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-cli-flow-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function implab(args: string[]) {
  return runImplab(args, { cwd: TMP });
}

function oneLineError(r: { code: number | null; stderr: string }, text: string): void {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(text);
}

const read = (dir: string, name: string): Buffer => fs.readFileSync(path.join(TMP, dir, name));
const summary = (dir: string): Record<string, unknown> => JSON.parse(read(dir, 'summary.json').toString('utf8')) as Record<string, unknown>;
const history = (dir: string): Array<Record<string, number>> => read(dir, 'history.jsonl').toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

const base = ['flow', '--problem', 'S.npz', '--model', 'psd', '--width', '5', '--init', 'gaussian', '--init-scale', '0.3', '--loss', 'half-sse', '--t-max', '10', '--log-per-decade', '2'];

beforeAll(() => {
  const g = implab(['gen', 'sensing', '--n', '5', '--rank', '2', '--m', '12', '--psd', '--symmetric', '--seed', '2', '--out', 'S.npz']);
  expect(g.stderr).toBe('');
  expect(g.code).toBe(0);
  // A small finished run for the --resume refusals.
  expect(implab([...base, '--t-max', '1', '--quiet', '--out', 'small']).code).toBe(0);
});

describe('implab flow', () => {
  it.each([
    ['dopri5', [], ['U', 'W']],
    ['dop853', ['--method', 'dop853', '--rtol', '1e-9'], ['U', 'W']],
    ['dopri5 --form x', ['--form', 'x'], ['W', 'X']],
    ['steer', ['--method', 'steer', '--eta', '0.02'], ['W', 'X']],
  ] as const)('%s: writes the run directory, prints the final line, and agrees with followFlow', (label, flags, names) => {
    const out = `run-${label.replace(/[^a-z0-9]+/g, '-')}`;
    const r = implab([...base, ...flags, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^t_max at t = 1\\.000e\\+1 after \\d+ steps: loss \\S+, recon_rel \\S+, nuclear norm \\S+, effective rank \\S+, \\S+ s -> ${out}$`));
    // One progress line per history record, then the final line.
    const hist = history(out);
    expect(lines.length).toBe(hist.length + 1);
    expect(lines[0]).toMatch(/^t 0\.000e\+0 {2}step 0 {2}loss /);
    expect(fs.readdirSync(path.join(TMP, out)).sort()).toEqual(['checkpoint.json', 'checkpoint.npz', 'config.json', 'history.jsonl', 'result.npz', 'summary.json']);
    const sm = summary(out);
    expect([sm.status, sm.t]).toEqual(['t_max', 10]);
    expect(hist[hist.length - 1].t).toBe(10);
    const npz = readNpzFile(path.join(TMP, out, 'result.npz'));
    expect([...npz.keys()].sort()).toEqual([...names]);

    // The library on the same file, the CLI's default seed 0: the same flow.
    const problem = problemFromNd(readNpzFile(path.join(TMP, 'S.npz')), 'S.npz');
    const model = createModel({ kind: 'psd', width: 5 }, problem, 'half-sse');
    const params = initialize({ kind: 'gaussian', scale: 0.3 }, model, problem, Random.fromSeed(0));
    const settings = resolveFlowSettings({
      tMax: 10, logPerDecade: 2,
      ...(label === 'dop853' ? { solver: 'dop853', rtol: 1e-9 } : label === 'steer' ? { solver: 'steer', eta: 0.02 } : label.includes('form') ? { form: 'x' } : {}),
    });
    const direct = followFlow({ model, problem, params, settings });
    expect(sm.step).toBe(direct.step);
    assertAllclose(npz.get('W')!.data as Float64Array, direct.w.data, { rtol: 1e-12, atol: 1e-14 }, 'W');
    // Steer logs at the first step at or after each record time (for eta 0.02: steps 0, 1, 2, 5, 16, 50, 159, 500).
    if (settings.solver === 'steer') expect(hist.map((l) => l.step)).toEqual([0, 1, 2, 5, 16, 50, 159, 500]);
    else expect(hist.map((l) => l.t)).toEqual([0, ...flowRecordTimes(1e-2, 10, 2)]);
  });

  it('--quiet prints the final line only', () => {
    const r = implab([...base, '--quiet', '--out', 'quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^t_max at t = /);
  });

  it.each([
    ['unknown --method', [...base, '--method', 'rk4', '--out', 'x1'], '--method: expected one of dopri5, dop853, rodas4, steer, got "rk4"'],
    ['--eta with dopri5', [...base, '--eta', '0.01', '--out', 'x2'], '--eta: only used with --method steer (the steering path), got --method dopri5'],
    ['--form x with --model deep', ['flow', '--problem', 'S.npz', '--model', 'deep', '--depth', '2', '--form', 'x', '--out', 'x3'], '--model: --form x evolves X = U U^T and needs --model psd, got deep'],
    ['--method steer with --model asymmetric', ['flow', '--problem', 'S.npz', '--model', 'asymmetric', '--width', '5', '--method', 'steer', '--out', 'x4'], '--model: --method steer evolves X = U U^T and needs --model psd, got asymmetric'],
    ['--method steer with --form factors', [...base, '--method', 'steer', '--form', 'factors', '--out', 'x5'], '--form: --method steer evolves X itself (--form x), got factors'],
    ['unknown --form', [...base, '--form', 'y', '--out', 'x6'], '--form: expected one of factors, x, got "y"'],
    ['--t-max 0', [...base, '--t-max', '0', '--out', 'x7'], '--t-max: expected a positive finite number, got "0"'],
    ['--log-from at --t-max', [...base, '--log-from', '10', '--out', 'x8'], '--log-from: expected a time below --t-max = 10, got 10'],
    ['--model udu', [...base, '--model', 'udu', '--out', 'x9'], '--model: expected one of deep, psd, asymmetric, got "udu"'],
    ['missing --out', [...base], '--out: required (the run directory to write)'],
  ] as [string, string[], string][])('bad flags, %s: one line naming the flag, exit 1, nothing written', (_label, args, text) => {
    oneLineError(implab(args), text);
    const i = args.indexOf('--out');
    if (i >= 0) expect(fs.existsSync(path.join(TMP, args[i + 1]))).toBe(false);
  });

  it('--resume continues a run stopped at --max-steps to the bytes of an uninterrupted one', () => {
    const flags = ['--method', 'dop853', '--rtol', '1e-9', '--checkpoint-every', '20', '--quiet'];
    expect(implab([...base, ...flags, '--out', 'straight']).code).toBe(0);
    const cut = implab([...base, ...flags, '--max-steps', '30', '--out', 'resumed']);
    expect(cut.code).toBe(0);
    expect(cut.stdout).toMatch(/^max_steps at t = \S+ after \d+ steps/);
    expect(summary('resumed').status).toBe('max_steps');
    const r = implab(['flow', '--resume', 'resumed', '--max-steps', '1000000', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^t_max at t = 1\.000e\+1 after \d+ steps: .* -> resumed$/);
    expect(read('resumed', 'history.jsonl').equals(read('straight', 'history.jsonl'))).toBe(true);
    expect(read('resumed', 'result.npz').equals(read('straight', 'result.npz'))).toBe(true);
    expect(summary('resumed').step).toBe(summary('straight').step);
  });

  it('--resume --t-max extends a finished run; a plain --resume then repeats nothing; a shorter horizon is refused', () => {
    expect(implab([...base, '--quiet', '--out', 'extended']).code).toBe(0);
    // A longer horizon: the records go on to t = 100 on the grid; the first ones stay.
    const before = history('extended');
    const ext = implab(['flow', '--resume', 'extended', '--t-max', '100']);
    expect(ext.code).toBe(0);
    const after = history('extended');
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((l) => l.t)).toEqual([10 ** 1.5, 100]);
    // Progress lines for the new records only, then the final line.
    expect(ext.stdout.trim().split('\n')).toHaveLength(3);
    expect(summary('extended').t).toBe(100);
    // Then a plain --resume finds nothing to do and repeats no line.
    const again = implab(['flow', '--resume', 'extended', '--quiet']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^t_max at t = 1\.000e\+2/);
    expect(history('extended')).toEqual(after);

    oneLineError(implab(['flow', '--resume', 'extended', '--t-max', '50']), '--t-max: 50 is below the time already reached, 100');
    expect(history('extended')).toEqual(after);
  });

  // Flags with defaults too (--method, --seed): given with --resume they are refused, not ignored.
  it.each([[['--method', 'dopri5'], '--method'], [['--rtol', '1e-3'], '--rtol'], [['--out', 'elsewhere'], '--out'], [['--seed', '0'], '--seed'], [['--force'], '--force']] as const)(
    '--resume with %j: one line, exit 1, the run untouched',
    (extra, flag) => {
      const unchanged = read('small', 'history.jsonl');
      oneLineError(implab(['flow', '--resume', 'small', ...extra]), `--resume: continues with the run's saved configuration; only --t-max and --max-steps may change (got ${flag})`);
      expect(read('small', 'history.jsonl').equals(unchanged)).toBe(true);
      expect(fs.existsSync(path.join(TMP, 'elsewhere'))).toBe(false);
    },
  );

  it('--resume of a directory that is not a flow run: one line', () => {
    oneLineError(implab(['flow', '--resume', 'nowhere']), 'nowhere/config.json: missing: not a run directory written by implab flow');
  });

  it('an existing --out is refused without --force (nothing overwritten) and replaced with it', () => {
    expect(implab([...base, '--quiet', '--out', 'twice']).code).toBe(0);
    const files = ['summary.json', 'history.jsonl', 'result.npz', 'config.json', 'checkpoint.json'];
    const before = files.map((f) => read('twice', f));
    oneLineError(implab([...base, '--t-max', '1', '--quiet', '--out', 'twice']), 'twice: already exists and is not empty (use --force to replace the run in it, or --resume to continue it)');
    files.forEach((f, i) => expect(read('twice', f).equals(before[i])).toBe(true));
    const forced = implab([...base, '--t-max', '1', '--quiet', '--out', 'twice', '--force']);
    expect(forced.code).toBe(0);
    expect(summary('twice').t).toBe(1);
  });
});
