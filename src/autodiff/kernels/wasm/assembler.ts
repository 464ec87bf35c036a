/**
 * A very small WebAssembly assembler: just enough to write one module with a few functions
 * that work on an imported memory, with 128-bit SIMD. It exists so that the fast kernels can
 * use SIMD without a compiler toolchain: the instructions are written in TypeScript (see
 * gemm.ts) and encoded here, byte for byte as the WebAssembly binary format specifies
 * (https://webassembly.github.io/spec/core/binary/).
 */

/** Value types. */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F64 | typeof V128;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Instructions, as byte sequences. Memory offsets are in bytes; `align` is log2 of the alignment hint. */
const SIMD = 0xfd;
const simd = (op: number, ...rest: number[]) => [SIMD, ...uleb(op), ...rest];
const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];

export const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  localTee: (i: number) => [0x22, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  i32LtU: [0x49],
  i32Eqz: [0x45],
  /** block / loop with no result; `end` closes them. */
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  f32Load: (offset = 0) => [0x2a, ...memarg(2, offset)],
  f64Load: (offset = 0) => [0x2b, ...memarg(3, offset)],
  f64Store: (offset = 0) => [0x39, ...memarg(3, offset)],
  f64Const: (value: number) => [0x44, ...new Uint8Array(Float64Array.of(value).buffer)],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f64Sqrt: [0x9f],
  f64ConvertI32U: [0xb8],
  f32DemoteF64: [0xb6],
  f64PromoteF32: [0xbb],
  f32x4Splat: simd(0x13),
  v128Load: (offset = 0) => simd(0x00, ...memarg(3, offset)),
  v128Load64Splat: (offset = 0) => simd(0x0a, ...memarg(3, offset)),
  v128Load32Splat: (offset = 0) => simd(0x09, ...memarg(2, offset)),
  v128Store: (offset = 0) => simd(0x0b, ...memarg(3, offset)),
  v128Zero: () => simd(0x0c, ...new Array(16).fill(0)),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  f64x2Splat: simd(0x14),
  f64x2ExtractLane: (lane: number) => simd(0x21, lane),
  /** The low two float32 lanes as float64. */
  f64x2PromoteLowF32x4: simd(0x5f),
  /** Two float64 lanes as float32, in the low half; the high half is zero. */
  f32x4DemoteF64x2Zero: simd(0x5e),
  /** Bytes of two vectors picked by 16 lane indices (0-15 the first vector, 16-31 the second). */
  i8x16Shuffle: (lanes: readonly number[]) => simd(0x0d, ...lanes),
  /**
   * Relaxed SIMD (a proposal V8 enables behind --experimental-wasm-relaxed-simd, see
   * runtime.ts): a * b + c with the stack holding a, b, c, fused (one rounding) where the
   * hardware has FMA, as x86-64 with FMA3 and ARM64 do, or a multiply then an add elsewhere.
   */
  f32x4RelaxedMadd: simd(0x105),
  f64x2RelaxedMadd: simd(0x107),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  /** Pseudo-minimum b < a ? b : a (one instruction on x86; a NaN in a propagates). */
  f32x4Pmin: simd(0xea),
  /** Pseudo-maximum a < b ? b : a. */
  f32x4Pmax: simd(0xeb),
  f32x4Gt: simd(0x44),
  /** Four copies of one float32, as an immediate. */
  f32x4Const: (value: number) => simd(0x0c, ...new Uint8Array(Float32Array.of(value, value, value, value).buffer)),
  i32x4Const: (value: number) => simd(0x0c, ...new Uint8Array(Int32Array.of(value, value, value, value).buffer)),
  i32x4Add: simd(0xae),
  /** Shift each lane left by an i32 count taken from the stack. */
  i32x4Shl: simd(0xab),
  v128And: simd(0x4e),
  /** (v1 & mask) | (v2 & ~mask), with the stack holding v1, v2, mask. */
  v128Bitselect: simd(0x52),
};

// Structured loops over i32 locals, shared by the kernels. Each is a block around a loop:
// `br_if 1` leaves the block, `br 0` goes round again.

/** local += amount (code leaving an i32). */
export const addTo = (local: number, amount: number[]): number[][] => [op.localGet(local), amount, op.i32Add, op.localSet(local)];

/** `for (counter = 0; counter < limit; counter++) body`, `limit` a local. */
export function countUp(counter: number, limit: number, body: number[][]): number[][] {
  return stepUp(counter, [op.i32Const(0)], limit, 1, body);
}

/** `for (counter = count; counter > 0; counter--) body`, `count` a local. */
export function countDown(counter: number, count: number, body: number[][]): number[][] {
  return [
    op.localGet(count), op.localSet(counter),
    op.block, op.loop,
    op.localGet(counter), op.i32Eqz, op.brIf(1),
    ...body,
    ...addTo(counter, op.i32Const(-1)),
    op.br(0),
    op.end, op.end,
  ];
}

/** `for (p = start; p < end; p += step) body`: `start` is code leaving an i32, `end` a local. */
export function stepUp(p: number, start: number[][], end: number, step: number, body: number[][]): number[][] {
  return [
    ...start, op.localSet(p),
    op.block, op.loop,
    op.localGet(p), op.localGet(end), op.i32LtU, op.i32Eqz, op.brIf(1),
    ...body,
    ...addTo(p, op.i32Const(step)),
    op.br(0),
    op.end, op.end,
  ];
}

export interface FunctionDef {
  name: string;
  params: ValueType[];
  /** Extra locals, in order after the parameters. */
  locals: ValueType[];
  /** The body, without the final `end`. */
  body: number[][];
}

/** A module importing one memory as env.memory and exporting the given functions. */
export function assembleModule(functions: FunctionDef[], minimumPages: number): Uint8Array {
  const types = section(1, vector(functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), 0])));
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(minimumPages)]]));
  const declarations = section(3, vector(functions.map((_, i) => uleb(i))));
  const exports = section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const bodies = functions.map((f) => {
    const locals = vector(f.locals.map((t) => [1, t]));
    const code = [...locals, ...f.body.flat(), ...op.end];
    return [...uleb(code.length), ...code];
  });
  const code = section(10, vector(bodies));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...declarations, ...exports, ...code]);
}
