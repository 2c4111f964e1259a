import { type Mat, assertShape } from '../mat.js';

/*
 * GEMM in the Goto/BLIS layout: op(B) is packed into KC x NC panels of NR-wide
 * column strips, op(A) into MC x KC blocks of MR-tall row strips, both stored
 * k-major so that the micro-kernel reads them sequentially. The micro-kernel keeps
 * an MR x NR tile of C in local variables (V8 keeps them in registers). Packing
 * also absorbs the transpose flags, so one kernel serves all four cases.
 */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 1024;
/** Below this many multiply-adds, packing costs more than it saves. */
const SMALL = 32 * 32 * 32;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);

/**
 * C <- alpha op(A) op(B) + beta C, with op(X) = X or X^T. Returns C.
 *
 * @example
 * const c = zeros(2, 2);
 * gemm(false, true, 1, a, b, 0, c); // c = a b^T
 */
export function gemm(transA: boolean, transB: boolean, alpha: number, a: Mat, b: Mat, beta: number, c: Mat): Mat {
  // No [rows, cols] pairs: this runs at every step of tiny models, where they would be its only allocation.
  const m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows, n = transB ? b.rows : b.cols;
  if (kb !== k) {
    throw new RangeError(`gemm: inner dimensions differ: op(A) is ${m}x${k}, op(B) is ${kb}x${n}`);
  }
  assertShape('gemm: C', c, m, n);
  const cd = c.data;
  if (beta === 0) cd.fill(0);
  else if (beta !== 1) for (let i = 0; i < cd.length; i++) cd[i] *= beta;
  if (alpha === 0 || k === 0 || m === 0 || n === 0) return c;
  if (m * n * k <= SMALL) smallGemm(transA, transB, alpha, a, b, c, m, n, k);
  else blockedGemm(transA, transB, alpha, a, b, c, m, n, k);
  return c;
}

/** Plain loops in the i-k-j order, which stream rows of B and C. */
function smallGemm(transA: boolean, transB: boolean, alpha: number, a: Mat, b: Mat, c: Mat, m: number, n: number, k: number): void {
  const ad = a.data, bd = b.data, cd = c.data;
  const lda = a.cols, ldb = b.cols;
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = alpha * (transA ? ad[p * lda + i] : ad[i * lda + p]);
      if (aip === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) cd[ci + j] += aip * bd[j * ldb + p];
      } else {
        const bp = p * ldb;
        for (let j = 0; j < n; j++) cd[ci + j] += aip * bd[bp + j];
      }
    }
  }
}

function blockedGemm(transA: boolean, transB: boolean, alpha: number, a: Mat, b: Mat, c: Mat, m: number, n: number, k: number): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelB(transB, b, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packBlockA(transA, a, ic, mc, pc, kc, alpha);
        macroKernel(c, ic, mc, jc, nc, kc, n);
      }
    }
  }
}

/** Packs rows [i0, i0+mc) x cols [p0, p0+kc) of alpha*op(A) into MR-tall strips, zero-padded. */
function packBlockA(trans: boolean, a: Mat, i0: number, mc: number, p0: number, kc: number, alpha: number): void {
  const strips = Math.ceil(mc / MR);
  const need = strips * MR * kc;
  if (packA.length < need) packA = new Float64Array(need);
  const dst = packA, src = a.data, lda = a.cols;
  let o = 0;
  for (let s = 0; s < strips; s++) {
    const r0 = i0 + s * MR;
    const rows = Math.min(MR, i0 + mc - r0);
    for (let p = 0; p < kc; p++) {
      const col = p0 + p;
      for (let r = 0; r < MR; r++) {
        dst[o++] = r < rows ? alpha * (trans ? src[col * lda + r0 + r] : src[(r0 + r) * lda + col]) : 0;
      }
    }
  }
}

/** Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-wide strips, zero-padded. */
function packPanelB(trans: boolean, b: Mat, p0: number, kc: number, j0: number, nc: number): void {
  const strips = Math.ceil(nc / NR);
  const need = strips * NR * kc;
  if (packB.length < need) packB = new Float64Array(need);
  const dst = packB, src = b.data, ldb = b.cols;
  let o = 0;
  for (let s = 0; s < strips; s++) {
    const c0 = j0 + s * NR;
    const cols = Math.min(NR, j0 + nc - c0);
    for (let p = 0; p < kc; p++) {
      const row = p0 + p;
      if (!trans && cols === NR) {
        const base = row * ldb + c0;
        dst[o] = src[base];
        dst[o + 1] = src[base + 1];
        dst[o + 2] = src[base + 2];
        dst[o + 3] = src[base + 3];
        o += NR;
        continue;
      }
      for (let q = 0; q < NR; q++) {
        dst[o++] = q < cols ? (trans ? src[(c0 + q) * ldb + row] : src[row * ldb + c0 + q]) : 0;
      }
    }
  }
}

function macroKernel(c: Mat, i0: number, mc: number, j0: number, nc: number, kc: number, ldc: number): void {
  const cd = c.data;
  const A = packA, B = packB;
  for (let js = 0; js * NR < nc; js++) {
    const jj = j0 + js * NR;
    const cols = Math.min(NR, j0 + nc - jj);
    const pb = js * NR * kc;
    for (let is = 0; is * MR < mc; is++) {
      const ii = i0 + is * MR;
      const rows = Math.min(MR, i0 + mc - ii);
      let pa = is * MR * kc;
      let qb = pb;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < kc; p++) {
        const b0 = B[qb], b1 = B[qb + 1], b2 = B[qb + 2], b3 = B[qb + 3];
        let av = A[pa];
        c00 += av * b0; c01 += av * b1; c02 += av * b2; c03 += av * b3;
        av = A[pa + 1];
        c10 += av * b0; c11 += av * b1; c12 += av * b2; c13 += av * b3;
        av = A[pa + 2];
        c20 += av * b0; c21 += av * b1; c22 += av * b2; c23 += av * b3;
        av = A[pa + 3];
        c30 += av * b0; c31 += av * b1; c32 += av * b2; c33 += av * b3;
        pa += MR;
        qb += NR;
      }
      if (rows === MR && cols === NR) {
        let o = ii * ldc + jj;
        cd[o] += c00; cd[o + 1] += c01; cd[o + 2] += c02; cd[o + 3] += c03;
        o += ldc;
        cd[o] += c10; cd[o + 1] += c11; cd[o + 2] += c12; cd[o + 3] += c13;
        o += ldc;
        cd[o] += c20; cd[o + 1] += c21; cd[o + 2] += c22; cd[o + 3] += c23;
        o += ldc;
        cd[o] += c30; cd[o + 1] += c31; cd[o + 2] += c32; cd[o + 3] += c33;
      } else {
        const tile = edgeTile;
        tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
        tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
        tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
        tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
        for (let r = 0; r < rows; r++) {
          for (let q = 0; q < cols; q++) cd[(ii + r) * ldc + jj + q] += tile[r * NR + q];
        }
      }
    }
  }
}

const edgeTile = new Float64Array(MR * NR);

/**
 * y <- alpha op(A) x + beta y. Returns y.
 *
 * @example
 * gemv(true, 1, a, x, 0, y); // y = a^T x
 */
export function gemv(trans: boolean, alpha: number, a: Mat, x: Float64Array, beta: number, y: Float64Array): Float64Array {
  const m = a.rows, n = a.cols;
  const [xn, yn] = trans ? [m, n] : [n, m];
  if (x.length !== xn) throw new RangeError(`gemv: x: expected length ${xn}, got ${x.length}`);
  if (y.length !== yn) throw new RangeError(`gemv: y: expected length ${yn}, got ${y.length}`);
  if (beta === 0) y.fill(0);
  else if (beta !== 1) for (let i = 0; i < yn; i++) y[i] *= beta;
  if (alpha === 0) return y;
  const ad = a.data;
  if (!trans) {
    // Dot products of contiguous rows; two accumulators break the add dependency chain.
    for (let i = 0; i < m; i++) {
      const r = i * n;
      let s0 = 0, s1 = 0;
      let j = 0;
      for (; j + 1 < n; j += 2) {
        s0 += ad[r + j] * x[j];
        s1 += ad[r + j + 1] * x[j + 1];
      }
      if (j < n) s0 += ad[r + j] * x[j];
      y[i] += alpha * (s0 + s1);
    }
  } else {
    // y += x_i * row_i, four rows at a time so that y is read and written once per four rows.
    let i = 0;
    for (; i + 3 < m; i += 4) {
      const x0 = alpha * x[i], x1 = alpha * x[i + 1], x2 = alpha * x[i + 2], x3 = alpha * x[i + 3];
      const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      for (let j = 0; j < n; j++) y[j] += x0 * ad[r0 + j] + x1 * ad[r1 + j] + x2 * ad[r2 + j] + x3 * ad[r3 + j];
    }
    for (; i < m; i++) {
      const xi = alpha * x[i], r = i * n;
      for (let j = 0; j < n; j++) y[j] += xi * ad[r + j];
    }
  }
  return y;
}
