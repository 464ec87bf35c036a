/**
 * The "window" micro-kernel: the 4 x 4 f64x2 tile of gemm.ts (or a 4 x 8 f32x4 tile for
 * float32 calls), but with the B operand read
 * straight out of a (zero-padded) activation buffer instead of a packed panel. A convolution
 * over contiguous positions never needs its im2col matrix: the 4 columns t0..t0+3 of im2col
 * at reduction row (channel c, tap j) are the 4 consecutive values x[c, t0 + j*dil ..], one
 * pair of unaligned v128 loads. So only the small operand (the weights, or dy for the weight
 * adjoint) is packed; the big one is copied once into a padded buffer, where the im2col path
 * (conv1d-ts.ts) wrote it K times into panels with scalar JavaScript.
 *
 * The reduction runs over two nested loops, n1 outer steps of s1 bytes and n2 inner steps of
 * s2 bytes (s2 may be negative), while A advances one packed step (32 bytes) per product:
 *
 *   forward        (channel i, tap j):   n1 = I, s1 = row bytes, n2 = K, s2 = dil * 8
 *   input adjoint  (channel o, tap j):   n1 = O, s1 = row bytes, n2 = taps, s2 = -dil * 8
 *   weight adjoint (batch b, position t): n1 = batch, s1 = batch bytes, n2 = T, s2 = 8
 *
 * Column tiles form a 2-level grid (nu x nv, B and C advancing bu/cu and bv/cv bytes), and
 * every A panel (4 rows of C, mTiles of them, aPanel bytes apart) runs against each tile:
 *
 *   window(a, aPanel, mTiles, b, nu, bu, nv, bv, n1, s1, n2, s2, c, cu, cv, ldc, accumulate)
 *
 * C rows 4q..4q+3 of a tile start at c + u*cu + v*cv + 4q*ldc. All addresses are bytes (the
 * strides listed above are float64's; `windowF32` takes them with 4-byte elements).
 */
import { type FunctionDef, I32, V128, addTo, countDown, countUp, op } from './assembler.js';

// Parameters, then loop state, then vector registers.
const [A, A_PANEL, M_TILES, B, NU, BU, NV, BV, N1, S1, N2, S2, C, CU, CV, LDC, ACCUMULATE] =
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const [U, V, Q, I1, I2, A_PTR, B_PTR, B_ROW, B_TILE, C_TILE, C_ROW] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const ACC = [28, 29, 30, 31, 32, 33, 34, 35]; // row r: columns 0-1 in ACC[2r], 2-3 in ACC[2r + 1]
const [B01, B23, AV] = [36, 37, 38];

const get = op.localGet;
const set = op.localSet;

/**
 * The element type: f64 (2 lanes, a tile of 4 rows x 4 columns) or f32 (4 lanes, 4 rows x 8
 * columns, twice the products per instruction). Either way a tile row is 2 vectors (32 bytes)
 * of C and of each B step, and A holds 4 row values per step. The narrow f32 kernel has tile
 * rows of 1 vector (4 rows x 4 columns), for float32 rows shorter than 8 positions, where an
 * 8-column tile would compute half its products for nothing.
 */
interface Lanes {
  bytes: number;
  /** vectors per tile row: 2, or 1 for the narrow kernel */
  vectors: 1 | 2;
  splat: (offset: number) => number[];
  add: number[];
  mul: number[];
  /** relaxed_madd, for the fused variants: acc = a * b + acc in one instruction (and one rounding) */
  madd?: number[];
}
const F64: Lanes = { bytes: 8, vectors: 2, splat: op.v128Load64Splat, add: op.f64x2Add, mul: op.f64x2Mul };
const F32: Lanes = { bytes: 4, vectors: 2, splat: op.v128Load32Splat, add: op.f32x4Add, mul: op.f32x4Mul };
const F32_NARROW: Lanes = { ...F32, vectors: 1 };
const F32_FMA: Lanes = { ...F32, madd: op.f32x4RelaxedMadd };
const F32_NARROW_FMA: Lanes = { ...F32_NARROW, madd: op.f32x4RelaxedMadd };

function windowBody(e: Lanes): number[][] {
  const wide = e.vectors === 2;
  // acc += a * b: a multiply then an add, or one relaxed_madd (operands a, b, acc).
  const update = (acc: number, b: number): number[][] =>
    e.madd === undefined
      ? [get(acc), get(AV), get(b), e.mul, e.add, set(acc)]
      : [get(AV), get(b), get(acc), e.madd, set(acc)];
  const rowUpdate = (r: number): number[][] => [
    get(A_PTR), e.splat(e.bytes * r), set(AV),
    ...update(ACC[2 * r], B01),
    ...(wide ? update(ACC[2 * r + 1], B23) : []),
  ];
  const rowStore = (r: number, accumulate: boolean): number[][] => {
    const half = (lane: number, offset: number) =>
      accumulate
        ? [get(C_ROW), get(C_ROW), op.v128Load(offset), get(ACC[2 * r + lane]), e.add, op.v128Store(offset)]
        : [get(C_ROW), get(ACC[2 * r + lane]), op.v128Store(offset)];
    return [...half(0, 0), ...(wide ? half(1, 16) : []), ...addTo(C_ROW, get(LDC))];
  };
  const step: number[][] = [
    get(B_PTR), op.v128Load(0), set(B01),
    ...(wide ? [get(B_PTR), op.v128Load(16), set(B23)] : []),
    ...[0, 1, 2, 3].flatMap(rowUpdate),
    ...addTo(A_PTR, op.i32Const(4 * e.bytes)),
    ...addTo(B_PTR, get(S2)),
  ];
  const tile: number[][] = [
    ...ACC.flatMap((a) => [op.v128Zero(), set(a)]),
    get(A), get(Q), get(A_PANEL), op.i32Mul, op.i32Add, set(A_PTR),
    get(B_TILE), set(B_ROW),
    ...countDown(I1, N1, [
      get(B_ROW), set(B_PTR),
      ...countDown(I2, N2, step),
      ...addTo(B_ROW, get(S1)),
    ]),
    // C_ROW = cTile + q * 4 * ldc
    get(C_TILE), get(Q), get(LDC), op.i32Mul, op.i32Const(2), op.i32Shl, op.i32Add, set(C_ROW),
    get(ACCUMULATE), op.if,
    ...[0, 1, 2, 3].flatMap((r) => rowStore(r, true)),
    op.else,
    ...[0, 1, 2, 3].flatMap((r) => rowStore(r, false)),
    op.end,
  ];
  return countUp(U, NU, countUp(V, NV, [
    get(B), get(U), get(BU), op.i32Mul, op.i32Add, get(V), get(BV), op.i32Mul, op.i32Add, set(B_TILE),
    get(C), get(U), get(CU), op.i32Mul, op.i32Add, get(V), get(CV), op.i32Mul, op.i32Add, set(C_TILE),
    ...countUp(Q, M_TILES, tile),
  ]));
}

const windowDef = (name: string, e: Lanes): FunctionDef => ({
  name,
  params: new Array(17).fill(I32),
  locals: [...new Array(11).fill(I32), ...new Array(11).fill(V128)],
  body: windowBody(e),
});

/** float64 operands and sums: 4 x 4 tiles. */
export const windowFunction = windowDef('window', F64);
/**
 * float32 operands and sums: 4 x 8 tiles, for float32 calls. The sums are float32 too (as in
 * PyTorch), where the f64 kernel rounds once at the end.
 */
export const windowF32Function = windowDef('windowF32', F32);
/** float32 operands and sums: 4 x 4 tiles, for float32 rows shorter than 8. */
export const windowF32NarrowFunction = windowDef('windowF32Narrow', F32_NARROW);
/**
 * The two float32 kernels with each multiply-add fused (relaxed_madd): on hardware with FMA
 * one instruction and one rounding instead of two. Only where the engine has relaxed SIMD
 * (runtime.ts); the plain kernels above stay the fallback.
 */
export const windowF32FmaFunction = windowDef('windowF32Fma', F32_FMA);
export const windowF32NarrowFmaFunction = windowDef('windowF32NarrowFma', F32_NARROW_FMA);

export type WindowExport = (
  a: number, aPanel: number, mTiles: number,
  b: number, nu: number, bu: number, nv: number, bv: number,
  n1: number, s1: number, n2: number, s2: number,
  c: number, cu: number, cv: number, ldc: number, accumulate: number,
) => void;
