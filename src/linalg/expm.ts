import type { Backend } from './backend.js';
import { LinalgError } from './backend.js';
import { type Mat, assertSquare, copy, zeros } from './mat.js';
import { backend as defaultBackend } from './select.js';

/*
 * Matrix exponential by scaling and squaring with Padé approximants (Higham, "The
 * scaling and squaring method for the matrix exponential revisited", SIAM J. Matrix
 * Anal. Appl. 26(4), 2005, Algorithm 2.3). The degree m in {3, 5, 7, 9, 13} and the
 * scaling 2^-s are chosen from ||A||_1 against theta_m so that the backward error is
 * at most the unit roundoff.
 */

/** theta_m from Higham (2005), Table 2.3, double precision. */
const THETA: ReadonlyArray<[number, number]> = [
  [3, 1.495585217958292e-2],
  [5, 2.539398330063230e-1],
  [7, 9.504178996162932e-1],
  [9, 2.097847961257068e0],
];
const THETA_13 = 5.371920351148152e0;

/** Coefficients b_0..b_m of the [m/m] Padé approximant to exp. */
const PADE: Record<number, readonly number[]> = {
  3: [120, 60, 12, 1],
  5: [30240, 15120, 3360, 420, 30, 1],
  7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
  9: [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1],
  13: [
    64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
    10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
  ],
};

function norm1(a: Mat): number {
  const n = a.cols;
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < a.rows; i++) s += Math.abs(a.data[i * n + j]);
    if (s > best || Number.isNaN(s)) best = s;
  }
  return best;
}

/** out = sum_k coef[k] * terms[k] (+ c0 * I), elementwise. */
function combine(n: number, coefs: readonly number[], terms: readonly Mat[], c0: number): Mat {
  const out = zeros(n, n);
  const o = out.data;
  for (let t = 0; t < terms.length; t++) {
    const c = coefs[t], d = terms[t].data;
    for (let i = 0; i < o.length; i++) o[i] += c * d[i];
  }
  for (let i = 0; i < n; i++) o[i * n + i] += c0;
  return out;
}

/**
 * exp(A) for a square matrix A.
 *
 * @example
 * expm(matFrom([[0, -Math.PI], [Math.PI, 0]])); // ~ [[-1, 0], [0, -1]]
 */
export function expm(a: Mat, be: Backend = defaultBackend()): Mat {
  assertSquare('expm: a', a);
  const n = a.rows;
  if (n === 0) return zeros(0, 0);
  const nrm = norm1(a);
  if (!Number.isFinite(nrm)) throw new LinalgError('expm: matrix contains NaN or infinity');
  const mul = (x: Mat, y: Mat): Mat => be.gemm(false, false, 1, x, y, 0, zeros(n, n));
  const a2 = mul(a, a);
  for (const [m, theta] of THETA) {
    if (nrm <= theta) {
      const b = PADE[m];
      const powers = [a2];
      for (let k = 2; k <= (m - 1) / 2; k++) powers.push(mul(powers[k - 2], a2));
      // U = A (b1 I + b3 A^2 + ...), V = b0 I + b2 A^2 + ...
      const uInner = combine(n, powers.map((_, k) => b[2 * k + 3]), powers, b[1]);
      const u = mul(a, uInner);
      const v = combine(n, powers.map((_, k) => b[2 * k + 2]), powers, b[0]);
      return padeQuotient(u, v, be);
    }
  }
  const s = Math.max(0, Math.ceil(Math.log2(nrm / THETA_13)));
  const f = 2 ** -s;
  const as = copy(a);
  for (let i = 0; i < as.data.length; i++) as.data[i] *= f;
  const f2 = f * f;
  const b2 = copy(a2);
  for (let i = 0; i < b2.data.length; i++) b2.data[i] *= f2;
  const b4 = mul(b2, b2);
  const b6 = mul(b2, b4);
  const b = PADE[13];
  const uInner = mul(b6, combine(n, [b[13], b[11], b[9]], [b6, b4, b2], 0));
  const uSum = combine(n, [1, b[7], b[5], b[3]], [uInner, b6, b4, b2], b[1]);
  const u = mul(as, uSum);
  const vInner = mul(b6, combine(n, [b[12], b[10], b[8]], [b6, b4, b2], 0));
  const v = combine(n, [1, b[6], b[4], b[2]], [vInner, b6, b4, b2], b[0]);
  let r = padeQuotient(u, v, be);
  for (let k = 0; k < s; k++) r = mul(r, r);
  return r;
}

/** (V - U)^-1 (V + U), the [m/m] Padé approximant. */
function padeQuotient(u: Mat, v: Mat, be: Backend): Mat {
  const n = u.rows;
  const p = zeros(n, n), q = zeros(n, n);
  for (let i = 0; i < p.data.length; i++) {
    p.data[i] = v.data[i] + u.data[i];
    q.data[i] = v.data[i] - u.data[i];
  }
  return be.gesv(q, p);
}
