/**
 * The one fast inner loop that every `ts` kernel shares: C = A B on packed panels
 * with a 4 x 4 register block.
 *
 * Why packing: the 16 running sums of a 4 x 4 tile of C stay in registers while we
 * stream one 4-row panel of A and one 4-column panel of B, both stored as
 * consecutive groups of 4 per step of the reduction. Reading two contiguous arrays is
 * what makes plain JS fast (about 5-6 GFLOP/s here versus ~1.2 for the naive triple
 * loop). Because the packing step reads the operands through any index map, the same
 * micro-kernel serves A B, A^T B, A B^T, A^T B^T, and the convolutions (whose "B" is an
 * implicit im2col matrix that is never materialized beyond one panel block).
 *
 * Layout of a packed operand with `rows` rows and reduction block [p0, p0 + kc):
 * panel q (rows 4q..4q+3) lives at dst[q*4*kc ..], element (row 4q+r, p) at
 * dst[q*4*kc + (p-p0)*4 + r]. Rows past the end are zero, so the micro-kernel never
 * needs column edge cases; C is stored with nPad columns.
 */
import { wasmGemmPanels } from './wasm/runtime.js';

/**
 * Which micro-kernel `gemmPanels` runs: this file's JavaScript tiles, or the same tiles in
 * WebAssembly SIMD (wasm/gemm.ts), which backends select around each call (see index.ts).
 */
export type MicroKernel = 'js' | 'wasm';
let microKernel: MicroKernel = 'js';

/** Run `f` with the given micro-kernel, restoring the previous one after. */
export function withMicroKernel<T>(kernel: MicroKernel, f: () => T): T {
  const previous = microKernel;
  microKernel = kernel;
  try {
    return f();
  } finally {
    microKernel = previous;
  }
}

/** Register-block size (rows of A and columns of B per micro-kernel call). */
export const BLOCK = 4;
/** Reduction block: keeps one B panel (4 * KC doubles = 8 KiB) in L1 while all A panels stream from L2. */
export const KC = 256;

/** Round up to a multiple of BLOCK. */
export function padded(rows: number): number {
  return Math.ceil(rows / BLOCK) * BLOCK;
}

/**
 * Pack rows [0, rows) of a strided operand for the reduction block [p0, p0 + kc):
 * element (row i, reduction index p) is src[off + i*rowStride + p*colStride].
 */
export function packStrided(
  src: Float64Array | Float32Array, off: number, rows: number, rowStride: number, colStride: number,
  p0: number, kc: number, dst: Float64Array,
): void {
  let d = 0;
  for (let i0 = 0; i0 < rows; i0 += BLOCK) {
    const live = Math.min(BLOCK, rows - i0);
    const base = off + i0 * rowStride + p0 * colStride;
    if (live === BLOCK) {
      for (let p = 0, s = base; p < kc; p++, s += colStride) {
        dst[d] = src[s];
        dst[d + 1] = src[s + rowStride];
        dst[d + 2] = src[s + 2 * rowStride];
        dst[d + 3] = src[s + 3 * rowStride];
        d += 4;
      }
    } else {
      for (let p = 0, s = base; p < kc; p++, s += colStride) {
        for (let r = 0; r < BLOCK; r++) dst[d + r] = r < live ? src[s + r * rowStride] : 0;
        d += 4;
      }
    }
  }
}

/**
 * C (+)= Apacked * Bpacked^T over one reduction block of length kc, for the first m
 * rows of packed A and nPad columns of packed B; column j of this call lands in
 * c[cOff + row*ldc + j]. Rows of C at or past m are left untouched.
 * `accumulate` false overwrites C (first block), true adds to it (later blocks).
 * Loop order: one B panel (4 columns) stays hot in L1 while every A panel passes by.
 * A last, partial A panel runs row by row, so a 1-row product (a conv with one
 * output channel) does not pay for 4.
 */
export function gemmPanels(
  pa: Float64Array, pb: Float64Array, m: number, nPad: number, kc: number,
  c: Float64Array, cOff: number, ldc: number, accumulate: boolean,
): void {
  if (microKernel === 'wasm' && wasmGemmPanels(pa, pb, m, nPad, kc, c, cOff, ldc, accumulate)) return;
  const panelLen = BLOCK * kc;
  const mFull = m - (m % BLOCK);
  for (let j0 = 0; j0 < nPad; j0 += BLOCK) {
    const ib = (j0 / BLOCK) * panelLen;
    for (let i0 = 0; i0 < mFull; i0 += BLOCK) {
      tile4x4(pa, (i0 / BLOCK) * panelLen, pb, ib, kc, c, cOff + i0 * ldc + j0, ldc, accumulate);
    }
    for (let i = mFull; i < m; i++) {
      tile1x4(pa, (mFull / BLOCK) * panelLen + (i - mFull), pb, ib, kc, c, cOff + i * ldc + j0, accumulate);
    }
  }
}

/** One row of a partial A panel against one B panel: 4 sums. */
function tile1x4(
  pa: Float64Array, ia: number, pb: Float64Array, ib: number, kc: number,
  c: Float64Array, co: number, accumulate: boolean,
): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (let p = 0; p < kc; p++) {
    const a = pa[ia];
    c0 += a * pb[ib]; c1 += a * pb[ib + 1]; c2 += a * pb[ib + 2]; c3 += a * pb[ib + 3];
    ia += 4;
    ib += 4;
  }
  if (accumulate) {
    c[co] += c0; c[co + 1] += c1; c[co + 2] += c2; c[co + 3] += c3;
  } else {
    c[co] = c0; c[co + 1] = c1; c[co + 2] = c2; c[co + 3] = c3;
  }
}

/** One 4 x 4 tile: 16 sums in locals (registers), 8 loads per 16 multiply-adds. */
function tile4x4(
  pa: Float64Array, ia: number, pb: Float64Array, ib: number, kc: number,
  c: Float64Array, co: number, ldc: number, accumulate: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3];
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ia += 4;
    ib += 4;
  }
  if (accumulate) {
    c[co] += c00; c[co + 1] += c01; c[co + 2] += c02; c[co + 3] += c03; co += ldc;
    c[co] += c10; c[co + 1] += c11; c[co + 2] += c12; c[co + 3] += c13; co += ldc;
    c[co] += c20; c[co + 1] += c21; c[co + 2] += c22; c[co + 3] += c23; co += ldc;
    c[co] += c30; c[co + 1] += c31; c[co + 2] += c32; c[co + 3] += c33;
  } else {
    c[co] = c00; c[co + 1] = c01; c[co + 2] = c02; c[co + 3] = c03; co += ldc;
    c[co] = c10; c[co + 1] = c11; c[co + 2] = c12; c[co + 3] = c13; co += ldc;
    c[co] = c20; c[co + 1] = c21; c[co + 2] = c22; c[co + 3] = c23; co += ldc;
    c[co] = c30; c[co + 1] = c31; c[co + 2] = c32; c[co + 3] = c33;
  }
}
