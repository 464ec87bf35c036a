/**
 * Loops for elementwise operations with NumPy broadcasting, on concrete tensors.
 *
 * Each op's loops are generated from its scalar expression (say `x * y`) with `new Function`,
 * once, when the op is defined. The reason is speed: a shared loop calling `f(x, y)` sees
 * every op at one call site and V8 cannot inline any of them; a loop of its own per op runs
 * at memory speed. The fast paths (same shape, one scalar operand) cover nearly every call;
 * the general path walks the broadcast output one innermost row at a time.
 */
import { type Shape, broadcastShapes, broadcastStrides, sameShape, sizeOf, stridesOf } from './shape.js';
import { ConcreteTensor, type DType, type Floats, allocate, promote } from './tensor.js';
import { type BinaryOp, binaryRowsF32, binarySameF32, reduceRowsF32 } from './kernels/index.js';

type ContiguousLoop = (out: Floats, a: Floats, b: Floats, n: number) => void;
type ScalarLoop = (out: Floats, a: Floats, y: number, n: number) => void;
type RunLoop = (out: Floats, a: Floats, o: number, y: number, n: number) => void;
type RowsLoop = (out: Floats, full: Floats, small: Floats, rows: number, inner: number) => void;
type StridedLoop = (out: Floats, o: number, a: Floats, ia: number, da: number, b: Floats, ib: number, db: number, n: number) => void;

/** A unary op: `expr` computes the result from `x`; one compiled loop per output dtype. */
export interface UnaryKernel {
  readonly expr: string;
  readonly loops: Record<DType, (out: Floats, a: Floats, n: number) => void>;
}

/** A binary op: `expr` computes the result from `x` and `y`; one set of loops per output dtype. */
export interface BinaryKernel {
  readonly expr: string;
  readonly loops: Record<DType, BinaryLoops>;
  /** For add, sub and mul: float32 operands of one shape, or a full one against one constant along trailing axes, run in WebAssembly. */
  readonly wasm?: BinaryOp;
}

export interface BinaryLoops {
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
}

/** 2^(j/64), j < 64, and 2^m, m in [-1022, 1023], for `expFast`. */
const EXP2_FRACTION = Float64Array.from({ length: 64 }, (_, j) => Math.pow(2, j / 64));
const EXP2_INTEGER = Float64Array.from({ length: 2046 }, (_, i) => Math.pow(2, i - 1022));
/** 64 / ln 2, and ln 2 / 64 in two parts (fdlibm's split: k * hi is exact for |k| < 2^20). */
const EXP_SCALE = 64 / Math.LN2;
const LN2_64_HI = 6.9314718036912381649e-1 / 64;
const LN2_64_LO = 1.9082149292705877e-10 / 64;
/** 1.5 * 2^52: adding and subtracting it rounds a double of magnitude below 2^51 to an integer. */
const ROUND = 6755399441055744;

/**
 * e^x to within about 2 ulp of Math.exp (checked in tests/autodiff/mish.test.ts), in 2.9 ns
 * instead of 7.2 here: x = (64 m + j) ln2/64 + r with |r| <= ln2/128, so e^x = 2^m 2^(j/64) e^r,
 * two table lookups and a degree-5 polynomial (its truncation error r^6/720 < 4e-17). Mish and
 * its derivatives spend most of their time in the exponential, and they run on every
 * activation of the U-Net (forward, backward, and the Sobolev loss's second-order pass).
 * Outside (-708, 709), where e^x overflows or is subnormal, and for NaN, it is Math.exp.
 */
export function expFast(x: number): number {
  if (!(x > -708 && x < 709)) return Math.exp(x);
  const kf = x * EXP_SCALE + ROUND - ROUND;
  const k = kf | 0;
  const r = x - kf * LN2_64_HI - kf * LN2_64_LO;
  const r2 = r * r;
  const p = 1 + r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120)));
  return EXP2_FRACTION[k & 63] * p * EXP2_INTEGER[(k >> 6) + 1022];
}

/**
 * Two copies of a self-contained function (one that uses only its arguments and globals such
 * as Math), compiled from its own source: one per dtype, so each copy's typed-array accesses
 * stay monomorphic, like the generated loops above. For hand-written loops that read better
 * as plain functions than as expression templates (GroupNorm's).
 */
export function perDtype<F extends (...args: never[]) => unknown>(fn: F): Record<DType, F> {
  const source = fn.toString();
  // Source rewritten by a tool to call module-level helpers (coverage counters, esbuild's
  // __name, vite's SSR imports) cannot be recompiled out of its module: share the original.
  if (/\bcov_|__name\(|__vite_ssr_/.test(source)) return { float64: fn, float32: fn };
  const copy = () => new Function(`return (${source});`)() as F;
  return { float64: copy(), float32: copy() };
}

/** Scalar functions an op's expression may call, passed into the generated code (the jit uses them too). */
export const HELPERS = {
  sigmoid: (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  softplus: (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
  /**
   * Mish with one exponential: tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2).
   * Past x = 20 the ratio is 1 to double precision (and n would overflow).
   */
  mish: (v: number) => {
    if (v > 20) return v;
    const e = expFast(v);
    const n = e * (e + 2);
    return (v * n) / (n + 2);
  },
  /**
   * d mish / dx = t + x sigmoid(x) (1 - t^2), with t = n / d, d = n + 2, 1 - t^2 = 4 (n + 1) / d^2
   * and sigmoid(x) = e / (1 + e) = e (1 + e) / (n + 1) (as (1 + e)^2 = n + 1): over one
   * denominator, (n d + 4 x e (1 + e)) / d^2, one division instead of three.
   */
  mishGrad: (v: number) => {
    if (v > 20) return 1;
    const e = expFast(v);
    const n = e * (e + 2);
    const d = n + 2;
    return (n * d + 4 * v * e * (1 + e)) / (d * d);
  },
  /**
   * d^2 mish / dx^2 = S (2 + x (1 - s - 2 t s)), S = (1 - t^2) s = 4 e (1 + e) / d^2, s = sigmoid(x),
   * and 1 - s - 2 t s = (d - 2 n e) / (d (1 + e)); over one denominator,
   * (8 e (1 + e) d + 4 e x (d - 2 n e)) / d^3. 0 to double precision past 20.
   */
  mishGrad2: (v: number) => {
    if (v > 20) return 0;
    const e = expFast(v);
    const n = e * (e + 2);
    const d = n + 2;
    return (8 * e * (1 + e) * d + 4 * e * v * (d - 2 * n * e)) / (d * d * d);
  },
};

function compile<F>(params: string, body: string): F {
  const names = Object.keys(HELPERS).join(', ');
  // Named after the expression, so a CPU profile tells the ops' loops apart.
  const name = `loop_${body.replace(/^.*out\[\w+\] = (.*?); \}.*$/s, '$1').replace(/\W+/g, '_').slice(0, 40)}`;
  return new Function('helpers', `const { ${names} } = helpers; return function ${name}(${params}) {\n${body}\n};`)(HELPERS) as F;
}

/**
 * Each loop is compiled twice, once per output dtype. A loop that has seen both Float64Array
 * and Float32Array goes polymorphic in V8, and the networks train in either dtype in one
 * process (bench/diffusion.ts runs both): measured on a [64, 24, 32] float64 `mul` after
 * float32 calls, 0.20 ms with one shared loop against 0.07 ms monomorphic.
 */
export function unaryKernel(expr: string): UnaryKernel {
  const make = () => compile<(out: Floats, a: Floats, n: number) => void>(
    'out, a, n', `for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${expr}; }`,
  );
  return { expr, loops: { float64: make(), float32: make() } };
}

export function binaryKernel(expr: string, wasm?: BinaryOp): BinaryKernel {
  return { expr, loops: { float64: binaryLoops(expr), float32: binaryLoops(expr) }, wasm };
}

/** Below this many values the JavaScript loop beats the copies into WebAssembly memory and back. */
const WASM_MIN = 1024;

function binaryLoops(expr: string): BinaryLoops {
  return {
    same: compile('out, a, b, n', `for (let i = 0; i < n; i++) { const x = a[i], y = b[i]; out[i] = ${expr}; }`),
    scalarRight: compile('out, a, y, n', `for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${expr}; }`),
    scalarLeft: compile('out, b, x, n', `for (let i = 0; i < n; i++) { const y = b[i]; out[i] = ${expr}; }`),
    strided: compile(
      'out, o, a, ia, da, b, ib, db, n',
      `for (let j = 0; j < n; j++) { const x = a[ia + j * da], y = b[ib + j * db]; out[o + j] = ${expr}; }`,
    ),
    runRight: compile('out, a, o, y, n', `for (let i = o, end = o + n; i < end; i++) { const x = a[i]; out[i] = ${expr}; }`),
    runLeft: compile('out, b, o, x, n', `for (let i = o, end = o + n; i < end; i++) { const y = b[i]; out[i] = ${expr}; }`),
    rowsRight: compile(
      'out, a, small, rows, inner',
      `for (let r = 0, i = 0; r < rows; r++) { const y = small[r]; for (const end = i + inner; i < end; i++) { const x = a[i]; out[i] = ${expr}; } }`,
    ),
    rowsLeft: compile(
      'out, b, small, rows, inner',
      `for (let r = 0, i = 0; r < rows; r++) { const x = small[r]; for (const end = i + inner; i < end; i++) { const y = b[i]; out[i] = ${expr}; } }`,
    ),
  };
}

export function unaryMap(x: ConcreteTensor, kernel: UnaryKernel): ConcreteTensor {
  const out = allocate(x.dtype, x.data.length);
  kernel.loops[x.dtype](out, x.data, out.length);
  return new ConcreteTensor(out, x.shape);
}

export function binaryMap(
  op: string,
  a: ConcreteTensor,
  b: ConcreteTensor,
  kernel: BinaryKernel,
  dtype: DType = promote(a.dtype, b.dtype),
): ConcreteTensor {
  const loops = kernel.loops[dtype];
  const ad = a.data;
  const bd = b.data;
  const wasm = kernel.wasm !== undefined && ad instanceof Float32Array && bd instanceof Float32Array ? kernel.wasm : undefined;
  if (sameShape(a.shape, b.shape)) {
    const out = allocate(dtype, ad.length);
    const done = wasm !== undefined && out.length >= WASM_MIN && binarySameF32(wasm, ad as Float32Array, bd as Float32Array, out as Float32Array);
    if (!done) loops.same(out, ad, bd, ad.length);
    return new ConcreteTensor(out, a.shape);
  }
  if (bd.length === 1 && b.shape.length <= a.shape.length) {
    const out = allocate(dtype, ad.length);
    loops.scalarRight(out, ad, bd[0], ad.length);
    return new ConcreteTensor(out, a.shape);
  }
  if (ad.length === 1 && a.shape.length <= b.shape.length) {
    const out = allocate(dtype, bd.length);
    loops.scalarLeft(out, bd, ad[0], bd.length);
    return new ConcreteTensor(out, b.shape);
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocate(dtype, sizeOf(shape));
  if (sameShape(a.shape, shape)) {
    const inner = rowsOf(b.shape, shape);
    if (inner > 0) {
      const done = wasm !== undefined && out.length >= WASM_MIN && binaryRowsF32(wasm, ad as Float32Array, bd as Float32Array, out as Float32Array, inner, false);
      if (!done) loops.rowsRight(out, ad, bd, out.length / inner, inner);
      return new ConcreteTensor(out, shape);
    }
    if (wasm !== undefined && out.length >= WASM_MIN && runsInWasm(wasm, ad, bd, b.shape, shape, out, false)) return new ConcreteTensor(out, shape);
    if (runs(out, ad, bd, b.shape, shape, loops.runRight)) return new ConcreteTensor(out, shape);
  }
  if (sameShape(b.shape, shape)) {
    const inner = rowsOf(a.shape, shape);
    if (inner > 0) {
      const done = wasm !== undefined && out.length >= WASM_MIN && binaryRowsF32(wasm, bd as Float32Array, ad as Float32Array, out as Float32Array, inner, true);
      if (!done) loops.rowsLeft(out, bd, ad, out.length / inner, inner);
      return new ConcreteTensor(out, shape);
    }
    if (wasm !== undefined && out.length >= WASM_MIN && runsInWasm(wasm, bd, ad, a.shape, shape, out, true)) return new ConcreteTensor(out, shape);
    if (runs(out, bd, ad, a.shape, shape, loops.runLeft)) return new ConcreteTensor(out, shape);
  }
  walk(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)], (o, [ia, ib], n, [da, db]) =>
    loops.strided(out, o, ad, ia, da, bd, ib, db, n),
  );
  return new ConcreteTensor(out, shape);
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

/** `cond ? a : b` elementwise, broadcasting all three. */
export function whereMap(cond: ConcreteTensor, a: ConcreteTensor, b: ConcreteTensor): ConcreteTensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const out = allocate(promote(a.dtype, b.dtype), sizeOf(shape));
  const cd = cond.data;
  const ad = a.data;
  const bd = b.data;
  const strides = [cond, a, b].map((t) => broadcastStrides(t.shape, shape));
  walk(shape, strides, (o, [ic, ia, ib], n, [dc, da, db]) => {
    for (let j = 0; j < n; j++) out[o + j] = cd[ic + j * dc] !== 0 ? ad[ia + j * da] : bd[ib + j * db];
  });
  return new ConcreteTensor(out, shape);
}

/**
 * Visit a row-major output of `shape` one innermost row at a time. `visit` gets the output
 * offset of the row, each operand's offset, the row length and each operand's inner stride.
 */
export function walk(
  shape: Shape,
  strides: number[][],
  visit: (outOffset: number, offsets: number[], rowLength: number, innerStrides: number[]) => void,
): void {
  const rank = shape.length;
  const total = sizeOf(shape);
  if (total === 0) return;
  if (rank === 0) {
    visit(0, strides.map(() => 0), 1, strides.map(() => 0));
    return;
  }
  const inner = shape[rank - 1];
  const innerStrides = strides.map((s) => s[rank - 1]);
  const offsets = strides.map(() => 0);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < total; o += inner) {
    visit(o, offsets, inner, innerStrides);
    for (let ax = rank - 2; ax >= 0; ax--) {
      index[ax]++;
      for (let k = 0; k < strides.length; k++) offsets[k] += strides[k][ax];
      if (index[ax] < shape[ax]) break;
      for (let k = 0; k < strides.length; k++) offsets[k] -= strides[k][ax] * shape[ax];
      index[ax] = 0;
    }
  }
}

/**
 * Sum `a` (or the product a * b, with b of a's shape) of `shape` down to `kept` (the same
 * rank, 1 on each reduced axis), adding into the float64 `acc` of kept's size.
 *
 * Adjacent axes that are both reduced or both kept merge, so the reductions the networks do
 * ([B, C, T] to [C] or [1, C, 1]: a bias or a GroupNorm scale; to [B, C, 1]: FiLM) become one
 * of three plain loop nests over contiguous runs. Measured on the U-Net's L_Diff step: the
 * general row walker spent 1.5 ns per element on [64, 32, 4] -> [32] (rows of 4); see
 * `walk` for the fallback used by any other pattern.
 */
export function reduceInto(acc: Float64Array, a: Floats, b: Floats | null, shape: Shape, kept: Shape): void {
  // Collapse to alternating runs: dims[k] with reduced[k].
  const dims: number[] = [];
  const reduced: boolean[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const r = kept[i] === 1;
    if (dims.length > 0 && reduced[dims.length - 1] === r) dims[dims.length - 1] *= shape[i];
    else {
      dims.push(shape[i]);
      reduced.push(r);
    }
  }
  if (dims.length === 0) {
    acc[0] += b === null ? a[0] : a[0] * b[0];
    return;
  }
  // Pad to the pattern [reduced outer, kept middle, reduced inner] with size-1 runs.
  let outer = 1, middle = 1, inner = 1;
  if (dims.length === 1) {
    if (reduced[0]) inner = dims[0];
    else middle = dims[0];
  } else if (dims.length === 2) {
    if (reduced[0]) [outer, middle] = dims;
    else [middle, inner] = dims;
  } else if (dims.length === 3 && reduced[0]) {
    [outer, middle, inner] = dims;
  } else {
    reduceWalk(acc, a, b, shape, kept);
    return;
  }
  // float32 runs of 4 or more: WebAssembly (kernels/binary-f32.ts), when it applies.
  if (inner >= 4 && a instanceof Float32Array && (b === null || b instanceof Float32Array) && reduceRowsF32(acc, a, b, outer, middle, inner)) return;
  const loops = REDUCE_LOOPS[a instanceof Float32Array ? 'float32' : 'float64'];
  if (b === null) loops.sum(acc, a, a, outer, middle, inner);
  else loops.product(acc, a, b, outer, middle, inner);
}

type ReduceLoop = (acc: Float64Array, a: Floats, b: Floats, outer: number, middle: number, inner: number) => void;

/**
 * The [outer, middle, inner] loop nest of `reduceInto`: rows of `middle` kept values summed
 * over `outer` when inner is 1, else each contiguous inner run summed first. Compiled per
 * dtype and per term (a, or a * b), so each copy is monomorphic (see `unaryKernel`).
 */
function reduceLoop(term: string): ReduceLoop {
  return new Function(`return function (acc, a, b, outer, middle, inner) {
    if (inner === 1) {
      for (let o = 0, s = 0; o < outer; o++) for (let m = 0; m < middle; m++, s++) acc[m] += ${term};
      return;
    }
    for (let o = 0, s = 0; o < outer; o++) {
      for (let m = 0; m < middle; m++) {
        let total = 0;
        for (const end = s + inner; s < end; s++) total += ${term};
        acc[m] += total;
      }
    }
  };`)() as ReduceLoop;
}

const REDUCE_LOOPS: Record<DType, { sum: ReduceLoop; product: ReduceLoop }> = {
  float64: { sum: reduceLoop('a[s]'), product: reduceLoop('a[s] * b[s]') },
  float32: { sum: reduceLoop('a[s]'), product: reduceLoop('a[s] * b[s]') },
};

function reduceWalk(acc: Float64Array, a: Floats, b: Floats | null, shape: Shape, kept: Shape): void {
  const strides = stridesOf(shape);
  walk(shape, [strides, broadcastStrides(kept, shape)], (_o, [i, k], n, [di, dk]) => {
    for (let j = 0; j < n; j++) acc[k + j * dk] += b === null ? a[i + j * di] : a[i + j * di] * b[i + j * di];
  });
}
