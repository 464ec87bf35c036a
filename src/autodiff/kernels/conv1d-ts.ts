/**
 * Fast plain-TypeScript conv1d and its two adjoints, each as one matrix product run
 * by the packed micro-kernel of gemm-core.ts. The im2col matrix is never built in
 * full: its panels are packed straight from x (or dy) a chunk of columns at a time,
 * so the working set stays in cache.
 *
 *   forward        y  [O x (B*T)]  = W   [O x (I*K)]   im2col(x) [(I*K) x (B*T)]
 *   input adjoint  dx [I x (B*L)]  = W'  [I x (O*K)]   gather(dy)[(O*K) x (B*L)]   (per stride phase)
 *   weight adjoint dW [O x (I*K)]  = dY  [O x (B*T)]   im2col(x)^T
 *
 * Columns are ordered (batch, position) and reduction rows (channel, tap), matching the
 * row-major [*, C, K] weight layout, so W packs with a plain stride. Products with
 * fewer than 4 rows (a single output or input channel) go to conv1d-direct.ts instead.
 */
import { conv1dDirect, conv1dInputAdjointDirect, conv1dWeightAdjointDirect } from './conv1d-direct.js';
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
    const b = Math.floor(c0 / T);
    const t0 = c0 - b * T;
    if (c0 + BLOCK <= nCols && t0 + BLOCK <= T) {
      // Common case: the 4 columns are positions t0..t0+3 of one batch item, so each
      // row reads x at s, s + stride, s + 2*stride, s + 3*stride.
      const start = t0 * stride - padding;
      const last = 3 * stride;
      let i = Math.floor(p0 / K);
      let j = p0 - i * K;
      let rowBase = (b * I + i) * L;
      for (let p = 0; p < kc; p++, d += BLOCK) {
        const s = start + j * dilation;
        if (s >= 0 && s + last < L) {
          const e = rowBase + s;
          dst[d] = x[e];
          dst[d + 1] = x[e + stride];
          dst[d + 2] = x[e + 2 * stride];
          dst[d + 3] = x[e + last];
        } else {
          for (let r = 0, sr = s; r < BLOCK; r++, sr += stride) dst[d + r] = sr >= 0 && sr < L ? x[rowBase + sr] : 0;
        }
        if (++j === K) {
          j = 0;
          rowBase += L;
        }
      }
      continue;
    }
    // The panel straddles two batch items or the end: one column at a time.
    for (let r = 0; r < BLOCK; r++) {
      const col = c0 + r;
      if (col >= nCols) {
        for (let p = 0; p < kc; p++) dst[d + p * BLOCK + r] = 0;
        continue;
      }
      const bc = Math.floor(col / T);
      const start = (col - bc * T) * stride - padding; // input position of tap 0
      let i = Math.floor(p0 / K);
      let j = p0 - i * K;
      let rowBase = (bc * I + i) * L;
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
  if (O < BLOCK) return conv1dDirect(x, w, out, g);
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
      gemmPanels(pa, pb, O, nc, kc, c, n0, nPad, p0 > 0);
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
 * The input adjoint with stride S splits into S independent "phases": the positions s
 * with (s + padding) % S = phase receive only the taps j with (j*dilation) % S = phase,
 * each from t = (s + padding - j*dilation) / S. Running one matrix product per phase
 * skips the (S-1)/S of zero terms a single gather over all taps would multiply, which
 * halves the work of ConvTranspose1d(4, 2, 1) and of the stride-2 downsampling's backward.
 */
interface Phase {
  /** first position s of this phase, and how many there are (s = first + q*stride) */
  first: number;
  count: number;
  /** the taps j that reach this phase */
  taps: number[];
}

function phases(g: Conv1dGeometry): Phase[] {
  const { inLength: L, kernelSize: K, stride: S, padding, dilation } = g;
  const out: Phase[] = [];
  for (let phase = 0; phase < S; phase++) {
    const first = (((phase - padding) % S) + S) % S;
    const count = first < L ? Math.ceil((L - first) / S) : 0;
    const taps: number[] = [];
    for (let j = 0; j < K; j++) if ((j * dilation) % S === phase) taps.push(j);
    out.push({ first, count, taps });
  }
  return out;
}

/**
 * Pack columns [n0, n0 + nc) of one phase's gather matrix for rows [p0, p0 + kc):
 * column (b, q) is position s = first + q*stride of batch item b; row (o, jj) holds
 * dy[b, o, t] with t = (s + padding - taps[jj]*dilation) / stride (0 outside [0, T)).
 */
function packGather(
  dy: Floats, g: Conv1dGeometry, ph: Phase, n0: number, nc: number, p0: number, kc: number, dst: Float64Array,
): void {
  const { outChannels: O, outLength: T, stride, dilation, padding } = g;
  const nt = ph.taps.length;
  const nCols = g.batch * ph.count;
  let d = 0;
  for (let c0 = n0; c0 < n0 + nc; c0 += BLOCK) {
    const b0 = Math.floor(c0 / ph.count);
    const q0 = c0 - b0 * ph.count;
    if (c0 + BLOCK <= nCols && q0 + BLOCK <= ph.count) {
      // Common case: 4 consecutive positions of one batch item read 4 consecutive t.
      const shifted = ph.first + q0 * stride + padding;
      let o = Math.floor(p0 / nt);
      let jj = p0 - o * nt;
      let rowBase = (b0 * O + o) * T;
      for (let p = 0; p < kc; p++, d += BLOCK) {
        const t = ((shifted - ph.taps[jj]! * dilation) / stride) | 0;
        if (t >= 0 && t + 3 < T) {
          const e = rowBase + t;
          dst[d] = dy[e];
          dst[d + 1] = dy[e + 1];
          dst[d + 2] = dy[e + 2];
          dst[d + 3] = dy[e + 3];
        } else {
          for (let r = 0; r < BLOCK; r++) dst[d + r] = t + r >= 0 && t + r < T ? dy[rowBase + t + r] : 0;
        }
        if (++jj === nt) {
          jj = 0;
          rowBase += T;
        }
      }
      continue;
    }
    // The panel straddles two batch items or the end: one column at a time.
    for (let r = 0; r < BLOCK; r++) {
      const col = c0 + r;
      if (col >= nCols) {
        for (let p = 0; p < kc; p++) dst[d + p * BLOCK + r] = 0;
        continue;
      }
      const b = Math.floor(col / ph.count);
      const s = ph.first + (col - b * ph.count) * stride;
      let o = Math.floor(p0 / nt);
      let jj = p0 - o * nt;
      let rowBase = (b * O + o) * T;
      for (let p = 0; p < kc; p++) {
        const t = ((s + padding - ph.taps[jj]! * dilation) / stride) | 0; // exact: the phase makes it divisible
        dst[d + p * BLOCK + r] = t >= 0 && t < T ? dy[rowBase + t] : 0;
        if (++jj === nt) {
          jj = 0;
          rowBase += T;
        }
      }
    }
    d += BLOCK * kc;
  }
}

export function conv1dInputAdjointTs(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, kernelSize: K, stride } = g;
  if (batch * L === 0 || I === 0) return;
  if (I < BLOCK) return conv1dInputAdjointDirect(dy, w, out, g);
  for (const ph of phases(g)) {
    const nt = ph.taps.length;
    const k = O * nt;
    const nCols = batch * ph.count;
    if (nCols === 0) continue;
    const nPad = padded(nCols);
    const c = scratch('conv.c', padded(I) * nPad);
    if (k === 0) {
      c.fill(0, 0, I * nPad);
    } else {
      // W'[i, (o, jj)] = w[o, i, taps[jj]]: gather this phase's weights once so they pack with a stride.
      const wt = scratch('convIn.wt', I * k);
      for (let o = 0; o < O; o++) {
        for (let i = 0; i < I; i++) {
          for (let jj = 0; jj < nt; jj++) wt[i * k + o * nt + jj] = w[(o * I + i) * K + ph.taps[jj]!];
        }
      }
      const pa = scratch('conv.a', padded(I) * Math.min(k, KC));
      const pb = scratch('conv.b', NC * Math.min(k, KC));
      for (let p0 = 0; p0 < k; p0 += KC) {
        const kc = Math.min(KC, k - p0);
        packStrided(wt, 0, I, k, 1, p0, kc, pa);
        for (let n0 = 0; n0 < nPad; n0 += NC) {
          const nc = Math.min(NC, nPad - n0);
          packGather(dy, g, ph, n0, nc, p0, kc, pb);
          gemmPanels(pa, pb, I, nc, kc, c, n0, nPad, p0 > 0);
        }
      }
    }
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < I; i++) {
        const src = i * nPad + b * ph.count;
        let dst = (b * I + i) * L + ph.first;
        for (let q = 0; q < ph.count; q++, dst += stride) out[dst] = c[src + q];
      }
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
    // Column r of this panel is (channel i_r, tap j_r): x offset i_r*L and position shift j_r*dilation - padding.
    // A column past the end gets an empty valid range (lo = L), so it packs zeros.
    let chan0 = 0, chan1 = 0, chan2 = 0, chan3 = 0;
    let tap0 = L, tap1 = L, tap2 = L, tap3 = L;
    for (let r = 0; r < BLOCK && c0 + r < nCols; r++) {
      const i = Math.floor((c0 + r) / K);
      const chan = i * L, tap = (c0 + r - i * K) * dilation - padding;
      if (r === 0) { chan0 = chan; tap0 = tap; } else if (r === 1) { chan1 = chan; tap1 = tap; }
      else if (r === 2) { chan2 = chan; tap2 = tap; } else { chan3 = chan; tap3 = tap; }
    }
    let b = Math.floor(p0 / T);
    let t = p0 - b * T;
    let batchBase = b * I * L;
    for (let p = 0; p < kc; p++, d += BLOCK) {
      const s = t * stride;
      const s0 = s + tap0, s1 = s + tap1, s2 = s + tap2, s3 = s + tap3;
      dst[d] = s0 >= 0 && s0 < L ? x[batchBase + chan0 + s0] : 0;
      dst[d + 1] = s1 >= 0 && s1 < L ? x[batchBase + chan1 + s1] : 0;
      dst[d + 2] = s2 >= 0 && s2 < L ? x[batchBase + chan2 + s2] : 0;
      dst[d + 3] = s3 >= 0 && s3 < L ? x[batchBase + chan3 + s3] : 0;
      if (++t === T) {
        t = 0;
        batchBase += I * L;
      }
    }
  }
}

export function conv1dWeightAdjointTs(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, outLength: T, kernelSize: K } = g;
  const n = I * K;
  const k = batch * T;
  if (n === 0 || O === 0) return;
  if (k === 0) return void out.fill(0, 0, O * n);
  if (O < BLOCK) return conv1dWeightAdjointDirect(x, dy, out, g);
  const mPad = padded(O);
  const nPad = padded(n);
  const pa = scratch('conv.a', mPad * Math.min(k, KC));
  const pb = scratch('conv.b', nPad * Math.min(k, KC));
  const c = scratch('conv.c', mPad * nPad);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packDy(dy, g, p0, kc, pa);
    packIm2colT(x, g, p0, kc, pb);
    gemmPanels(pa, pb, O, nPad, kc, c, 0, nPad, p0 > 0);
  }
  for (let o = 0; o < O; o++) {
    for (let col = 0; col < n; col++) out[o * n + col] = c[o * nPad + col];
  }
}
