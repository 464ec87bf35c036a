/**
 * Random compositions: fast-check grows expression trees over the primitives (elementwise,
 * broadcasting, reductions with keepdims, matmul, transpose, slice + concat, where,
 * maximum), and each tree is checked like a single primitive: JVP against central
 * differences, the adjoint identity, and second order through the four nestings (check.ts).
 *
 * Domains are kept by construction where that is cheap (log, sqrt and pow see arguments of
 * at least 0.5, denominators are 0.5 + b^2) and by rejection where it is not: a tree whose
 * relu, abs, maximum, minimum or where condition meets an argument closer than KINK_MARGIN
 * to its kink at the sampled point is discarded (fc.pre), as is a tree with an intermediate
 * larger than MAX_ABS (deep exp chains). With inputs of size <= 3 the finite-difference step
 * moves an input by <= 3e-5; an intermediate moves by that times its Lipschitz constant,
 * far below KINK_MARGIN for these trees.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  type Tensor,
  abs,
  add,
  broadcastTo,
  concat,
  cos,
  div,
  exp,
  greater,
  log,
  matmul,
  maximum,
  mean,
  minimum,
  mish,
  mul,
  neg,
  pow,
  relu,
  reshape,
  sigmoid,
  sin,
  slice,
  softplus,
  sqrt,
  square,
  stack,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  variance,
  where,
} from '../../src/autodiff/index.js';
import { Rng, checkAll, seedArb, values } from './check.js';

const SEED = 20250202;
const RUNS = 1500;
const KINK_MARGIN = 0.05;
const MAX_ABS = 1e3;

type Unary = 'neg' | 'exp' | 'log' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'softplus' | 'relu' | 'sqrt' | 'square' | 'abs' | 'mish';
type Binary = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'matmul' | 'stackSum';
type Expr =
  | { op: 'var'; i: number }
  | { op: 'const'; v: number }
  | { op: Unary; a: Expr }
  | { op: Binary; a: Expr; b: Expr }
  | { op: 'sum' | 'mean' | 'variance'; axis: number; a: Expr }
  | { op: 'transpose' | 'reshapeRoundTrip'; a: Expr }
  | { op: 'roll'; axis: number; shift: number; a: Expr }
  | { op: 'where'; c: Expr; a: Expr; b: Expr };

const UNARY: Unary[] = ['neg', 'exp', 'log', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'relu', 'sqrt', 'square', 'abs', 'mish'];
const BINARY: Binary[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'matmul', 'stackSum'];

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr; leaf: Expr }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 6, depthSize: 'large', depthIdentifier: 'expr' },
    tie('leaf'),
    fc.record({ op: fc.constantFrom(...UNARY), a: tie('expr') }),
    fc.record({ op: fc.constantFrom(...BINARY), a: tie('expr'), b: tie('expr') }),
    fc.record({ op: fc.constantFrom('sum' as const, 'mean' as const, 'variance' as const), axis: fc.integer({ min: -2, max: 1 }), a: tie('expr') }),
    fc.record({ op: fc.constantFrom('transpose' as const, 'reshapeRoundTrip' as const), a: tie('expr') }),
    fc.record({ op: fc.constant('roll' as const), axis: fc.integer({ min: 0, max: 1 }), shift: fc.integer({ min: 1, max: 2 }), a: tie('expr') }),
    fc.record({ op: fc.constant('where' as const), c: tie('expr'), a: tie('expr'), b: tie('expr') }),
  ),
  leaf: fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('var' as const), i: fc.nat(5) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('const' as const), v: fc.double({ min: -2, max: 2, noNaN: true }) }) },
  ),
})).expr;

/** Shapes of the variables: each broadcasts against the base [n, n]. */
const SHAPE_KINDS = ['full', 'row', 'column', 'rowKept', 'scalar'] as const;
type ShapeKind = (typeof SHAPE_KINDS)[number];
function shapeOf(kind: ShapeKind, n: number): number[] {
  return { full: [n, n], row: [n], column: [n, 1], rowKept: [1, n], scalar: [] }[kind];
}

interface Guard {
  margin: number;
  maxAbs: number;
}

function minAbs(t: Tensor): number {
  let m = Infinity;
  for (const v of t.concrete().data) m = Math.min(m, Math.abs(v));
  return m;
}

function note(g: Guard | undefined, kinkArg: Tensor | null, value: Tensor): Tensor {
  if (g) {
    if (kinkArg !== null) g.margin = Math.min(g.margin, minAbs(kinkArg));
    for (const v of value.concrete().data) g.maxAbs = Math.max(g.maxAbs, Number.isFinite(v) ? Math.abs(v) : Infinity);
  }
  return value;
}

/** Evaluate a tree on the variables; with a guard, record kink margins and magnitudes. */
function evaluate(e: Expr, vars: Tensor[], n: number, g?: Guard): Tensor {
  const base = [n, n];
  const toBase = (t: Tensor) => broadcastTo(t, broadcastShapeWithBase(t.shape, n));
  const ev = (x: Expr) => evaluate(x, vars, n, g);
  switch (e.op) {
    case 'var':
      return vars[e.i % vars.length];
    case 'const':
      return tensor(e.v);
    case 'neg':
      return note(g, null, neg(ev(e.a)));
    case 'exp':
      return note(g, null, exp(ev(e.a)));
    case 'log':
      return note(g, null, log(add(square(ev(e.a)), 0.5)));
    case 'sin':
      return note(g, null, sin(ev(e.a)));
    case 'cos':
      return note(g, null, cos(ev(e.a)));
    case 'tanh':
      return note(g, null, tanh(ev(e.a)));
    case 'sigmoid':
      return note(g, null, sigmoid(ev(e.a)));
    case 'softplus':
      return note(g, null, softplus(ev(e.a)));
    case 'sqrt':
      return note(g, null, sqrt(add(square(ev(e.a)), 0.5)));
    case 'square':
      return note(g, null, square(ev(e.a)));
    case 'mish':
      return note(g, null, mish(ev(e.a)));
    case 'relu': {
      const a = ev(e.a);
      return note(g, a, relu(a));
    }
    case 'abs': {
      const a = ev(e.a);
      return note(g, a, abs(a));
    }
    case 'add':
      return note(g, null, add(ev(e.a), ev(e.b)));
    case 'sub':
      return note(g, null, sub(ev(e.a), ev(e.b)));
    case 'mul':
      return note(g, null, mul(ev(e.a), ev(e.b)));
    case 'div':
      return note(g, null, div(ev(e.a), add(square(ev(e.b)), 0.5)));
    case 'pow':
      // base in (0.5, 1.5), exponent bounded: smooth in both arguments.
      return note(g, null, pow(add(sigmoid(ev(e.a)), 0.5), tanh(ev(e.b))));
    case 'maximum':
    case 'minimum': {
      const a = ev(e.a);
      const b = ev(e.b);
      return note(g, sub(a, b), e.op === 'maximum' ? maximum(a, b) : minimum(a, b));
    }
    case 'matmul':
      return note(g, null, div(matmul(toBase(ev(e.a)), toBase(ev(e.b))), n));
    case 'stackSum': {
      const a = toBase(ev(e.a));
      const b = toBase(ev(e.b));
      return note(g, null, sum(stack([a, b], -1), -1));
    }
    case 'sum':
    case 'mean':
    case 'variance': {
      const a = ev(e.a);
      if (a.ndim === 0) return a;
      const axis = ((e.axis % a.ndim) + a.ndim) % a.ndim;
      const f = e.op === 'sum' ? sum : e.op === 'mean' ? mean : variance;
      return note(g, null, f(a, axis, true));
    }
    case 'transpose':
      return note(g, null, transpose(toBase(ev(e.a))));
    case 'reshapeRoundTrip':
      return note(g, null, reshape(reshape(toBase(ev(e.a)), [-1]), base));
    case 'roll': {
      // A cyclic shift by slice + concat: exercises slice's embedSlice VJP and concat's slices.
      const a = toBase(ev(e.a));
      const ranges = (r: { start?: number; stop?: number }) => (e.axis === 0 ? [r] : [{}, r]);
      return note(g, null, concat([slice(a, ranges({ start: -e.shift })), slice(a, ranges({ stop: -e.shift }))], e.axis));
    }
    case 'where': {
      const c = ev(e.c);
      return note(g, c, where(greater(c, 0), ev(e.a), ev(e.b)));
    }
  }
}

function broadcastShapeWithBase(shape: readonly number[], n: number): number[] {
  return [n, n].map((d, i) => Math.max(d, shape[shape.length - 2 + i] ?? 1));
}

function size(e: Expr): number {
  if (e.op === 'var' || e.op === 'const') return 1;
  const kids = [('a' in e ? e.a : null), ('b' in e ? e.b : null), ('c' in e ? e.c : null)].filter((k): k is Expr => k !== null);
  return 1 + kids.reduce((s, k) => s + size(k), 0);
}

describe(`random compositions of primitives (seed ${SEED})`, () => {
  it(`expression trees: jvp, adjoint and second order (seed ${SEED})`, () => {
    let checked = 0;
    fc.assert(
      fc.property(
        exprArb,
        fc.integer({ min: 2, max: 3 }),
        fc.array(fc.constantFrom(...SHAPE_KINDS), { minLength: 1, maxLength: 3 }),
        seedArb,
        (expr, n, kinds, seed) => {
          const rng = new Rng(seed);
          const xs = kinds.map((k) => values(rng, shapeOf(k, n), 'small'));
          const guard: Guard = { margin: Infinity, maxAbs: 0 };
          evaluate(expr, xs, n, guard);
          fc.pre(guard.margin >= KINK_MARGIN && guard.maxAbs <= MAX_ABS);
          checkAll((...vs) => evaluate(expr, vs, n), xs, rng, `tree of ${size(expr)} nodes`);
          checked++;
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // Rejections must not hollow the test out.
    if (checked < RUNS) throw new Error(`only ${checked} trees were checked`);
  });
});
