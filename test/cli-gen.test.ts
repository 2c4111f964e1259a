import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpzFile } from '../src/io/files.js';
import { problemFromNd } from '../src/problems/file.js';
import type { CompletionOperator } from '../src/problems/operators/index.js';

// These run the built executable (npm test builds first), as a user would.
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'implab-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function implab(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, IMPLAB_BACKEND: undefined } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function load(file: string) {
  return problemFromNd(readNpzFile(file), file);
}

/** Runs gen expecting failure: non-zero exit, one line on stderr containing `message`, nothing written. */
function expectRefusal(args: string[], message: string): void {
  const out = args[args.indexOf('--out') + 1];
  const r = implab(args);
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(message);
  if (args.includes('--out')) expect(existsSync(out)).toBe(false);
}

describe('implab gen', () => {
  it('sensing: writes a loadable problem file and prints one summary line', () => {
    const out = join(dir, 'sensing.npz');
    const r = implab(['gen', 'sensing', '--out', out, '--n', '12', '--m', '50', '--rank', '2', '--seed', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${out}: sensing, 12x12, m = 50, operator dense\n`);
    const p = load(out);
    expect([p.n1, p.n2, p.op.m, p.op.kind, p.psd]).toEqual([12, 12, 50, 'dense', false]);
    expect(p.xStar).toBeDefined();
  });

  it('refuses to overwrite without --force, and overwrites with it', () => {
    const out = join(dir, 'twice.npz');
    expect(implab(['gen', 'completion', '--out', out, '--n', '10', '--m', '30']).code).toBe(0);
    const before = readFileSync(out);
    const again = implab(['gen', 'completion', '--out', out, '--n', '10', '--m', '40']);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toBe(`implab: ${out}: already exists (refusing to overwrite it without --force)`);
    expect(readFileSync(out).equals(before)).toBe(true);
    const forced = implab(['gen', 'completion', '--out', out, '--n', '10', '--m', '40', '--force']);
    expect(forced.code).toBe(0);
    expect(load(out).op.m).toBe(40);
  });

  it('completion --psd, commuting, razin2x2: the right operators and flags', () => {
    const c = join(dir, 'psd.npz');
    expect(implab(['gen', 'completion', '--out', c, '--n', '20', '--m', '101', '--psd', '--sampling', 'powerlaw', '--test-fraction', '0.5']).code).toBe(0);
    const pc = load(c);
    expect([pc.op.kind, pc.op.m, pc.psd]).toEqual(['completion', 101, true]);
    expect(pc.test!.y.length).toBeGreaterThan(0);
    const k = join(dir, 'commuting.npz');
    expect(implab(['gen', 'commuting', '--out', k, '--n', '15', '--m', '6', '--rank', '3']).code).toBe(0);
    expect(load(k).op.kind).toBe('diagonal');
    const z = join(dir, 'razin.npz');
    expect(implab(['gen', 'razin2x2', '--out', z, '--perturbed', '0.001']).code).toBe(0);
    expect(Array.from(load(z).y)).toEqual([-2, 0.5, 0.001]);
  });

  it('the same seed writes the same file', () => {
    const a = join(dir, 'same-a.npz'), b = join(dir, 'same-b.npz');
    for (const out of [a, b]) expect(implab(['gen', 'sensing', '--out', out, '--n', '8', '--m', '20', '--symmetric', '--psd', '--seed', '5']).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(load(a).op.kind).toBe('symmetric');
  });

  it('movielens from a ratings TSV, and a malformed one named by line and field', () => {
    const tsv = join(dir, 'ratings.tsv');
    writeFileSync(tsv, 'user_id\titem_id\trating\n1\t3\t5\n2\t1\t3\n3\t4\t1\n1\t1\t4\n');
    const out = join(dir, 'ml.npz');
    const r = implab(['gen', 'movielens', '--out', out, '--ratings', tsv, '--train-rows', '3']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`wrote ${out}: movielens, 4x3, m = 3, operator completion, 1 test entries\n`);
    const p = load(out);
    expect(Array.from((p.op as CompletionOperator).rows)).toEqual([2, 0, 3]);
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'user_id\titem_id\trating\n1\t3\t5\n2\tx\t3\n');
    expectRefusal(['gen', 'movielens', '--out', join(dir, 'ml-bad.npz'), '--ratings', bad], `${bad}: line 3: field "item_id": expected a positive integer id, got "x"`);
    expectRefusal(['gen', 'movielens', '--out', join(dir, 'ml-none.npz'), '--ratings', join(dir, 'nope.tsv')], `${join(dir, 'nope.tsv')}: no such file`);
    expectRefusal(['gen', 'movielens', '--out', join(dir, 'ml-k.npz'), '--ratings', tsv, '--train-rows', '9'], '--train-rows: expected an integer in [1, 4] (the file has 4 ratings), got 9');
  });

  it('bad options fail with one line naming the option, and write nothing', () => {
    const out = join(dir, 'never.npz');
    expectRefusal(['gen', 'completion', '--out', out, '--m', 'abc'], '--m: expected a positive integer, got "abc"');
    expectRefusal(['gen', 'completion', '--out', out, '--n', '100', '--m', '20000'], '--m: 20000 exceeds the 10000 entries of a 100x100 matrix');
    expectRefusal(['gen', 'sensing', '--out', out, '--m', '10', '--scale', 'huge'], '--scale: expected one of arora, unit, isometric, got "huge"');
    expectRefusal(['gen', 'sensing', '--out', out, '--m', '10', '--sampling', 'powerlaw'], '--sampling: not an option of "gen sensing"');
    expectRefusal(['gen', 'sensing', '--out', out, '--m', '10', '--n', '5', '--n1', '5'], '--n: give either --n (square) or --n1 and --n2, not both');
    expectRefusal(['gen', 'sensing', '--out', out, '--m', '10', '--n1', '4', '--n2', '6', '--symmetric'], '--symmetric: symmetric measurements need a square matrix, got 4x6');
    expectRefusal(['gen', 'sensing', '--out', out, '--m', '10', '--n', '4', '--rank', '5'], '--rank: 5 exceeds min(n1, n2) = 4 of a 4x4 matrix');
    expectRefusal(['gen', 'sensing', '--out', out], '--m: required for "gen sensing"');
    expectRefusal(['gen', 'completion', '--out', out, '--m', '10', '--test-fraction', '2'], '--test-fraction: expected a number in [0, 1], got "2"');
    expectRefusal(['gen', 'sensing', '--out', out, '--m', '10', '--truth', 'file:' + join(dir, 'missing.npz')], `${join(dir, 'missing.npz')}: no such file`);
    expectRefusal(['gen', 'completion', '--out', out, '--m', '10', '--powerlaw-exponent', '2'], '--powerlaw-exponent: only used with --sampling powerlaw');
    expectRefusal(['gen', 'movielens', '--out', out], '--ratings: required for "gen movielens"');
    expectRefusal(['gen', 'tensor', '--out', out], "command-argument value 'tensor' is invalid for argument 'kind'");
    expectRefusal(['gen', 'sensing', '--m', '10'], "required option '--out <file>' not specified");
  });

  it('--truth file: takes X_star from another problem file', () => {
    const first = join(dir, 'truth-src.npz');
    expect(implab(['gen', 'sensing', '--out', first, '--n', '6', '--m', '5', '--truth', 'psd', '--rank', '2']).code).toBe(0);
    const second = join(dir, 'truth-dst.npz');
    const r = implab(['gen', 'completion', '--out', second, '--n', '6', '--m', '20', '--psd', '--truth', `file:${first}`]);
    expect(r.stderr).toBe('');
    expect(load(second).xStar!.data).toEqual(load(first).xStar!.data);
  });

  const real = fileURLToPath(new URL('../../shared/data/movielens-100k/ratings.tsv', import.meta.url));
  it.skipIf(!existsSync(real))('movielens on the real MovieLens 100K', () => {
    const out = join(dir, 'ml100k.npz');
    const r = implab(['gen', 'movielens', '--out', out, '--ratings', real]);
    expect(r.stdout).toBe(`wrote ${out}: movielens, 1682x943, m = 10000, operator completion, 90000 test entries\n`);
  });
});
