/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by zip, gzip
 * and PNG. Table-driven, one byte at a time.
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * Continues a CRC-32 over more bytes: pass the previous result as `crc` (0 to
 * start). Returns an unsigned 32-bit integer.
 *
 * @example
 * const whole = crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * const a = crc32(new TextEncoder().encode('1234'));
 * crc32(new TextEncoder().encode('56789'), a) === whole; // true
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
