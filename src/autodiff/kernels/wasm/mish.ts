/**
 * Mish and its two derivatives on float32 arrays, four lanes at a time (f32x4). The U-Net
 * applies Mish to every activation, and in JavaScript each element costs one scalar
 * exponential (about 11 ns a Mish on this project's machine, 0.5 ms per [64, 24, 32]
 * activation); here the exponential is a polynomial over four lanes.
 *
 *   e^x      x = k ln 2 + r, |r| <= ln 2 / 2, k = nearest(x log2 e), with ln 2 split in two
 *            parts (C1 exact in a few bits, C2 the rest) so that r is exact; then
 *            e^r = 1 + r + r^2 P(r), P of degree 5, and 2^k built in the exponent bits. The
 *            constants are Cephes' expf (Moshier, "Methods and Programs for Mathematical
 *            Functions", 1989; cephes/single/expf.c): about 1 ulp over the float32 range.
 *            k is rounded by adding 1.5 * 2^23, after which the float's low mantissa bits
 *            hold k itself (so no float-to-int conversion, a long sequence in wasm on x86).
 *   mish     x n / (n + 2),  n = e (e + 2)                       (tanh(softplus x) = n / (n + 2))
 *   mish'    (n d + 4 x e (1 + e)) / d^2,  d = n + 2
 *   mish''   (8 e (1 + e) + 4 e x (d - 2 n e) / d) / d^2
 *
 * the same one-denominator forms as the scalar helpers of ../scalar-functions.ts, with mish''
 * divided through by d once more so that no intermediate overflows float32 (d^3 would at
 * x = 20). The exponential's argument is clamped to [-87, 20]: above 20 mish(x) = x,
 * mish' = 1 and mish'' = 0 in float32 (selected per lane); below -87, where e^x leaves the
 * normal float32 range, every value is below 1e-35 in magnitude. NaN propagates through
 * the clamp (pmax and pmin, with x first) and the arithmetic.
 *
 *   mish(src, dst, bytes)                dst = mish(src)
 *   mishScale(v, x, dst, bytes)          dst = v * mish'(x)
 *   mishCurvature(a, b, x, dst, bytes)   dst = a * b * mish''(x)
 *
 * All addresses are bytes; `bytes` is a multiple of MISH_STEP_BYTES (callers round up into
 * slack), and dst may be one of the inputs.
 */
import { type FunctionDef, I32, V128, op, stepUp } from './assembler.js';

const get = op.localGet;
const set = op.localSet;

/** Cephes expf: ln 2 = C1 + C2, and P(r) from the highest coefficient down. */
const LOG2E = 1.44269504088896341;
const C1 = 0.693359375;
const C2 = -2.12194440e-4;
const P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** 1.5 * 2^23: t + ROUND rounds t (|t| < 2^22) to an integer, and its bits are then ROUND_BITS + k. */
const ROUND = 12582912;
const ROUND_BITS = 0x4b400000;

/** Above this mish(x) = x (mish' = 1, mish'' = 0) in float32; the exponential is clamped here. */
const LINEAR_FROM = 20;
const EXP_LOW = -87;

/**
 * The constant vectors of one function, each in a local set once before the loop: in V8 a
 * v128.const inside the loop costs a few instructions at every use (measured: six dependent
 * additions of constants ran 4x slower than six of locals).
 */
class Constants {
  private readonly slots = new Map<string, { local: number; init: number[] }>();
  constructor(private readonly firstLocal: number) {}

  /** Four copies of a float32. */
  f32(value: number): number[] {
    return this.use(`f${value}`, op.f32x4Const(value));
  }

  /** Four copies of an int32. */
  i32(value: number): number[] {
    return this.use(`i${value}`, op.i32x4Const(value));
  }

  get count(): number {
    return this.slots.size;
  }

  /** The code that fills the locals, to run before the loop. */
  prologue(): number[][] {
    return [...this.slots.values()].map(({ local, init }) => [...init, ...set(local)]);
  }

  private use(key: string, init: number[]): number[] {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { local: this.firstLocal + this.slots.size, init };
      this.slots.set(key, slot);
    }
    return get(slot.local);
  }
}

/**
 * Leaves e^clamp(x) on the stack, with x in local `x`, using locals `r` and `kf`: kf first
 * holds x log2 e + ROUND, whose bits give the exponent field (k + 127) << 23 of 2^k, then k.
 * pmax and pmin take x first, so a NaN propagates.
 */
function exp(c: Constants, x: number, r: number, kf: number): number[][] {
  const horner: number[][] = [get(r), c.f32(P[0]), op.f32x4Mul];
  for (const coefficient of P.slice(1, -1)) horner.push(c.f32(coefficient), op.f32x4Add, get(r), op.f32x4Mul);
  horner.push(c.f32(P[P.length - 1]), op.f32x4Add);
  return [
    get(x), c.f32(EXP_LOW), op.f32x4Pmax, c.f32(LINEAR_FROM), op.f32x4Pmin, set(r),
    get(r), c.f32(LOG2E), op.f32x4Mul, c.f32(ROUND), op.f32x4Add, set(kf),
    // 2^k, left on the stack for the end
    get(kf), c.i32(127 - ROUND_BITS), op.i32x4Add, op.i32Const(23), op.i32x4Shl,
    get(kf), c.f32(ROUND), op.f32x4Sub, set(kf),
    get(r), get(kf), c.f32(C1), op.f32x4Mul, op.f32x4Sub, get(kf), c.f32(C2), op.f32x4Mul, op.f32x4Sub, set(r),
    ...horner, get(r), get(r), op.f32x4Mul, op.f32x4Mul, get(r), op.f32x4Add, c.f32(1), op.f32x4Add,
    op.f32x4Mul,
  ];
}

/** e, n = e (e + 2) and d = n + 2 of the lanes in local `x`, into locals `e`, `n`, `d`. */
const common = (c: Constants, [x, e, n, d, r, kf]: number[]): number[][] => [
  ...exp(c, x, r, kf), set(e),
  get(e), get(e), c.f32(2), op.f32x4Add, op.f32x4Mul, set(n),
  get(n), c.f32(2), op.f32x4Add, set(d),
];

/** Leaves `linear` where x > 20 and `value` elsewhere. */
const unlessLinear = (c: Constants, x: number, linear: number[][], value: number[][]): number[][] => [
  ...linear, ...value, get(x), c.f32(LINEAR_FROM), op.f32x4Gt, op.v128Bitselect,
];

/** Lane groups per loop step: two independent dependency chains, so one runs while the other waits on latency. */
const GROUPS = 2;
/** Bytes per loop step; callers round their byte counts up to a multiple of this. */
export const MISH_STEP_BYTES = 16 * GROUPS;

/**
 * A kernel over steps of GROUPS x 16 bytes with `inputs` address parameters, then dst and
 * bytes. Each lane group has its own locals: one vector per input, then x, e, n, d, r, kf (x
 * being the last input's vector); the constants come after all groups' locals. `value` gets
 * the constants, a group's input vectors and its [x, e, n, d, r, kf], and leaves the result
 * vector on the stack.
 */
function kernel(name: string, inputs: number, value: (c: Constants, vectors: number[], work: number[]) => number[][]): FunctionDef {
  const dst = inputs;
  const bytes = inputs + 1;
  const o = inputs + 2;
  const perGroup = inputs + 5;
  const c = new Constants(o + 1 + GROUPS * perGroup);
  const groups = Array.from({ length: GROUPS }, (_, g) => {
    const first = o + 1 + g * perGroup;
    const vectors = Array.from({ length: inputs }, (_, i) => first + i);
    const work = [vectors[inputs - 1], ...Array.from({ length: 5 }, (_, i) => first + inputs + i)];
    const offset = 16 * g;
    return [
      ...vectors.flatMap((vector, i) => [get(i), get(o), op.i32Add, op.v128Load(offset), set(vector)]),
      get(dst), get(o), op.i32Add, ...value(c, vectors, work), op.v128Store(offset),
    ];
  });
  const loop = stepUp(o, [op.i32Const(0)], bytes, MISH_STEP_BYTES, groups.flat());
  return {
    name,
    params: new Array(inputs + 2).fill(I32),
    locals: [I32, ...new Array(GROUPS * perGroup + c.count).fill(V128)],
    body: [...c.prologue(), ...loop],
  };
}

const mishFunction = kernel('mish', 1, (c, _vectors, work) => {
  const [x, , n, d] = work;
  return [...common(c, work), ...unlessLinear(c, x, [get(x)], [get(x), get(n), op.f32x4Mul, get(d), op.f32x4Div])];
});

const mishScaleFunction = kernel('mishScale', 2, (c, [scale], work) => {
  const [x, e, n, d] = work;
  const derivative = [
    get(n), get(d), op.f32x4Mul,
    c.f32(4), get(x), op.f32x4Mul, get(e), op.f32x4Mul, get(e), c.f32(1), op.f32x4Add, op.f32x4Mul,
    op.f32x4Add, get(d), get(d), op.f32x4Mul, op.f32x4Div,
  ];
  return [...common(c, work), get(scale), ...unlessLinear(c, x, [c.f32(1)], derivative), op.f32x4Mul];
});

const mishCurvatureFunction = kernel('mishCurvature', 3, (c, [a, b], work) => {
  const [x, e, n, d] = work;
  const second = [
    c.f32(8), get(e), op.f32x4Mul, get(e), c.f32(1), op.f32x4Add, op.f32x4Mul,
    c.f32(4), get(e), op.f32x4Mul, get(x), op.f32x4Mul,
    get(d), c.f32(2), get(n), op.f32x4Mul, get(e), op.f32x4Mul, op.f32x4Sub, op.f32x4Mul, get(d), op.f32x4Div,
    op.f32x4Add, get(d), get(d), op.f32x4Mul, op.f32x4Div,
  ];
  return [...common(c, work), get(a), get(b), op.f32x4Mul, ...unlessLinear(c, x, [c.f32(0)], second), op.f32x4Mul];
});

export const mishFunctions: FunctionDef[] = [mishFunction, mishScaleFunction, mishCurvatureFunction];

export interface MishExports {
  mish: (src: number, dst: number, bytes: number) => void;
  mishScale: (v: number, x: number, dst: number, bytes: number) => void;
  mishCurvature: (a: number, b: number, x: number, dst: number, bytes: number) => void;
}
