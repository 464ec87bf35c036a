/**
 * Float32 add, sub, mul and greater through the WebAssembly kernels of wasm/binary.ts, for
 * operands of one shape, a full operand against one value per row, per column (a bias) or a
 * scalar, ReLU, and sums over rows and over columns. Operands are copied into
 * WebAssembly memory a chunk at a time and the result copied out (three memcpys: a few
 * microseconds on a [64, 24, 32] activation, against 88 us for the JavaScript loop). Each
 * function returns false, writing nothing, when the kernels are unavailable or the rows are
 * not a multiple of 4 values, and the caller runs its JavaScript loop.
 */
import { scratch, scratchF32 } from './scratch.js';
import { type BinaryOp, type RowsExport } from './wasm/binary.js';
import { inWasmMemory, wasmBinary } from './wasm/runtime.js';

export type { BinaryOp } from './wasm/binary.js';

/** Float32 values per chunk (256 KiB per operand). */
const CHUNK = 1 << 16;

/** Two float32 work buffers of CHUNK values (plus 16 bytes of slack) in WebAssembly memory, or null. */
function buffers(): [Float32Array, Float32Array] | null {
  const [a, b] = [scratchF32('binary.a', CHUNK + 4), scratchF32('binary.b', CHUNK + 4)];
  return a === null || b === null ? null : [a, b];
}

/** out = a op b, all of one length. */
export function binarySameF32(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): boolean {
  const kernel = wasmBinary()?.ops[op].same;
  const work = kernel === undefined ? null : buffers();
  if (kernel === undefined || work === null) return false;
  const [wa, wb] = work;
  for (let start = 0; start < out.length; start += CHUNK) {
    const length = Math.min(CHUNK, out.length - start);
    wa.set(a.subarray(start, start + length));
    wb.set(b.subarray(start, start + length));
    kernel(wa.byteOffset, wb.byteOffset, wa.byteOffset, Math.ceil(length / 4) * 16);
    out.set(wa.subarray(0, length), start);
  }
  return true;
}

/**
 * out[r, :] = full[r, :] op small[r] over rows of `inner` values (small op full[r, :] with
 * `smallFirst`), inner a multiple of 4.
 */
export function binaryRowsF32(op: BinaryOp, full: Float32Array, small: Float32Array, out: Float32Array, inner: number, smallFirst: boolean): boolean {
  const kernels = wasmBinary()?.ops[op];
  return kernels !== undefined && againstSmall(smallFirst ? kernels.rowsLeft : kernels.rows, full, small, out, inner, smallFirst, false);
}

/**
 * out[r, :] = full[r, :] op small (small op full[r, :] with `smallFirst`): `small` is one row
 * of `inner` values, inner a multiple of 4 (a bias [N] against activations [B, N]).
 */
export function binaryColsF32(op: BinaryOp, full: Float32Array, small: Float32Array, out: Float32Array, smallFirst: boolean): boolean {
  const kernels = wasmBinary()?.ops[op];
  return kernels !== undefined && againstSmall(smallFirst ? kernels.colsLeft : kernels.cols, full, small, out, small.length, smallFirst, true);
}

/**
 * The rows and cols drivers: `full`'s rows of `inner` values copied into WebAssembly memory
 * a chunk of rows at a time with the small operand (the chunk's values per row, or, `oneRow`,
 * the whole row once), the kernel run, the result copied out.
 */
function againstSmall(
  kernel: RowsExport, full: Float32Array, small: Float32Array, out: Float32Array, inner: number, smallFirst: boolean, oneRow: boolean,
): boolean {
  const work = inner % 4 !== 0 || inner > CHUNK ? null : buffers();
  if (work === null) return false;
  const [wFull, wSmall] = work;
  if (oneRow) wSmall.set(small);
  const rows = full.length / inner;
  const per = Math.floor(CHUNK / inner);
  for (let r0 = 0; r0 < rows; r0 += per) {
    const count = Math.min(per, rows - r0);
    wFull.set(full.subarray(r0 * inner, (r0 + count) * inner));
    if (!oneRow) wSmall.set(small.subarray(r0, r0 + count));
    const [first, second] = smallFirst ? [wSmall, wFull] : [wFull, wSmall];
    kernel(first.byteOffset, second.byteOffset, wFull.byteOffset, count, inner * 4);
    out.set(wFull.subarray(0, count * inner), r0 * inner);
  }
  return true;
}

/** out = a op y (y op a with `scalarFirst`), y one value: the rows kernel with a single row per chunk. */
export function binaryScalarF32(op: BinaryOp, a: Float32Array, y: number, out: Float32Array, scalarFirst: boolean): boolean {
  const kernels = wasmBinary()?.ops[op];
  const work = kernels === undefined ? null : buffers();
  if (kernels === undefined || work === null) return false;
  const kernel = scalarFirst ? kernels.rowsLeft : kernels.rows;
  const [wa, wy] = work;
  wy[0] = y;
  for (let start = 0; start < out.length; start += CHUNK) {
    const length = Math.min(CHUNK, out.length - start);
    wa.set(a.subarray(start, start + length));
    const [first, second] = scalarFirst ? [wy, wa] : [wa, wy];
    kernel(first.byteOffset, second.byteOffset, wa.byteOffset, 1, Math.ceil(length / 4) * 16);
    out.set(wa.subarray(0, length), start);
  }
  return true;
}

/** out = a > 0 ? a : 0 (ReLU). */
export function reluF32(a: Float32Array, out: Float32Array): boolean {
  const kernel = wasmBinary()?.relu;
  const work = kernel === undefined ? null : buffers();
  if (kernel === undefined || work === null) return false;
  const [wa] = work;
  for (let start = 0; start < out.length; start += CHUNK) {
    const length = Math.min(CHUNK, out.length - start);
    wa.set(a.subarray(start, start + length));
    kernel(wa.byteOffset, wa.byteOffset, Math.ceil(length / 4) * 16);
    out.set(wa.subarray(0, length), start);
  }
  return true;
}

/**
 * acc[m] += sum over r < rows of a[r middle + m], r in order, in float64: a [B, N] cotangent
 * reduced to its bias's [N] (the `inner === 1` case of reduce.ts), middle a multiple of 4.
 */
export function reduceColsF32(acc: Float64Array, a: Float32Array, rows: number, middle: number): boolean {
  const kernels = wasmBinary();
  const work = kernels === null || middle % 4 !== 0 || middle > CHUNK ? null : buffers();
  const sums = work === null ? null : scratch('binary.sums', middle);
  if (kernels === null || work === null || sums === null || !inWasmMemory(sums)) return false;
  const [wa] = work;
  sums.set(acc.subarray(0, middle));
  const per = Math.floor(CHUNK / middle);
  for (let r0 = 0; r0 < rows; r0 += per) {
    const count = Math.min(per, rows - r0);
    wa.set(a.subarray(r0 * middle, (r0 + count) * middle));
    kernels.colSums(wa.byteOffset, sums.byteOffset, count, middle * 4);
  }
  acc.set(sums.subarray(0, middle));
  return true;
}

/**
 * acc[m] += sum over o < outer and j < inner of a[(o middle + m) inner + j] (times b[...] when
 * given): the [outer, middle, inner] reduction of reduce.ts, inner a multiple of 4.
 */
export function reduceRowsF32(acc: Float64Array, a: Float32Array, b: Float32Array | null, outer: number, middle: number, inner: number): boolean {
  const kernels = wasmBinary();
  const work = kernels === null || inner % 4 !== 0 || inner > CHUNK ? null : buffers();
  const per = Math.floor(CHUNK / inner);
  const sums = work === null ? null : scratch('binary.sums', per);
  if (kernels === null || work === null || sums === null || !inWasmMemory(sums)) return false;
  const [wa, wb] = work;
  const rows = outer * middle;
  for (let r0 = 0; r0 < rows; r0 += per) {
    const count = Math.min(per, rows - r0);
    wa.set(a.subarray(r0 * inner, (r0 + count) * inner));
    if (b === null) kernels.rowSums(wa.byteOffset, sums.byteOffset, count, inner * 4);
    else {
      wb.set(b.subarray(r0 * inner, (r0 + count) * inner));
      kernels.rowDots(wa.byteOffset, wb.byteOffset, sums.byteOffset, count, inner * 4);
    }
    for (let k = 0; k < count; k++) acc[(r0 + k) % middle] += sums[k];
  }
  return true;
}

/** out[r, :] = x[r, :] scale[r] + shift[r] over rows of `inner` values, inner a multiple of 4. */
export function affineRowsF32(x: Float32Array, scale: Float32Array, shift: Float32Array, out: Float32Array, inner: number): boolean {
  const kernels = wasmBinary();
  const work = kernels === null || inner % 4 !== 0 || inner > CHUNK ? null : buffers();
  if (kernels === null || work === null) return false;
  const [wx, wss] = work;
  const rows = scale.length;
  const per = Math.floor(CHUNK / inner); // rows per chunk; their 2 per values fit the second buffer, as inner >= 4
  for (let r0 = 0; r0 < rows; r0 += per) {
    const count = Math.min(per, rows - r0);
    wx.set(x.subarray(r0 * inner, (r0 + count) * inner));
    // Both per-row operands in the second buffer: scales, then shifts.
    wss.set(scale.subarray(r0, r0 + count));
    wss.set(shift.subarray(r0, r0 + count), count);
    kernels.affineRows(wx.byteOffset, wss.byteOffset, wss.byteOffset + 4 * count, wx.byteOffset, count, inner * 4);
    out.set(wx.subarray(0, count * inner), r0 * inner);
  }
  return true;
}
