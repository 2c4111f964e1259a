import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpzFile } from '../src/io/files.js';
import { encodeNpz } from '../src/io/npz.js';
import { runImplab } from './helpers/cli.js';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-cli-nnm-'));

function implab(args: string[]) {
  return runImplab(args, { cwd: TMP });
}

beforeAll(() => {
  expect(implab(['gen', 'completion', '--n', '20', '--rank', '2', '--m', '200', '--seed', '2', '--out', 'C.npz']).code).toBe(0);
  expect(implab(['gen', 'sensing', '--n', '8', '--rank', '1', '--m', '30', '--symmetric', '--truth', 'psd', '--seed', '2', '--out', 'S.npz']).code).toBe(0);
});

describe('implab nnm', () => {
  it('solves with a certificate and writes X, dual and W', () => {
    const r = implab(['nnm', '--problem', 'C.npz', '--eps', '1e-3', '--out', 'general']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^solved after \d+ iterations .* certified gap .* -> general$/m);
    const s = JSON.parse(fs.readFileSync(path.join(TMP, 'general', 'summary.json'), 'utf8'));
    expect(s.status).toBe('solved');
    expect(s.relative_gap).toBeLessThanOrEqual(1e-7);
    expect(s.primal_infeasibility).toBeLessThanOrEqual(1e-7);
    expect(s.dual_objective).toBeLessThanOrEqual(s.primal_objective * (1 + 1e-12));
    expect(s.config).toEqual({ problem: 'C.npz', psd: false, eps: 1e-3, tol: 1e-7, maxIters: 20000 });
    const res = readNpzFile(path.join(TMP, 'general', 'result.npz'));
    expect([...res.keys()].sort()).toEqual(['W', 'X', 'dual']);
    expect(res.get('dual')!.shape).toEqual([200]);
    expect(res.get('X')!.data).toEqual(res.get('W')!.data);
  });

  it('the PSD variant, and inaccurate when the iteration limit is too small', () => {
    const r = implab(['nnm', '--problem', 'S.npz', '--psd', '--out', 'psd']);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(TMP, 'psd', 'summary.json'), 'utf8')).status).toBe('solved');
    const short = implab(['nnm', '--problem', 'C.npz', '--max-iters', '2', '--out', 'short']);
    expect(short.code).toBe(0);
    expect(short.stdout).toMatch(/^inaccurate after 2 iterations/m);
  });

  it('contradictory data ends with status infeasible and one clear line', () => {
    // Two identical measurement matrices with different values: no X satisfies both.
    const a = new Float64Array(2 * 2 * 2);
    a.set([1, 0, 0, 0, 1, 0, 0, 0]);
    fs.writeFileSync(path.join(TMP, 'bad.npz'), encodeNpz({
      shape: { dtype: 'int64', shape: [2], data: BigInt64Array.of(2n, 2n) },
      A: { dtype: 'float64', shape: [2, 2, 2], data: a },
      y: { dtype: 'float64', shape: [2], data: Float64Array.of(1, 2) },
    }));
    const r = implab(['nnm', '--problem', 'bad.npz', '--out', 'infeasible']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('bad.npz: the constraints A(X) = y cannot be met (status infeasible');
    expect(JSON.parse(fs.readFileSync(path.join(TMP, 'infeasible', 'summary.json'), 'utf8')).status).toBe('infeasible');
  });

  it('bad input: one line naming the field, a non-zero exit, nothing written', () => {
    fs.writeFileSync(path.join(TMP, 'corrupt.npz'), 'nope');
    fs.writeFileSync(path.join(TMP, 'nan.npz'), encodeNpz({
      shape: { dtype: 'int64', shape: [2], data: BigInt64Array.of(2n, 2n) },
      rows: { dtype: 'int64', shape: [1], data: BigInt64Array.of(0n) },
      cols: { dtype: 'int64', shape: [1], data: BigInt64Array.of(1n) },
      y: { dtype: 'float64', shape: [1], data: Float64Array.of(NaN) },
    }));
    const cases: [string[], string][] = [
      [['nnm', '--problem', 'C.npz', '--eps', '-1', '--out', 'x1'], '--eps: expected a non-negative finite number, got "-1"'],
      [['nnm', '--problem', 'C.npz', '--tol', '0', '--out', 'x2'], '--tol: expected a positive finite number, got "0"'],
      [['nnm', '--problem', 'missing.npz', '--out', 'x3'], 'missing.npz: no such file'],
      [['nnm', '--problem', 'corrupt.npz', '--out', 'x4'], 'corrupt.npz: not a zip archive'],
      [['nnm', '--out', 'x5'], '--problem: required'],
      [['nnm', '--problem', 'nan.npz', '--out', 'x7'], 'nan.npz: field "y"'],
      [['nnm', '--problem', 'C.npz', '--bogus', '--out', 'x6'], "unknown option '--bogus'"],
    ];
    for (const [args, text] of cases) {
      const r = implab(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(text);
      expect(fs.existsSync(path.join(TMP, args[args.length - 1]))).toBe(false);
    }
    implab(['nnm', '--problem', 'C.npz', '--out', 'once']);
    const again = implab(['nnm', '--problem', 'C.npz', '--out', 'once']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists and is not empty');
  });
});
