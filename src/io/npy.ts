/**
 * The NumPy .npy format: parse (versions 1.0, 2.0, 3.0; little- and big-endian;
 * C and Fortran order) and encode (little-endian, C order, version 1.0, or 2.0
 * when the header is too long), for float64, float32, int64, int32 and bool.
 *
 * The header is a Python dict literal such as
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`; it is read by
 * a small strict parser for that subset of Python literals (never evaluated).
 *
 * Browser-safe: no Node imports.
 */

import { FormatError } from './errors.js';

export type DType = 'float64' | 'float32' | 'int64' | 'int32' | 'bool';

/**
 * An n-dimensional array: `data` holds the entries in C (row-major) order and
 * has exactly product(shape) elements (1 for a 0-d array, shape []). The typed
 * array matches the dtype: float64 Float64Array, float32 Float32Array, int64
 * BigInt64Array, int32 Int32Array, bool Uint8Array of 0 and 1.
 */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: Float64Array | Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

type TypedArrayCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | BigInt64ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor;

interface DTypeInfo {
  /** Kind and size as in a descr, e.g. 'f8'. */
  code: string;
  size: number;
  ctor: TypedArrayCtor;
}

const DTYPES: Record<DType, DTypeInfo> = {
  float64: { code: 'f8', size: 8, ctor: Float64Array },
  float32: { code: 'f4', size: 4, ctor: Float32Array },
  int64: { code: 'i8', size: 8, ctor: BigInt64Array },
  int32: { code: 'i4', size: 4, ctor: Int32Array },
  bool: { code: 'b1', size: 1, ctor: Uint8Array },
};

const EXPECTED_DTYPES = '(expected float64, float32, int64, int32 or bool)';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** numpy leaves room for the growth axis to reach this many digits, so headers match byte for byte. */
const GROWTH_AXIS_MAX_DIGITS = 21;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A shape as Python prints it: `()`, `(3,)`, `(3, 4)`.
 *
 * @example
 * formatShape([3]); // '(3,)'
 */
export function formatShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * The number of elements of a shape (1 for the 0-d shape []).
 *
 * @throws RangeError if a dimension is not a non-negative integer or the product is not a safe integer.
 * @example
 * shapeSize([2, 3]); // 6
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`shape ${formatShape(shape)}: dimensions must be non-negative integers`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`shape ${formatShape(shape)}: too many elements`);
  return n;
}

/**
 * Checks that an NdArray is consistent: a known dtype, the typed array that
 * goes with it, and product(shape) elements.
 *
 * @throws RangeError naming `name` and what is inconsistent.
 * @example
 * checkNdArray({ dtype: 'int32', shape: [2], data: new Int32Array(2) }, 'rows'); // ok
 */
export function checkNdArray(nd: NdArray, name = 'array'): void {
  const info = DTYPES[nd.dtype];
  if (info === undefined) throw new RangeError(`${name}: unknown dtype '${String(nd.dtype)}' ${EXPECTED_DTYPES}`);
  if (!(nd.data instanceof info.ctor)) {
    throw new RangeError(`${name}: dtype ${nd.dtype} needs a ${info.ctor.name}, got ${nd.data?.constructor?.name ?? typeof nd.data}`);
  }
  if (!Array.isArray(nd.shape)) throw new RangeError(`${name}: shape must be an array of dimensions`);
  let size: number;
  try {
    size = shapeSize(nd.shape);
  } catch (err) {
    throw new RangeError(`${name}: ${(err as Error).message}`);
  }
  if (nd.data.length !== size) {
    throw new RangeError(`${name}: shape ${formatShape(nd.shape)} needs ${size} elements, data has ${nd.data.length}`);
  }
}

// ---------------------------------------------------------------------------
// The header: a strict parser for the Python literals numpy writes
// ---------------------------------------------------------------------------

type PyValue =
  | { kind: 'dict'; entries: [PyValue, PyValue][] }
  | { kind: 'tuple'; items: PyValue[] }
  | { kind: 'list'; items: PyValue[] }
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' };

class HeaderSyntaxError extends Error {}

class LiteralParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseWhole(): PyValue {
    const v = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the dict');
    return v;
  }

  private fail(what: string): never {
    throw new HeaderSyntaxError(`${what} at character ${this.pos}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }

  private value(): PyValue {
    const c = this.peek();
    if (c === '{') return this.dict();
    if (c === '(') return this.tupleOrParens();
    if (c === '[') return { kind: 'list', items: this.sequence('[', ']') };
    if (c === "'" || c === '"') return this.str();
    if (c === 'u' && (this.text[this.pos + 1] === "'" || this.text[this.pos + 1] === '"')) {
      this.pos++;
      return this.str();
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.int();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (m) {
      this.pos += m[0].length;
      if (m[0] === 'True') return { kind: 'bool', value: true };
      if (m[0] === 'False') return { kind: 'bool', value: false };
      if (m[0] === 'None') return { kind: 'none' };
      this.pos -= m[0].length;
      this.fail(`unexpected name '${m[0]}'`);
    }
    this.fail(c === '' ? 'unexpected end of header' : `unexpected character '${c}'`);
  }

  private dict(): PyValue {
    this.expect('{');
    const entries: [PyValue, PyValue][] = [];
    while (this.peek() !== '}') {
      const key = this.value();
      this.expect(':');
      entries.push([key, this.value()]);
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}') this.fail("expected ',' or '}'");
    }
    this.pos++;
    return { kind: 'dict', entries };
  }

  /** `()` and `(a,)` and `(a, b)` are tuples; `(a)` is just `a`, as in Python. */
  private tupleOrParens(): PyValue {
    this.expect('(');
    if (this.peek() === ')') {
      this.pos++;
      return { kind: 'tuple', items: [] };
    }
    const first = this.value();
    if (this.peek() === ')') {
      this.pos++;
      return first;
    }
    this.expect(',');
    const items = [first];
    while (this.peek() !== ')') {
      items.push(this.value());
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ')') this.fail("expected ',' or ')'");
    }
    this.pos++;
    return { kind: 'tuple', items };
  }

  private sequence(open: string, close: string): PyValue[] {
    this.expect(open);
    const items: PyValue[] = [];
    while (this.peek() !== close) {
      items.push(this.value());
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.pos++;
    return items;
  }

  private str(): PyValue {
    const quote = this.text[this.pos++];
    let s = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated string');
      const ch = this.text[this.pos++];
      if (ch === quote) return { kind: 'str', value: s };
      if (ch === '\n') this.fail('unterminated string');
      if (ch !== '\\') {
        s += ch;
        continue;
      }
      const e = this.text[this.pos++] ?? '';
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (e in simple) s += simple[e];
      else if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail('bad escape in string');
        s += String.fromCharCode(parseInt(hex, 16));
        this.pos += len;
      } else this.fail('bad escape in string');
    }
  }

  private int(): PyValue {
    const m = /^-?[0-9]+L?/.exec(this.text.slice(this.pos));
    if (!m) this.fail('bad number');
    this.pos += m[0].length;
    const digits = m[0].endsWith('L') ? m[0].slice(0, -1) : m[0];
    if (/^-?0[0-9]/.test(digits)) this.fail('bad number');
    if (/^[.eEjJxXoObB_]/.test(this.text[this.pos] ?? '')) this.fail('expected an integer');
    return { kind: 'int', value: BigInt(digits) };
  }
}

function describe(v: PyValue): string {
  switch (v.kind) {
    case 'str':
      return `'${v.value}'`;
    case 'int':
      return String(v.value);
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'dict':
      return 'a dict';
    case 'list':
      return 'a list';
    case 'tuple':
      return 'a tuple';
  }
}

interface Header {
  dtype: DType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
}

function parseDescr(descr: PyValue, source: string): { dtype: DType; littleEndian: boolean } {
  if (descr.kind !== 'str') {
    const what = descr.kind === 'list' ? 'a structured dtype' : describe(descr);
    throw new FormatError(source, `unsupported dtype (${what}) ${EXPECTED_DTYPES}`);
  }
  const m = /^([<>|=])([a-zA-Z])([0-9]+)$/.exec(descr.value);
  if (m) {
    const [, order, kind, size] = m;
    for (const [dtype, info] of Object.entries(DTYPES) as [DType, DTypeInfo][]) {
      if (info.code !== kind + size) continue;
      if (info.size === 1) return { dtype, littleEndian: true };
      if (order === '<' || order === '>') return { dtype, littleEndian: order === '<' };
    }
  }
  throw new FormatError(source, `unsupported dtype '${descr.value}' ${EXPECTED_DTYPES}`);
}

function parseHeader(text: string, source: string): Header {
  const bad = (detail: string): FormatError => {
    const shown = text.trimEnd();
    return new FormatError(source, `invalid .npy header (${detail}): ${JSON.stringify(shown.length > 120 ? shown.slice(0, 117) + '...' : shown)}`);
  };
  let dict: PyValue;
  try {
    dict = new LiteralParser(text).parseWhole();
  } catch (err) {
    if (err instanceof HeaderSyntaxError) throw bad(err.message);
    throw err;
  }
  if (dict.kind !== 'dict') throw bad(`expected a dict, found ${describe(dict)}`);
  const fields = new Map<string, PyValue>();
  for (const [k, v] of dict.entries) {
    if (k.kind !== 'str') throw bad(`key ${describe(k)} is not a string`);
    if (fields.has(k.value)) throw bad(`duplicate key '${k.value}'`);
    if (!['descr', 'fortran_order', 'shape'].includes(k.value)) throw bad(`unexpected key '${k.value}'`);
    fields.set(k.value, v);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) if (!fields.has(key)) throw bad(`missing key '${key}'`);
  const fortran = fields.get('fortran_order')!;
  if (fortran.kind !== 'bool') throw bad(`'fortran_order' must be True or False, found ${describe(fortran)}`);
  const shapeValue = fields.get('shape')!;
  if (shapeValue.kind !== 'tuple') throw bad(`'shape' must be a tuple, found ${describe(shapeValue)}`);
  const shape = shapeValue.items.map((d) => {
    if (d.kind !== 'int' || d.value < 0n || d.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw bad(`'shape' entries must be non-negative integers, found ${describe(d)}`);
    }
    return Number(d.value);
  });
  const { dtype, littleEndian } = parseDescr(fields.get('descr')!, source);
  return { dtype, littleEndian, fortranOrder: fortran.value, shape };
}

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

type AnyTyped = NdArray['data'];

/** Fortran-ordered storage of `shape` to C order (a general axis reversal). */
function fortranToC<T extends AnyTyped>(src: T, shape: readonly number[]): T {
  const ndim = shape.length;
  const n = src.length;
  if (ndim < 2 || n === 0) return src;
  const out = new (src.constructor as new (n: number) => T)(n);
  const fstride = new Array<number>(ndim);
  fstride[0] = 1;
  for (let k = 1; k < ndim; k++) fstride[k] = fstride[k - 1] * shape[k - 1];
  const idx = new Array<number>(ndim).fill(0);
  let f = 0;
  const last = ndim - 1;
  // Index signatures differ between bigint and number arrays; copy element by element through a common view.
  const s = src as unknown as { [i: number]: number };
  const o = out as unknown as { [i: number]: number };
  for (let c = 0; c < n; c++) {
    o[c] = s[f];
    let k = last;
    idx[k]++;
    f += fstride[k];
    while (k > 0 && idx[k] === shape[k]) {
      f -= shape[k] * fstride[k];
      idx[k] = 0;
      k--;
      idx[k]++;
      f += fstride[k];
    }
  }
  return out;
}

/**
 * Parses a .npy file. `source` names it in error messages (for an archive
 * member, e.g. `P.npz: member "A.npy"`). The result owns its data (a copy),
 * in C order and native byte order; bool data is normalized to 0 and 1.
 *
 * @throws FormatError naming `source`: bad magic, unsupported version,
 *   truncated header or data, a malformed header dict, an unsupported dtype,
 *   or data whose size disagrees with the shape.
 * @example
 * const nd = parseNpy(bytes, 'x.npy');
 * nd.dtype; // 'float64'
 * nd.shape; // [3, 4]
 */
export function parseNpy(bytes: Uint8Array, source: string): NdArray {
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) {
      throw new FormatError(source, bytes.length === 0 ? 'empty file (not a .npy file)' : 'truncated (no complete .npy magic string)');
    }
    if (bytes[i] !== MAGIC[i]) throw new FormatError(source, 'not a .npy file (bad magic string)');
  }
  if (bytes.length < 8) throw new FormatError(source, 'truncated (no .npy format version)');
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new FormatError(source, `unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  }
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) throw new FormatError(source, 'truncated (no .npy header length)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = prefix + headerLen;
  if (dataStart > bytes.length) {
    throw new FormatError(source, `truncated header (expected ${headerLen} header bytes, found ${bytes.length - prefix})`);
  }
  const raw = bytes.subarray(prefix, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new FormatError(source, 'invalid .npy header (not valid UTF-8)');
    }
  } else {
    text = '';
    for (let i = 0; i < raw.length; i += 4096) text += String.fromCharCode(...raw.subarray(i, i + 4096)); // latin-1
  }
  const header = parseHeader(text, source);
  const info = DTYPES[header.dtype];
  let count: number;
  try {
    count = shapeSize(header.shape);
  } catch {
    throw new FormatError(source, `shape ${formatShape(header.shape)} is too large`);
  }
  const need = count * info.size;
  const found = bytes.length - dataStart;
  if (!Number.isSafeInteger(need)) throw new FormatError(source, `shape ${formatShape(header.shape)} is too large`);
  if (found < need) throw new FormatError(source, `truncated (expected ${need} data bytes, found ${found})`);
  if (found > need) {
    throw new FormatError(
      source,
      `data size mismatch (shape ${formatShape(header.shape)} of ${header.dtype} needs ${need} data bytes, found ${found})`,
    );
  }
  // An explicit copy (Buffer.slice would share memory), aligned for the typed view.
  const own = new Uint8Array(need);
  own.set(bytes.subarray(dataStart, dataStart + need));
  if (header.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(own, info.size);
  let data: AnyTyped = new info.ctor(own.buffer, 0, count);
  if (header.dtype === 'bool') {
    const b = data as Uint8Array;
    for (let i = 0; i < b.length; i++) if (b[i] > 1) b[i] = 1;
  }
  if (header.fortranOrder) data = fortranToC(data, header.shape);
  return { dtype: header.dtype, shape: header.shape.slice(), data };
}

/**
 * Encodes an NdArray as a .npy file exactly as numpy's `np.save` does:
 * little-endian, C order, format version 1.0 (2.0 when the header does not fit
 * in 65535 bytes), the header padded with spaces so that the data starts at a
 * multiple of 64 bytes. bool data is written as 0 and 1.
 *
 * @throws RangeError if the array is inconsistent (see checkNdArray).
 * @example
 * const bytes = encodeNpy({ dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) });
 * parseNpy(bytes, 'x.npy').data; // Float64Array [1, 2]
 */
export function encodeNpy(nd: NdArray): Uint8Array {
  checkNdArray(nd);
  const info = DTYPES[nd.dtype];
  const descr = (info.size === 1 ? '|' : '<') + info.code;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${formatShape(nd.shape)}, }`;
  if (nd.shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(nd.shape[0]).length));
  let major = 1;
  let lenBytes = 2;
  const hlen = dict.length + 1; // + the final newline
  let pad = ALIGN - ((MAGIC.length + 2 + lenBytes + hlen) % ALIGN);
  if (hlen + pad > 0xffff) {
    major = 2;
    lenBytes = 4;
    pad = ALIGN - ((MAGIC.length + 2 + lenBytes + hlen) % ALIGN);
  }
  const headerTotal = hlen + pad;
  const dataStart = MAGIC.length + 2 + lenBytes + headerTotal;
  const nbytes = nd.data.length * info.size;
  const out = new Uint8Array(dataStart + nbytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerTotal, true);
  else view.setUint32(8, headerTotal, true);
  let p = MAGIC.length + 2 + lenBytes;
  for (let i = 0; i < dict.length; i++) out[p++] = dict.charCodeAt(i);
  out.fill(0x20, p, dataStart - 1);
  out[dataStart - 1] = 0x0a;
  const body = out.subarray(dataStart);
  if (nd.dtype === 'bool') {
    const b = nd.data as Uint8Array;
    for (let i = 0; i < b.length; i++) body[i] = b[i] !== 0 ? 1 : 0;
  } else {
    body.set(new Uint8Array(nd.data.buffer, nd.data.byteOffset, nbytes));
    if (!HOST_LITTLE_ENDIAN) swapBytes(body, info.size);
  }
  return out;
}
