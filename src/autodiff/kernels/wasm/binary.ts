/**
 * Float32 elementwise kernels, four lanes at a time, for the patterns that carry nearly all
 * of a training step's elementwise arithmetic (a U-Net's residual sums, cotangent
 * accumulation, FiLM and GroupNorm scales and their tangents; an MLP's bias, ReLU and ReLU
 * mask), for op in add, sub, mul and greater (x > y ? 1 : 0, ReLU's derivative):
 *
 *   same(a, b, dst, bytes)                   dst = a op b, operands of one shape
 *   rows(a, small, dst, rows, rowBytes)      dst[r, :] = a[r, :] op small[r]   (a [B, C, T] against [B, C, 1];
 *                                            with one row, a against a scalar)
 *   rowsLeft(small, b, dst, rows, rowBytes)  dst[r, :] = small[r] op b[r, :]
 *   cols(a, small, dst, rows, rowBytes)      dst[r, :] = a[r, :] op small[:]   (a [B, N] against a bias [N])
 *   colsLeft(small, b, dst, rows, rowBytes)  dst[r, :] = small[:] op b[r, :]
 *   relu(a, dst, bytes)                      dst = a > 0 ? a : 0
 *
 * and the per-row and per-column sums that reduce a cotangent to a bias's or scale's, and the
 * per-row affine map of FiLM and GroupNorm (below).
 *
 * In JavaScript each element of these costs about 1.3-2.5 ns here (bounds checks, and float32
 * loads widened to doubles one at a time), so on a [64, 24, 32] activation the loop alone
 * took 88 us. `bytes` is a multiple of 16 (callers round up into slack) and `rowBytes` too;
 * dst may be an input. Float32 arithmetic rounds once per operation either way, and a
 * comparison is exact, so the results equal the JavaScript loops' bit for bit (NaN included:
 * NaN > y is false in both, so greater gives 0 and ReLU gives +0, as does -0).
 */
import { type FunctionDef, I32, V128, countUp, op, stepUp } from './assembler.js';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'greater';
/** The instructions that combine the two operands on the stack; greater masks 1.0 with the comparison's all-ones lanes. */
const INSTRUCTION: Record<BinaryOp, number[][]> = {
  add: [op.f32x4Add], sub: [op.f32x4Sub], mul: [op.f32x4Mul], greater: [op.f32x4Gt, op.f32x4Const(1), op.v128And],
};

const get = op.localGet;
const set = op.localSet;

function sameFunction(name: BinaryOp): FunctionDef {
  const [A, B, DST, BYTES, O] = [0, 1, 2, 3, 4];
  const at = (base: number) => [get(base), get(O), op.i32Add];
  return {
    name: `${name}Same`, params: [I32, I32, I32, I32], locals: [I32],
    body: stepUp(O, [op.i32Const(0)], BYTES, 16, [
      ...at(DST), ...at(A), op.v128Load(0), ...at(B), op.v128Load(0), ...INSTRUCTION[name], op.v128Store(0),
    ]),
  };
}

/** Row r of `full` against small[r]; `smallFirst` puts the small operand on the left. */
function rowsFunction(name: BinaryOp, smallFirst: boolean): FunctionDef {
  // Parameters in the order of the operands: (full, small) or (small, full).
  const [FULL, SMALL] = smallFirst ? [1, 0] : [0, 1];
  const [DST, ROWS, ROW_BYTES] = [2, 3, 4];
  const [R, O, END, PF, PD] = [5, 6, 7, 8, 9];
  const [S] = [10];
  const operands = smallFirst
    ? [get(S), get(PF), get(O), op.i32Add, op.v128Load(0)]
    : [get(PF), get(O), op.i32Add, op.v128Load(0), get(S)];
  return {
    name: `${name}Rows${smallFirst ? 'Left' : ''}`, params: [I32, I32, I32, I32, I32], locals: [I32, I32, I32, I32, I32, V128],
    body: countUp(R, ROWS, [
      get(SMALL), get(R), op.i32Const(2), op.i32Shl, op.i32Add, op.f32Load(0), op.f32x4Splat, set(S),
      get(FULL), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PF),
      get(DST), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PD),
      get(ROW_BYTES), set(END),
      ...stepUp(O, [op.i32Const(0)], END, 16, [
        get(PD), get(O), op.i32Add, ...operands, ...INSTRUCTION[name], op.v128Store(0),
      ]),
    ]),
  };
}

/** Row r of `full` against the row `small` (one value per column); `smallFirst` puts the small operand on the left. */
function colsFunction(name: BinaryOp, smallFirst: boolean): FunctionDef {
  const [FULL, SMALL] = smallFirst ? [1, 0] : [0, 1];
  const [DST, ROWS, ROW_BYTES] = [2, 3, 4];
  const [R, O, PF, PD] = [5, 6, 7, 8];
  const at = (base: number) => [get(base), get(O), op.i32Add, op.v128Load(0)];
  const operands = smallFirst ? [...at(SMALL), ...at(PF)] : [...at(PF), ...at(SMALL)];
  return {
    name: `${name}Cols${smallFirst ? 'Left' : ''}`, params: [I32, I32, I32, I32, I32], locals: [I32, I32, I32, I32],
    body: countUp(R, ROWS, [
      get(FULL), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PF),
      get(DST), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PD),
      ...stepUp(O, [op.i32Const(0)], ROW_BYTES, 16, [
        get(PD), get(O), op.i32Add, ...operands, ...INSTRUCTION[name], op.v128Store(0),
      ]),
    ]),
  };
}

/** relu(a, dst, bytes): dst = a > 0 ? a : 0, as the comparison's mask over a (so NaN and -0 give +0). */
function reluFunction(): FunctionDef {
  const [A, DST, BYTES, O, V] = [0, 1, 2, 3, 4];
  return {
    name: 'relu', params: [I32, I32, I32], locals: [I32, V128],
    body: stepUp(O, [op.i32Const(0)], BYTES, 16, [
      get(DST), get(O), op.i32Add,
      get(A), get(O), op.i32Add, op.v128Load(0), set(V),
      get(V), op.f32x4Const(0), op.f32x4Gt, get(V), op.v128And,
      op.v128Store(0),
    ]),
  };
}

/**
 * colSums(a, sums, rows, rowBytes): sums[j] += a[r, j] for r = 0, 1, ... in turn, in float64
 * (sums holds rowBytes / 4 doubles): the reduction over the leading axis of a bias's
 * cotangent, in the JavaScript loop's order, so bit for bit its result.
 */
function colSumsFunction(): FunctionDef {
  const [A, SUMS, ROWS, ROW_BYTES] = [0, 1, 2, 3];
  const [R, O, PA, PS, V] = [4, 5, 6, 7, 8];
  const high = [get(V), get(V), op.i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]), op.f64x2PromoteLowF32x4];
  return {
    name: 'colSums', params: [I32, I32, I32, I32], locals: [I32, I32, I32, I32, V128],
    body: countUp(R, ROWS, [
      get(A), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PA),
      ...stepUp(O, [op.i32Const(0)], ROW_BYTES, 16, [
        get(PA), get(O), op.i32Add, op.v128Load(0), set(V),
        get(SUMS), get(O), op.i32Const(1), op.i32Shl, op.i32Add, set(PS),
        get(PS), get(PS), op.v128Load(0), get(V), op.f64x2PromoteLowF32x4, op.f64x2Add, op.v128Store(0),
        get(PS), get(PS), op.v128Load(16), ...high, op.f64x2Add, op.v128Store(16),
      ]),
    ]),
  };
}

/**
 * Per-row sums of a (or of a * b), in float64: each float32 vector promoted in two halves and
 * added into two float64 lanes, as the JavaScript reduction sums in doubles.
 *
 *   rowSums(a, sums, rows, rowBytes)        sums[r] = sum_j a[r, j]
 *   rowDots(a, b, sums, rows, rowBytes)     sums[r] = sum_j a[r, j] b[r, j]
 */
function rowSumsFunction(product: boolean): FunctionDef {
  const [A, B] = [0, 1];
  const [SUMS, ROWS, ROW_BYTES] = product ? [2, 3, 4] : [1, 2, 3];
  const first = product ? 5 : 4;
  const [R, O, PA, PB] = [first, first + 1, first + 2, first + 3];
  const [V, W, ACC] = [first + 4, first + 5, first + 6];
  const low = (v: number) => [get(v), op.f64x2PromoteLowF32x4];
  const high = (v: number) => [get(v), get(v), op.i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]), op.f64x2PromoteLowF32x4];
  // The products in float64 too: a double holds the product of two float32 values exactly.
  const term = (half: (v: number) => number[][]) => (product ? [...half(V), ...half(W), op.f64x2Mul] : half(V));
  const load = [
    get(PA), get(O), op.i32Add, op.v128Load(0), set(V),
    ...(product ? [get(PB), get(O), op.i32Add, op.v128Load(0), set(W)] : []),
  ];
  return {
    name: product ? 'rowDots' : 'rowSums',
    params: new Array(product ? 5 : 4).fill(I32),
    locals: [I32, I32, I32, I32, V128, V128, V128],
    body: countUp(R, ROWS, [
      get(A), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PA),
      ...(product ? [get(B), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PB)] : []),
      op.f64Const(0), op.f64x2Splat, set(ACC),
      ...stepUp(O, [op.i32Const(0)], ROW_BYTES, 16, [
        ...load,
        get(ACC), ...term(low), op.f64x2Add, ...term(high), op.f64x2Add, set(ACC),
      ]),
      get(SUMS), get(R), op.i32Const(3), op.i32Shl, op.i32Add,
      get(ACC), op.f64x2ExtractLane(0), get(ACC), op.f64x2ExtractLane(1), op.f64Add, op.f64Store(0),
    ]),
  };
}

/**
 * affineRows(x, scale, shift, dst, rows, rowBytes): dst[r, :] = x[r, :] scale[r] + shift[r],
 * in float64 lanes and rounded once to float32, exactly as the JavaScript loop (whose
 * arithmetic is in doubles) rounds it.
 */
function affineRowsFunction(): FunctionDef {
  const [X, SCALE, SHIFT, DST, ROWS, ROW_BYTES] = [0, 1, 2, 3, 4, 5];
  const [R, O, PX, PD] = [6, 7, 8, 9];
  const [V, S, B, LO] = [10, 11, 12, 13];
  const splat = (base: number) => [get(base), get(R), op.i32Const(2), op.i32Shl, op.i32Add, op.f32Load(0), op.f64PromoteF32, op.f64x2Splat];
  const half = (promote: number[][]) => [...promote, get(S), op.f64x2Mul, get(B), op.f64x2Add, op.f32x4DemoteF64x2Zero];
  return {
    name: 'affineRows', params: new Array(6).fill(I32), locals: [I32, I32, I32, I32, V128, V128, V128, V128],
    body: countUp(R, ROWS, [
      ...splat(SCALE), set(S),
      ...splat(SHIFT), set(B),
      get(X), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PX),
      get(DST), get(R), get(ROW_BYTES), op.i32Mul, op.i32Add, set(PD),
      ...stepUp(O, [op.i32Const(0)], ROW_BYTES, 16, [
        get(PX), get(O), op.i32Add, op.v128Load(0), set(V),
        ...half([get(V), op.f64x2PromoteLowF32x4]), set(LO),
        get(PD), get(O), op.i32Add,
        get(LO), ...half([get(V), get(V), op.i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]), op.f64x2PromoteLowF32x4]),
        op.i8x16Shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
        op.v128Store(0),
      ]),
    ]),
  };
}

const OPS: BinaryOp[] = ['add', 'sub', 'mul', 'greater'];
export const binaryFunctions: FunctionDef[] = [
  ...OPS.flatMap((name) => [
    sameFunction(name), rowsFunction(name, false), rowsFunction(name, true), colsFunction(name, false), colsFunction(name, true),
  ]),
  rowSumsFunction(false), rowSumsFunction(true), colSumsFunction(), affineRowsFunction(), reluFunction(),
];

export type SameExport = (a: number, b: number, dst: number, bytes: number) => void;
export type RowsExport = (first: number, second: number, dst: number, rows: number, rowBytes: number) => void;
export interface BinaryExports {
  ops: Record<BinaryOp, { same: SameExport; rows: RowsExport; rowsLeft: RowsExport; cols: RowsExport; colsLeft: RowsExport }>;
  rowSums: (a: number, sums: number, rows: number, rowBytes: number) => void;
  colSums: (a: number, sums: number, rows: number, rowBytes: number) => void;
  relu: (a: number, dst: number, bytes: number) => void;
  rowDots: (a: number, b: number, sums: number, rows: number, rowBytes: number) => void;
  affineRows: (x: number, scale: number, shift: number, dst: number, rows: number, rowBytes: number) => void;
}

/** The exports of `binaryFunctions`. */
export function binaryExports(exports: Record<string, unknown>): BinaryExports {
  const pick = (name: BinaryOp) => ({
    same: exports[`${name}Same`] as SameExport,
    rows: exports[`${name}Rows`] as RowsExport,
    rowsLeft: exports[`${name}RowsLeft`] as RowsExport,
    cols: exports[`${name}Cols`] as RowsExport,
    colsLeft: exports[`${name}ColsLeft`] as RowsExport,
  });
  return {
    ops: { add: pick('add'), sub: pick('sub'), mul: pick('mul'), greater: pick('greater') },
    rowSums: exports.rowSums as BinaryExports['rowSums'],
    colSums: exports.colSums as BinaryExports['colSums'],
    relu: exports.relu as BinaryExports['relu'],
    rowDots: exports.rowDots as BinaryExports['rowDots'],
    affineRows: exports.affineRows as BinaryExports['affineRows'],
  };
}
