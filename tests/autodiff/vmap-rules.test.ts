/**
 * Every primitive's batching rule against a loop over the batch. For each primitive, a case
 * draws one example's arguments and parameters; the test draws a batch size, which arguments
 * are batched (at least one), and an independent example per batch entry for each batched
 * argument, then compares vmap of the primitive with the primitive applied to each example.
 *
 * Tolerance. Most rules run the primitive's own loops on the batch with the batch axis as one
 * more axis, so each output element is computed by the same arithmetic in the same order: those
 * are compared bit for bit. The products (matmul, the convolutions) may tile a larger problem
 * differently (kernels/: blocked panels, k-blocking), which changes the order of a dot product's
 * additions; they are compared with EXACT_TOL relative to the sum of |terms| bound by
 * |output|_inf (order changes move a k-term sum by at most k eps sum|terms|, k <= 24 here).
 * A wrong rule (a misplaced batch axis, a missing broadcast) moves values by O(1).
 *
 * Also: every primitive the engine exports has a registered rule and a case here, so a new
 * primitive cannot silently fall back to the loop.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as engine from '../../src/autodiff/index.js';
import { type Primitive, type Tensor, bind, vmap } from '../../src/autodiff/index.js';
import { batchRuleOf } from '../../src/autodiff/vmap/registry.js';
import { EXACT_TOL, Rng, assertClose, broadcastShapesArb, data, mask, seedArb, shapeArb, values, type Domain } from './check.js';

const SEED = 20260418;
const RUNS = 25;

interface Example {
  args: Tensor[];
  params: unknown;
}

interface Case {
  /** The structure of one example (shapes, parameters), drawn by fast-check; numbers come from `make`. */
  arb: fc.Arbitrary<unknown>;
  make: (rng: Rng, drawn: never) => Example;
  /** Compare with a tolerance (products whose kernels may reorder sums); else bit for bit. */
  tolerant?: boolean;
}

const unary = (domain: Domain = 'real'): Case => ({
  arb: shapeArb(0, 3, 4),
  make: (rng, shape: number[]) => ({ args: [values(rng, shape, domain)], params: null }),
});

const broadcast = (n: number, domains: Domain[] = []): Case => ({
  arb: broadcastShapesArb(n, 3, 3),
  make: (rng, shapes: number[][]) => ({ args: shapes.map((s, i) => values(rng, s, domains[i] ?? 'real')), params: null }),
});

/** A shape and a shape that broadcasts to it (a suffix with some dimensions turned to 1). */
const shapeAndSmaller = shapeArb(1, 3, 3).chain((full) =>
  fc.tuple(fc.constant(full), fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
    .map(([f, drop, ones]) => [f, f.map((d, i) => (ones[i] ? 1 : d)).slice(drop)] as [number[], number[]]));

const convGeometry = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  cin: fc.integer({ min: 1, max: 3 }),
  cout: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 3 }),
  length: fc.integer({ min: 5, max: 8 }),
  stride: fc.integer({ min: 1, max: 2 }),
  padding: fc.integer({ min: 0, max: 1 }),
  dilation: fc.integer({ min: 1, max: 2 }),
});
type Geometry = { n: number; cin: number; cout: number; k: number; length: number; stride: number; padding: number; dilation: number };
const convParams = (g: Geometry) => ({ stride: g.stride, padding: g.padding, dilation: g.dilation });
const convOut = (g: Geometry) => engine.convOutputLength(g.length, g.k, convParams(g));

const groupArb = fc.record({ n: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 2 }), per: fc.integer({ min: 1, max: 2 }), length: fc.integer({ min: 2, max: 4 }) });
type Groups = { n: number; groups: number; per: number; length: number };
const groupShape = (g: Groups) => [g.n, g.groups * g.per, g.length];

const sliceArb = shapeArb(1, 3, 4).chain((full) =>
  fc.tuple(...full.map((d) => fc.tuple(fc.integer({ min: 0, max: d - 1 }), fc.integer({ min: 1, max: 2 })))).map((axes) => {
    const begin = axes.map(([b]) => b);
    const step = axes.map(([, s]) => s);
    const shape = full.map((d, i) => Math.ceil((d - begin[i]) / step[i]));
    return { begin, step, shape, full };
  }));

const CASES: Record<string, Case> = {
  negP: unary(), expP: unary('small'), logP: unary('positive'), sinP: unary(), cosP: unary(), tanhP: unary(),
  sigmoidP: unary(), softplusP: unary(), reluP: unary('nonzero'), sqrtP: unary('positive'), squareP: unary(),
  absP: unary('nonzero'), signP: unary('nonzero'), mishP: unary(), mishGradP: unary(), mishGrad2P: unary(),
  stopGradientP: unary(),
  castP: { arb: shapeArb(0, 3, 4), make: (rng, shape: number[]) => ({ args: [values(rng, shape)], params: 'float32' }) },
  addP: broadcast(2), subP: broadcast(2), mulP: broadcast(2), divP: broadcast(2, ['real', 'positive']),
  powP: broadcast(2, ['positive', 'real']), greaterP: broadcast(2), greaterEqualP: broadcast(2), lessP: broadcast(2),
  lessEqualP: broadcast(2), equalP: broadcast(2), mishScaleP: broadcast(2),
  whereP: {
    arb: broadcastShapesArb(3, 3, 3),
    make: (rng, [sc, sa, sb]: number[][]) => ({ args: [mask(rng, sc), values(rng, sa), values(rng, sb)], params: null }),
  },
  mishCurvatureP: { arb: shapeArb(0, 3, 4), make: (rng, s: number[]) => ({ args: [values(rng, s), values(rng, s), values(rng, s)], params: null }) },
  affineP: {
    arb: shapeAndSmaller.chain(([full, small]) => fc.tuple(fc.constant(full), fc.constant(small), fc.boolean())),
    make: (rng, [full, small, swap]: [number[], number[], boolean]) => ({
      args: [values(rng, full), values(rng, swap ? full.slice(-1) : small), values(rng, swap ? small : full.slice(-1))],
      params: null,
    }),
  },
  mulSumToP: {
    arb: shapeAndSmaller,
    make: (rng, [full, small]: [number[], number[]]) => ({ args: [values(rng, full), values(rng, full)], params: small }),
  },
  reshapeP: {
    arb: shapeArb(1, 3, 4).chain((s) => fc.tuple(fc.constant(s), fc.boolean())),
    make: (rng, [s, flatFirst]: [number[], boolean]) => ({
      args: [values(rng, s)],
      params: flatFirst ? [s.reduce((a, b) => a * b, 1)] : [...s].reverse(),
    }),
  },
  broadcastToP: {
    arb: shapeAndSmaller,
    make: (rng, [full, small]: [number[], number[]]) => ({ args: [values(rng, small)], params: full }),
  },
  sumP: {
    arb: shapeArb(1, 3, 4).chain((s) => fc.tuple(fc.constant(s), fc.subarray(s.map((_, i) => i), { minLength: 1 }), fc.boolean())),
    make: (rng, [s, axes, keepdims]: [number[], number[], boolean]) => ({ args: [values(rng, s)], params: { axes, keepdims } }),
  },
  transposeP: {
    arb: shapeArb(1, 3, 4).chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }))),
    make: (rng, [s, perm]: [number[], number[]]) => ({ args: [values(rng, s)], params: perm }),
  },
  sliceP: { arb: sliceArb, make: (rng, p: { full: number[] }) => ({ args: [values(rng, p.full)], params: p }) },
  embedSliceP: { arb: sliceArb, make: (rng, p: { shape: number[] }) => ({ args: [values(rng, p.shape)], params: p }) },
  concatP: {
    arb: shapeArb(1, 3, 3).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }))),
    make: (rng, [s, axis, sizes]: [number[], number, number[]]) => ({
      args: sizes.map((d) => values(rng, s.map((v, i) => (i === axis ? d : v)))),
      params: axis,
    }),
  },
  matmulP: {
    tolerant: true,
    arb: fc.record({
      m: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 4 }),
      transA: fc.boolean(), transB: fc.boolean(), batchA: fc.integer({ min: 0, max: 2 }), batchB: fc.integer({ min: 0, max: 2 }),
    }),
    make: (rng, g: { m: number; k: number; n: number; transA: boolean; transB: boolean; batchA: number; batchB: number }) => {
      // Example-level batch dims: none, [2], or [1] (which broadcasts against the other's).
      const lead = (b: number) => (b === 0 ? [] : b === 1 ? [2] : [1]);
      const a = [...lead(g.batchA), ...(g.transA ? [g.k, g.m] : [g.m, g.k])];
      const b = [...lead(g.batchB), ...(g.transB ? [g.n, g.k] : [g.k, g.n])];
      return { args: [values(rng, a), values(rng, b)], params: { transA: g.transA, transB: g.transB } };
    },
  },
  conv1dP: {
    tolerant: true,
    arb: convGeometry,
    make: (rng, g: Geometry) => ({ args: [values(rng, [g.n, g.cin, g.length]), values(rng, [g.cout, g.cin, g.k])], params: convParams(g) }),
  },
  conv1dBiasP: {
    tolerant: true,
    arb: convGeometry,
    make: (rng, g: Geometry) => ({
      args: [values(rng, [g.n, g.cin, g.length]), values(rng, [g.cout, g.cin, g.k]), values(rng, [g.cout])],
      params: convParams(g),
    }),
  },
  conv1dInputAdjointP: {
    tolerant: true,
    arb: convGeometry,
    make: (rng, g: Geometry) => ({
      args: [values(rng, [g.n, g.cout, convOut(g)]), values(rng, [g.cout, g.cin, g.k])],
      params: { ...convParams(g), inLength: g.length },
    }),
  },
  conv1dWeightAdjointP: {
    tolerant: true,
    arb: convGeometry,
    make: (rng, g: Geometry) => ({
      args: [values(rng, [g.n, g.cin, g.length]), values(rng, [g.n, g.cout, convOut(g)])],
      params: { ...convParams(g), kernelSize: g.k },
    }),
  },
  groupNormalizeP: {
    arb: groupArb,
    make: (rng, g: Groups) => ({ args: [values(rng, groupShape(g))], params: { groups: g.groups, eps: 1e-5 } }),
  },
  groupNormalizeTangentP: {
    arb: groupArb,
    make: (rng, g: Groups) => ({ args: [values(rng, groupShape(g)), values(rng, groupShape(g))], params: { groups: g.groups, eps: 1e-5 } }),
  },
  groupNormalizeCurvatureP: {
    arb: groupArb,
    make: (rng, g: Groups) => ({
      args: [values(rng, groupShape(g)), values(rng, groupShape(g)), values(rng, groupShape(g))],
      params: { groups: g.groups, eps: 1e-5 },
    }),
  },
};

/** The primitives the engine exports: every value of the index with the three rules. */
const PRIMITIVES = Object.entries(engine).filter(
  ([, v]) => typeof v === 'object' && v !== null && 'impl' in v && 'jvp' in v && 'vjp' in v,
) as [string, Primitive<unknown>][];

describe('batching rules', () => {
  it('every exported primitive has a registered batching rule and a case in this test', () => {
    expect(PRIMITIVES.length).toBeGreaterThan(40);
    for (const [name, prim] of PRIMITIVES) {
      expect(batchRuleOf(prim), `${name} has no batching rule`).toBeDefined();
      expect(CASES[name], `${name} has no case in vmap-rules.test.ts`).toBeDefined();
    }
  });

  for (const [name, prim] of PRIMITIVES) {
    const c = CASES[name];
    if (c === undefined) continue;
    it(`${name}: vmap equals a loop over the batch${c.tolerant ? ' (EXACT_TOL: kernels may reorder sums)' : ' (bit for bit)'} (seed ${SEED})`, () => {
      fc.assert(
        fc.property(c.arb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 ** 20 }), seedArb, (drawn, size, flags, seed) => {
          const rng = new Rng(seed);
          const first = c.make(rng, drawn as never);
          const n = first.args.length;
          // Which arguments are batched: the bits of `flags`, at least one.
          const batched = first.args.map((_, i) => ((flags >> i) & 1) === 1);
          if (!batched.some((b) => b)) batched[flags % n] = true;
          const examples = [first, ...Array.from({ length: size - 1 }, () => c.make(new Rng(rng.int(2 ** 30)), drawn as never))];
          const args = first.args.map((a, i) => (batched[i] ? engine.stack(examples.map((e) => e.args[i])) : a));
          const apply = (...xs: Tensor[]) => bind(prim, xs, first.params);
          const viaVmap = vmap(apply, batched.map((b) => (b ? 0 : null)))(...args);
          const viaLoop = engine.stack(examples.map((_, b) => apply(...first.args.map((a, i) => (batched[i] ? examples[b].args[i] : a)))));
          expect(viaVmap.shape).toEqual(viaLoop.shape);
          expect(viaVmap.dtype).toEqual(viaLoop.dtype);
          if (c.tolerant) assertClose(data(viaVmap), data(viaLoop), EXACT_TOL, name);
          else expect(Array.from(data(viaVmap))).toEqual(Array.from(data(viaLoop)));
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});
