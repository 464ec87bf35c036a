/**
 * Direct (unpacked) conv1d loops for the layers whose matrix product has fewer than 4
 * rows: one output channel (the U-Net's final convs) or, for the input adjoint, one
 * input channel (its first conv). There the 4 x 4 micro-kernel would idle 3/4 of its
 * lanes and packing the im2col panels would cost as much as the arithmetic, so plain
 * loops over contiguous positions win. Each tap's valid range of t is computed once
 * (validRange), so the inner loops carry no bounds checks.
 */
import { scratch } from './scratch.js';
import type { Conv1dGeometry, Floats } from './types.js';

/** The t in [lo, hi) for which s = t*stride + offset lies in [0, L). */
function validRange(offset: number, stride: number, L: number, T: number): [number, number] {
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hi = Math.min(T, Math.floor((L - 1 - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

export function conv1dDirect(x: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  const acc = scratch('direct.acc', T);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < O; o++) {
      acc.fill(0, 0, T);
      for (let i = 0; i < I; i++) {
        const xRow = (b * I + i) * L;
        for (let j = 0; j < K; j++) {
          const wv = w[(o * I + i) * K + j];
          const offset = j * dilation - padding;
          const [lo, hi] = validRange(offset, stride, L, T);
          for (let t = lo, s = xRow + lo * stride + offset; t < hi; t++, s += stride) acc[t] += wv * x[s];
        }
      }
      const yRow = (b * O + o) * T;
      for (let t = 0; t < T; t++) out[yRow + t] = acc[t];
    }
  }
}

export function conv1dInputAdjointDirect(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  const acc = scratch('direct.acc', L);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < I; i++) {
      acc.fill(0, 0, L);
      for (let o = 0; o < O; o++) {
        const dyRow = (b * O + o) * T;
        for (let j = 0; j < K; j++) {
          const wv = w[(o * I + i) * K + j];
          const offset = j * dilation - padding;
          const [lo, hi] = validRange(offset, stride, L, T);
          // scatter: position s = t*stride + offset receives dy[b, o, t] * w[o, i, j]
          for (let t = lo, s = lo * stride + offset; t < hi; t++, s += stride) acc[s] += wv * dy[dyRow + t];
        }
      }
      const xRow = (b * I + i) * L;
      for (let s = 0; s < L; s++) out[xRow + s] = acc[s];
    }
  }
}

export function conv1dWeightAdjointDirect(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      for (let j = 0; j < K; j++) {
        const offset = j * dilation - padding;
        const [lo, hi] = validRange(offset, stride, L, T);
        let sum = 0;
        for (let b = 0; b < batch; b++) {
          const dyRow = (b * O + o) * T;
          for (let t = lo, s = (b * I + i) * L + lo * stride + offset; t < hi; t++, s += stride) sum += dy[dyRow + t] * x[s];
        }
        out[(o * I + i) * K + j] = sum;
      }
    }
  }
}
