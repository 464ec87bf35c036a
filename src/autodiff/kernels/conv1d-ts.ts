/**
 * Fast plain-TypeScript conv1d and its two adjoints, each as one matrix product run
 * by the packed micro-kernel of gemm-core.ts. The im2col matrix is never built in
 * full: its panels are packed straight from x (or dy) a chunk of columns at a time,
 * so the working set stays in cache.
 *
 *   forward        y  [O x (B*T)]  = W   [O x (I*K)]   im2col(x) [(I*K) x (B*T)]
 *   input adjoint  dx [I x (B*L)]  = W'  [I x (O*K)]   gather(dy)[(O*K) x (B*L)]
 *   weight adjoint dW [O x (I*K)]  = dY  [O x (B*T)]   im2col(x)^T
 *
 * Columns are ordered (batch, position) and reduction rows (channel, tap), matching the
 * row-major [*, C, K] weight layout, so W packs with a plain stride.
 */
import { BLOCK, KC, gemmPanels, packStrided, padded } from './gemm-core.js';
import { scratch } from './scratch.js';
import type { Conv1dGeometry, Floats } from './types.js';

/** Columns packed per chunk: 64 columns x KC rows of doubles = 128 KiB, an L2-sized bite. */
const NC = 64;

/**
 * Pack columns [n0, n0 + nc) of im2col(x) for reduction rows [p0, p0 + kc):
 * column (b, t), row (i, j) holds x[b, i, t*stride + j*dilation - padding] (0 outside).
 */
function packIm2col(x: Floats, g: Conv1dGeometry, n0: number, nc: number, p0: number, kc: number, dst: Float64Array): void {
  const { inChannels: I, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  const nCols = g.batch * T;
  let d = 0;
  for (let c0 = n0; c0 < n0 + nc; c0 += BLOCK) {
    for (let r = 0; r < BLOCK; r++) {
      const col = c0 + r;
      if (col >= nCols) {
        for (let p = 0; p < kc; p++) dst[d + p * BLOCK + r] = 0;
        continue;
      }
      const b = Math.floor(col / T);
      const start = (col - b * T) * stride - padding; // input position of tap 0
      let i = Math.floor(p0 / K);
      let j = p0 - i * K;
      let rowBase = (b * I + i) * L;
      for (let p = 0; p < kc; p++) {
        const s = start + j * dilation;
        dst[d + p * BLOCK + r] = s >= 0 && s < L ? x[rowBase + s] : 0;
        if (++j === K) {
          j = 0;
          rowBase += L;
        }
      }
    }
    d += BLOCK * kc;
  }
}

export function conv1dTs(x: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, outLength: T, kernelSize: K } = g;
  const nCols = batch * T;
  const k = I * K;
  if (nCols === 0 || O === 0) return;
  if (k === 0) return void out.fill(0, 0, batch * O * T);
  const mPad = padded(O);
  const nPad = padded(nCols);
  const pa = scratch('conv.a', mPad * Math.min(k, KC));
  const pb = scratch('conv.b', NC * Math.min(k, KC));
  const c = scratch('conv.c', mPad * nPad);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packStrided(w, 0, O, k, 1, p0, kc, pa);
    for (let n0 = 0; n0 < nPad; n0 += NC) {
      const nc = Math.min(NC, nPad - n0);
      packIm2col(x, g, n0, nc, p0, kc, pb);
      gemmPanels(pa, pb, mPad, nc, kc, c, n0, nPad, p0 > 0);
    }
  }
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < O; o++) {
      const dst = (b * O + o) * T;
      const src = o * nPad + b * T;
      for (let t = 0; t < T; t++) out[dst + t] = c[src + t];
    }
  }
}

/**
 * Pack columns [n0, n0 + nc) of the input-adjoint gather matrix for rows [p0, p0 + kc):
 * column (b, s), row (o, j) holds dy[b, o, t] where t*stride = s + padding - j*dilation
 * (0 when no such integer t in [0, T) exists).
 */
function packGather(dy: Floats, g: Conv1dGeometry, n0: number, nc: number, p0: number, kc: number, dst: Float64Array): void {
  const { outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  const nCols = g.batch * L;
  let d = 0;
  for (let c0 = n0; c0 < n0 + nc; c0 += BLOCK) {
    for (let r = 0; r < BLOCK; r++) {
      const col = c0 + r;
      if (col >= nCols) {
        for (let p = 0; p < kc; p++) dst[d + p * BLOCK + r] = 0;
        continue;
      }
      const b = Math.floor(col / L);
      const shifted = col - b * L + padding; // s + padding
      let o = Math.floor(p0 / K);
      let j = p0 - o * K;
      let rowBase = (b * O + o) * T;
      for (let p = 0; p < kc; p++) {
        const num = shifted - j * dilation;
        let v = 0;
        if (num >= 0) {
          if (stride === 1) {
            if (num < T) v = dy[rowBase + num];
          } else if (num % stride === 0) {
            const t = num / stride;
            if (t < T) v = dy[rowBase + t];
          }
        }
        dst[d + p * BLOCK + r] = v;
        if (++j === K) {
          j = 0;
          rowBase += T;
        }
      }
    }
    d += BLOCK * kc;
  }
}

export function conv1dInputAdjointTs(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, kernelSize: K } = g;
  const nCols = batch * L;
  const k = O * K;
  if (nCols === 0 || I === 0) return;
  if (k === 0) return void out.fill(0, 0, batch * I * L);
  // W'[i, (o, j)] = w[o, i, j]: transpose the (small) weight once so that it packs with a stride.
  const wt = scratch('convIn.wt', I * k);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      for (let j = 0; j < K; j++) wt[i * k + o * K + j] = w[(o * I + i) * K + j];
    }
  }
  const mPad = padded(I);
  const nPad = padded(nCols);
  const pa = scratch('conv.a', mPad * Math.min(k, KC));
  const pb = scratch('conv.b', NC * Math.min(k, KC));
  const c = scratch('conv.c', mPad * nPad);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packStrided(wt, 0, I, k, 1, p0, kc, pa);
    for (let n0 = 0; n0 < nPad; n0 += NC) {
      const nc = Math.min(NC, nPad - n0);
      packGather(dy, g, n0, nc, p0, kc, pb);
      gemmPanels(pa, pb, mPad, nc, kc, c, n0, nPad, p0 > 0);
    }
  }
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < I; i++) {
      const dst = (b * I + i) * L;
      const src = i * nPad + b * L;
      for (let s = 0; s < L; s++) out[dst + s] = c[src + s];
    }
  }
}

/** Pack rows [0, O) of dY [O x (B*T)] for reduction columns (b, t) in [p0, p0 + kc). */
function packDy(dy: Floats, g: Conv1dGeometry, p0: number, kc: number, dst: Float64Array): void {
  const { outChannels: O, outLength: T } = g;
  let d = 0;
  for (let o0 = 0; o0 < O; o0 += BLOCK) {
    for (let r = 0; r < BLOCK; r++) {
      const o = o0 + r;
      if (o >= O) {
        for (let p = 0; p < kc; p++) dst[d + p * BLOCK + r] = 0;
        continue;
      }
      let b = Math.floor(p0 / T);
      let t = p0 - b * T;
      let src = (b * O + o) * T + t;
      for (let p = 0; p < kc; p++) {
        dst[d + p * BLOCK + r] = dy[src++];
        if (++t === T) {
          t = 0;
          src += (O - 1) * T; // jump to the same channel of the next batch item
        }
      }
    }
    d += BLOCK * kc;
  }
}

/** Pack all columns (i, j) of im2col(x)^T for reduction rows (b, t) in [p0, p0 + kc). */
function packIm2colT(x: Floats, g: Conv1dGeometry, p0: number, kc: number, dst: Float64Array): void {
  const { inChannels: I, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  const nCols = I * K;
  let d = 0;
  for (let c0 = 0; c0 < nCols; c0 += BLOCK) {
    for (let r = 0; r < BLOCK; r++) {
      const col = c0 + r;
      if (col >= nCols) {
        for (let p = 0; p < kc; p++) dst[d + p * BLOCK + r] = 0;
        continue;
      }
      const i = Math.floor(col / K);
      const tap = (col - i * K) * dilation - padding; // s = t*stride + tap
      let b = Math.floor(p0 / T);
      let t = p0 - b * T;
      let rowBase = (b * I + i) * L;
      for (let p = 0; p < kc; p++) {
        const s = t * stride + tap;
        dst[d + p * BLOCK + r] = s >= 0 && s < L ? x[rowBase + s] : 0;
        if (++t === T) {
          t = 0;
          rowBase += I * L;
        }
      }
    }
    d += BLOCK * kc;
  }
}

export function conv1dWeightAdjointTs(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, outLength: T, kernelSize: K } = g;
  const n = I * K;
  const k = batch * T;
  if (n === 0 || O === 0) return;
  if (k === 0) return void out.fill(0, 0, O * n);
  const mPad = padded(O);
  const nPad = padded(n);
  const pa = scratch('conv.a', mPad * Math.min(k, KC));
  const pb = scratch('conv.b', nPad * Math.min(k, KC));
  const c = scratch('conv.c', mPad * nPad);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packDy(dy, g, p0, kc, pa);
    packIm2colT(x, g, p0, kc, pb);
    gemmPanels(pa, pb, mPad, nPad, kc, c, 0, nPad, p0 > 0);
  }
  for (let o = 0; o < O; o++) {
    for (let col = 0; col < n; col++) out[o * n + col] = c[o * nPad + col];
  }
}
