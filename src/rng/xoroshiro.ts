/**
 * xoroshiro128+ (Blackman & Vigna, 2018 parameters a=24, b=16, c=37), kept as four
 * uint32 halves so that it needs neither BigInt nor 64-bit integers in the hot path.
 * Seeds are expanded with splitmix64, as the authors recommend.
 */
export interface XoroshiroState {
  /** [s0 high, s0 low, s1 high, s1 low], each an unsigned 32-bit integer. */
  words: [number, number, number, number];
}

const MASK64 = (1n << 64n) - 1n;

/** splitmix64: the seed expander; returns the next 64-bit output and the advanced state. */
function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/** The state that seed `seed` (a non-negative integer below 2^64) starts from. */
export function seedState(seed: number | bigint): XoroshiroState {
  if (typeof seed === 'number' && (!Number.isSafeInteger(seed) || seed < 0)) {
    throw new RangeError(`seed: expected a non-negative integer below 2^53 (or a bigint below 2^64), got ${seed}`);
  }
  const s = BigInt(seed);
  if (s < 0n || s > MASK64) throw new RangeError(`seed: expected a non-negative integer below 2^64, got ${s}`);
  const [st1, a] = splitmix64(s);
  const [, b] = splitmix64(st1);
  return {
    words: [Number(a >> 32n), Number(a & 0xffffffffn), Number(b >> 32n), Number(b & 0xffffffffn)],
  };
}

/** The raw generator. `next*` methods advance it; `jump` skips 2^64 outputs. */
export class Xoroshiro128Plus {
  private s0h: number;
  private s0l: number;
  private s1h: number;
  private s1l: number;
  /** High and low halves of the last 64-bit output. */
  outHigh = 0;
  outLow = 0;

  constructor(state: XoroshiroState) {
    const [a, b, c, d] = state.words;
    for (const w of state.words) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new RangeError('state: expected four unsigned 32-bit words');
    }
    if ((a | b | c | d) === 0) throw new RangeError('state: the all-zero state is not allowed');
    this.s0h = a;
    this.s0l = b;
    this.s1h = c;
    this.s1l = d;
  }

  state(): XoroshiroState {
    return { words: [this.s0h, this.s0l, this.s1h, this.s1l] };
  }

  /** Advances one step; the 64-bit output is left in outHigh/outLow. */
  step(): void {
    const s0h = this.s0h, s0l = this.s0l;
    let s1h = this.s1h, s1l = this.s1l;
    // result = s0 + s1 (mod 2^64)
    const lo = s0l + s1l;
    this.outLow = lo >>> 0;
    this.outHigh = (s0h + s1h + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    // s1 ^= s0
    s1h ^= s0h;
    s1l ^= s0l;
    // s0 = rotl(s0, 24) ^ s1 ^ (s1 << 16)
    const rh = (s0h << 24) | (s0l >>> 8);
    const rl = (s0l << 24) | (s0h >>> 8);
    this.s0h = (rh ^ s1h ^ ((s1h << 16) | (s1l >>> 16))) >>> 0;
    this.s0l = (rl ^ s1l ^ (s1l << 16)) >>> 0;
    // s1 = rotl(s1, 37) = rotl(swap halves, 5)
    this.s1h = ((s1l << 5) | (s1h >>> 27)) >>> 0;
    this.s1l = ((s1h << 5) | (s1l >>> 27)) >>> 0;
  }

  /** A double in [0, 1) from the top 53 bits (the low bits of xoroshiro128+ are weaker). */
  nextDouble(): number {
    this.step();
    return (this.outHigh * 2097152 + (this.outLow >>> 11)) / 9007199254740992;
  }

  /** The top 32 bits of the next output. */
  nextUint32(): number {
    this.step();
    return this.outHigh;
  }

  /** Equivalent to 2^64 calls of step(): non-overlapping streams for parallel work. */
  jump(): void {
    // JUMP = 0xdf900294d8f554a5, 0x170865df4b3201fc, as 32-bit words, low word of each first.
    const jumpWords = [0xd8f554a5, 0xdf900294, 0x4b3201fc, 0x170865df];
    let a = 0, b = 0, c = 0, d = 0;
    for (const word of jumpWords) {
      for (let bit = 0; bit < 32; bit++) {
        if ((word >>> bit) & 1) {
          a ^= this.s0h;
          b ^= this.s0l;
          c ^= this.s1h;
          d ^= this.s1l;
        }
        this.step();
      }
    }
    this.s0h = a >>> 0;
    this.s0l = b >>> 0;
    this.s1h = c >>> 0;
    this.s1l = d >>> 0;
  }
}
