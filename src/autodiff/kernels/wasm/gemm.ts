/**
 * The packed 4 x 4 micro-kernel of gemm-core.ts, in WebAssembly with 128-bit SIMD: each
 * f64x2 register holds two columns of a row of the C tile, so the 16 running sums fit in 8
 * registers and each step of the reduction is 2 loads of B, 4 splatted loads of A, 8
 * multiplies and 8 adds, where plain JavaScript needs 16 and 16 scalar operations (and
 * bounds checks). Same packed layout and the same order of operations (each sum runs over
 * p = 0 .. kc - 1, one product at a time), so the results equal the JavaScript tile's bit
 * for bit. Unlike it, partial row panels are computed as whole tiles: callers allocate C
 * with the padded number of rows, and packing fills the missing rows of A with zeros.
 *
 *   gemm(pa, pb, mTiles, nTiles, kc, c, ldcBytes, accumulate)
 *
 * computes C[4 it .. 4 it + 3][4 jt .. 4 jt + 3] (+)= A panel it . B panel jt for every tile,
 * with pa, pb, c byte addresses in the module's memory and the C row stride in bytes.
 */
import { type FunctionDef, I32, V128, op } from './assembler.js';

// Locals: the 8 parameters, then loop state, then the vector registers.
const [PA, PB, M_TILES, N_TILES, KC, C, LDC, ACCUMULATE] = [0, 1, 2, 3, 4, 5, 6, 7];
const [JT, IT, P, A_PTR, B_PTR, C_ROW, B_PANEL, PANEL_BYTES] = [8, 9, 10, 11, 12, 13, 14, 15];
const ACC = [16, 17, 18, 19, 20, 21, 22, 23]; // row r: columns 0-1 in ACC[2r], 2-3 in ACC[2r + 1]
const [B01, B23, A] = [24, 25, 26];

const get = op.localGet;
const set = op.localSet;
const add = (local: number, amount: number[]) => [get(local), amount, op.i32Add, set(local)];

/** acc[2r] += a * b01; acc[2r + 1] += a * b23, with a the splatted A value of row r. */
function rowUpdate(r: number): number[][] {
  return [
    get(A_PTR), op.v128Load64Splat(8 * r), set(A),
    get(ACC[2 * r]), get(A), get(B01), op.f64x2Mul, op.f64x2Add, set(ACC[2 * r]),
    get(ACC[2 * r + 1]), get(A), get(B23), op.f64x2Mul, op.f64x2Add, set(ACC[2 * r + 1]),
  ];
}

/** Store (or add into) row r of the tile at C_ROW, then move C_ROW down one row. */
function rowStore(r: number, accumulate: boolean): number[][] {
  const half = (lane: number, offset: number) =>
    accumulate
      ? [get(C_ROW), get(C_ROW), op.v128Load(offset), get(ACC[2 * r + lane]), op.f64x2Add, op.v128Store(offset)]
      : [get(C_ROW), get(ACC[2 * r + lane]), op.v128Store(offset)];
  return [...half(0, 0), ...half(1, 16), ...add(C_ROW, get(LDC))];
}

const tile: number[][] = [
  ...ACC.flatMap((a) => [op.v128Zero(), set(a)]),
  // A_PTR = pa + it * panelBytes; B_PTR = bPanel; P = kc
  get(PA), get(IT), get(PANEL_BYTES), op.i32Mul, op.i32Add, set(A_PTR),
  get(B_PANEL), set(B_PTR),
  get(KC), set(P),
  op.block, op.loop,
  get(P), op.i32Eqz, op.brIf(1),
  get(B_PTR), op.v128Load(0), set(B01),
  get(B_PTR), op.v128Load(16), set(B23),
  ...[0, 1, 2, 3].flatMap(rowUpdate),
  ...add(A_PTR, op.i32Const(32)),
  ...add(B_PTR, op.i32Const(32)),
  ...add(P, op.i32Const(-1)),
  op.br(0),
  op.end, op.end,
  // C_ROW = c + it * 4 * ldc + jt * 32
  get(C), get(IT), get(LDC), op.i32Mul, op.i32Const(2), op.i32Shl, op.i32Add, get(JT), op.i32Const(5), op.i32Shl, op.i32Add, set(C_ROW),
  get(ACCUMULATE), op.if,
  ...[0, 1, 2, 3].flatMap((r) => rowStore(r, true)),
  op.else,
  ...[0, 1, 2, 3].flatMap((r) => rowStore(r, false)),
  op.end,
];

const body: number[][] = [
  get(KC), op.i32Const(5), op.i32Shl, set(PANEL_BYTES),
  get(PB), set(B_PANEL),
  op.i32Const(0), set(JT),
  op.block, op.loop, // over the B panels (columns of C)
  get(JT), get(N_TILES), op.i32LtU, op.i32Eqz, op.brIf(1),
  op.i32Const(0), set(IT),
  op.block, op.loop, // over the A panels (rows of C)
  get(IT), get(M_TILES), op.i32LtU, op.i32Eqz, op.brIf(1),
  ...tile,
  ...add(IT, op.i32Const(1)),
  op.br(0),
  op.end, op.end,
  ...add(B_PANEL, get(PANEL_BYTES)),
  ...add(JT, op.i32Const(1)),
  op.br(0),
  op.end, op.end,
];

export const gemmFunction: FunctionDef = {
  name: 'gemm',
  params: new Array(8).fill(I32),
  locals: [...new Array(8).fill(I32), ...new Array(11).fill(V128)],
  body,
};

export type GemmExport = (
  pa: number, pb: number, mTiles: number, nTiles: number, kc: number, c: number, ldcBytes: number, accumulate: number,
) => void;

