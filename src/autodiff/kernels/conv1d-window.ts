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
 * Results equal the reference to rounding: each output is one sum over (channel, tap) in
 * order, as in the reference loops, in float64 for float64 calls (bit-identical to the packed
 * path) and in float32 for float32 calls with rows of 8 or more (f32x4, twice the products
 * per instruction: [24 -> 24, L 32, K 5] at batch 64 0.28 ms against 0.49 in float64).
 */
import { BLOCK, padded } from './gemm-core.js';
import { scratch } from './scratch.js';
import type { Conv1dGeometry, Floats } from './types.js';
import { WGRAD_TAPS } from './wasm/wgrad.js';
import { wasmAllocate, inWasmMemory, wasmPad, wasmWgrad, wasmWindow } from './wasm/runtime.js';

let windowCalls = 0;
/** How many conv calls ran on the window kernel (tests use it to check the path is taken). */
export function windowCallCount(): number {
  return windowCalls;
}

/**
 * Copy rows of `src` ([rows, L]) into `dst` rows of `rowLen`: dst[r, u] = src[r, u - left]
 * inside the row, 0 outside. `left` may be negative (the row starts inside src).
 */
function padRows(src: Floats, rows: number, L: number, left: number, rowLen: number, dst: Floats): void {
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

/**
 * padRows into a work buffer (which has 16 bytes of slack, see `work`): when source and
 * destination share a type, one memcpy into WebAssembly memory and the SIMD row copy of
 * wasm/pad.ts, 8x the element loop; otherwise (float32 data on float64 tiles) the loop.
 */
function padInto(src: Floats, rows: number, L: number, left: number, rowLen: number, dst: Floats, e: Lanes): void {
  const pad = wasmPad();
  const n = rows * L;
  if (pad === null || src.length !== n || (src instanceof Float32Array) !== e.f32) {
    padRows(src, rows, L, left, rowLen, dst);
    return;
  }
  const raw = work('window.raw', n, e);
  if (!inWasmMemory(raw)) {
    padRows(src, rows, L, left, rowLen, dst);
    return;
  }
  raw.set(src);
  const lo = Math.min(rowLen, Math.max(0, left));
  const hi = Math.min(rowLen, L + left);
  const B = e.bytes;
  pad(raw.byteOffset, dst.byteOffset, rows, L * B, rowLen * B, lo * B, Math.max(lo, hi) * B, Math.max(lo, hi) * B, rowLen * B, left * B);
}

/** C [batch, mPad, nPad] (in wasm memory) -> out [batch, m, n], dropping the padding. */
function unpad(c: Floats, batch: number, m: number, mPad: number, n: number, nPad: number, out: Floats): void {
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

/**
 * Work buffers in the element type of the call: float32 calls run the f32x4 kernel (tiles of
 * 8 columns, float32 sums, as PyTorch), float64 calls the f64x2 one (4 columns).
 */
interface Lanes {
  f32: boolean;
  /** bytes per element */
  bytes: number;
  /** columns per tile */
  cols: number;
}
const F32_LANES: Lanes = { f32: true, bytes: 4, cols: 8 };
const F32_NARROW_LANES: Lanes = { f32: true, bytes: 4, cols: 4 };
const F64_LANES: Lanes = { f32: false, bytes: 8, cols: 4 };
/**
 * float32 rows shorter than 8 run on the narrow f32 tiles (4 columns, one vector per row):
 * an 8-column tile would idle half its lanes (measured 0.139 ms against 0.121 on the f64
 * tiles, which convert the data), and the f64 tiles do half the products per instruction.
 * Measured at batch 64, 2026-12-01, narrow f32 against f64 tiles: [32 -> 32, L 4, K 5]
 * 0.111 vs 0.182 ms forward, 0.115 vs 0.198 input adjoint; [64 -> 32, L 4] 0.216 vs 0.374.
 */
const lanesOf = (out: Floats, rowLength: number): Lanes =>
  out instanceof Float32Array ? (rowLength >= 8 ? F32_LANES : F32_NARROW_LANES) : F64_LANES;
const kernelFor = (e: Lanes) => wasmWindow(e.f32, e.cols === 4);

/**
 * A scratch buffer of `length` elements of the lanes' type (scratch sizes are in doubles),
 * with 16 bytes of slack after it for the 16-byte steps of wasm/pad.ts.
 */
function work(name: string, length: number, e: Lanes): Floats {
  const buf = scratch(name, (e.f32 ? Math.ceil(length / 2) : length) + 2);
  return e.f32 ? new Float32Array(buf.buffer, buf.byteOffset, length) : buf.subarray(0, length);
}

/**
 * Packed weight panels, cached per weight array and layout. A policy rollout runs the same
 * weights through 115 forwards at batch 1, where packing them (every weight, once per call)
 * cost more than the convolution: 24 % of a rollout. Tensors are immutable, so an array's
 * packing never changes, and a WeakMap lets it go with the array. The panels live in one
 * region of WebAssembly memory, filled front to back; when it is full it starts over (a new
 * generation), and every older entry is packed again at its next use.
 */
const PANEL_REGION_DOUBLES = 1 << 19; // 4 MiB: the U-Net's panels in one dtype take about 1.1 MiB
let panelRegion: Float64Array | null | undefined;
let panelTop = 0; // in bytes from the region's start
let panelGeneration = 0;
const panelCache = new WeakMap<Floats, Map<string, { generation: number; panel: Floats }>>();

/**
 * The panels of `w` for layout `key` (`length` elements of the lanes' type), packed by `pack`
 * on a miss; a fresh work buffer, packed every call, if the region is unavailable.
 */
function packedWeights(w: Floats, key: string, length: number, e: Lanes, pack: (pa: Floats) => void): Floats {
  const byKey = panelCache.get(w);
  const hit = byKey?.get(key);
  if (hit !== undefined && hit.generation === panelGeneration) return hit.panel;
  if (panelRegion === undefined) panelRegion = wasmAllocate(PANEL_REGION_DOUBLES);
  const bytes = (length * e.bytes + 15) & ~15;
  if (panelRegion === null || bytes > panelRegion.byteLength) {
    const pa = work('window.a', length, e);
    pack(pa);
    return pa;
  }
  if (panelTop + bytes > panelRegion.byteLength) {
    panelGeneration++;
    panelTop = 0;
  }
  const at = panelRegion.byteOffset + panelTop;
  const panel = e.f32 ? new Float32Array(panelRegion.buffer, at, length) : new Float64Array(panelRegion.buffer, at, length);
  panelTop += bytes;
  pack(panel);
  panelCache.set(w, (byKey ?? new Map()).set(key, { generation: panelGeneration, panel }));
  return panel;
}

export function conv1dWindow(x: Floats, w: Floats, out: Floats, g: Conv1dGeometry): boolean {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  const e = lanesOf(out, T);
  const kernel = kernelFor(e);
  if (kernel === null || stride !== 1) return false;
  const tPad = Math.ceil(T / e.cols) * e.cols;
  const oPad = padded(O);
  const rowLen = tPad + (K - 1) * dilation; // the last column tile reads up to tPad - 1 + (K - 1) dil
  const steps = I * K;
  // Weights: panel q holds rows 4q..4q+3, step p = (i, j) in order.
  const pa = packedWeights(w, `forward ${O} ${steps}`, oPad * steps, e, (pa) => {
    for (let q = 0; q < oPad; q += BLOCK) {
      const base = q * steps;
      for (let r = 0; r < BLOCK; r++) {
        const o = q + r;
        for (let p = 0; p < steps; p++) pa[base + p * BLOCK + r] = o < O ? w[o * steps + p] : 0;
      }
    }
  });
  const xp = work('window.x', batch * I * rowLen, e);
  const c = work('window.c', batch * oPad * tPad, e);
  if (!inWasmMemory(pa) || !inWasmMemory(xp) || !inWasmMemory(c)) return false;
  padInto(x, batch * I, L, padding, rowLen, xp, e);
  windowCalls++;
  const B = e.bytes;
  kernel(
    pa.byteOffset, BLOCK * steps * B, oPad / BLOCK,
    xp.byteOffset, batch, I * rowLen * B, tPad / e.cols, e.cols * B,
    I, rowLen * B, K, dilation * B,
    c.byteOffset, oPad * tPad * B, e.cols * B, tPad * B, 0,
  );
  unpad(c, batch, O, oPad, T, tPad, out);
  return true;
}

export function conv1dInputAdjointWindow(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): boolean {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride: S, dilation, padding } = g;
  const e = lanesOf(out, Math.ceil(L / S));
  const kernel = kernelFor(e);
  if (kernel === null) return false;
  const iPad = padded(I);
  const B = e.bytes;
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
    const qPad = Math.ceil(count / e.cols) * e.cols;
    const rowLen = qPad + cFirst - cLast; // dypad[u] = dy[u + cLast]
    const steps = O * nt;
    const pa = packedWeights(w, `input adjoint ${O} ${I} ${K} ${taps}`, iPad * steps, e, (pa) => {
      for (let q = 0; q < iPad; q += BLOCK) {
        const base = q * steps;
        for (let r = 0; r < BLOCK; r++) {
          const i = q + r;
          for (let o = 0; o < O; o++) {
            for (let k = 0; k < nt; k++) pa[base + (o * nt + k) * BLOCK + r] = i < I ? w[(o * I + i) * K + taps[k]] : 0;
          }
        }
      }
    });
    const dp = work('window.x', batch * O * rowLen, e);
    const c = work('window.c', batch * iPad * qPad, e);
    if (!inWasmMemory(pa) || !inWasmMemory(dp) || !inWasmMemory(c)) return false;
    padInto(dy, batch * O, T, -cLast, rowLen, dp, e);
    windowCalls++;
    kernel(
      pa.byteOffset, BLOCK * steps * B, iPad / BLOCK,
      dp.byteOffset + (cFirst - cLast) * B, batch, O * rowLen * B, qPad / e.cols, e.cols * B,
      O, rowLen * B, nt, -delta * B,
      c.byteOffset, iPad * qPad * B, e.cols * B, qPad * B, 0,
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
 * packed product (rows of at least 16 positions, 4 in float32, and K >= 2); returns false
 * otherwise. float32 calls sum in float32, 4 positions per vector.
 */
export function conv1dWeightAdjointWindow(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): boolean {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K, stride, dilation, padding } = g;
  if (wasmWgrad(1) === null || stride !== 1 || dilation !== 1 || O % 2 !== 0) return false;
  // Measured against the packed path (wasm gemm tile) at batch 64, float64, in ms:
  //   [24 -> 24, L 32, K 5]  0.67 vs 0.96     [24 -> 24, L 16, K 5]  0.35 vs 0.46
  //   [32 -> 32, L 8, K 5]   0.67 vs 0.67     [32 -> 32, L 4, K 5]   0.20 vs 0.17
  //   [24 -> 32, L 16, K 1]  0.21 vs 0.16
  // and in float32 (f32x4, 4 positions per vector; the packed path is float64 inside):
  //   [24 -> 24, L 32, K 5]  0.43 vs 0.65     [32 -> 32, L 8, K 5]   0.44 vs 0.67
  //   [32 -> 32, L 4, K 5]   0.16 vs 0.18     [64 -> 32, L 4, K 5]   0.31 vs 0.35
  // Short rows pay the per-row loop overhead, and K = 1 tiles load 3 vectors per 2 products.
  const f32 = out instanceof Float32Array;
  if (T < (f32 ? 4 : 16) || K < 2) return false;
  const lanes = f32 ? 4 : 2; // positions per vector
  const tPad = Math.ceil(T / lanes) * lanes;
  const rowLen = tPad + K - 1; // the last vector of positions reads up to tPad - 1 + K - 1
  const oPairs = O / 2;
  const e = f32 ? F32_LANES : F64_LANES;
  const dp = work('window.a', batch * O * tPad, e);
  const xp = work('window.x', batch * I * rowLen, e);
  const c2 = work('window.c', I * O * WGRAD_TAPS * lanes, e);
  if (!inWasmMemory(dp) || !inWasmMemory(xp) || !inWasmMemory(c2)) return false;
  padInto(dy, batch * O, T, 0, tPad, dp, e);
  padInto(x, batch * I, L, padding, rowLen, xp, e);
  windowCalls++;
  const B = e.bytes;
  for (let j0 = 0; j0 < K; j0 += WGRAD_TAPS) {
    const n = Math.min(WGRAD_TAPS, K - j0);
    // A single tap left (K = 5 = 4 + 1) runs on tiles of 8 output channels where O allows: same sums, same layout.
    const rows8 = n === 1 && O % 8 === 0;
    wasmWgrad(n, f32, rows8)!(
      dp.byteOffset, xp.byteOffset + j0 * B, c2.byteOffset, batch, I, rows8 ? O / 8 : oPairs, tPad / lanes,
      tPad * B, O * tPad * B, rowLen * B, I * rowLen * B,
    );
    // c2[(((i * oPairs + p) * 2 + h) * n + j) * lanes + lane] holds partial sums of dW[2p + h, i, j0 + j].
    for (let i = 0; i < I; i++) {
      for (let p = 0; p < oPairs; p++) {
        for (let h = 0; h < 2; h++) {
          const src = lanes * n * ((i * oPairs + p) * 2 + h);
          const dst = ((2 * p + h) * I + i) * K + j0;
          for (let j = 0; j < n; j++) {
            let total = 0;
            for (let l = 0; l < lanes; l++) total += c2[src + lanes * j + l];
            out[dst + j] = total;
          }
        }
      }
    }
  }
  return true;
}
