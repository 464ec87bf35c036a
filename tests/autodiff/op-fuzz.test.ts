/**
 * Op fuzzing (issue 16): random shapes, zero and negative sizes included, and values with
 * NaN, infinities, -0 and huge numbers, through the public ops and constructors. Every call
 * either raises one of the engine's typed errors (an AutodiffError) or returns what the
 * documentation says: the NumPy shape, and for the elementwise ops exactly their scalar
 * formula (IEEE arithmetic, so NaN and infinities propagate as in plain JavaScript: relu's
 * formula `x > 0 ? x : 0` maps NaN to 0), for sums the sum up to rounding, and the mean of
 * no elements is a ShapeError. Float32 tensors go through the shape and error checks (their
 * kernels are pinned to float64 elsewhere). Seeded fast-check; a failure prints the seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AutodiffError, ShapeError, type Tensor, abs, add, arange, broadcastTo, concat, conv1d, convTranspose1d, cos, div, exp, expandDims, eye,
  full, grad, greater, groupNorm, log, matmul, maximum, mean, minimum, mul, neg, ones, pow, reciprocal, relu, reshape, sigmoid, sin,
  slice, softplus, sqrt, square, stack, sub, sum, tanh, tensor, transpose, variance, where, zeros,
} from '../../src/autodiff/index.js';

const SEED = 16_2048;
const RUNS = { seed: SEED, numRuns: 150 };

/** Call `f`; an AutodiffError is an allowed outcome (returned as 'error'), any other error fails the test. */
function attempt<T>(f: () => T): T | 'error' {
  try {
    return f();
  } catch (e) {
    if (e instanceof AutodiffError) return 'error';
    throw new Error(`raised a ${(e as Error)?.name ?? typeof e}, not an AutodiffError: ${(e as Error)?.message ?? String(e)}`);
  }
}

const validDim = fc.integer({ min: 0, max: 3 });
const anyDim = fc.oneof(validDim, fc.constantFrom(-2, -1, 1.5, NaN, Infinity, 2 ** 53));
const validShape = fc.array(validDim, { maxLength: 3 });
const isValidShape = (s: readonly number[]) => s.every((d) => Number.isInteger(d) && d >= 0);
const sizeOf = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const special = fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308, 5e-324, 1, -1, 0.5);
const value = fc.oneof(special, fc.double());

/** A float64 tensor of a valid shape with special values mixed in. */
const tensorArb = (shape: fc.Arbitrary<number[]> = validShape) =>
  shape.chain((s) => fc.array(value, { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((v) => tensor(Float64Array.from(v), s)));

/** The same in either dtype (the float32 paths have kernels of their own; only shapes and error types are checked on them). */
const anyDtypeArb = (shape: fc.Arbitrary<number[]> = validShape) =>
  fc.tuple(tensorArb(shape), fc.boolean()).map(([t, f32]) => (f32 ? tensor(Float32Array.from(t.toArray()), t.shape) : t));

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || a === b;

/** NumPy's broadcast of two shapes, or null. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element `i` (row-major in `shape`) of `t` broadcast to `shape`. */
function at(t: Tensor, shape: readonly number[], i: number): number {
  const data = t.concrete().data;
  let index = 0;
  let stride = 1;
  let rest = i;
  const offset = shape.length - t.ndim;
  const coords = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    coords[k] = rest % shape[k]!;
    rest = Math.floor(rest / shape[k]!);
  }
  for (let k = t.ndim - 1; k >= 0; k--) {
    const d = t.shape[k]!;
    index += (d === 1 ? 0 : coords[k + offset]!) * stride;
    stride *= d;
  }
  return data[index]!;
}

/** The unary ops and their scalar formulas (elementwise.ts and kernels/scalar-functions.ts). */
const UNARY: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
  ['neg', neg, (v) => -v],
  ['exp', exp, Math.exp],
  ['log', log, Math.log],
  ['sin', sin, Math.sin],
  ['cos', cos, Math.cos],
  ['tanh', tanh, Math.tanh],
  ['sqrt', sqrt, Math.sqrt],
  ['square', square, (v) => v * v],
  ['abs', abs, Math.abs],
  ['reciprocal', reciprocal, (v) => 1 / v],
  ['relu', relu, (v) => (v > 0 ? v : 0)],
  ['sigmoid', sigmoid, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))],
  ['softplus', softplus, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))],
];

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, ((x: number, y: number) => number) | null][] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['pow', pow, null],
  ['maximum', maximum, (x, y) => (x >= y ? x : y)],
  ['minimum', minimum, (x, y) => (x <= y ? x : y)],
  ['greater', greater, (x, y) => (x > y ? 1 : 0)],
];

describe("the issue's cases", () => {
  it('zeros([-1]), sum over a bad axis and the mean of an empty tensor are ShapeErrors naming the op, the value and the shape', () => {
    expect(() => zeros([-1])).toThrow('zeros: size -1 on axis 0 is not a non-negative integer (shapes [-1])');
    expect(() => sum(ones([2, 3]), 2)).toThrow('sum: axis 2 is out of range for rank 2 (valid: -2 to 1) (shapes [2, 3])');
    expect(() => mean(zeros([0]))).toThrow('mean: averages over 0 elements (axes [0] have a size 0); the mean of nothing is undefined (shapes [0])');
    expect(() => variance(zeros([2, 0]), 1)).toThrow(ShapeError);
    // Documented: a mean whose result is empty has nothing to average and returns it.
    expect(mean(zeros([3, 0]), 0).shape).toEqual([0]);
    expect(mean(ones([2, 3]), 1).toArray()).toEqual([1, 1]);
  });

  it('groupNorm of an empty tensor is that empty tensor, in float32 too (found by the fuzzing below: the float32 kernel threw a RangeError)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      expect(groupNorm(zeros([1, 0], dtype), 1).shape).toEqual([1, 0]);
      const y = groupNorm(zeros([2, 4, 0], dtype), 2, ones([4], dtype), ones([4], dtype));
      expect([y.shape, y.dtype]).toEqual([[2, 4, 0], dtype]);
      expect(grad((x: Tensor) => sum(groupNorm(x, 2)))(zeros([2, 4, 0], dtype)).shape).toEqual([2, 4, 0]);
    }
  });
});

describe(`op fuzzing: typed errors or documented values (seed ${SEED})`, () => {
  it('constructors: a shape of non-negative integers makes a tensor, anything else is a ShapeError', () => {
    fc.assert(
      fc.property(fc.array(anyDim, { maxLength: 4 }), fc.constantFrom('zeros', 'ones', 'full', 'tensor'), (shape, kind) => {
        const valid = isValidShape(shape) && sizeOf(shape) < 1e6;
        const make = () => {
          if (kind === 'zeros') return zeros(shape);
          if (kind === 'ones') return ones(shape);
          if (kind === 'full') return full(shape, NaN);
          return tensor(new Float64Array(valid ? sizeOf(shape) : 1), shape);
        };
        if (!isValidShape(shape)) {
          expect(make).toThrow(ShapeError);
          return;
        }
        if (!valid) return; // a valid but huge shape: not allocated here
        const t = make();
        expect(t.shape).toEqual(shape);
        expect(t.size).toBe(sizeOf(shape));
      }),
      RUNS,
    );
    for (const n of [-1, 1.5, NaN, Infinity]) {
      expect(() => arange(n)).toThrow(ShapeError);
      expect(() => eye(n)).toThrow(ShapeError);
    }
    expect(() => zeros([-1])).toThrow(/zeros: size -1 on axis 0 is not a non-negative integer \(shapes \[-1\]\)/);
    expect(() => tensor([1], [-1, -1])).toThrow(ShapeError);
  });

  it('unary ops return their scalar formula exactly, NaN and infinities included; gradients raise nothing else', () => {
    fc.assert(
      fc.property(tensorArb(), fc.integer({ min: 0, max: UNARY.length - 1 }), (x, k) => {
        const [name, op, formula] = UNARY[k]!;
        const y = op(x);
        expect(y.shape).toEqual(x.shape);
        const xs = x.toArray();
        y.toArray().forEach((v, i) => {
          if (!same(v, formula(xs[i]!))) throw new Error(`${name}(${xs[i]}) = ${v}, the formula gives ${formula(xs[i]!)}`);
        });
        attempt(() => grad((t: Tensor) => sum(op(t)))(x));
        const x32 = tensor(Float32Array.from(xs), x.shape);
        const y32 = attempt(() => op(x32));
        if (y32 === 'error') throw new Error(`${name} refused a float32 tensor of shape [${x.shape}]`);
        expect([y32.shape, y32.dtype]).toEqual([x.shape, 'float32']);
      }),
      RUNS,
    );
  });

  it('binary ops broadcast like NumPy or raise a ShapeError; values are the formula', () => {
    fc.assert(
      fc.property(anyDtypeArb(), anyDtypeArb(), fc.integer({ min: 0, max: BINARY.length - 1 }), (a, b, k) => {
        const [name, op, formula] = BINARY[k]!;
        const expected = broadcast(a.shape, b.shape);
        const y = attempt(() => op(a, b));
        if (expected === null) {
          expect(y).toBe('error');
          return;
        }
        if (y === 'error') throw new Error(`${name} refused shapes [${a.shape}] and [${b.shape}], which broadcast`);
        expect(y.shape).toEqual(expected);
        if (formula === null || a.dtype === 'float32' || b.dtype === 'float32') return;
        y.toArray().forEach((v, i) => {
          const want = formula(at(a, expected, i), at(b, expected, i));
          if (!same(v, want)) throw new Error(`${name}(${at(a, expected, i)}, ${at(b, expected, i)}) = ${v}, the formula gives ${want}`);
        });
      }),
      RUNS,
    );
  });

  it('reductions: sum is the sum (NaN and infinities as in IEEE), a bad axis is a ShapeError naming it and the shape, the mean of nothing is a ShapeError', () => {
    const axis = fc.constantFrom(-4, -3, -2, -1, 0, 1, 2, 3, 1.5, NaN);
    fc.assert(
      fc.property(tensorArb(), fc.option(fc.oneof(axis, fc.array(axis, { maxLength: 3 }))), fc.boolean(), fc.constantFrom('sum', 'mean', 'variance'), (x, axes, keepdims, kind) => {
        const list = axes === null ? undefined : axes;
        const raw = list === undefined ? x.shape.map((_, i) => i) : typeof list === 'number' ? [list] : list;
        const badAxis = raw.find((a) => !Number.isInteger(a) || a < -x.ndim || a >= x.ndim);
        const op = kind === 'sum' ? sum : kind === 'mean' ? mean : variance;
        let caught: unknown = null;
        let y: Tensor | null = null;
        try {
          y = op(x, list, keepdims);
        } catch (e) {
          caught = e;
        }
        if (badAxis !== undefined) {
          expect(caught).toBeInstanceOf(ShapeError);
          expect((caught as Error).message).toContain(`${kind}: axis ${badAxis} is out of range for rank ${x.ndim}`);
          expect((caught as Error).message).toContain(`(shapes [${x.shape.join(', ')}])`);
          return;
        }
        const axesN = [...new Set(raw.map((a) => (a < 0 ? a + x.ndim : a)))];
        const count = axesN.reduce((n, a) => n * x.shape[a]!, 1);
        const results = x.shape.reduce((n, d, i) => (axesN.includes(i) ? n : n * d), 1);
        if (kind !== 'sum' && count === 0 && results > 0) {
          expect(caught).toBeInstanceOf(ShapeError);
          expect((caught as Error).message).toContain('averages over 0 elements');
          return;
        }
        if (caught !== null) throw caught;
        const kept = x.shape.map((d, i) => (axesN.includes(i) ? 1 : d));
        expect(y!.shape).toEqual(keepdims ? kept : x.shape.filter((_, i) => !axesN.includes(i)));
        if (kind !== 'sum') return;
        // Each output entry against a plain sum of its inputs (any order: compare up to rounding).
        const totals = new Array<number>(sizeOf(kept)).fill(0);
        const mags = new Array<number>(sizeOf(kept)).fill(0);
        x.toArray().forEach((v, i) => {
          let rest = i;
          let o = 0;
          let stride = 1;
          for (let k = x.ndim - 1; k >= 0; k--) {
            const c = rest % x.shape[k]!;
            rest = Math.floor(rest / x.shape[k]!);
            o += (axesN.includes(k) ? 0 : c) * stride;
            stride *= kept[k]!;
          }
          totals[o] += v;
          mags[o] += Math.abs(v);
        });
        y!.toArray().forEach((v, i) => {
          const want = totals[i]!;
          const ok = Number.isFinite(want) && Number.isFinite(mags[i]!) ? Math.abs(v - want) <= 1e-12 * mags[i]! : same(v, want) || !Number.isFinite(v);
          if (!ok) throw new Error(`sum entry ${i} = ${v}, expected ${want}`);
        });
      }),
      RUNS,
    );
  });

  it('structural ops (reshape, broadcastTo, transpose, slice, concat, stack, expandDims) on random arguments', () => {
    const shapeArg = fc.array(fc.constantFrom(-2, -1, 0, 1, 2, 3, 4, 6, 1.5, NaN), { maxLength: 4 });
    const index = fc.constantFrom(-5, -1, 0, 1, 2, 5, 1.5, NaN, undefined);
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(anyDtypeArb(), anyDtypeArb(), shapeArg, fc.array(index, { maxLength: 4 }), fc.integer({ min: 0, max: 6 }), (x, other, shape, idx, k) => {
        const calls: (() => Tensor)[] = [
          () => reshape(x, shape),
          () => broadcastTo(x, shape),
          () => transpose(x, idx as number[]),
          () => slice(x, idx.map((i, n) => (n % 2 === 0 ? (i as number) : { start: i, stop: idx[n - 1], step: i }))),
          () => concat([x, other], (idx[0] ?? 0) as number),
          () => stack([x, other], (idx[0] ?? 0) as number),
          () => expandDims(x, (idx[0] ?? 0) as number),
        ];
        const y = attempt(calls[k]!);
        outcomes[y === 'error' ? 'error' : 'ok']++;
        if (y !== 'error') {
          expect(isValidShape(y.shape)).toBe(true);
          expect(y.toArray().length).toBe(sizeOf(y.shape));
        }
        if (k === 0 && y !== 'error') expect(sizeOf(y.shape)).toBe(x.size);
      }),
      RUNS,
    );
    expect(outcomes.ok).toBeGreaterThan(15); // both outcomes were exercised
    expect(outcomes.error).toBeGreaterThan(15);
  });

  it('matmul, conv1d, convTranspose1d, groupNorm and where on random shapes and options', () => {
    const shape = fc.array(validDim, { minLength: 0, maxLength: 4 });
    const option = fc.constantFrom(-1, 0, 1, 2, 3, 1.5, NaN, undefined);
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(anyDtypeArb(shape), anyDtypeArb(shape), anyDtypeArb(shape), option, option, option, fc.integer({ min: 0, max: 3 }), (a, b, c, o1, o2, o3, k) => {
        const calls: (() => Tensor)[] = [
          () => matmul(a, b, { transA: o1 === 1, transB: o2 === 1 }),
          () => conv1d(a, b, { stride: o1, padding: o2, dilation: o3 }),
          () => convTranspose1d(a, b, { stride: o1, padding: o2, dilation: o3, outputPadding: o1 }),
          () => (k === 3 && o1 === 2 ? where(greater(a, 0), b, c) : groupNorm(a, (o1 ?? 1) as number, undefined, undefined)),
        ];
        const y = attempt(calls[k]!);
        outcomes[y === 'error' ? 'error' : 'ok']++;
        if (y !== 'error') expect(isValidShape(y.shape)).toBe(true);
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect(outcomes.ok).toBeGreaterThan(15);
    expect(outcomes.error).toBeGreaterThan(15);
  });
});
