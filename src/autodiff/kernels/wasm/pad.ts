/**
 * Row padding for the window kernels, in WebAssembly: each of `rows` source rows is copied
 * into a destination row between zeros, 16 bytes at a time. It works on bytes, so it serves
 * float32 and float64 alike (same type in and out); the caller first copies the source into
 * WebAssembly memory with one TypedArray.set (a memcpy). Measured on a [64, 24, 32] float32
 * activation: 55 us for the JavaScript element loop, about 7 us for the memcpy and this.
 *
 *   pad(src, dst, rows, srcRow, dstRow, lo, hi, suffix, end, shift)
 *
 * per row: zeros on [0, lo), dst[o] = src[o - shift] on [lo, hi), zeros on [suffix, end),
 * all in bytes from the row starts (suffix = max(lo, hi)). The 16-byte steps may run up to
 * 15 bytes past each range: prefix zeros are overwritten by the copy, copied bytes past hi
 * by the suffix zeros, and the suffix of the last row needs 16 bytes of slack in dst (and
 * the source rows 16 bytes of slack past the last one).
 */
import { type FunctionDef, I32, countUp, op, stepUp } from './assembler.js';

const [SRC, DST, ROWS, SRC_ROW, DST_ROW, LO, HI, SUFFIX, END, SHIFT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [R, O, S, D] = [10, 11, 12, 13];

const get = op.localGet;
const set = op.localSet;
/** `for (O = from; O < to; O += 16) body`. */
const bytes = (from: number[], to: number, body: number[][]): number[][] => stepUp(O, [from], to, 16, body);

const zero: number[][] = [get(D), get(O), op.i32Add, op.v128Zero(), op.v128Store(0)];
const copy: number[][] = [get(D), get(O), op.i32Add, get(S), get(O), op.i32Add, op.v128Load(0), op.v128Store(0)];

const body: number[][] = countUp(R, ROWS, [
  // S = src + r * srcRow - shift (so S + o addresses src[o - shift]); D = dst + r * dstRow
  get(SRC), get(R), get(SRC_ROW), op.i32Mul, op.i32Add, get(SHIFT), op.i32Sub, set(S),
  get(DST), get(R), get(DST_ROW), op.i32Mul, op.i32Add, set(D),
  ...bytes(op.i32Const(0), LO, zero),
  ...bytes(get(LO), HI, copy),
  ...bytes(get(SUFFIX), END, zero),
]);

export const padFunction: FunctionDef = {
  name: 'pad',
  params: new Array(10).fill(I32),
  locals: new Array(4).fill(I32),
  body,
};

export type PadExport = (
  src: number, dst: number, rows: number, srcRow: number, dstRow: number,
  lo: number, hi: number, suffix: number, end: number, shift: number,
) => void;
