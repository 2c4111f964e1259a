/**
 * The file I/O layer: .npy / .npz / zip / CRC-32 and the file helpers.
 *
 * Fixtures in test/fixtures/npz/ come from test/fixtures/make_npz_fixtures.py
 * (numpy), with a manifest of expected values. written_by_implab*.npz are
 * written by our own encoder (IMPLAB_WRITE_FIXTURES=1 rewrites them) and the
 * Python script checks that numpy reads them; here we check that the encoder
 * still writes the stored one byte for byte.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../src/io/crc32.js';
import { FileError, FormatError } from '../src/io/errors.js';
import { readNpzFile, writeNpzFile } from '../src/io/files.js';
import { encodeNpy, parseNpy, type DType, type NdArray } from '../src/io/npy.js';
import {
  encodeNpz,
  indicesFromNd,
  matFromNd,
  ndFromBool,
  ndFromIndices,
  ndFromMat,
  ndFromVector,
  readNpz,
  vectorFromNd,
} from '../src/io/npz.js';
import { readZip, writeZip } from '../src/io/zip.js';
import { matFrom } from '../src/linalg/mat.js';

const FIX = fileURLToPath(new URL('./fixtures/npz/', import.meta.url));

interface Spec {
  dtype: DType;
  shape: number[];
  values: (string | boolean)[];
  fortran_order: boolean;
  byte_order: 'little' | 'big';
}
type Group = Record<string, Spec>;
const manifest = JSON.parse(fs.readFileSync(path.join(FIX, 'manifest.json'), 'utf8')) as Record<string, Group>;

function fixture(name: string): Uint8Array {
  const buf = fs.readFileSync(path.join(FIX, name));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Python's repr of a float to the same float (exactly: repr round-trips). */
function pyFloat(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`bad float in manifest: ${s}`);
  return v;
}

function fromSpec(spec: Spec): NdArray {
  const v = spec.values;
  const shape = spec.shape.slice();
  switch (spec.dtype) {
    case 'float64':
      return { dtype: 'float64', shape, data: Float64Array.from(v, (x) => pyFloat(x as string)) };
    case 'float32':
      return { dtype: 'float32', shape, data: Float32Array.from(v, (x) => pyFloat(x as string)) };
    case 'int64':
      return { dtype: 'int64', shape, data: BigInt64Array.from(v, (x) => BigInt(x as string)) };
    case 'int32':
      return { dtype: 'int32', shape, data: Int32Array.from(v, (x) => Number(x)) };
    case 'bool':
      return { dtype: 'bool', shape, data: Uint8Array.from(v, (x) => (x ? 1 : 0)) };
  }
}

function fromGroup(group: Group): Map<string, NdArray> {
  return new Map(Object.entries(group).map(([k, spec]) => [k, fromSpec(spec)]));
}

/** Exact equality: dtype, shape, and every element bit for bit (so -0 != 0, NaN == NaN of the same payload). */
function expectSameNd(actual: NdArray | undefined, expected: NdArray, label: string): void {
  expect(actual, label).toBeDefined();
  const a = actual!;
  expect(a.dtype, `${label} dtype`).toBe(expected.dtype);
  expect(a.shape, `${label} shape`).toEqual(expected.shape);
  expect(a.data.constructor, `${label} data type`).toBe(expected.data.constructor);
  expect(a.data.length, `${label} length`).toBe(expected.data.length);
  for (let i = 0; i < a.data.length; i++) {
    if (!Object.is(a.data[i], expected.data[i])) {
      throw new Error(`${label}: element ${i} is ${String(a.data[i])}, expected ${String(expected.data[i])}`);
    }
  }
}

function bytesOf(nd: NdArray): Uint8Array {
  return new Uint8Array(nd.data.buffer, nd.data.byteOffset, nd.data.byteLength);
}

function expectSameMaps(actual: Map<string, NdArray>, expected: Map<string, NdArray>, label: string): void {
  expect([...actual.keys()], `${label} names`).toEqual([...expected.keys()]);
  for (const [k, e] of expected) expectSameNd(actual.get(k), e, `${label} ${k}`);
}

/** Runs `f` and returns the FormatError it throws (failing if it throws anything else or nothing). */
function formatError(f: () => unknown): FormatError {
  try {
    f();
  } catch (err) {
    if (err instanceof FormatError) {
      expect(err.message).not.toMatch(/[\r\n]/);
      return err;
    }
    throw new Error(`expected a FormatError, got ${String(err)}`);
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

/** A .npy file with an arbitrary header text (padded as numpy does) and data. */
function craftNpy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const enc = version === 3 ? new TextEncoder().encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0));
  const prefix = version === 1 ? 10 : 12;
  let hlen = enc.length + 1;
  hlen += 64 - ((prefix + hlen) % 64);
  const out = new Uint8Array(prefix + hlen + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, hlen, true);
  else view.setUint32(8, hlen, true);
  out.set(enc, prefix);
  out.fill(0x20, prefix + enc.length, prefix + hlen - 1);
  out[prefix + hlen - 1] = 0x0a;
  out.set(data, prefix + hlen);
  return out;
}

function f64Bytes(values: number[], littleEndian = true): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, littleEndian));
  return out;
}

const SPECIALS64 = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 2.2250738585072009e-308, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE, 1 / 3, -1e-310];
const SPECIALS32 = [0, -0, NaN, Infinity, -Infinity, Math.fround(1e-45), Math.fround(-1e-40), Math.fround(1.17549435e-38), Math.fround(3.4028234e38), Math.fround(0.1), -1.5];

/** One array of every dtype and several shapes, with the awkward values. */
function everyDtype(): Map<string, NdArray> {
  const m = new Map<string, NdArray>();
  m.set('f8', { dtype: 'float64', shape: [SPECIALS64.length], data: Float64Array.from(SPECIALS64) });
  const nanPayload = new Float64Array(1);
  new DataView(nanPayload.buffer).setBigUint64(0, 0x7ff8_0000_dead_beefn, true);
  m.set('nan_payload', { dtype: 'float64', shape: [], data: nanPayload });
  m.set('f4', { dtype: 'float32', shape: [SPECIALS32.length], data: Float32Array.from(SPECIALS32) });
  m.set('i8', { dtype: 'int64', shape: [2, 3], data: BigInt64Array.from([0n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 42n]) });
  m.set('i4', { dtype: 'int32', shape: [3, 1], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0]) });
  m.set('b1', { dtype: 'bool', shape: [2, 2], data: Uint8Array.from([1, 0, 0, 1]) });
  m.set('scalar', { dtype: 'float64', shape: [], data: Float64Array.from([-0]) });
  m.set('scalar_i8', { dtype: 'int64', shape: [], data: BigInt64Array.from([-7n]) });
  m.set('empty', { dtype: 'float64', shape: [0, 3], data: new Float64Array(0) });
  m.set('empty_cols', { dtype: 'int32', shape: [3, 0], data: new Int32Array(0) });
  m.set('cube', { dtype: 'float32', shape: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => i / 7) });
  m.set('unicode Ω', { dtype: 'bool', shape: [1], data: Uint8Array.from([1]) });
  return m;
}

/** Offsets of the central directory (from a plain EOCD; our small archives need no ZIP64). */
function centralDirectory(zip: Uint8Array): { offset: number; count: number } {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const e = zip.length - 22;
  expect(v.getUint32(e, true)).toBe(0x06054b50);
  return { offset: v.getUint32(e + 16, true), count: v.getUint16(e + 10, true) };
}

describe('crc32', () => {
  it('matches the standard check values', () => {
    const enc = new TextEncoder();
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(enc.encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it('continues over chunks', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    let c = 0;
    for (let i = 0; i < data.length; i += 333) c = crc32(data.subarray(i, i + 333), c);
    expect(c).toBe(crc32(data));
  });
});

describe('reading files numpy wrote', () => {
  const expected = fromGroup(manifest.savez);

  it('np.savez archive (stored, ZIP64 local extra fields)', () => {
    expectSameMaps(readNpz(fixture('savez.npz'), 'savez.npz'), expected, 'savez.npz');
  });

  it('np.savez_compressed archive (deflated)', () => {
    expectSameMaps(readNpz(fixture('savez_compressed.npz'), 'savez_compressed.npz'), expected, 'savez_compressed.npz');
  });

  it('an archive streamed with data descriptors', () => {
    expectSameMaps(readNpz(fixture('streamed.npz'), 'streamed.npz'), fromGroup(manifest.streamed), 'streamed.npz');
  });

  it('the fixtures cover Fortran order, big-endian, 0-d, empty and 3-D arrays', () => {
    const specs = Object.values(manifest.savez);
    expect(specs.some((s) => s.fortran_order && s.shape.length === 3)).toBe(true);
    expect(specs.some((s) => s.fortran_order && s.byte_order === 'big')).toBe(true);
    for (const d of ['float64', 'float32', 'int64', 'int32']) {
      expect(specs.some((s) => s.byte_order === 'big' && s.dtype === d), d).toBe(true);
    }
    expect(specs.some((s) => s.shape.length === 0)).toBe(true);
    expect(specs.some((s) => s.shape.includes(0))).toBe(true);
  });

  it('a lone .npy file, and our encoder writes it byte for byte as np.save did', () => {
    const bytes = fixture('lone.npy');
    const want = fromSpec(manifest.lone.lone);
    expectSameNd(parseNpy(bytes, 'lone.npy'), want, 'lone.npy');
    expect(encodeNpy(want)).toEqual(bytes);
  });

  it('our .npy encoding equals numpy\'s for every C-ordered little-endian member', () => {
    let compared = 0;
    for (const member of readZip(fixture('savez.npz'), 'savez.npz')) {
      const spec = manifest.savez[member.name.replace(/\.npy$/, '')];
      if (spec.fortran_order || spec.byte_order === 'big') continue;
      expect(encodeNpy(fromSpec(spec)), member.name).toEqual(member.data);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(8);
  });
});

describe('our writer, checked by numpy', () => {
  const expected = fromGroup(manifest.written_by_implab);
  const stored = (): Uint8Array => encodeNpz(expected);
  const compressed = (): Uint8Array => encodeNpz(expected, { compress: true });
  const zip64 = (): Uint8Array =>
    writeZip(
      [...expected].map(([k, nd]) => ({ name: `${k}.npy`, data: encodeNpy(nd) })),
      { compress: true, forceZip64: true },
    );
  const files: [string, () => Uint8Array][] = [
    ['written_by_implab.npz', stored],
    ['written_by_implab_compressed.npz', compressed],
    ['written_by_implab_zip64.npz', zip64],
  ];

  if (process.env.IMPLAB_WRITE_FIXTURES === '1') {
    it('rewrites written_by_implab*.npz (then run make_npz_fixtures.py to check them with numpy)', () => {
      for (const [name, make] of files) fs.writeFileSync(path.join(FIX, name), make());
    });
  }

  it('still writes the committed stored archive byte for byte', () => {
    expect(stored()).toEqual(fixture('written_by_implab.npz'));
  });

  it('the committed archives (numpy-checked) read back as the manifest says', () => {
    for (const [name, make] of files) {
      expectSameMaps(readNpz(fixture(name), name), expected, name);
      expectSameMaps(readNpz(make(), name), expected, `${name} (fresh)`);
    }
  });
});

describe('round trips', () => {
  for (const compress of [false, true]) {
    it(`every dtype and shape, ${compress ? 'compressed' : 'stored'}, bit for bit`, () => {
      const arrays = everyDtype();
      const back = readNpz(encodeNpz(arrays, { compress }), 'rt.npz');
      expectSameMaps(back, arrays, 'rt.npz');
      for (const [k, nd] of arrays) expect(bytesOf(back.get(k)!), k).toEqual(bytesOf(nd));
    });
  }

  it('an empty archive', () => {
    const zip = encodeNpz({});
    expect(zip.length).toBe(22);
    expect(readNpz(zip, 'e.npz').size).toBe(0);
  });

  it('accepts a plain object as well as a Map, keeping the order', () => {
    const back = readNpz(encodeNpz({ b: ndFromVector([1]), a: ndFromVector([2]) }), 'o.npz');
    expect([...back.keys()]).toEqual(['b', 'a']);
  });

  it('every .npy header is padded so the data starts at a multiple of 64', () => {
    for (const shape of [[], [0], [1], [7, 3], [123456789, 0], [2, 3, 4, 5, 6], [10 ** 15, 0, 0]]) {
      const nd: NdArray = { dtype: 'float64', shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) };
      const bytes = encodeNpy(nd);
      const dataStart = 10 + new DataView(bytes.buffer).getUint16(8, true);
      expect(dataStart % 64, JSON.stringify(shape)).toBe(0);
      expect(bytes[dataStart - 1]).toBe(0x0a);
      expectSameNd(parseNpy(bytes, 'x.npy'), nd, JSON.stringify(shape));
    }
  });

  it('switches to format 2.0 when the header outgrows 65535 bytes', () => {
    const shape = new Array<number>(22000).fill(1);
    const nd: NdArray = { dtype: 'int32', shape, data: Int32Array.from([5]) };
    const bytes = encodeNpy(nd);
    expect(bytes[6]).toBe(2);
    expect((12 + new DataView(bytes.buffer).getUint32(8, true)) % 64).toBe(0);
    expectSameNd(parseNpy(bytes, 'big.npy'), nd, 'big.npy');
  });

  it('forced ZIP64 archives (local and central extra fields, ZIP64 end records)', () => {
    const members = [
      { name: 'a.bin', data: Uint8Array.from([1, 2, 3]) },
      { name: 'empty', data: new Uint8Array(0) },
      { name: 'dir/ü.txt', data: new TextEncoder().encode('hello '.repeat(50)) },
    ];
    for (const compress of [false, true]) {
      const zip = writeZip(members, { compress, forceZip64: true });
      const v = new DataView(zip.buffer);
      expect(v.getUint32(zip.length - 22 - 20, true)).toBe(0x07064b50); // the ZIP64 locator
      expect(v.getUint32(zip.length - 22 + 16, true)).toBe(0xffffffff); // saturated EOCD offset
      expect(readZip(zip, 'z.zip')).toEqual(members);
    }
  });

  it('more than 65534 members brings in the ZIP64 end records by itself', () => {
    const members = Array.from({ length: 65536 }, (_, i) => ({ name: `m${i}`, data: new Uint8Array(i % 3) }));
    const zip = writeZip(members);
    expect(new DataView(zip.buffer).getUint16(zip.length - 22 + 10, true)).toBe(0xffff);
    const back = readZip(zip, 'many.zip');
    expect(back.length).toBe(65536);
    expect(back[65535]).toEqual(members[65535]);
  });

  it('parses format 3.0 (UTF-8) headers, double quotes, Python 2 long suffixes and big-endian data', () => {
    const data = f64Bytes([1.5, -0, NaN, 2], false);
    const header = `{"descr": ">f8", 'fortran_order': False, 'shape': (2L, 2L), }`;
    for (const version of [1, 2, 3]) {
      const nd = parseNpy(craftNpy(header, data, version), 'v.npy');
      expectSameNd(nd, { dtype: 'float64', shape: [2, 2], data: Float64Array.from([1.5, -0, NaN, 2]) }, `v${version}`);
    }
  });

  it('converts Fortran order to C order in any number of dimensions', () => {
    // F order of a (2, 3, 2) array whose C-order entries are 0..11: entry (i, j, k) = 6i + 2j + k sits at i + 2j + 6k.
    const f: number[] = [];
    for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) f.push(6 * i + 2 * j + k);
    const nd = parseNpy(craftNpy(`{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 2), }`, f64Bytes(f)), 'f.npy');
    expect(Array.from(nd.data as Float64Array)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});

describe('corrupt input gives one-line FormatErrors naming the file and the problem', () => {
  it('truncated archives, cut at every length', () => {
    for (const name of ['savez.npz', 'savez_compressed.npz', 'streamed.npz']) {
      const whole = fixture(name);
      for (let cut = 0; cut < whole.length; cut++) {
        const err = formatError(() => readNpz(whole.subarray(0, cut), name));
        expect(err.message.startsWith(`${name}: `), err.message).toBe(true);
        expect(err.message).toMatch(/truncated|end-of-central-directory|empty file/);
      }
    }
    expect(formatError(() => readNpz(new Uint8Array(0), 'P.npz')).message).toBe('P.npz: empty file (not a zip archive)');
    expect(formatError(() => readNpz(fixture('savez.npz').subarray(0, 1000), 'P.npz')).message).toBe(
      'P.npz: truncated zip archive (no end-of-central-directory record)',
    );
  });

  it('a member whose data lost bytes (archive otherwise intact)', () => {
    // Rebuild the central directory by hand over a local member that is 100 bytes short.
    const zip = encodeNpz({ y: ndFromVector(new Float64Array(100)) });
    const cd = centralDirectory(zip);
    const cut = 100;
    const short = new Uint8Array(zip.length - cut);
    short.set(zip.subarray(0, cd.offset - cut));
    short.set(zip.subarray(cd.offset), cd.offset - cut);
    new DataView(short.buffer).setUint32(short.length - 22 + 16, cd.offset - cut, true);
    expect(formatError(() => readNpz(short, 'P.npz')).message).toBe(
      'P.npz: member "y.npy": truncated (expected 928 compressed bytes, found 828)',
    );
  });

  it('a flipped byte in a member\'s data: CRC-32 mismatch', () => {
    const zip = fixture('savez.npz').slice();
    const v = new DataView(zip.buffer);
    const dataStart = 30 + v.getUint16(26, true) + v.getUint16(28, true);
    zip[dataStart + 130] ^= 0x01; // inside f8.npy's data, after its 128-byte header
    expect(formatError(() => readNpz(zip, 'P.npz')).message).toMatch(/^P\.npz: member "f8\.npy": CRC-32 mismatch \(the archive says 0x[0-9a-f]{8}, the data has 0x[0-9a-f]{8}\)$/);
  });

  it('any single flipped byte either reads or fails with a FormatError, never anything else', () => {
    for (const name of ['savez.npz', 'savez_compressed.npz', 'written_by_implab_zip64.npz']) {
      const original = fixture(name);
      let failures = 0;
      for (let i = 0; i < original.length; i++) {
        const zip = original.slice();
        zip[i] ^= 0x5a;
        try {
          readNpz(zip, name);
        } catch (err) {
          if (!(err instanceof FormatError)) throw new Error(`byte ${i}: ${String(err)}`);
          expect(err.message.startsWith(`${name}: `)).toBe(true);
          failures++;
        }
      }
      expect(failures, name).toBeGreaterThan(original.length / 2);
    }
  });

  it('corrupt deflate data', () => {
    const zip = encodeNpz({ y: ndFromVector(Float64Array.from({ length: 200 }, (_, i) => Math.sin(i))) }, { compress: true });
    const v = new DataView(zip.buffer);
    const dataStart = 30 + v.getUint16(26, true) + v.getUint16(28, true);
    zip.fill(0xff, dataStart, dataStart + 8);
    expect(formatError(() => readNpz(zip, 'P.npz')).message).toMatch(/^P\.npz: member "y\.npy": (corrupt deflate data|size mismatch|CRC-32 mismatch)/);
  });

  it('not a zip archive at all', () => {
    const text = new TextEncoder().encode('rows,cols,y\n0,1,2.5\n'.repeat(10));
    expect(formatError(() => readNpz(text, 'ratings.csv')).message).toBe(
      'ratings.csv: not a zip archive (no end-of-central-directory record)',
    );
    expect(formatError(() => readNpz(fixture('lone.npy'), 'lone.npy')).message).toBe(
      'lone.npy: not a zip archive (no end-of-central-directory record)',
    );
  });

  it('an unsupported compression method', () => {
    const zip = encodeNpz({ y: ndFromVector([1]) });
    const cd = centralDirectory(zip);
    new DataView(zip.buffer).setUint16(cd.offset + 10, 12, true);
    expect(formatError(() => readNpz(zip, 'P.npz')).message).toBe(
      'P.npz: member "y.npy": unsupported compression method 12 (expected 0, stored, or 8, deflated)',
    );
  });

  it('a member that is not .npy, and a member that is not a .npy file', () => {
    const notNpy = writeZip([{ name: 'notes.txt', data: new Uint8Array(3) }]);
    expect(formatError(() => readNpz(notNpy, 'P.npz')).message).toBe(
      'P.npz: member "notes.txt": not a .npy member (the name should end in .npy)',
    );
    const badMagic = writeZip([{ name: 'A.npy', data: new TextEncoder().encode('PK not numpy at all') }]);
    expect(formatError(() => readNpz(badMagic, 'P.npz')).message).toBe('P.npz: member "A.npy": not a .npy file (bad magic string)');
  });

  it('bad .npy magic, version and header length', () => {
    const good = encodeNpy(ndFromVector([1, 2]));
    const bad = good.slice();
    bad[1] = 0x4f; // 'O'
    expect(formatError(() => parseNpy(bad, 'x.npy')).message).toBe('x.npy: not a .npy file (bad magic string)');
    const v4 = good.slice();
    v4[6] = 4;
    expect(formatError(() => parseNpy(v4, 'x.npy')).message).toBe('x.npy: unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)');
    expect(formatError(() => parseNpy(good.subarray(0, 4), 'x.npy')).message).toBe('x.npy: truncated (no complete .npy magic string)');
    expect(formatError(() => parseNpy(good.subarray(0, 100), 'x.npy')).message).toBe('x.npy: truncated header (expected 118 header bytes, found 90)');
  });

  it('bad header dicts', () => {
    const cases: [string, RegExp][] = [
      [`{'descr': '<f8', 'fortran_order': False}`, /missing key 'shape'/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}`, /unexpected key 'extra'/],
      [`{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}`, /duplicate key 'descr'/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': [1]}`, /'shape' must be a tuple, found a list/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (1)}`, /'shape' must be a tuple, found 1/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}`, /'shape' entries must be non-negative integers, found -1/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (1.5,)}`, /expected an integer/],
      [`{'descr': '<f8', 'fortran_order': 'no', 'shape': (1,)}`, /'fortran_order' must be True or False/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk`, /unexpected text after the dict/],
      [`{'descr' '<f8', 'fortran_order': False, 'shape': (1,)}`, /expected ':' at character 9/],
      [`{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}`, /expected ',' or '}' at character 17/],
      [`{'descr': '<f8`, /unterminated string/],
      [`{'descr': '<f8\\q', 'fortran_order': False, 'shape': (1,)}`, /bad escape in string/],
      [`{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (1,)}`, /unexpected name '__import__'/],
      [`{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}`, /expected ',' or '}'/],
      [`['descr', '<f8']`, /expected a dict, found a list/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (1,)`, /unexpected end of header|expected ',' or '}'/],
    ];
    for (const [header, pattern] of cases) {
      const msg = formatError(() => parseNpy(craftNpy(header, f64Bytes([1])), 'x.npy')).message;
      expect(msg, header).toMatch(/^x\.npy: invalid \.npy header \(/);
      expect(msg, header).toMatch(pattern);
    }
  });

  it('unsupported dtypes', () => {
    const header = (descr: string): string => `{'descr': ${descr}, 'fortran_order': False, 'shape': (1,), }`;
    expect(formatError(() => parseNpy(craftNpy(header(`'<c16'`), new Uint8Array(16)), 'x.npy')).message).toBe(
      "x.npy: unsupported dtype '<c16' (expected float64, float32, int64, int32 or bool)",
    );
    for (const descr of [`'|O'`, `'<U3'`, `'<f2'`, `'|f8'`, `'<u8'`, `'|u1'`]) {
      expect(formatError(() => parseNpy(craftNpy(header(descr), new Uint8Array(16)), 'x.npy')).message, descr).toMatch(
        /^x\.npy: unsupported dtype '.*' \(expected float64, float32, int64, int32 or bool\)$/,
      );
    }
    expect(formatError(() => parseNpy(craftNpy(header(`[('a', '<f8')]`), new Uint8Array(8)), 'x.npy')).message).toBe(
      'x.npy: unsupported dtype (a structured dtype) (expected float64, float32, int64, int32 or bool)',
    );
  });

  it('shape and data size that disagree', () => {
    const header = `{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`;
    expect(formatError(() => parseNpy(craftNpy(header, f64Bytes([1, 2, 3, 4])), 'x.npy')).message).toBe(
      'x.npy: data size mismatch (shape (3,) of float64 needs 24 data bytes, found 32)',
    );
    expect(formatError(() => parseNpy(craftNpy(header, f64Bytes([1, 2])), 'x.npy')).message).toBe(
      'x.npy: truncated (expected 24 data bytes, found 16)',
    );
    const huge = `{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000000000), }`;
    expect(formatError(() => parseNpy(craftNpy(huge), 'x.npy')).message).toMatch(/^x\.npy: shape \(100000000000, 100000000000\) is too large$/);
    // Inside an archive the member is named too.
    const zip = writeZip([{ name: 'y.npy', data: craftNpy(header, f64Bytes([1])) }]);
    expect(formatError(() => readNpz(zip, 'P.npz')).message).toBe('P.npz: member "y.npy": truncated (expected 24 data bytes, found 8)');
  });

  it('the encoder refuses inconsistent arrays', () => {
    expect(() => encodeNpy({ dtype: 'float64', shape: [3], data: new Float64Array(2) })).toThrow(/needs 3 elements, data has 2/);
    expect(() => encodeNpy({ dtype: 'int64', shape: [2], data: new Float64Array(2) })).toThrow(/needs a BigInt64Array/);
    expect(() => encodeNpy({ dtype: 'float64', shape: [-1], data: new Float64Array(0) })).toThrow(/non-negative integers/);
    expect(() => encodeNpz({ '': ndFromVector([1]) })).toThrow(/must not be empty/);
  });
});

describe('conversions', () => {
  it('Mat to NdArray and back', () => {
    const m = matFrom([[1, 2, 3], [4, 5, -0]]);
    const back = readNpz(encodeNpz({ X: ndFromMat(m) }), 'P.npz');
    const x = matFromNd(back.get('X'), 'X', 'P.npz');
    expect([x.rows, x.cols]).toEqual([2, 3]);
    expect(Array.from(x.data)).toEqual(Array.from(m.data));
    expect(Object.is(x.data[5], -0)).toBe(true);
  });

  it('matFromNd and vectorFromNd convert float32 and integers, and refuse wrong shapes, bool and missing fields', () => {
    const f32: NdArray = { dtype: 'float32', shape: [1, 2], data: Float32Array.from([0.1, 2]) };
    expect(Array.from(matFromNd(f32, 'X', 'P.npz').data)).toEqual([Math.fround(0.1), 2]);
    expect(Array.from(vectorFromNd(ndFromIndices([3, -4]), 'y', 'P.npz'))).toEqual([3, -4]);
    expect(formatError(() => matFromNd(ndFromVector([1, 2, 3]), 'X_star', 'P.npz')).message).toBe(
      'P.npz: field "X_star": expected a 2-D numeric array, got a float64 array of shape (3,)',
    );
    expect(formatError(() => vectorFromNd(undefined, 'y', 'P.npz')).message).toBe('P.npz: field "y": missing (expected a 1-D numeric array)');
    expect(formatError(() => vectorFromNd(ndFromBool([true]), 'y', 'P.npz')).message).toBe(
      'P.npz: field "y": expected a 1-D numeric array, got a bool array of shape (1,)',
    );
    const big: NdArray = { dtype: 'int64', shape: [1], data: BigInt64Array.from([2n ** 53n + 1n]) };
    expect(formatError(() => vectorFromNd(big, 'y', 'P.npz')).message).toMatch(/^P\.npz: field "y": entry 0 \(9007199254740993\) is beyond 2\^53/);
  });

  it('indicesFromNd checks type and bounds', () => {
    const rows = indicesFromNd(ndFromIndices([0, 4, 2]), 'rows', 'P.npz', { max: 5 });
    expect(rows).toEqual(Int32Array.from([0, 4, 2]));
    expect(indicesFromNd({ dtype: 'int32', shape: [2], data: Int32Array.from([-1, 3]) }, 'r', 'P.npz', { min: -1 })).toEqual(Int32Array.from([-1, 3]));
    expect(formatError(() => indicesFromNd(ndFromIndices([0, 5]), 'rows', 'P.npz', { max: 5 })).message).toBe(
      'P.npz: field "rows": entry 1 is 5, expected an integer in [0, 5)',
    );
    expect(formatError(() => indicesFromNd(ndFromIndices([-1]), 'cols', 'P.npz')).message).toBe(
      'P.npz: field "cols": entry 0 is -1, expected an integer in [0, 2147483648)',
    );
    const huge: NdArray = { dtype: 'int64', shape: [1], data: BigInt64Array.from([2n ** 32n]) };
    expect(formatError(() => indicesFromNd(huge, 'rows', 'P.npz')).message).toMatch(/entry 0 is 4294967296/);
    expect(formatError(() => indicesFromNd(ndFromVector([1]), 'rows', 'P.npz')).message).toBe(
      'P.npz: field "rows": expected a 1-D integer array (int64 or int32), got a float64 array of shape (1,)',
    );
  });

  it('ndFromIndices writes int64, ndFromBool writes 0/1, ndFromVector copies plain arrays', () => {
    const idx = ndFromIndices([1, 2 ** 40]);
    expect(idx.dtype).toBe('int64');
    expect(Array.from(idx.data as BigInt64Array)).toEqual([1n, 2n ** 40n]);
    expect(() => ndFromIndices([1.5])).toThrow(RangeError);
    const flags = ndFromBool([true, 0, 2, false], [2, 2]);
    expect(flags).toEqual({ dtype: 'bool', shape: [2, 2], data: Uint8Array.from([1, 0, 1, 0]) });
    expect(ndFromVector([1, 2]).data).toEqual(Float64Array.from([1, 2]));
  });
});

describe('files', () => {
  const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'implab-io-'));

  it('writes atomically and reads back, leaving no temporary file', () => {
    const dir = tmp();
    try {
      const file = path.join(dir, 'P.npz');
      writeNpzFile(file, everyDtype(), { compress: true });
      expect(fs.readdirSync(dir)).toEqual(['P.npz']);
      expectSameMaps(readNpzFile(file), everyDtype(), 'P.npz');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to overwrite unless told to', () => {
    const dir = tmp();
    try {
      const file = path.join(dir, 'P.npz');
      writeNpzFile(file, { a: ndFromVector([1]) });
      const before = fs.readFileSync(file);
      let err: unknown;
      try {
        writeNpzFile(file, { a: ndFromVector([2]) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FileError);
      expect((err as Error).message).toBe(`${file}: already exists (refusing to overwrite it)`);
      expect(fs.readFileSync(file)).toEqual(before);
      expect(fs.readdirSync(dir)).toEqual(['P.npz']);
      writeNpzFile(file, { a: ndFromVector([2]) }, { overwrite: true });
      expect(Array.from(readNpzFile(file).get('a')!.data as Float64Array)).toEqual([2]);
      expect(fs.readdirSync(dir)).toEqual(['P.npz']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one clear line for a missing file, a missing directory, a directory, a corrupt file', () => {
    const dir = tmp();
    try {
      const missing = path.join(dir, 'nope.npz');
      expect(() => readNpzFile(missing)).toThrow(new FileError(missing, 'no such file'));
      expect(() => readNpzFile(missing)).toThrow(`${missing}: no such file`);
      expect(() => readNpzFile(dir)).toThrow(`${dir}: is a directory`);
      const nodir = path.join(dir, 'sub', 'P.npz');
      expect(() => writeNpzFile(nodir, { a: ndFromVector([1]) })).toThrow(`${nodir}: no such directory ${path.join(dir, 'sub')}`);
      const corrupt = path.join(dir, 'bad.npz');
      fs.writeFileSync(corrupt, 'hello');
      expect(() => readNpzFile(corrupt)).toThrow(`${corrupt}: not a zip archive (no end-of-central-directory record)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an array that cannot be encoded writes nothing', () => {
    const dir = tmp();
    try {
      const file = path.join(dir, 'P.npz');
      expect(() => writeNpzFile(file, { a: { dtype: 'float64', shape: [2], data: new Float64Array(1) } })).toThrow(RangeError);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
