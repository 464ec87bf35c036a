/**
 * The float32 gemm's transposing pack, in WebAssembly: rows of a row-major operand become the
 * panels the window kernel reads (matmul-f32.ts), `width` rows interleaved per reduction step:
 *
 *   element (row width q + r, step p) of src  ->  dst[(q kc + p) width + r]
 *
 * Four rows and four steps at a time: four v128 loads (one per row), a 4 x 4 transpose in
 * eight shuffles, four stores (one per step). This is the layout change a Linear layer needs
 * on every product but one (x W^T packs both x and W this way, ct W packs ct), which the
 * JavaScript loop did one element at a time: 65-100 us on a [256, 256] operand, against
 * about 10 us for this plus the memcpy that brings the operand into WebAssembly memory.
 *
 *   packPanels(src, srcRow, panels, groups, quads, dst)
 *
 * src: the first element (row 0, step p0); srcRow: bytes from one row to the next; panels:
 * rows / width; groups: width / 4; quads: kc / 4 (the caller handles other shapes); dst: the
 * panels, kc * width floats each.
 *
 * An operand stored transposed (its panel rows consecutive in memory: A^T ct's ct) needs no
 * transpose, only a gather of runs of `width` floats, one v128 per 4:
 *
 *   packRuns(src, srcStep, panels, groups, kc, dst)   dst[(q kc + p) width + r] = src[p step + q width + r]
 */
import { type FunctionDef, I32, V128, countUp, op } from './assembler.js';

const [SRC, SRC_ROW, PANELS, GROUPS, QUADS, DST] = [0, 1, 2, 3, 4, 5];
const [Q, G, T, S, D, STEP] = [6, 7, 8, 9, 10, 11];
const [A0, A1, A2, A3, T0, T1, T2, T3] = [12, 13, 14, 15, 16, 17, 18, 19];

const get = op.localGet;
const set = op.localSet;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
/** Lanes (of 4 bytes) picked from two vectors, 0-3 the first and 4-7 the second. */
const lanes = (picks: number[]) => op.i8x16Shuffle(picks.flatMap((l) => range(4 * l, 4)));

const load = (v: number, r: number): number[][] => [get(S), get(SRC_ROW), op.i32Const(r), op.i32Mul, op.i32Add, op.v128Load(0), set(v)];
const store = (p: number, value: number[][]): number[][] => [get(D), get(STEP), op.i32Const(p), op.i32Mul, op.i32Add, ...value, op.v128Store(0)];

const body: number[][] = [
  // STEP: bytes from one step's row of a panel to the next, width * 4 = groups * 16
  get(GROUPS), op.i32Const(4), op.i32Shl, set(STEP),
  ...countUp(Q, PANELS, countUp(G, GROUPS, [
    // S: row (q groups + g) * 4 at step 0; D: panel q, rows 4g.., step 0
    get(SRC), get(Q), get(GROUPS), op.i32Mul, get(G), op.i32Add, get(SRC_ROW), op.i32Mul, op.i32Const(2), op.i32Shl, op.i32Add, set(S),
    get(DST), get(Q), get(QUADS), op.i32Mul, get(STEP), op.i32Mul, op.i32Const(2), op.i32Shl, op.i32Add,
    get(G), op.i32Const(4), op.i32Shl, op.i32Add, set(D),
    ...countUp(T, QUADS, [
      ...load(A0, 0), ...load(A1, 1), ...load(A2, 2), ...load(A3, 3),
      get(A0), get(A1), lanes([0, 4, 1, 5]), set(T0),
      get(A0), get(A1), lanes([2, 6, 3, 7]), set(T1),
      get(A2), get(A3), lanes([0, 4, 1, 5]), set(T2),
      get(A2), get(A3), lanes([2, 6, 3, 7]), set(T3),
      ...store(0, [get(T0), get(T2), lanes([0, 1, 4, 5])]),
      ...store(1, [get(T0), get(T2), lanes([2, 3, 6, 7])]),
      ...store(2, [get(T1), get(T3), lanes([0, 1, 4, 5])]),
      ...store(3, [get(T1), get(T3), lanes([2, 3, 6, 7])]),
      get(S), op.i32Const(16), op.i32Add, set(S),
      get(D), get(STEP), op.i32Const(2), op.i32Shl, op.i32Add, set(D),
    ]),
  ])),
];

export const packFunction: FunctionDef = {
  name: 'packPanels',
  params: new Array(6).fill(I32),
  locals: [...new Array(6).fill(I32), ...new Array(8).fill(V128)],
  body,
};

function runsBody(): number[][] {
  const [SRC, STEP, PANELS, GROUPS, KC, DST] = [0, 1, 2, 3, 4, 5];
  const [Q, P, G, S, D, RUN] = [6, 7, 8, 9, 10, 11];
  return [
    get(GROUPS), op.i32Const(4), op.i32Shl, set(RUN), // bytes per run, width * 4
    ...countUp(Q, PANELS, [
      get(SRC), get(Q), get(RUN), op.i32Mul, op.i32Add, set(S),
      get(DST), get(Q), get(KC), op.i32Mul, get(RUN), op.i32Mul, op.i32Add, set(D),
      ...countUp(P, KC, [
        ...countUp(G, GROUPS, [
          get(D), get(G), op.i32Const(4), op.i32Shl, op.i32Add,
          get(S), get(G), op.i32Const(4), op.i32Shl, op.i32Add, op.v128Load(0),
          op.v128Store(0),
        ]),
        get(S), get(STEP), op.i32Add, set(S),
        get(D), get(RUN), op.i32Add, set(D),
      ]),
    ]),
  ];
}

export const packRunsFunction: FunctionDef = {
  name: 'packRuns',
  params: new Array(6).fill(I32),
  locals: new Array(6).fill(I32),
  body: runsBody(),
};

/** packPanels(src, srcRow, panels, groups, quads, dst), or packRuns(src, srcStep, panels, groups, kc, dst). */
export type PackExport = (src: number, srcRow: number, panels: number, groups: number, quads: number, dst: number) => void;
