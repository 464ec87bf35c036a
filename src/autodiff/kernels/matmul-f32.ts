/**
 * float32 matmul on float32 tiles. The packed path of matmul-ts.ts converts float32 operands
 * into float64 panels and multiplies them two lanes at a time; here the panels stay float32 and
 * the window micro-kernel (wasm/window.ts) multiplies four lanes at a time, with fused
 * multiply-adds where the engine has relaxed SIMD. The sums are float32, as in PyTorch (the
 * packed path rounded a float64 sum once); each runs over p = 0 .. k - 1 in order.
 *
 * The window kernel is a gemm tile when its "activation window" is a packed B panel: one
 * channel (n1 = 1) whose taps step one packed row of 4 or 8 floats at a time:
 *
 *   A panels  4 rows of op(A) x kc steps: element (row 4q + r, p) at [q][p][r]
 *   B panels  W columns of op(B) x kc steps: element (p, column W u + l) at [u][p][l]
 *
 * with W = 8 (4 x 8 tiles), or 4 where n < 8 (an MLP's output layer, [256, 256] x [256, 1],
 * then wastes 3 of 4 lanes rather than 7 of 8). Rows and columns past the end are zeros.
 * An untransposed B with n a multiple of W is not packed at all: its rows already hold W
 * consecutive columns per tile, so it is copied (one memcpy) and read in place with step
 * stride n (the backward products of a Linear layer, ct W and ct^T x, are of this kind).
 * Measured (2-core EPYC, Node 20, 256^3, loaded machine): the kernel alone ~50 GFLOP/s;
 * packing both operands and copying C out cost about a third on top.
 * Returns false (and the caller takes the packed path) where WebAssembly memory is unavailable.
 */
import { BLOCK, KC, padded } from './gemm-core.js';
import { scratchF32 } from './scratch.js';
import type { MatmulArgs } from './types.js';
import { wasmPack, wasmWindow } from './wasm/runtime.js';

/** Operands up to this many floats are packed in WebAssembly (staged in a scratch slot of this size at most). */
const STAGE_MAX = 1 << 19;

/**
 * Pack rows [0, rows) of a strided float32 operand, reduction block [p0, p0 + kc), into panels
 * of `width` rows: element (row width q + r, p) at dst[(q kc + p - p0) width + r], zero past `rows`.
 */
function packPanels(
  src: Float32Array, off: number, rows: number, rowStride: number, colStride: number,
  p0: number, kc: number, width: number, dst: Float32Array,
): void {
  let d = 0;
  for (let i0 = 0; i0 < rows; i0 += width) {
    const live = Math.min(width, rows - i0);
    const base = off + i0 * rowStride + p0 * colStride;
    if (live < width) {
      for (let p = 0, s = base; p < kc; p++, s += colStride, d += width) {
        for (let r = 0; r < width; r++) dst[d + r] = r < live ? src[s + r * rowStride] : 0;
      }
    } else if (rowStride === 1) {
      // A panel's rows are consecutive in memory (op(X) stored transposed): runs of `width`.
      for (let p = 0, s = base; p < kc; p++, s += colStride, d += width) {
        for (let r = 0; r < width; r++) dst[d + r] = src[s + r];
      }
    } else {
      // Each row of the panel is a run along p: walk the rows, writing with stride `width`.
      for (let r = 0; r < width; r++) {
        for (let p = 0, s = base + r * rowStride, t = d + r; p < kc; p++, s += colStride, t += width) dst[t] = src[s];
      }
      d += kc * width;
    }
  }
}

/**
 * The packing of `packPanels` in WebAssembly (wasm/pack.ts), for whole panels (`rows` a
 * multiple of `width`) of an operand whose panel rows are rows of its storage (`runs` false:
 * row stride k, transposed four by four, kc a multiple of 4) or columns of it (`runs` true:
 * stored transposed, row stride 1 and step stride `rows`, gathered in runs of `width`). The
 * operand's rows x k values, from `off`, are first copied into WebAssembly memory (one
 * memcpy, when `p0` is 0; `slot` names the copy). False where it does not apply; the caller
 * then packs in JavaScript.
 */
function packPanelsWasm(
  src: Float32Array, off: number, rows: number, k: number, runs: boolean, p0: number, kc: number, width: number, dst: Float32Array, slot: string,
): boolean {
  const pack = wasmPack();
  if (pack === null || rows % width !== 0 || (!runs && kc % 4 !== 0) || rows * k > STAGE_MAX) return false;
  const staged = scratchF32(slot, rows * k);
  if (staged === null) return false;
  if (p0 === 0) staged.set(src.subarray(off, off + rows * k));
  if (runs) pack.runs(staged.byteOffset + p0 * rows * 4, rows * 4, rows / width, width / 4, kc, dst.byteOffset);
  else pack.panels(staged.byteOffset + p0 * 4, k * 4, rows / width, width / 4, kc / 4, dst.byteOffset);
  return true;
}

export function matmulF32Tiles(args: MatmulArgs): boolean {
  const { a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array) || k === 0) return false;
  const W = n < 8 ? 4 : 8;
  const kernel = wasmWindow(true, W === 4);
  if (kernel === null) return false;
  const mPad = padded(m);
  const nPad = Math.ceil(n / W) * W;
  const kcMax = Math.min(k, KC);
  // An untransposed B whose rows are whole tiles needs no panels: the kernel reads its rows in
  // place (step stride n), after one memcpy into WebAssembly memory.
  const bInPlace = !transB && n === nPad;
  const pa = scratchF32('matmulF32.a', mPad * kcMax);
  const pb = scratchF32('matmulF32.b', bInPlace ? k * n : nPad * kcMax);
  const c = scratchF32('matmulF32.c', mPad * nPad);
  if (pa === null || pb === null || c === null) return false;
  // Element (row r, reduction p) of op(A) is a[off + r*aRow + p*aCol]; of op(B)^T, b[off + r*bRow + p*bCol].
  const aRow = transA ? 1 : k, aCol = transA ? m : 1;
  const bRow = transB ? k : 1, bCol = transB ? 1 : n;
  const blocks = Math.ceil(k / KC);
  const reuseA = blocks === 1 && aBatchStride === 0;
  const reuseB = blocks === 1 && bBatchStride === 0;
  for (let item = 0; item < batch; item++) {
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      const packA = !(reuseA && item > 0);
      if (packA && !packPanelsWasm(a, item * aBatchStride, m, k, transA, p0, kc, BLOCK, pa, 'matmulF32.stagedA')) {
        packPanels(a, item * aBatchStride, m, aRow, aCol, p0, kc, BLOCK, pa);
      }
      const pack = bInPlace ? p0 === 0 && !(bBatchStride === 0 && item > 0) : !(reuseB && item > 0);
      if (pack && bInPlace) pb.set(b.subarray(item * bBatchStride, item * bBatchStride + k * n));
      else if (pack && !packPanelsWasm(b, item * bBatchStride, n, k, !transB, p0, kc, W, pb, 'matmulF32.stagedB')) {
        packPanels(b, item * bBatchStride, n, bRow, bCol, p0, kc, W, pb);
      }
      // Column tile u at step p: packed, pb + (u kc + p) W floats; in place, pb + (p0 + p) n + u W.
      const [bStart, bTile, bStep] = bInPlace ? [pb.byteOffset + p0 * n * 4, W * 4, n * 4] : [pb.byteOffset, W * kc * 4, W * 4];
      // window(a, aPanel, mTiles, b, nu, bu, nv, bv, n1, s1, n2, s2, c, cu, cv, ldc, accumulate)
      kernel(
        pa.byteOffset, BLOCK * kc * 4, mPad / BLOCK,
        bStart, nPad / W, bTile, 1, 0,
        1, 0, kc, bStep,
        c.byteOffset, W * 4, 0, nPad * 4, p0 > 0 ? 1 : 0,
      );
    }
    const o = item * m * n;
    if (n === nPad) {
      out.set(c.subarray(0, m * n), o);
      continue;
    }
    for (let r = 0, s = 0; r < m; r++, s += nPad) for (let j = 0; j < n; j++) out[o + r * n + j] = c[s + j];
  }
  return true;
}
