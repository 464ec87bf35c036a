/**
 * conv1d and its input adjoint on the window micro-kernel (wasm/window.ts): no im2col.
 *
 * The activation operand is copied once into a zero-padded buffer in WebAssembly memory, one
 * row per (batch item, channel); the kernel reads each im2col column block straight out of
 * it. Only the weights are packed (into the 4-row panels of gemm-core.ts). The im2col path of
 * conv1d-ts.ts instead packs every input value K times, in scalar JavaScript, which on the
 * U-Net cost more than the products themselves (measured: packIm2col + packGather ~9 % of an
 * L_Diff step against ~15 % for all the micro-kernel calls).
 *
 *   forward, stride 1     y[b, o, t]  = sum_{i,j} w[o,i,j] xpad[b, i, t + j*dil]
 *   input adjoint, phase  dx[b, i, s] = sum_{o,j in phase} w[o,i,j] dypad[b, o, q + c_j],  s = first + q*stride
 *
 * The input adjoint keeps the per-stride-phase split of conv1d-ts.ts (each phase a stride-1
 * correlation over dy with that phase's taps, offsets c_j stepping down by a constant), so
 * ConvTranspose1d(4, 2, 1) does no multiplications by the zeros between upsampled samples.
 *
 * Both return false (and the caller uses conv1d-ts.ts) where this formulation does not apply:
 * a strided forward conv (whose columns are not contiguous), or WebAssembly memory too small.
 * Results equal the reference to rounding: each output is one float64 sum over (channel, tap)
 * in order, as in the reference loops; only float32 inputs are widened on the copy.
 */
import { BLOCK, padded } from './gemm-core.js';
import { scratch } from './scratch.js';
import type { Conv1dGeometry, Floats } from './types.js';
import { WGRAD_TAPS } from './wasm/wgrad.js';
import { inArena, wasmWgrad, wasmWindow } from './wasm/runtime.js';

let windowCalls = 0;
/** How many conv calls ran on the window kernel (tests use it to check the path is taken). */
export function windowCallCount(): number {
  return windowCalls;
}

/**
 * Copy rows of `src` ([rows, L]) into `dst` rows of `rowLen`: dst[r, u] = src[r, u - left]
 * inside the row, 0 outside. `left` may be negative (the row starts inside src).
 */
function padRows(src: Floats, rows: number, L: number, left: number, rowLen: number, dst: Float64Array): void {
  const lo = Math.min(rowLen, Math.max(0, left)); // first u with a source value
  const hi = Math.min(rowLen, L + left); // one past the last
  for (let r = 0; r < rows; r++) {
    const d = r * rowLen;
    const s = r * L - left;
    for (let u = 0; u < lo; u++) dst[d + u] = 0;
    for (let u = lo; u < hi; u++) dst[d + u] = src[s + u];
    for (let u = Math.max(lo, hi); u < rowLen; u++) dst[d + u] = 0;
  }
}

/** C [batch, mPad, nPad] (in wasm memory) -> out [batch, m, n], dropping the padding. */
function unpad(c: Float64Array, batch: number, m: number, mPad: number, n: number, nPad: number, out: Floats): void {
  if (m === mPad && n === nPad) {
    out.set(c.subarray(0, batch * m * n));
    return;
  }
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < m; i++) {
      const src = (b * mPad + i) * nPad;
      const dst = (b * m + i) * n;
      for (let t = 0; t < n; t++) out[dst + t] = c[src + t];
    }
  }
}

export function conv1dWindow(x: Floats, w: Floats, out: Floats, g: Conv1dGeometry): boolean {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  const kernel = wasmWindow();
  if (kernel === null || stride !== 1) return false;
  const tPad = padded(T);
  const oPad = padded(O);
  const rowLen = tPad + (K - 1) * dilation; // the last column tile reads up to tPad - 1 + (K - 1) dil
  const steps = I * K;
  const pa = scratch('window.a', oPad * steps);
  const xp = scratch('window.x', batch * I * rowLen);
  const c = scratch('window.c', batch * oPad * tPad);
  if (!inArena(pa) || !inArena(xp) || !inArena(c)) return false;
  // Weights: panel q holds rows 4q..4q+3, step p = (i, j) in order.
  for (let q = 0; q < oPad; q += BLOCK) {
    const base = q * steps;
    for (let r = 0; r < BLOCK; r++) {
      const o = q + r;
      for (let p = 0; p < steps; p++) pa[base + p * BLOCK + r] = o < O ? w[o * steps + p] : 0;
    }
  }
  padRows(x, batch * I, L, padding, rowLen, xp);
  windowCalls++;
  kernel(
    pa.byteOffset, BLOCK * steps * 8, oPad / BLOCK,
    xp.byteOffset, batch, I * rowLen * 8, tPad / BLOCK, BLOCK * 8,
    I, rowLen * 8, K, dilation * 8,
    c.byteOffset, oPad * tPad * 8, BLOCK * 8, tPad * 8, 0,
  );
  unpad(c, batch, O, oPad, T, tPad, out);
  return true;
}

export function conv1dInputAdjointWindow(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): boolean {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride: S, dilation, padding } = g;
  const kernel = wasmWindow();
  if (kernel === null) return false;
  const iPad = padded(I);
  for (let phase = 0; phase < S; phase++) {
    const first = (((phase - padding) % S) + S) % S;
    const count = first < L ? Math.ceil((L - first) / S) : 0;
    if (count === 0) continue;
    const taps: number[] = [];
    for (let j = 0; j < K; j++) if ((j * dilation) % S === phase) taps.push(j);
    if (taps.length === 0) {
      for (let b = 0; b < batch * I; b++) for (let q = 0; q < count; q++) out[b * L + first + q * S] = 0;
      continue;
    }
    // Position s = first + q S reads dy at t = q + c_k, c_k = (first + padding - taps[k] dil) / S,
    // which steps down by `delta` from tap to tap.
    const nt = taps.length;
    const cFirst = (first + padding - taps[0] * dilation) / S;
    const cLast = (first + padding - taps[nt - 1] * dilation) / S;
    const delta = nt > 1 ? (taps[1] - taps[0]) * dilation / S : 1;
    const qPad = padded(count);
    const rowLen = qPad + cFirst - cLast + BLOCK; // dypad[u] = dy[u + cLast]; +BLOCK: slack for the last tile
    const steps = O * nt;
    const pa = scratch('window.a', iPad * steps);
    const dp = scratch('window.x', batch * O * rowLen);
    const c = scratch('window.c', batch * iPad * qPad);
    if (!inArena(pa) || !inArena(dp) || !inArena(c)) return false;
    for (let q = 0; q < iPad; q += BLOCK) {
      const base = q * steps;
      for (let r = 0; r < BLOCK; r++) {
        const i = q + r;
        for (let o = 0; o < O; o++) {
          for (let k = 0; k < nt; k++) pa[base + (o * nt + k) * BLOCK + r] = i < I ? w[(o * I + i) * K + taps[k]] : 0;
        }
      }
    }
    padRows(dy, batch * O, T, -cLast, rowLen, dp);
    windowCalls++;
    kernel(
      pa.byteOffset, BLOCK * steps * 8, iPad / BLOCK,
      dp.byteOffset + (cFirst - cLast) * 8, batch, O * rowLen * 8, qPad / BLOCK, BLOCK * 8,
      O, rowLen * 8, nt, -delta * 8,
      c.byteOffset, iPad * qPad * 8, BLOCK * 8, qPad * 8, 0,
    );
    if (S === 1) {
      unpad(c, batch, I, iPad, L, qPad, out);
      continue;
    }
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < I; i++) {
        const src = (b * iPad + i) * qPad;
        let dst = (b * I + i) * L + first;
        for (let q = 0; q < count; q++, dst += S) out[dst] = c[src + q];
      }
    }
  }
  return true;
}


/**
 * The weight adjoint of a stride-1, dilation-1 conv1d on the wgrad kernels (wasm/wgrad.ts),
 * vectorized along positions: dy and x are copied (zero-padded) into WebAssembly memory and
 * nothing is packed. The K taps are covered by tiles of up to 4. Needs an even number of
 * output channels (tiles are channel pairs), and is used where it measured faster than the
 * packed product (rows of at least 16 positions, K >= 2); returns false otherwise.
 */
export function conv1dWeightAdjointWindow(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): boolean {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  if (wasmWgrad(1) === null || stride !== 1 || dilation !== 1 || O % 2 !== 0) return false;
  // Measured against the packed path (wasm gemm tile) at batch 64, float64, in ms:
  //   [24 -> 24, L 32, K 5]  0.67 vs 0.96     [24 -> 24, L 16, K 5]  0.35 vs 0.46
  //   [32 -> 32, L 8, K 5]   0.67 vs 0.67     [32 -> 32, L 4, K 5]   0.20 vs 0.17
  //   [24 -> 32, L 16, K 1]  0.21 vs 0.16
  // Short rows pay the per-row loop overhead, and K = 1 tiles load 3 vectors per 2 products.
  if (T < 16 || K < 2) return false;
  const tEven = T + (T % 2);
  const rowLen = tEven + K - 1; // the last pair of positions reads up to tEven - 1 + K - 1
  const oPairs = O / 2;
  const dp = scratch('window.a', batch * O * tEven);
  const xp = scratch('window.x', batch * I * rowLen);
  const c2 = scratch('window.c', I * O * WGRAD_TAPS * 2);
  if (!inArena(dp) || !inArena(xp) || !inArena(c2)) return false;
  padRows(dy, batch * O, T, 0, tEven, dp);
  padRows(x, batch * I, L, padding, rowLen, xp);
  windowCalls++;
  for (let j0 = 0; j0 < K; j0 += WGRAD_TAPS) {
    const n = Math.min(WGRAD_TAPS, K - j0);
    wasmWgrad(n)!(
      dp.byteOffset, xp.byteOffset + j0 * 8, c2.byteOffset, batch, I, oPairs, tEven / 2,
      tEven * 8, O * tEven * 8, rowLen * 8, I * rowLen * 8,
    );
    // c2[(((i * oPairs + p) * 2 + h) * n + j) * 2 + lane] holds the partial sums of dW[2p + h, i, j0 + j].
    for (let i = 0; i < I; i++) {
      for (let p = 0; p < oPairs; p++) {
        for (let h = 0; h < 2; h++) {
          const src = 2 * n * ((i * oPairs + p) * 2 + h);
          const dst = ((2 * p + h) * I + i) * K + j0;
          for (let j = 0; j < n; j++) out[dst + j] = c2[src + 2 * j] + c2[src + 2 * j + 1];
        }
      }
    }
  }
  return true;
}
