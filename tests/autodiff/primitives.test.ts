/**
 * Every primitive and composite op, over random shapes (broadcasting included) and values:
 * JVP against central differences, the adjoint identity between JVP and VJP, second order
 * through all four nestings (check.ts), and float32 against float64. Then the checkers
 * themselves are shown to reject deliberately wrong rules.
 *
 * fast-check draws shapes and options plus a seed for the values (the engine's Rng). A
 * failure prints the counterexample; rerun with the SEED in the test name to reproduce it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConcreteTensor,
  type Primitive,
  type Range,
  type Tensor,
  abs,
  add,
  affine,
  bind,
  broadcastTo,
  cast,
  concat,
  conv1d,
  conv1dBias,
  convTranspose1d,
  cos,
  div,
  exp,
  expandDims,
  grad,
  groupNorm,
  groupNormalizeCurvatureP,
  groupNormalizeTangentP,
  curvatureReference,
  hessian,
  jvp,
  log,
  matmul,
  maximum,
  mean,
  minimum,
  mish,
  mishScale,
  mishCurvature,
  mishGrad2,
  mul,
  mulSumTo,
  neg,
  pow,
  primitive,
  relu,
  reshape,
  sigmoid,
  sin,
  slice,
  softplus,
  sqrt,
  square,
  stack,
  stopGradient,
  sub,
  sumToShape,
  mishGrad,
  sum,
  tanh,
  tensor,
  transpose,
  variance,
  vjp,
  where,
  zeros,
} from '../../src/autodiff/index.js';
import { convert } from '../../src/autodiff/tensor.js';
import {
  type Domain,
  F32_TOL,
  Rng,
  assertClose,
  broadcastPairArb,
  broadcastShape,
  broadcastShapesArb,
  checkAdjoint,
  checkAll,
  checkJvpAgainstFiniteDifferences,
  checkSecondOrder,
  data,
  flat,
  mask,
  seedArb,
  separatedPair,
  shapeArb,
  values,
} from './check.js';

const SEED = 20250101;
const RUNS = 100;
const params = { seed: SEED, numRuns: RUNS };

/**
 * A test case: the function of the differentiated inputs `xs`, given constants `cs` that are
 * not differentiated (masks, shapes' worth of zeros). Keeping constants explicit lets the
 * float32 check convert them too.
 */
interface Case {
  fn: (xs: Tensor[], cs: Tensor[]) => Tensor;
  xs: ConcreteTensor[];
  cs?: ConcreteTensor[];
}

interface Spec<S> {
  name: string;
  arb: fc.Arbitrary<S>;
  build: (s: S, rng: Rng) => Case;
  /** Set false to skip the second-order checks (every spec runs them today). */
  secondOrder?: boolean;
}

// A heterogeneous list of specs: each keeps its own structure type.
type AnySpec = { name: string; run: (numRuns: number, f32: boolean) => void };

function spec<S>(sp: Spec<S>): AnySpec {
  return {
    name: sp.name,
    run: (numRuns, f32) =>
      fc.assert(
        fc.property(sp.arb, seedArb, (st, seed) => {
          const c = sp.build(st, new Rng(seed));
          if (f32) checkFloat32(c, new Rng(seed + 1), sp.name);
          else {
            const cs = c.cs ?? [];
            checkAll((...xs) => c.fn(xs, cs), c.xs, new Rng(seed + 1), sp.name, { secondOrder: sp.secondOrder });
          }
        }),
        { seed: SEED, numRuns },
      ),
  };
}

/** Value, JVP and VJP of a case in float32 against float64 (tolerance in check.ts). */
function checkFloat32(c: Case, rng: Rng, what: string): void {
  const cs = c.cs ?? [];
  const f64 = (...xs: Tensor[]) => c.fn(xs, cs);
  const cs32 = cs.map((x) => convert(x, 'float32'));
  const f32 = (...xs: Tensor[]) => c.fn(xs, cs32);
  const xs32 = c.xs.map((x) => convert(x, 'float32'));
  // Tangents and cotangents representable in float32, so both paths see the same numbers.
  const ts32 = c.xs.map((x) => rng.normal(x.shape, 0, 1, 'float32'));
  const ts64 = ts32.map((t) => convert(t, 'float64'));
  const [y64, ty64] = jvp(f64, c.xs, ts64);
  const [y32, ty32] = jvp(f32, xs32, ts32);
  expect(y32.dtype).toBe('float32');
  expect(ty32.dtype).toBe('float32');
  assertClose(data(y32), data(y64), F32_TOL, `${what}: float32 value`);
  assertClose(data(ty32), data(ty64), F32_TOL, `${what}: float32 jvp`);
  const w32 = rng.normal(y64.shape, 0, 1, 'float32');
  const g64 = vjp(f64, ...c.xs)[1](convert(w32, 'float64'));
  const g32 = vjp(f32, ...xs32)[1](w32);
  g32.forEach((g) => expect(g.dtype).toBe('float32'));
  assertClose(flat(g32), flat(g64), F32_TOL, `${what}: float32 vjp`);
}

// ---------------------------------------------------------------------------------------
// Structure helpers

const dim = (max = 4) => fc.integer({ min: 1, max });

function unary(name: string, f: (x: Tensor) => Tensor, domain: Domain): AnySpec {
  return spec({
    name,
    arb: shapeArb(0, 3, 4),
    build: (shape, rng) => ({ fn: ([x]) => f(x), xs: [values(rng, shape, domain)] }),
  });
}

function binary(name: string, f: (a: Tensor, b: Tensor) => Tensor, da: Domain, db: Domain): AnySpec {
  return spec({
    name,
    arb: broadcastPairArb(3, 4),
    build: ([sa, sb], rng) => ({ fn: ([a, b]) => f(a, b), xs: [values(rng, sa, da), values(rng, sb, db)] }),
  });
}

/** Axes as fast-check sees them: per-axis membership, negative spelling, keepdims, or all. */
const axesArb = fc.record({
  shape: shapeArb(0, 3, 4),
  pick: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  negative: fc.boolean(),
  keepdims: fc.boolean(),
  all: fc.boolean(),
});

function axesOf(a: { shape: number[]; pick: boolean[]; negative: boolean; all: boolean }): number[] | undefined {
  if (a.all) return undefined;
  return a.shape.flatMap((_, i) => (a.pick[i] ? [a.negative ? i - a.shape.length : i] : []));
}

/** Random ranges for `slice` over `shape`: single indices, negative bounds, steps 1 to 3. */
function randomRanges(rng: Rng, shape: readonly number[]): (Range | number)[] {
  const count = rng.int(shape.length + 1);
  const out: (Range | number)[] = [];
  for (let axis = 0; axis < count; axis++) {
    const d = shape[axis];
    const kind = rng.int(4);
    if (kind === 0) out.push(rng.int(2 * d) - d); // an index in [-d, d)
    else if (kind === 1) out.push({});
    else {
      const start = rng.int(2 * d + 1) - d;
      const stop = rng.int(2 * d + 3) - d - 1;
      const r: Range = { start, step: 1 + rng.int(3) };
      if (rng.int(3) > 0) r.stop = stop;
      out.push(r);
    }
  }
  return out;
}

/** A random shape that broadcasts to `shape` without enlarging it: a suffix, some dims set to 1. */
function broadcastableTo(rng: Rng, shape: readonly number[]): number[] {
  return shape.slice(rng.int(shape.length + 1)).map((d) => (rng.int(2) ? d : 1));
}

/** A random reshape target of `shape`: prime factors regrouped, 1s inserted, maybe a -1. */
function randomReshape(rng: Rng, shape: readonly number[]): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const factors: number[] = [];
  let n = size;
  for (let p = 2; n > 1; p++) while (n % p === 0) (factors.push(p), (n /= p));
  const perm = rng.permutation(factors.length);
  const target: number[] = [];
  for (const i of perm) {
    if (target.length > 0 && rng.int(2) === 0) target[target.length - 1] *= factors[i];
    else target.push(factors[i]);
  }
  if (rng.int(2) === 0) target.splice(rng.int(target.length + 1), 0, 1);
  if (target.length > 0 && rng.int(2) === 0) target[rng.int(target.length)] = -1;
  return target;
}

// ---------------------------------------------------------------------------------------
// The specs

const convArb = fc.record({
  batch: dim(2),
  cin: dim(3),
  cout: dim(3),
  length: dim(8),
  kernel: dim(3),
  stride: dim(3),
  padding: fc.integer({ min: 0, max: 2 }),
  dilation: dim(2),
});
type ConvS = typeof convArb extends fc.Arbitrary<infer T> ? T : never;

/** Lengthen the input so the dilated kernel fits. */
function convLength(c: ConvS): number {
  return Math.max(c.length, c.dilation * (c.kernel - 1) + 1 - 2 * c.padding);
}
const convOpts = (c: ConvS) => ({ stride: c.stride, padding: c.padding, dilation: c.dilation });

const SPECS: AnySpec[] = [
  // Unary primitives. Domains (check.ts) keep log/sqrt on [0.5, 2], relu/abs 0.2 away from their kink.
  unary('neg', neg, 'real'),
  unary('exp', exp, 'real'),
  unary('log', log, 'positive'),
  unary('sin', sin, 'real'),
  unary('cos', cos, 'real'),
  unary('tanh', tanh, 'real'),
  unary('sigmoid', sigmoid, 'real'),
  unary('softplus', softplus, 'real'),
  unary('relu', relu, 'nonzero'),
  unary('sqrt', sqrt, 'positive'),
  unary('square', square, 'real'),
  unary('abs', abs, 'nonzero'),
  unary('mish', mish, 'real'),

  // Binary primitives with broadcasting; denominators 0.2 away from 0, pow bases in [0.5, 2].
  binary('add', add, 'real', 'real'),
  binary('sub', sub, 'real', 'real'),
  binary('mul', mul, 'real', 'real'),
  binary('div', div, 'real', 'nonzero'),
  binary('pow', pow, 'positive', 'small'),
  spec({
    name: 'pow with a constant exponent (integer exponents on any base)',
    arb: fc.record({ shape: shapeArb(0, 3, 4), exponent: fc.constantFrom(2, 3, -1, 0.5, 2.5) }),
    build: ({ shape, exponent }, rng) => ({
      fn: ([x]) => pow(x, exponent),
      xs: [values(rng, shape, Number.isInteger(exponent) ? (exponent < 0 ? 'nonzero' : 'real') : 'positive')],
    }),
  }),
  spec({
    name: 'maximum (operands 0.3 apart)',
    arb: broadcastPairArb(3, 4),
    build: ([sa, sb], rng) => {
      const [a, b] = separatedPair(rng, sa, sb);
      return { fn: ([x, y]) => maximum(x, y), xs: rng.int(2) ? [a, b] : [b, a] };
    },
  }),
  spec({
    name: 'minimum (operands 0.3 apart)',
    arb: broadcastPairArb(3, 4),
    build: ([sa, sb], rng) => {
      const [a, b] = separatedPair(rng, sa, sb);
      return { fn: ([x, y]) => minimum(x, y), xs: rng.int(2) ? [a, b] : [b, a] };
    },
  }),
  spec({
    name: 'where (condition, a and b broadcast together)',
    arb: broadcastShapesArb(3, 3, 4),
    build: ([sc, sa, sb], rng) => ({
      fn: ([a, b], [c]) => where(c, a, b),
      xs: [values(rng, sa), values(rng, sb)],
      cs: [mask(rng, sc)],
    }),
  }),

  // Structural primitives.
  spec({
    name: 'reshape (regrouped factors, inserted 1s, -1)',
    arb: shapeArb(0, 4, 4),
    build: (shape, rng) => {
      const target = randomReshape(rng, shape);
      return { fn: ([x]) => reshape(x, target), xs: [values(rng, shape)] };
    },
  }),
  spec({
    name: 'broadcastTo',
    arb: broadcastPairArb(3, 4),
    build: ([sa, sb], rng) => ({ fn: ([x]) => broadcastTo(x, broadcastShape(sa, sb)), xs: [values(rng, sa)] }),
  }),
  spec({
    name: 'sum (axes, negative axes, keepdims)',
    arb: axesArb,
    build: (a, rng) => ({ fn: ([x]) => sum(x, axesOf(a), a.keepdims), xs: [values(rng, a.shape)] }),
  }),
  spec({
    name: 'transpose (random permutation, default reversal)',
    arb: fc.record({ shape: shapeArb(0, 4, 3), reverse: fc.boolean() }),
    build: ({ shape, reverse }, rng) => {
      const perm = rng.permutation(shape.length).map((a) => (rng.int(2) ? a - shape.length : a));
      return { fn: ([x]) => (reverse ? transpose(x) : transpose(x, perm)), xs: [values(rng, shape)] };
    },
  }),
  spec({
    name: 'slice (steps, negative indices, single indices)',
    arb: shapeArb(1, 3, 6),
    build: (shape, rng) => {
      const ranges = randomRanges(rng, shape);
      return { fn: ([x]) => slice(x, ranges), xs: [values(rng, shape)] };
    },
  }),
  spec({
    name: "embedSlice (slice's VJP as a function of the cotangent)",
    arb: shapeArb(1, 3, 6),
    build: (shape, rng) => {
      const ranges = randomRanges(rng, shape);
      const outShape = slice(zeros(shape), ranges).shape;
      return {
        fn: ([ct], [x0]) => vjp((x: Tensor) => slice(x, ranges), x0)[1](ct)[0],
        xs: [values(rng, outShape)],
        cs: [values(rng, shape)],
      };
    },
  }),
  spec({
    name: 'concat (2 or 3 pieces, any axis)',
    arb: fc.record({ shape: shapeArb(1, 3, 3), pieces: fc.array(dim(3), { minLength: 2, maxLength: 3 }), axis: fc.nat() }),
    build: ({ shape, pieces, axis }, rng) => {
      const a = axis % shape.length;
      const xs = pieces.map((n) => values(rng, shape.map((d, i) => (i === a ? n : d))));
      return { fn: (ts) => concat(ts, rng.int(2) ? a : a - shape.length), xs };
    },
  }),
  spec({
    name: 'stack (any axis)',
    arb: fc.record({ shape: shapeArb(0, 3, 3), count: dim(3), axis: fc.nat() }),
    build: ({ shape, count, axis }, rng) => {
      const a = (axis % (shape.length + 1)) - (rng.int(2) ? shape.length + 1 : 0);
      return { fn: (ts) => stack(ts, a), xs: Array.from({ length: count }, () => values(rng, shape)) };
    },
  }),
  spec({
    name: 'expandDims',
    arb: fc.record({ shape: shapeArb(0, 3, 4), axis: fc.nat() }),
    build: ({ shape, axis }, rng) => ({ fn: ([x]) => expandDims(x, axis % (shape.length + 1)), xs: [values(rng, shape)] }),
  }),

  // Reductions built from sum.
  spec({
    name: 'mean (axes, keepdims)',
    arb: axesArb,
    build: (a, rng) => ({ fn: ([x]) => mean(x, axesOf(a), a.keepdims), xs: [values(rng, a.shape)] }),
  }),
  spec({
    name: 'variance (axes, keepdims)',
    arb: axesArb,
    build: (a, rng) => ({ fn: ([x]) => variance(x, axesOf(a), a.keepdims), xs: [values(rng, a.shape)] }),
  }),

  // Linear algebra.
  spec({
    name: 'matmul (batched, broadcast batch dims, transA/transB, 1-D operands)',
    arb: fc.record({
      batch: broadcastPairArb(2, 3),
      m: dim(4),
      k: dim(4),
      n: dim(4),
      transA: fc.boolean(),
      transB: fc.boolean(),
      vecA: fc.integer({ min: 0, max: 4 }),
      vecB: fc.integer({ min: 0, max: 4 }),
    }),
    build: ({ batch: [ba, bb], m, k, n, transA, transB, vecA, vecB }, rng) => {
      // One time in five an operand is 1-D (no batch dims, no transpose flag).
      const a1 = vecA === 0;
      const b1 = vecB === 0;
      const sa = a1 ? [k] : [...ba, ...(transA ? [k, m] : [m, k])];
      const sb = b1 ? [k] : [...bb, ...(transB ? [n, k] : [k, n])];
      const opts = { transA: !a1 && transA, transB: !b1 && transB };
      return { fn: ([a, b]) => matmul(a, b, opts), xs: [values(rng, sa), values(rng, sb)] };
    },
  }),
  spec({
    name: 'conv1d (stride, padding, dilation)',
    arb: convArb,
    build: (c, rng) => ({
      fn: ([x, w]) => conv1d(x, w, convOpts(c)),
      xs: [values(rng, [c.batch, c.cin, convLength(c)]), values(rng, [c.cout, c.cin, c.kernel])],
    }),
  }),
  spec({
    name: 'conv1dBias (conv1d + a per-channel bias, fused)',
    arb: convArb,
    build: (c, rng) => ({
      fn: ([x, w, b]) => conv1dBias(x, w, b, convOpts(c)),
      xs: [values(rng, [c.batch, c.cin, convLength(c)]), values(rng, [c.cout, c.cin, c.kernel]), values(rng, [c.cout])],
    }),
  }),
  spec({
    name: 'convTranspose1d (stride, padding, dilation, outputPadding)',
    arb: fc.record({ c: convArb, outputPadding: fc.nat() }),
    build: ({ c, outputPadding }, rng) => {
      const op = outputPadding % Math.max(c.stride, c.dilation);
      // Shrink the padding until the output is non-empty.
      let padding = c.padding;
      while (padding > 0 && (c.length - 1) * c.stride - 2 * padding + c.dilation * (c.kernel - 1) + op + 1 < 1) padding--;
      const opts = { stride: c.stride, padding, dilation: c.dilation, outputPadding: op };
      return {
        fn: ([x, w]) => convTranspose1d(x, w, opts),
        xs: [values(rng, [c.batch, c.cin, c.length]), values(rng, [c.cin, c.cout, c.kernel])],
      };
    },
  }),
  spec({
    // outputPadding >= stride, allowed because dilation > stride: conv1d over the output has
    // more positions than the input, and the VJPs must crop (a bug found by these tests).
    name: 'convTranspose1d with outputPadding >= stride (dilation > stride)',
    arb: fc.record({ c: convArb, extra: fc.nat() }),
    build: ({ c, extra }, rng) => {
      const stride = Math.min(c.stride, 2);
      const dilation = stride + c.dilation;
      const op = stride + (extra % (dilation - stride));
      const opts = { stride, padding: 0, dilation, outputPadding: op };
      return {
        fn: ([x, w]) => convTranspose1d(x, w, opts),
        xs: [values(rng, [c.batch, c.cin, c.length]), values(rng, [c.cin, c.cout, c.kernel])],
      };
    },
  }),
  spec({
    name: "conv1dWeightAdjoint (conv1d's weight VJP as a function of input and cotangent)",
    arb: convArb,
    build: (c, rng) => {
      const length = convLength(c);
      const wShape = [c.cout, c.cin, c.kernel];
      const outLength = conv1d(zeros([c.batch, c.cin, length]), zeros(wShape), convOpts(c)).shape[2];
      return {
        fn: ([x, ct], [w0]) => vjp((w: Tensor) => conv1d(x, w, convOpts(c)), w0)[1](ct)[0],
        xs: [values(rng, [c.batch, c.cin, length]), values(rng, [c.batch, c.cout, outLength])],
        cs: [values(rng, wShape)],
      };
    },
  }),
  spec({
    name: "conv1dInputAdjoint (conv1d's input VJP as a function of weight and cotangent)",
    arb: convArb,
    build: (c, rng) => {
      const length = convLength(c);
      const xShape = [c.batch, c.cin, length];
      const outLength = conv1d(zeros(xShape), zeros([c.cout, c.cin, c.kernel]), convOpts(c)).shape[2];
      return {
        fn: ([w, ct], [x0]) => vjp((x: Tensor) => conv1d(x, w, convOpts(c)), x0)[1](ct)[0],
        xs: [values(rng, [c.cout, c.cin, c.kernel]), values(rng, [c.batch, c.cout, outLength])],
        cs: [values(rng, xShape)],
      };
    },
  }),

  // Fused primitives (ops/fused.ts, mishScale): the same rules, checked the same way.
  spec({
    name: 'affine (x * scale + shift, scale and shift broadcast to x)',
    arb: shapeArb(0, 3, 4),
    build: (shape, rng) => ({
      fn: ([x, s, b]) => affine(x, s, b),
      xs: [values(rng, shape), values(rng, broadcastableTo(rng, shape)), values(rng, broadcastableTo(rng, shape))],
    }),
  }),
  spec({
    name: 'mulSumTo (sumToShape(a * b), in one pass)',
    arb: shapeArb(0, 3, 4),
    build: (shape, rng) => {
      const target = broadcastableTo(rng, shape);
      return { fn: ([a, b]) => mulSumTo(a, b, target), xs: [values(rng, shape), values(rng, shape)] };
    },
  }),
  spec({
    name: 'mishScale (v * mish\'(x))',
    arb: shapeArb(0, 3, 4),
    build: (shape, rng) => ({ fn: ([v, x]) => mishScale(v, x), xs: [values(rng, shape), values(rng, shape)] }),
  }),
  spec({
    name: "mishCurvature (a * b * mish''(x))",
    arb: shapeArb(0, 3, 4),
    build: (shape, rng) => ({
      fn: ([a, b, x]) => mishCurvature(a, b, x),
      xs: [values(rng, shape), values(rng, shape), values(rng, shape)],
    }),
  }),
  spec({
    name: 'groupNorm (with and without weight and bias)',
    arb: fc.record({ batch: dim(2), groups: dim(3), perGroup: dim(2), length: fc.integer({ min: 3, max: 5 }), affine: fc.boolean() }),
    build: ({ batch, groups, perGroup, length, affine }, rng) => {
      // Groups of at least 3 standard-normal values: their variance stays well above eps = 1e-5.
      const channels = groups * perGroup;
      const x = values(rng, [batch, channels, length]);
      if (!affine) return { fn: ([t]) => groupNorm(t, groups), xs: [x] };
      return {
        fn: ([t, w, b]) => groupNorm(t, groups, w, b),
        xs: [x, values(rng, [channels]), values(rng, [channels])],
      };
    },
  }),
  spec({
    name: 'groupNormalizeTangent and groupNormalizeCurvature (P_x(v) and its derivative in x, Q(x, v, u))',
    arb: fc.record({ batch: dim(2), groups: dim(2), perGroup: dim(2), length: fc.integer({ min: 3, max: 4 }), curvature: fc.boolean() }),
    build: ({ batch, groups, perGroup, length, curvature }, rng) => {
      const shape = [batch, groups * perGroup, length];
      const p = { groups, eps: 1e-5 };
      if (!curvature) {
        return { fn: ([x, v]) => bind(groupNormalizeTangentP, [x, v], p), xs: [values(rng, shape), values(rng, shape)] };
      }
      return {
        fn: ([x, v, u]) => bind(groupNormalizeCurvatureP, [x, v, u], p),
        xs: [values(rng, shape), values(rng, shape), values(rng, shape)],
      };
    },
  }),
];

describe(`every primitive: jvp vs central differences, adjoint identity, second order (seed ${SEED})`, () => {
  for (const sp of SPECS) it(`${sp.name} (seed ${SEED})`, () => sp.run(RUNS, false));
});

describe(`float32 agrees with float64 (seed ${SEED})`, () => {
  for (const sp of SPECS) it(`${sp.name} (seed ${SEED})`, () => sp.run(30, true));
});

describe(`fused primitives equal the ops they fuse (seed ${SEED})`, () => {
  it(`groupNormalizeCurvature equals forward mode through the composite P_x(v), and is symmetric (seed ${SEED})`, () => {
    fc.assert(
      fc.property(dim(3), dim(3), dim(3), fc.integer({ min: 1, max: 6 }), seedArb, (batch, groups, perGroup, length, seed) => {
        const rng = new Rng(seed);
        const shape = [batch, groups * perGroup, length];
        const p = { groups, eps: 1e-5 };
        const [x, v, u, w] = [0, 1, 2, 3].map(() => values(rng, shape));
        const q = bind(groupNormalizeCurvatureP, [x, v, u], p);
        assertClose(data(q), data(curvatureReference(x, v, u, p)), 1e-10, 'Q vs reference', 10);
        assertClose(data(q), data(bind(groupNormalizeCurvatureP, [x, u, v], p)), 1e-12, 'Q symmetric in v, u', 10);
        // <w, Q(x, v, u)> = <Q(x, v, w), u>: the VJP in x of P_x(v) is Q(x, v, ct).
        const dot = (a: Tensor, b: Tensor) => sum(mul(a, b)).item();
        const lhs = dot(w, q);
        expect(Math.abs(lhs - dot(bind(groupNormalizeCurvatureP, [x, v, w], p), u))).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
      }),
      params,
    );
  });

  it(`affine = add(mul(x, scale), shift) and mishScale = v * mishGrad(x), bit for bit in float64; mulSumTo = sumToShape(mul(a, b)) (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(0, 4, 5), seedArb, fc.constantFrom('float64' as const, 'float32' as const), (shape, seed, dtype) => {
        const rng = new Rng(seed);
        const v = (sh: readonly number[]) => cast(values(rng, sh), dtype);
        const [x, s, b] = [v(shape), v(broadcastableTo(rng, shape)), v(broadcastableTo(rng, shape))];
        const y = v(shape);
        const target = broadcastableTo(rng, shape);
        if (dtype === 'float64') {
          expect(data(affine(x, s, b))).toEqual(data(add(mul(x, s), b)));
          expect(data(mishScale(y, x))).toEqual(data(mul(y, mishGrad(x))));
          expect(data(mishCurvature(y, s.size === x.size ? s : x, x))).toEqual(data(mul(mul(y, s.size === x.size ? s : x), mishGrad2(x))));
        } else {
          // float32: the fused loops round once, where the unfused ops round each intermediate.
          assertClose(data(affine(x, s, b)), data(add(mul(x, s), b)), 2 ** -22, 'affine float32', 10);
          assertClose(data(mishScale(y, x)), data(mul(y, mishGrad(x))), 2 ** -22, 'mishScale float32', 10);
        }
        // conv1dBias = conv1d + the bias broadcast per channel (the same two roundings).
        if (shape.length === 3 && shape[2]! >= 3) {
          const w = v([2, shape[1]!, 3]);
          const bias = v([2]);
          expect(data(conv1dBias(x, w, bias, { padding: 1 }))).toEqual(data(add(conv1d(x, w, { padding: 1 }), reshape(bias, [1, 2, 1]))));
        }
        // The fused sum keeps each product in float64, so float32 agrees to float32 rounding only.
        const tol = dtype === 'float64' ? 1e-12 : 1e-5;
        assertClose(data(mulSumTo(x, y, target)), data(sumToShape(mul(x, y), target)), tol, 'mulSumTo', x.size + 1);
      }),
      params,
    );
  });
});

// ---------------------------------------------------------------------------------------
// Primitives whose derivative is not the finite difference of their value.

describe(`cast and stopGradient (seed ${SEED})`, () => {
  it(`cast: tangents and cotangents are converted, values kept (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(0, 3, 4), seedArb, (shape, seed) => {
        const rng = new Rng(seed);
        const x = values(rng, shape);
        const t = values(rng, shape);
        const [y, ty] = jvp((v: Tensor) => cast(v, 'float32'), [x], [t]);
        expect(y.dtype).toBe('float32');
        expect(ty.dtype).toBe('float32');
        expect(data(ty)).toEqual(Float64Array.from(Float32Array.from(data(t))));
        const ct = rng.normal(shape, 0, 1, 'float32');
        const [g] = vjp((v: Tensor) => cast(v, 'float32'), x)[1](ct);
        expect(g.dtype).toBe('float64');
        expect(data(g)).toEqual(data(ct));
        // Through float32 and back: the adjoint identity holds to float32 rounding.
        checkAdjoint((v) => cast(mul(cast(v, 'float32'), 3), 'float64'), [x], rng, 'cast round trip', F32_TOL);
        // Second order through casts: the Hessian of sum(cast(x)^3) is diag(6 x) to float32 accuracy.
        if (x.size > 0 && x.size <= 8) {
          const hx = hessian((v: Tensor) => sum(pow(cast(v, 'float32'), 3)))(x);
          const v = data(x);
          const want = new Float64Array(v.length * v.length);
          v.forEach((xi, i) => (want[i * v.length + i] = 6 * xi));
          assertClose(data(hx), want, F32_TOL, 'hessian through cast', Math.max(...v.map(Math.abs)) * 6);
        }
      }),
      params,
    );
  });

  it(`stopGradient: no derivative flows through it, at any order or level (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 3), seedArb, (shape, seed) => {
        const rng = new Rng(seed);
        const x = values(rng, shape);
        const t = values(rng, shape);
        const [y, ty] = jvp(stopGradient, [x], [t]);
        expect(data(y)).toEqual(data(x));
        expect(data(ty)).toEqual(new Float64Array(x.size));
        // d/dx sum(x * sg(x)) = sg(x) = x, not 2x.
        const f = (v: Tensor) => sum(mul(v, stopGradient(v)));
        expect(data(grad(f)(x))).toEqual(data(x));
        // Its second derivative is zero, forward or reverse over reverse.
        expect(data(jvp(grad(f), [x], [t])[1])).toEqual(new Float64Array(x.size));
        expect(data(grad((v: Tensor) => sum(mul(grad(f)(v), t)))(x))).toEqual(new Float64Array(x.size));
        // An outer transformation does not see through an inner stopGradient either:
        // the inner tangent is sg(x) * 1, whose derivative in the outer x is zero.
        const outer = grad((v: Tensor) => sum(jvp((u: Tensor) => mul(u, stopGradient(v)), [v], [t])[1]))(x);
        expect(data(outer)).toEqual(new Float64Array(x.size));
        // ...while its derivative in the inner variable is unaffected.
        const inner = grad((v: Tensor) => sum(jvp((u: Tensor) => mul(stopGradient(u), v), [x], [t])[0]))(x);
        expect(data(inner)).toEqual(data(x));
      }),
      params,
    );
  });
});

// ---------------------------------------------------------------------------------------
// The checkers fail on wrong rules. Each broken primitive is right in every rule but one,
// and exactly the checker that looks at that rule must fail.

describe(`the checkers catch wrong rules (seed ${SEED})`, () => {
  const sinValues = (x: ConcreteTensor) => tensor(Float64Array.from(x.data, Math.sin), x.shape);
  const rng = () => new Rng(SEED);
  const x0 = values(new Rng(7), [2, 3]);

  it('a JVP off by a relative 1e-4 fails the finite-difference check', () => {
    const p = primitive<null>({
      name: 'slightlyWrongSin',
      impl: ([x]) => sinValues(x),
      jvp: ([x], [t]) => [sin(x), t && mul(t, mul(cos(x), 1 + 1e-4))],
      vjp: (ct, [x]) => [mul(ct, cos(x))],
    });
    const f = (x: Tensor) => bind(p, [x], null);
    expect(() => checkJvpAgainstFiniteDifferences(f, [x0], rng())).toThrow(/central difference/);
    expect(() => checkAdjoint(f, [x0], rng())).toThrow(/<w, J v>/);
  });

  it('a VJP that is not the transpose of the JVP fails the adjoint check only', () => {
    // cumulative sum along the last axis: its transpose is the reversed cumulative sum;
    // the broken rule applies the cumulative sum itself to the cotangent.
    const cumsumValues = (x: ConcreteTensor) => {
      const out = Float64Array.from(x.data);
      const n = x.shape[x.shape.length - 1];
      for (let i = 0; i < out.length; i++) if (i % n !== 0) out[i] += out[i - 1];
      return tensor(out, x.shape);
    };
    const p: Primitive<null> = primitive<null>({
      name: 'cumsumWithWrongVjp',
      impl: ([x]) => cumsumValues(x),
      jvp: ([x], [t]) => [bind(p, [x], null), t && bind(p, [t], null)],
      vjp: (ct) => [bind(p, [ct], null)],
    });
    const f = (x: Tensor) => bind(p, [x], null);
    expect(() => checkJvpAgainstFiniteDifferences(f, [x0], rng())).not.toThrow();
    expect(() => checkAdjoint(f, [x0], rng())).toThrow(/<w, J v>/);
  });

  it('a rule that is right to first order but not differentiable fails the second-order check only', () => {
    // The derivative is computed from concrete numbers, so no outer transformation sees it.
    const p: Primitive<null> = primitive<null>({
      name: 'opaqueDerivativeSin',
      impl: ([x]) => sinValues(x),
      jvp: ([x], [t]) => [bind(p, [x], null), t && mul(t, tensor(Float64Array.from(x.concrete().data, Math.cos), x.shape))],
      vjp: (ct, [x]) => [mul(ct, tensor(Float64Array.from(x.concrete().data, Math.cos), x.shape))],
    });
    const f = (x: Tensor) => bind(p, [x], null);
    expect(() => checkJvpAgainstFiniteDifferences(f, [x0], rng())).not.toThrow();
    expect(() => checkAdjoint(f, [x0], rng())).not.toThrow();
    expect(() => checkSecondOrder(f, [x0], rng())).toThrow(/forward-over-reverse/);
  });

  it('a broadcasting VJP that forgets to sum back to the input shape fails the adjoint check', () => {
    const p = primitive<null>({
      name: 'mulWithoutSumToShape',
      impl: (xs) => mul(xs[0], xs[1]) as ConcreteTensor,
      jvp: ([a, b], [ta, tb]) => [mul(a, b), add(mul(ta ?? 0, b), mul(a, tb ?? 0))],
      vjp: (ct, [a, b]) => [mul(ct, b), mul(ct, a)],
    });
    const f = (a: Tensor, b: Tensor) => bind(p, [a, b], null);
    const r = new Rng(3);
    expect(() => checkJvpAgainstFiniteDifferences(f, [values(r, [2, 3]), values(r, [3])], rng())).not.toThrow();
    expect(() => checkAdjoint(f, [values(r, [2, 3]), values(r, [3])], rng())).toThrow(/shape/);
  });
});
