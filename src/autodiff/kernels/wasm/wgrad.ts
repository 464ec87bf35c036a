/**
 * Weight-adjoint micro-kernels of a stride-1, dilation-1 conv1d:
 *
 *   dW[o, i, j] = sum_{b, t} dy[b, o, t] xpad[b, i, t + j]
 *
 * The reduction runs along positions t, so these kernels vectorize over t instead of over
 * columns of a matrix product: an f64x2 register holds the partial sums of even and odd t
 * (an f32x4 one, in the float32 variants, those of t mod 4).
 * A tile is 2 output channels x N consecutive taps of one input channel; per pair of
 * positions it loads 2 dy pairs and N (unaligned) x pairs and does 2N multiply-adds, with
 * the sums in registers over the whole reduction (every batch item). N <= 4 keeps the tile
 * at the 8 + 3 vector registers of the gemm tile: a first version with all K = 5 taps in one
 * tile (10 + 3 registers) ran at half the gemm's speed, as V8 spilled. The caller covers K
 * taps with tiles of up to 4 (5 = 4 + 1), so no lane is wasted on taps past K.
 *
 *   wgradN(dy, x, c2, batch, inChannels, oPairs, tPairs, dyRow, dyBatch, xRow, xBatch)
 *
 * x points at tap j0 of the first row (the caller adds j0 elements). The tiles' sums go to c2,
 * [inChannels][oPairs][2][N] vectors, and the caller adds the lanes. Strides are in bytes;
 * dy rows hold tPairs vectors of positions (zero-padded).
 */
import { type FunctionDef, I32, V128, addTo, countUp, op } from './assembler.js';

export const WGRAD_TAPS = 4;

const [DY, X, C2, NB, NI, OP, TP, DY_ROW, DY_BATCH, X_ROW, X_BATCH] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const [B, I, O, T, DY_PTR, X_PTR, C_PTR] = [11, 12, 13, 14, 15, 16, 17];
const FIRST_VECTOR = 18;

const get = op.localGet;
const set = op.localSet;
/** f64x2 (2 positions per vector) or f32x4 (4 positions, for float32 calls). */
interface Lanes {
  suffix: string;
  add: number[];
  mul: number[];
  /** relaxed_madd, for the fused variants (see window.ts) */
  madd?: number[];
}
const F64: Lanes = { suffix: '', add: op.f64x2Add, mul: op.f64x2Mul };
const F32: Lanes = { suffix: 'F32', add: op.f32x4Add, mul: op.f32x4Mul };
const F32_FMA: Lanes = { ...F32, suffix: 'F32Fma', madd: op.f32x4RelaxedMadd };

function wgradFunction(N: number, e: Lanes, bytes: number): FunctionDef {
  const acc = Array.from({ length: 2 * N }, (_, k) => FIRST_VECTOR + k); // acc[h*N + j]
  const [D0, D1, XV] = [FIRST_VECTOR + 2 * N, FIRST_VECTOR + 2 * N + 1, FIRST_VECTOR + 2 * N + 2];
  const taps = Array.from({ length: N }, (_, j) => j);
  // acc += d * x: a multiply then an add, or one relaxed_madd (operands d, x, acc).
  const update = (a: number, d: number, x: number): number[][] =>
    e.madd === undefined ? [get(a), get(d), get(x), e.mul, e.add, set(a)] : [get(d), get(x), get(a), e.madd, set(a)];
  const pair = [
    get(DY_PTR), op.v128Load(0), set(D0),
    get(DY_PTR), get(DY_ROW), op.i32Add, op.v128Load(0), set(D1),
    ...taps.flatMap((j) => [
      get(X_PTR), op.v128Load(bytes * j), set(XV),
      ...update(acc[j], D0, XV),
      ...update(acc[N + j], D1, XV),
    ]),
    ...addTo(DY_PTR, op.i32Const(16)),
    ...addTo(X_PTR, op.i32Const(16)),
  ];
  const tile = [
    ...acc.flatMap((a) => [op.v128Zero(), set(a)]),
    ...countUp(B, NB, [
      // dy rows 2o and 2o + 1 of batch item b; x row i of batch item b.
      get(DY), get(B), get(DY_BATCH), op.i32Mul, op.i32Add, get(O), get(DY_ROW), op.i32Mul, op.i32Const(1), op.i32Shl, op.i32Add, set(DY_PTR),
      get(X), get(B), get(X_BATCH), op.i32Mul, op.i32Add, get(I), get(X_ROW), op.i32Mul, op.i32Add, set(X_PTR),
      ...countUp(T, TP, pair),
    ]),
    ...acc.flatMap((a, k) => [get(C_PTR), get(a), op.v128Store(16 * k)]),
    ...addTo(C_PTR, op.i32Const(32 * N)),
  ];
  return {
    name: `wgrad${e.suffix}${N}`,
    params: new Array(11).fill(I32),
    locals: [...new Array(7).fill(I32), ...new Array(2 * N + 3).fill(V128)],
    body: [get(C2), set(C_PTR), ...countUp(I, NI, countUp(O, OP, tile))],
  };
}

/**
 * The one-tap tile with 8 output channels instead of 2: a K = 5 kernel leaves one tap after
 * a tile of 4, and a 2 x 1 tile has only 2 accumulators, so each multiply-add waits for the
 * previous one's latency (in the conv1d row of bench:peers the 1-tap tiles took 12 % of the
 * time for 1/5 of the products). With 8 accumulators the tile streams: per vector of
 * positions one x load and 8 dy loads (one register for them in turn, 10 in all). Each sum
 * runs over the same (b, t) in the same order as in the 2 x 1 tile, so the results are the
 * same bit for bit, and so is the output layout ([inChannels][O / 8][8][1] vectors is
 * [inChannels][O / 2][2][1]). `oPairs` is O / 8 for this one.
 */
function wgradRows8Function(e: Lanes): FunctionDef {
  const H = 8;
  const acc = Array.from({ length: H }, (_, h) => FIRST_VECTOR + h);
  const [D, XV] = [FIRST_VECTOR + H, FIRST_VECTOR + H + 1];
  const ROW_PTR = FIRST_VECTOR + H + 2; // an i32 local after the vectors
  const update = (a: number): number[][] =>
    e.madd === undefined ? [get(a), get(D), get(XV), e.mul, e.add, set(a)] : [get(D), get(XV), get(a), e.madd, set(a)];
  const position = [
    get(X_PTR), op.v128Load(0), set(XV),
    get(DY_PTR), set(ROW_PTR),
    ...acc.flatMap((a) => [get(ROW_PTR), op.v128Load(0), set(D), ...update(a), ...addTo(ROW_PTR, get(DY_ROW))]),
    ...addTo(DY_PTR, op.i32Const(16)),
    ...addTo(X_PTR, op.i32Const(16)),
  ];
  const tile = [
    ...acc.flatMap((a) => [op.v128Zero(), set(a)]),
    ...countUp(B, NB, [
      // dy rows 8o .. 8o + 7 of batch item b; x row i of batch item b.
      get(DY), get(B), get(DY_BATCH), op.i32Mul, op.i32Add, get(O), get(DY_ROW), op.i32Mul, op.i32Const(3), op.i32Shl, op.i32Add, set(DY_PTR),
      get(X), get(B), get(X_BATCH), op.i32Mul, op.i32Add, get(I), get(X_ROW), op.i32Mul, op.i32Add, set(X_PTR),
      ...countUp(T, TP, position),
    ]),
    ...acc.flatMap((a, h) => [get(C_PTR), get(a), op.v128Store(16 * h)]),
    ...addTo(C_PTR, op.i32Const(16 * H)),
  ];
  return {
    name: `wgrad${e.suffix}Rows8`,
    params: new Array(11).fill(I32),
    locals: [...new Array(7).fill(I32), ...new Array(H + 2).fill(V128), I32],
    body: [get(C2), set(C_PTR), ...countUp(I, NI, countUp(O, OP, tile))],
  };
}

/** The 8 x 1 tiles: float64, float32, float32 with fused multiply-adds. */
export const wgradRows8Functions = { f64: wgradRows8Function(F64), f32: wgradRows8Function(F32), f32Fma: wgradRows8Function(F32_FMA) };

/** wgradFunctions[N - 1] computes N taps per tile in float64; wgradF32Functions in float32. */
export const wgradFunctions: FunctionDef[] = Array.from({ length: WGRAD_TAPS }, (_, n) => wgradFunction(n + 1, F64, 8));
export const wgradF32Functions: FunctionDef[] = Array.from({ length: WGRAD_TAPS }, (_, n) => wgradFunction(n + 1, F32, 4));
/** The float32 kernels with fused multiply-adds, where the engine has relaxed SIMD (runtime.ts). */
export const wgradF32FmaFunctions: FunctionDef[] = Array.from({ length: WGRAD_TAPS }, (_, n) => wgradFunction(n + 1, F32_FMA, 4));

export type WgradExport = (
  dy: number, x: number, c2: number, batch: number, inChannels: number, oPairs: number, tPairs: number,
  dyRow: number, dyBatch: number, xRow: number, xBatch: number,
) => void;
