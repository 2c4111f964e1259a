/**
 * Zip archives in memory: read one through its central directory, write one.
 *
 * Reading supports stored (method 0) and deflated (method 8) members, ZIP64
 * extra fields (local and central) and the ZIP64 end-of-central-directory
 * record and locator, data descriptors (the central directory is what counts),
 * UTF-8 and CP437 names. Every member's size and CRC-32 are verified. It does
 * not support encryption, multi-disk archives or data prepended to the archive.
 *
 * Writing is deterministic: members in the order given, a fixed timestamp
 * (1980-01-01 00:00), no comments. ZIP64 structures are written when a size,
 * an offset or the member count needs them, or always with `forceZip64`.
 *
 * Browser-safe: no Node imports.
 */

import { deflateSync, inflateSync } from 'fflate';
import { crc32 } from './crc32.js';
import { FormatError } from './errors.js';

/** One member of an archive: its name inside the archive and its uncompressed bytes. */
export interface ZipMember {
  name: string;
  data: Uint8Array;
}

export interface ZipWriteOptions {
  /** Deflate every member (default false: store them). */
  compress?: boolean;
  /** Deflate level 1..9 (default 6, as zlib). */
  level?: number;
  /** Write ZIP64 extra fields and the ZIP64 end records even when nothing needs them. */
  forceZip64?: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA_ID = 0x0001;

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const EOCD_SIZE = 22;
const ZIP64_EOCD_SIZE = 56;
const ZIP64_LOCATOR_SIZE = 20;
const MAX_COMMENT = 0xffff;

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8 = 0x0800;

const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;

/** 1980-01-01 00:00:00 in MS-DOS date and time fields. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** The code points of CP437 bytes 0x80..0xFF (the zip default when the UTF-8 flag is clear). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeName(raw: Uint8Array, utf8: boolean, source: string): string {
  if (utf8) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new FormatError(source, 'member name is not valid UTF-8');
    }
  }
  let s = '';
  for (let i = 0; i < raw.length; i++) s += raw[i] < 0x80 ? String.fromCharCode(raw[i]) : CP437_HIGH[raw[i] - 0x80];
  return s;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bounds-checked little-endian reads over the archive, failing with a FormatError. */
class Reader {
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(offset: number, length: number, what: string): void {
    if (offset < 0 || offset + length > this.bytes.length) {
      throw new FormatError(
        this.source,
        `truncated (${what} at offset ${offset} needs ${length} bytes, the archive has ${this.bytes.length})`,
      );
    }
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  u64(offset: number, what: string, source: string = this.source): number {
    const v = this.view.getBigUint64(offset, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(source, `${what} too large (${v})`);
    return Number(v);
  }
}

interface Directory {
  count: number;
  offset: number;
  size: number;
  /** Where the central directory must end: the start of the (ZIP64) end records. */
  limit: number;
}

function findEndOfCentralDirectory(r: Reader): number {
  const n = r.bytes.length;
  const lowest = Math.max(0, n - EOCD_SIZE - MAX_COMMENT);
  for (let i = n - EOCD_SIZE; i >= lowest; i--) {
    if (r.u32(i) === SIG_EOCD && i + EOCD_SIZE + r.u16(i + 20) <= n) return i;
  }
  if (n === 0) throw new FormatError(r.source, 'empty file (not a zip archive)');
  if (n >= 4 && r.u32(0) === SIG_LOCAL) {
    throw new FormatError(r.source, 'truncated zip archive (no end-of-central-directory record)');
  }
  throw new FormatError(r.source, 'not a zip archive (no end-of-central-directory record)');
}

function readDirectory(r: Reader): Directory {
  const eocd = findEndOfCentralDirectory(r);
  const disk = r.u16(eocd + 4);
  const cdDisk = r.u16(eocd + 6);
  let countHere = r.u16(eocd + 8);
  let count = r.u16(eocd + 10);
  let size = r.u32(eocd + 12);
  let offset = r.u32(eocd + 16);
  let limit = eocd;

  const loc = eocd - ZIP64_LOCATOR_SIZE;
  if (loc >= 0 && r.u32(loc) === SIG_ZIP64_LOCATOR) {
    if (r.u32(loc + 4) !== 0 || r.u32(loc + 16) > 1) throw new FormatError(r.source, 'multi-disk zip archives are not supported');
    const at = r.u64(loc + 8, 'ZIP64 end-of-central-directory offset');
    r.need(at, ZIP64_EOCD_SIZE, 'ZIP64 end-of-central-directory record');
    if (at + ZIP64_EOCD_SIZE > loc) throw new FormatError(r.source, 'ZIP64 end-of-central-directory record overlaps its locator');
    if (r.u32(at) !== SIG_ZIP64_EOCD) {
      throw new FormatError(r.source, `bad ZIP64 end-of-central-directory signature at offset ${at}`);
    }
    if (r.u32(at + 16) !== 0 || r.u32(at + 20) !== 0) throw new FormatError(r.source, 'multi-disk zip archives are not supported');
    countHere = r.u64(at + 24, 'ZIP64 member count');
    count = r.u64(at + 32, 'ZIP64 member count');
    size = r.u64(at + 40, 'ZIP64 central directory size');
    offset = r.u64(at + 48, 'ZIP64 central directory offset');
    limit = at;
  } else {
    if (disk !== 0 || cdDisk !== 0) throw new FormatError(r.source, 'multi-disk zip archives are not supported');
    if (count === U16_MAX || size === U32_MAX || offset === U32_MAX) {
      throw new FormatError(r.source, 'ZIP64 end-of-central-directory locator missing');
    }
  }
  if (countHere !== count) throw new FormatError(r.source, 'multi-disk zip archives are not supported');
  if (offset + size > limit) {
    throw new FormatError(
      r.source,
      `corrupt central directory (offset ${offset} + size ${size} runs past the end records at offset ${limit})`,
    );
  }
  return { count, offset, size, limit };
}

interface CentralEntry {
  name: string;
  rawName: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Applies a ZIP64 extra field (if any) to the sizes and offset that are saturated at 0xFFFFFFFF. */
function applyZip64Extra(
  r: Reader,
  start: number,
  length: number,
  e: { size: number; compressedSize: number; localOffset?: number },
  where: string,
): void {
  const end = start + length;
  let p = start;
  while (p + 4 <= end) {
    const id = r.u16(p);
    const len = r.u16(p + 2);
    const body = p + 4;
    if (body + len > end) throw new FormatError(where, 'corrupt extra field (runs past its end)');
    if (id === ZIP64_EXTRA_ID) {
      let q = body;
      const take = (what: string): number => {
        if (q + 8 > body + len) throw new FormatError(where, `ZIP64 extra field too short (no ${what})`);
        const v = r.u64(q, `ZIP64 ${what}`, where);
        q += 8;
        return v;
      };
      if (e.size === U32_MAX) e.size = take('uncompressed size');
      if (e.compressedSize === U32_MAX) e.compressedSize = take('compressed size');
      if (e.localOffset === U32_MAX) e.localOffset = take('local header offset');
    }
    p = body + len;
  }
  if (p !== end && !(end - p < 4 && allZero(r.bytes, p, end))) {
    throw new FormatError(where, 'corrupt extra field (trailing bytes)');
  }
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

function readCentralDirectory(r: Reader, dir: Directory): CentralEntry[] {
  const entries: CentralEntry[] = [];
  const end = dir.offset + dir.size;
  let p = dir.offset;
  for (let k = 0; k < dir.count; k++) {
    if (p + CENTRAL_HEADER_SIZE > end) {
      throw new FormatError(r.source, `corrupt central directory (entry ${k} of ${dir.count} runs past its end)`);
    }
    if (r.u32(p) !== SIG_CENTRAL) {
      throw new FormatError(r.source, `corrupt central directory (bad signature for entry ${k} at offset ${p})`);
    }
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    const crc = r.u32(p + 16);
    const compressedSize = r.u32(p + 20);
    const size = r.u32(p + 24);
    const nameLen = r.u16(p + 28);
    const extraLen = r.u16(p + 30);
    const commentLen = r.u16(p + 32);
    const diskStart = r.u16(p + 34);
    const localOffset = r.u32(p + 42);
    const next = p + CENTRAL_HEADER_SIZE + nameLen + extraLen + commentLen;
    if (next > end) throw new FormatError(r.source, `corrupt central directory (entry ${k} of ${dir.count} runs past its end)`);
    const rawName = r.bytes.subarray(p + CENTRAL_HEADER_SIZE, p + CENTRAL_HEADER_SIZE + nameLen);
    const name = decodeName(rawName, (flags & FLAG_UTF8) !== 0, r.source);
    const where = `${r.source}: member "${name}"`;
    const e = { size, compressedSize, localOffset };
    applyZip64Extra(r, p + CENTRAL_HEADER_SIZE + nameLen, extraLen, e, where);
    if (e.size === U32_MAX || e.compressedSize === U32_MAX || e.localOffset === U32_MAX) {
      throw new FormatError(where, 'ZIP64 extra field missing from the central directory');
    }
    if (diskStart !== 0 && diskStart !== U16_MAX) throw new FormatError(r.source, 'multi-disk zip archives are not supported');
    entries.push({ name, rawName, flags, method, crc, compressedSize: e.compressedSize, size: e.size, localOffset: e.localOffset });
    p = next;
  }
  if (p !== end) {
    throw new FormatError(r.source, `corrupt central directory (${dir.count} entries take ${p - dir.offset} bytes, the directory says ${dir.size})`);
  }
  return entries;
}

/** Deflate cannot expand data by more than about 1032:1; a larger claim is corrupt (or a bomb). */
const MAX_DEFLATE_RATIO = 1032;

function inflateMember(compressed: Uint8Array, size: number, where: string): Uint8Array {
  if (size > compressed.length * MAX_DEFLATE_RATIO + 1024) {
    throw new FormatError(where, `size mismatch (the central directory says ${size} bytes, more than ${compressed.length} deflated bytes can hold)`);
  }
  let out: Uint8Array;
  try {
    // One spare byte: an output longer than announced shows up as size + 1.
    out = inflateSync(compressed, { out: new Uint8Array(size + 1) });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new FormatError(where, `corrupt deflate data (${why})`);
  }
  if (out.length !== size) {
    throw new FormatError(
      where,
      out.length > size
        ? `size mismatch (the central directory says ${size} bytes, the data inflates to more)`
        : `size mismatch (the central directory says ${size} bytes, the data inflates to ${out.length})`,
    );
  }
  return out;
}

function readMember(r: Reader, e: CentralEntry, dataLimit: number): Uint8Array {
  const where = `${r.source}: member "${e.name}"`;
  if (e.flags & FLAG_ENCRYPTED) throw new FormatError(where, 'encrypted members are not supported');
  if (e.method !== METHOD_STORED && e.method !== METHOD_DEFLATED) {
    throw new FormatError(where, `unsupported compression method ${e.method} (expected 0, stored, or 8, deflated)`);
  }
  const at = e.localOffset;
  if (at + LOCAL_HEADER_SIZE > dataLimit) {
    throw new FormatError(where, `truncated (local header at offset ${at} runs past the member data area, which ends at ${dataLimit})`);
  }
  if (r.u32(at) !== SIG_LOCAL) throw new FormatError(where, `bad local header signature at offset ${at}`);
  const nameLen = r.u16(at + 26);
  const extraLen = r.u16(at + 28);
  const nameStart = at + LOCAL_HEADER_SIZE;
  const dataStart = nameStart + nameLen + extraLen;
  if (dataStart > dataLimit) throw new FormatError(where, `truncated (local header at offset ${at} runs past the member data area)`);
  if (!sameBytes(r.bytes.subarray(nameStart, nameStart + nameLen), e.rawName)) {
    throw new FormatError(where, 'local header name differs from the central directory');
  }
  const available = Math.max(0, dataLimit - dataStart);
  if (e.compressedSize > available) {
    throw new FormatError(where, `truncated (expected ${e.compressedSize} compressed bytes, found ${available})`);
  }
  const raw = r.bytes.subarray(dataStart, dataStart + e.compressedSize);
  let data: Uint8Array;
  if (e.method === METHOD_STORED) {
    if (e.compressedSize !== e.size) {
      throw new FormatError(where, `size mismatch (stored member with compressed size ${e.compressedSize} and size ${e.size})`);
    }
    data = raw;
  } else {
    data = inflateMember(raw, e.size, where);
  }
  const actual = crc32(data);
  if (actual !== e.crc) {
    throw new FormatError(where, `CRC-32 mismatch (the archive says ${hex32(e.crc)}, the data has ${hex32(actual)})`);
  }
  return data;
}

function hex32(v: number): string {
  return '0x' + v.toString(16).padStart(8, '0');
}

/**
 * Reads every member of a zip archive, in central-directory order, verifying
 * sizes and CRC-32. `source` names the archive in error messages. A stored
 * member's data is a view into `bytes` (not a copy).
 *
 * @throws FormatError naming `source` (and the member) and what is wrong.
 * @example
 * const members = readZip(bytes, 'P.npz');
 * members.map((m) => m.name); // ['A.npy', 'y.npy']
 */
export function readZip(bytes: Uint8Array, source: string): ZipMember[] {
  const r = new Reader(bytes, source);
  const dir = readDirectory(r);
  const entries = readCentralDirectory(r, dir);
  return entries.map((e) => ({ name: e.name, data: readMember(r, e, dir.offset) }));
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

interface Prepared {
  name: Uint8Array;
  utf8: boolean;
  method: number;
  crc: number;
  size: number;
  payload: Uint8Array;
  zip64: boolean;
  localOffset: number;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

function setU64(view: DataView, offset: number, value: number): void {
  view.setBigUint64(offset, BigInt(value), true);
}

/**
 * Writes a zip archive holding `members` in the given order, stored or
 * deflated. Names are written as UTF-8 (with the UTF-8 flag when not ASCII).
 *
 * @throws RangeError for an empty or duplicate name, a name longer than 65535
 *   bytes, or a deflate level outside 1..9.
 * @example
 * const zip = writeZip([{ name: 'a.txt', data: new TextEncoder().encode('hi') }], { compress: true });
 * readZip(zip, 'a.zip')[0].name; // 'a.txt'
 */
export function writeZip(members: Iterable<ZipMember>, options: ZipWriteOptions = {}): Uint8Array {
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`zip: deflate level must be an integer 1..9, got ${level}`);
  const force = options.forceZip64 === true;
  const encoder = new TextEncoder();
  const seen = new Set<string>();
  const prepared: Prepared[] = [];
  let offset = 0;
  for (const m of members) {
    if (m.name.length === 0) throw new RangeError('zip: member name must not be empty');
    if (seen.has(m.name)) throw new RangeError(`zip: duplicate member name "${m.name}"`);
    seen.add(m.name);
    const name = encoder.encode(m.name);
    if (name.length > U16_MAX) throw new RangeError(`zip: member name "${m.name.slice(0, 40)}..." is longer than 65535 bytes`);
    const method = options.compress ? METHOD_DEFLATED : METHOD_STORED;
    const payload = method === METHOD_DEFLATED ? deflateSync(m.data, { level: level as 1 }) : m.data;
    const zip64 = force || m.data.length >= U32_MAX || payload.length >= U32_MAX;
    prepared.push({
      name,
      utf8: !isAscii(name),
      method,
      crc: crc32(m.data),
      size: m.data.length,
      payload,
      zip64,
      localOffset: offset,
    });
    offset += LOCAL_HEADER_SIZE + name.length + (zip64 ? 20 : 0) + payload.length;
  }

  const cdOffset = offset;
  let cdSize = 0;
  const centralExtra = prepared.map((p) => {
    let n = 0;
    if (force || p.size >= U32_MAX) n++;
    if (force || p.payload.length >= U32_MAX) n++;
    if (force || p.localOffset >= U32_MAX) n++;
    return n === 0 ? 0 : 4 + 8 * n;
  });
  prepared.forEach((p, i) => (cdSize += CENTRAL_HEADER_SIZE + p.name.length + centralExtra[i]));
  const count = prepared.length;
  const endZip64 = force || count >= U16_MAX || cdSize >= U32_MAX || cdOffset >= U32_MAX;
  const total = cdOffset + cdSize + (endZip64 ? ZIP64_EOCD_SIZE + ZIP64_LOCATOR_SIZE : 0) + EOCD_SIZE;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const version = (needs64: boolean, method: number): number => (needs64 ? 45 : method === METHOD_DEFLATED ? 20 : 10);

  for (const p of prepared) {
    let q = p.localOffset;
    view.setUint32(q, SIG_LOCAL, true);
    view.setUint16(q + 4, version(p.zip64, p.method), true);
    view.setUint16(q + 6, p.utf8 ? FLAG_UTF8 : 0, true);
    view.setUint16(q + 8, p.method, true);
    view.setUint16(q + 10, DOS_TIME, true);
    view.setUint16(q + 12, DOS_DATE, true);
    view.setUint32(q + 14, p.crc, true);
    view.setUint32(q + 18, p.zip64 ? U32_MAX : p.payload.length, true);
    view.setUint32(q + 22, p.zip64 ? U32_MAX : p.size, true);
    view.setUint16(q + 26, p.name.length, true);
    view.setUint16(q + 28, p.zip64 ? 20 : 0, true);
    q += LOCAL_HEADER_SIZE;
    out.set(p.name, q);
    q += p.name.length;
    if (p.zip64) {
      view.setUint16(q, ZIP64_EXTRA_ID, true);
      view.setUint16(q + 2, 16, true);
      setU64(view, q + 4, p.size);
      setU64(view, q + 12, p.payload.length);
      q += 20;
    }
    out.set(p.payload, q);
  }

  let q = cdOffset;
  prepared.forEach((p, i) => {
    const big = [force || p.size >= U32_MAX, force || p.payload.length >= U32_MAX, force || p.localOffset >= U32_MAX];
    const needs64 = centralExtra[i] > 0;
    view.setUint32(q, SIG_CENTRAL, true);
    view.setUint16(q + 4, (3 << 8) | version(needs64 || p.zip64, p.method), true);
    view.setUint16(q + 6, version(needs64 || p.zip64, p.method), true);
    view.setUint16(q + 8, p.utf8 ? FLAG_UTF8 : 0, true);
    view.setUint16(q + 10, p.method, true);
    view.setUint16(q + 12, DOS_TIME, true);
    view.setUint16(q + 14, DOS_DATE, true);
    view.setUint32(q + 16, p.crc, true);
    view.setUint32(q + 20, big[1] ? U32_MAX : p.payload.length, true);
    view.setUint32(q + 24, big[0] ? U32_MAX : p.size, true);
    view.setUint16(q + 28, p.name.length, true);
    view.setUint16(q + 30, centralExtra[i], true);
    view.setUint16(q + 32, 0, true); // comment length
    view.setUint16(q + 34, 0, true); // disk number start
    view.setUint16(q + 36, 0, true); // internal attributes
    view.setUint32(q + 38, 0o100644 * 0x10000, true); // external: a regular file, rw-r--r--
    view.setUint32(q + 42, big[2] ? U32_MAX : p.localOffset, true);
    q += CENTRAL_HEADER_SIZE;
    out.set(p.name, q);
    q += p.name.length;
    if (needs64) {
      view.setUint16(q, ZIP64_EXTRA_ID, true);
      view.setUint16(q + 2, centralExtra[i] - 4, true);
      q += 4;
      const values = [p.size, p.payload.length, p.localOffset];
      for (let k = 0; k < 3; k++) {
        if (big[k]) {
          setU64(view, q, values[k]);
          q += 8;
        }
      }
    }
  });

  if (endZip64) {
    const at = q;
    view.setUint32(q, SIG_ZIP64_EOCD, true);
    setU64(view, q + 4, ZIP64_EOCD_SIZE - 12);
    view.setUint16(q + 12, (3 << 8) | 45, true);
    view.setUint16(q + 14, 45, true);
    view.setUint32(q + 16, 0, true);
    view.setUint32(q + 20, 0, true);
    setU64(view, q + 24, count);
    setU64(view, q + 32, count);
    setU64(view, q + 40, cdSize);
    setU64(view, q + 48, cdOffset);
    q += ZIP64_EOCD_SIZE;
    view.setUint32(q, SIG_ZIP64_LOCATOR, true);
    view.setUint32(q + 4, 0, true);
    setU64(view, q + 8, at);
    view.setUint32(q + 16, 1, true);
    q += ZIP64_LOCATOR_SIZE;
  }
  const count16 = force || count >= U16_MAX ? U16_MAX : count;
  view.setUint32(q, SIG_EOCD, true);
  view.setUint16(q + 4, 0, true);
  view.setUint16(q + 6, 0, true);
  view.setUint16(q + 8, count16, true);
  view.setUint16(q + 10, count16, true);
  view.setUint32(q + 12, force || cdSize >= U32_MAX ? U32_MAX : cdSize, true);
  view.setUint32(q + 16, force || cdOffset >= U32_MAX ? U32_MAX : cdOffset, true);
  view.setUint16(q + 20, 0, true);
  return out;
}
