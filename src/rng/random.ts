import { type Mat, zeros } from '../linalg/mat.js';
import { Xoroshiro128Plus, type XoroshiroState, seedState } from './xoroshiro.js';

/** Everything needed to continue a stream exactly: serializable as JSON. */
export interface RandomState {
  words: [number, number, number, number];
  /** The second normal of the last Box–Muller pair, not yet handed out. */
  spareNormal: number | null;
}

/**
 * A seeded random stream: the same seed gives the same numbers on every run,
 * machine and backend. `split()` hands out independent child streams.
 *
 * @example
 * const rng = Random.fromSeed(42);
 * const data = rng.split();   // a stream for the data
 * const init = rng.split();   // another, independent of it, for the initialization
 * data.normal();
 */
export class Random {
  private gen: Xoroshiro128Plus;
  private spare: number | null;

  private constructor(state: XoroshiroState, spare: number | null) {
    this.gen = new Xoroshiro128Plus(state);
    this.spare = spare;
  }

  static fromSeed(seed: number | bigint): Random {
    return new Random(seedState(seed), null);
  }

  static fromState(state: RandomState): Random {
    return new Random({ words: [...state.words] as RandomState['words'] }, state.spareNormal);
  }

  state(): RandomState {
    return { words: this.gen.state().words, spareNormal: this.spare };
  }

  /**
   * A child stream: the child continues from this stream's current state, and this
   * stream jumps 2^64 steps ahead, so the two never overlap.
   */
  split(): Random {
    const child = new Random(this.gen.state(), null);
    this.gen.jump();
    this.spare = null;
    return child;
  }

  /** Uniform on [0, 1), 53 random bits. */
  uniform(): number {
    return this.gen.nextDouble();
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling); n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`n: expected an integer in [1, 2^32], got ${n}`);
    const limit = Math.floor(4294967296 / n) * n;
    for (;;) {
      const u = this.gen.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** Standard normal, by the Box–Muller transform (pairs, the second kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.gen.nextDouble(); // (0, 1]: log stays finite
    const u2 = this.gen.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    const t = 2 * Math.PI * u2;
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /** Fills `out` with N(mean, std^2) samples. */
  fillNormal(out: Float64Array, mean = 0, std = 1): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A rows x cols matrix with i.i.d. N(0, std^2) entries, filled in row-major order. */
  normalMat(rows: number, cols: number, std = 1): Mat {
    const m = zeros(rows, cols);
    this.fillNormal(m.data, 0, std);
    return m;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /**
   * k distinct integers from [0, n), uniformly, in the order drawn. Partial Fisher–Yates
   * when n is small enough to index, Floyd's algorithm (memory O(k)) otherwise.
   */
  sampleWithoutReplacement(n: number, k: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw new RangeError(`n: expected an integer in [0, 2^31), got ${n}`);
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`k: expected an integer in [0, ${n}], got ${k}`);
    const out = new Int32Array(k);
    if (n <= 4_000_000 || 8 * k >= n) {
      const pool = new Int32Array(n);
      for (let i = 0; i < n; i++) pool[i] = i;
      for (let i = 0; i < k; i++) {
        const j = i + this.int(n - i);
        const t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        out[i] = pool[i];
      }
      return out;
    }
    const chosen = new Set<number>();
    let o = 0;
    for (let j = n - k; j < n; j++) {
      const t = this.int(j + 1);
      const pick = chosen.has(t) ? j : t;
      chosen.add(pick);
      out[o++] = pick;
    }
    return out;
  }
}
