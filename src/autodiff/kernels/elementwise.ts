/**
 * Loops for elementwise operations with NumPy broadcasting, on raw arrays.
 *
 * Each op's loops are generated from its scalar expression (say `x * y`) with `new Function`,
 * once, when the op is defined. The reason is speed: a shared loop calling `f(x, y)` sees
 * every op at one call site and V8 cannot inline any of them; a loop of its own per op runs
 * at memory speed. The fast paths (same shape, one scalar operand) cover nearly every call;
 * the general path walks the broadcast output one innermost row at a time. Float32 add, sub,
 * mul, greater and ReLU run in WebAssembly where they can (binary-f32.ts), bit for bit the
 * loops' results.
 */
import { type BinaryOp, binaryColsF32, binaryRowsF32, binaryScalarF32, binarySameF32, reluF32 } from './binary-f32.js';
import { compileLoop } from './compile.js';
import { type Shape, broadcastStrides, sameShape, sizeOf } from './shape.js';
import type { DType, Floats } from './types.js';
import { walk } from './walk.js';

type UnaryLoop = (out: Floats, a: Floats, n: number) => void;
type ContiguousLoop = (out: Floats, a: Floats, b: Floats, n: number) => void;
type ScalarLoop = (out: Floats, a: Floats, y: number, n: number) => void;
type RunLoop = (out: Floats, a: Floats, o: number, y: number, n: number) => void;
type RowsLoop = (out: Floats, full: Floats, small: Floats, rows: number, inner: number) => void;
type StridedLoop = (out: Floats, o: number, a: Floats, ia: number, da: number, b: Floats, ib: number, db: number, n: number) => void;
type TernaryLoop = (out: Floats, a: Floats, b: Floats, c: Floats, n: number) => void;

/** A unary op: one compiled loop per output dtype computing its expression in `x`. */
export interface UnaryKernel {
  readonly loops: Record<DType, UnaryLoop>;
  /** ReLU: float32 arrays run in WebAssembly. */
  readonly wasm?: 'relu';
}

/** A binary op: one set of loops per output dtype computing its expression in `x` and `y`. */
export interface BinaryKernel {
  readonly loops: Record<DType, BinaryLoops>;
  /** For add, sub and mul: float32 operands of one shape, or a full one against one constant along trailing axes, run in WebAssembly. */
  readonly wasm?: BinaryOp;
}

/** An op of three arrays of one length: one compiled loop per output dtype, in `x`, `y` and `z`. */
export interface TernaryKernel {
  readonly loops: Record<DType, TernaryLoop>;
}

interface BinaryLoops {
  readonly same: ContiguousLoop;
  readonly scalarRight: ScalarLoop;
  readonly scalarLeft: ScalarLoop;
  readonly strided: StridedLoop;
  /** out[o + j] = f(a[o + j], y) for j < n: a run of the full operand against one value of the other. */
  readonly runRight: RunLoop;
  /** out[o + j] = f(x, b[o + j]) for j < n. */
  readonly runLeft: RunLoop;
  /** out[r * inner + j] = f(a[r * inner + j], y[r]): the small operand holds one value per row. */
  readonly rowsRight: RowsLoop;
  /** out[r * inner + j] = f(x[r], b[r * inner + j]). */
  readonly rowsLeft: RowsLoop;
  /** out[r * inner + j] = f(a[r * inner + j], y[j]): the small operand is one row (a bias). */
  readonly colsRight: RowsLoop;
  /** out[r * inner + j] = f(x[j], b[r * inner + j]). */
  readonly colsLeft: RowsLoop;
}

/** The expressions that have WebAssembly float32 kernels (wasm/binary.ts). */
const WASM_OPS: Readonly<Record<string, BinaryOp>> = { 'x + y': 'add', 'x - y': 'sub', 'x * y': 'mul', 'x > y ? 1 : 0': 'greater' };
const WASM_UNARY: Readonly<Record<string, 'relu'>> = { 'x > 0 ? x : 0': 'relu' };

/** Below this many values the JavaScript loop beats the copies into WebAssembly memory and back. */
const WASM_MIN = 1024;

export function unaryKernel(expr: string): UnaryKernel {
  const make = () => compileLoop<UnaryLoop>('out, a, n', `for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${expr}; }`);
  return { loops: { float64: make(), float32: make() }, wasm: WASM_UNARY[expr] };
}

/** out = f(a), arrays of one length and dtype. */
export function unaryInto(kernel: UnaryKernel, out: Floats, a: Floats): void {
  if (kernel.wasm === 'relu' && a instanceof Float32Array && out.length >= WASM_MIN && reluF32(a, out as Float32Array)) return;
  kernel.loops[out instanceof Float32Array ? 'float32' : 'float64'](out, a, out.length);
}

export function binaryKernel(expr: string): BinaryKernel {
  return { loops: { float64: binaryLoops(expr), float32: binaryLoops(expr) }, wasm: WASM_OPS[expr] };
}

export function ternaryKernel(expr: string): TernaryKernel {
  const make = () => compileLoop<TernaryLoop>(
    'out, a, b, c, n', `for (let i = 0; i < n; i++) { const x = a[i], y = b[i], z = c[i]; out[i] = ${expr}; }`,
  );
  return { loops: { float64: make(), float32: make() } };
}

function binaryLoops(expr: string): BinaryLoops {
  return {
    same: compileLoop('out, a, b, n', `for (let i = 0; i < n; i++) { const x = a[i], y = b[i]; out[i] = ${expr}; }`),
    scalarRight: compileLoop('out, a, y, n', `for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${expr}; }`),
    scalarLeft: compileLoop('out, b, x, n', `for (let i = 0; i < n; i++) { const y = b[i]; out[i] = ${expr}; }`),
    strided: compileLoop(
      'out, o, a, ia, da, b, ib, db, n',
      `for (let j = 0; j < n; j++) { const x = a[ia + j * da], y = b[ib + j * db]; out[o + j] = ${expr}; }`,
    ),
    runRight: compileLoop('out, a, o, y, n', `for (let i = o, end = o + n; i < end; i++) { const x = a[i]; out[i] = ${expr}; }`),
    runLeft: compileLoop('out, b, o, x, n', `for (let i = o, end = o + n; i < end; i++) { const y = b[i]; out[i] = ${expr}; }`),
    rowsRight: compileLoop(
      'out, a, small, rows, inner',
      `for (let r = 0, i = 0; r < rows; r++) { const y = small[r]; for (const end = i + inner; i < end; i++) { const x = a[i]; out[i] = ${expr}; } }`,
    ),
    rowsLeft: compileLoop(
      'out, b, small, rows, inner',
      `for (let r = 0, i = 0; r < rows; r++) { const x = small[r]; for (const end = i + inner; i < end; i++) { const y = b[i]; out[i] = ${expr}; } }`,
    ),
    colsRight: compileLoop(
      'out, a, small, rows, inner',
      `for (let r = 0, i = 0; r < rows; r++) { for (let j = 0; j < inner; j++, i++) { const x = a[i], y = small[j]; out[i] = ${expr}; } }`,
    ),
    colsLeft: compileLoop(
      'out, b, small, rows, inner',
      `for (let r = 0, i = 0; r < rows; r++) { for (let j = 0; j < inner; j++, i++) { const x = small[j], y = b[i]; out[i] = ${expr}; } }`,
    ),
  };
}

/**
 * out = f(a, b), with a of `aShape` and b of `bShape` broadcast to `shape`, the shape of
 * `out` (whose dtype picks the loops). The first pattern that fits runs: one shape, one
 * scalar operand, one full operand against a small one, and else the general walk.
 */
export function binaryInto(kernel: BinaryKernel, out: Floats, a: Floats, aShape: Shape, b: Floats, bShape: Shape, shape: Shape): void {
  const loops = kernel.loops[out instanceof Float32Array ? 'float32' : 'float64'];
  const wasm = kernel.wasm !== undefined && a instanceof Float32Array && b instanceof Float32Array && out.length >= WASM_MIN ? kernel.wasm : undefined;
  if (sameShape(aShape, bShape)) {
    const done = wasm !== undefined && binarySameF32(wasm, a as Float32Array, b as Float32Array, out as Float32Array);
    if (!done) loops.same(out, a, b, a.length);
    return;
  }
  if (b.length === 1 && bShape.length <= aShape.length) {
    if (!(wasm !== undefined && binaryScalarF32(wasm, a as Float32Array, b[0], out as Float32Array, false))) loops.scalarRight(out, a, b[0], a.length);
    return;
  }
  if (a.length === 1 && aShape.length <= bShape.length) {
    if (!(wasm !== undefined && binaryScalarF32(wasm, b as Float32Array, a[0], out as Float32Array, true))) loops.scalarLeft(out, b, a[0], b.length);
    return;
  }
  if (sameShape(aShape, shape) && fullAgainstSmall(loops, wasm, out, a, b, bShape, shape, false)) return;
  if (sameShape(bShape, shape) && fullAgainstSmall(loops, wasm, out, b, a, aShape, shape, true)) return;
  walk(shape, [broadcastStrides(aShape, shape), broadcastStrides(bShape, shape)], (o, [ia, ib], n, [da, db]) =>
    loops.strided(out, o, a, ia, da, b, ib, db, n),
  );
}

/**
 * `full` has the output's shape and `small` is constant along trailing axes of it: one value
 * per row (rows loops, or WebAssembly), or runs of 4 or more (runs, in WebAssembly or not);
 * or `small` is the output's last axes, one row repeated (a bias: cols loops, or WebAssembly).
 * `smallFirst`: small is the left operand. False, with nothing written, where none fits.
 */
function fullAgainstSmall(
  loops: BinaryLoops, wasm: BinaryOp | undefined, out: Floats, full: Floats, small: Floats, smallShape: Shape, shape: Shape, smallFirst: boolean,
): boolean {
  if (isTrailingRow(smallShape, shape)) {
    const done = wasm !== undefined && binaryColsF32(wasm, full as Float32Array, small as Float32Array, out as Float32Array, smallFirst);
    if (!done) (smallFirst ? loops.colsLeft : loops.colsRight)(out, full, small, out.length / small.length, small.length);
    return true;
  }
  const inner = rowsOf(smallShape, shape);
  if (inner > 0) {
    const done = wasm !== undefined && binaryRowsF32(wasm, full as Float32Array, small as Float32Array, out as Float32Array, inner, smallFirst);
    if (!done) (smallFirst ? loops.rowsLeft : loops.rowsRight)(out, full, small, out.length / inner, inner);
    return true;
  }
  if (wasm !== undefined && runsInWasm(wasm, full, small, smallShape, shape, out, smallFirst)) return true;
  return runs(out, full, small, smallShape, shape, smallFirst ? loops.runLeft : loops.runRight);
}

/**
 * Whether `small`, leading 1s aside, is the output's trailing axes (a bias [N] or [1, N]
 * against [B, N]), with at least two values and smaller than the output: then the output is
 * that row repeated, op'd with the full operand's rows.
 */
function isTrailingRow(smallShape: Shape, shape: Shape): boolean {
  let first = 0;
  while (first < smallShape.length && smallShape[first] === 1) first++;
  const rest = smallShape.length - first;
  if (rest === 0 || rest >= shape.length) return false;
  for (let i = 1; i <= rest; i++) if (smallShape[smallShape.length - i] !== shape[shape.length - i]) return false;
  return sizeOf(smallShape) > 1;
}

/**
 * When `small` is the output's leading axes followed by 1s (a FiLM scale [B, C, 1] against
 * [B, C, T]), it holds one value per contiguous row of the output: returns the row length,
 * or 0 when it is not of that form. Then one loop nest does it, with no walk.
 */
function rowsOf(smallShape: Shape, shape: Shape): number {
  const lead = shape.length - smallShape.length;
  let k = shape.length;
  while (k > lead && smallShape[k - 1 - lead] === 1) k--;
  for (let i = 0; i < k; i++) if (i < lead ? shape[i] !== 1 : smallShape[i - lead] !== shape[i]) return 0;
  const inner = sizeOf(shape.slice(k));
  return inner > 1 ? inner : 0;
}

/**
 * The runs of a small operand against the output's shape: the output's leading axes (up to
 * k), along which it varies, with its strides there, and the length of the contiguous runs
 * of the trailing axes, along which it is constant.
 */
function runsOf(smallShape: Shape, shape: Shape): { lead: Shape; strides: number[]; inner: number } {
  const strides = broadcastStrides(smallShape, shape);
  let k = shape.length;
  while (k > 0 && (strides[k - 1] === 0 || shape[k - 1] === 1)) k--;
  return { lead: shape.slice(0, k), strides: strides.slice(0, k), inner: sizeOf(shape.slice(k)) };
}

/**
 * One operand has the output's shape and the other (`small`) is constant along its trailing
 * axes: a bias [1, C, 1] or a scale [B, C, 1] against activations [B, C, T]. Run the loop over
 * each contiguous run of the full operand with the small operand's value, instead of the
 * general walk's strided rows (measured: 3 % of an L_Diff step went to that walk). Returns
 * false when the runs would be shorter than 4 values.
 */
function runs(out: Floats, full: Floats, small: Floats, smallShape: Shape, shape: Shape, loop: RunLoop): boolean {
  const { lead, strides, inner } = runsOf(smallShape, shape);
  if (inner < 4) return false;
  walk(lead, [strides], (o, [i], n, [d]) => {
    for (let j = 0; j < n; j++) loop(out, full, (o + j) * inner, small[i + j * d], inner);
  });
  return true;
}

/**
 * The runs of `runs` in WebAssembly: the small operand's value for each run, gathered into
 * one array (a [1, C, 1] bias against [B, C, T] becomes B C values), then the rows kernel.
 * False where the runs are not a multiple of 4 long.
 */
function runsInWasm(op: BinaryOp, full: Floats, small: Floats, smallShape: Shape, shape: Shape, out: Floats, smallFirst: boolean): boolean {
  const { lead, strides, inner } = runsOf(smallShape, shape);
  if (inner % 4 !== 0) return false;
  const perRun = new Float32Array(out.length / inner);
  walk(lead, [strides], (o, [i], n, [d]) => {
    for (let j = 0; j < n; j++) perRun[o + j] = small[i + j * d];
  });
  return binaryRowsF32(op, full as Float32Array, perRun, out as Float32Array, inner, smallFirst);
}

/** out = `cond ? a : b` elementwise, the three operands broadcast to `shape`, the shape of `out`. */
export function whereInto(out: Floats, shape: Shape, cond: Floats, condShape: Shape, a: Floats, aShape: Shape, b: Floats, bShape: Shape): void {
  const strides = [condShape, aShape, bShape].map((s) => broadcastStrides(s, shape));
  walk(shape, strides, (o, [ic, ia, ib], n, [dc, da, db]) => {
    for (let j = 0; j < n; j++) out[o + j] = cond[ic + j * dc] !== 0 ? a[ia + j * da] : b[ib + j * db];
  });
}
