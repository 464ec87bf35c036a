/**
 * Bad input gets a clear, typed error: shape mismatches name the op and both shapes (inside
 * transformations too), grad of a non-scalar, pytrees of the wrong structure, non-finite
 * tangents and cotangents in debug mode, and tracers used after their transformation ended.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AutodiffError,
  NonFiniteError,
  ShapeError,
  type Tensor,
  TransformError,
  add,
  broadcastTo,
  concat,
  conv1d,
  convTranspose1d,
  div,
  grad,
  groupNorm,
  jvp,
  matmul,
  mul,
  ones,
  pow,
  reshape,
  setDebug,
  sin,
  sqrt,
  sub,
  sum,
  tensor,
  valueAndGrad,
  vjp,
  where,
  zeros,
} from '../../src/autodiff/index.js';

const SEED = 20250505;
const params = { seed: SEED, numRuns: 40 };

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Run `f`, expecting an error of `type` whose message contains every string in `parts`. */
function expectError(f: () => unknown, type: new (...args: never[]) => Error, parts: string[]): Error {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof Error)) throw new Error(`expected a ${type.name}, nothing was thrown`);
  expect(caught).toBeInstanceOf(type);
  expect(caught).toBeInstanceOf(AutodiffError);
  for (const p of parts) expect(caught.message).toContain(p);
  return caught;
}

/**
 * Two shapes that do not broadcast: a common shape with dimensions >= 2, one axis changed
 * to another value >= 2 in the second operand, and leading axes possibly dropped from
 * either (but not the conflicting one).
 */
const incompatiblePairArb = fc
  .record({
    full: fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 3 }),
    axis: fc.nat(),
    bump: fc.integer({ min: 1, max: 2 }),
    dropA: fc.nat(),
    dropB: fc.nat(),
  })
  .map(({ full, axis, bump, dropA, dropB }) => {
    const ax = axis % full.length;
    const b = [...full];
    b[ax] = full[ax] + bump;
    return [full.slice(dropA % (ax + 1)), b.slice(dropB % (ax + 1))] as [number[], number[]];
  });

describe(`shape mismatches name the op and both shapes (seed ${SEED})`, () => {
  const BINARY: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', add],
    ['sub', sub],
    ['mul', mul],
    ['div', div],
    ['pow', pow],
  ];

  it(`elementwise binary ops, directly and inside jvp, grad and nested transformations (seed ${SEED})`, () => {
    fc.assert(
      fc.property(incompatiblePairArb, fc.nat(BINARY.length - 1), ([sa, sb], which) => {
        const [name, op] = BINARY[which];
        const a = ones(sa);
        const b = ones(sb);
        const parts = [`${name}:`, fmt(sa), fmt(sb)];
        expectError(() => op(a, b), ShapeError, parts);
        expectError(() => jvp((x: Tensor) => op(x, b), [a], [a]), ShapeError, parts);
        expectError(() => grad((x: Tensor) => sum(op(x, b)))(a), ShapeError, parts);
        expectError(() => grad((y: Tensor) => sum(jvp((x: Tensor) => op(x, y), [a], [a])[1]))(b), ShapeError, parts);
        expectError(() => where(ones(sa), a, b), ShapeError, ['where:', fmt(sa), fmt(sb)]);
      }),
      params,
    );
  });

  it(`matmul: inner dimensions and batch dimensions, 1-D operands named as passed (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 3 }), (m, k, batch) => {
        const cases: [number[], number[]][] = [
          [[m, k], [k + 1, m]],
          [[k], [k + 1, m]],
          [[m, k], [k + 1]],
          [[batch, m, k], [batch + 1, k, m]],
          [[2, batch, m, k], [batch + 1, k, m]],
        ];
        for (const [sa, sb] of cases) {
          expectError(() => matmul(zeros(sa), zeros(sb)), ShapeError, ['matmul:', fmt(sa), fmt(sb)]);
          expectError(() => grad((x: Tensor) => sum(matmul(x, zeros(sb))))(zeros(sa)), ShapeError, ['matmul:', fmt(sa), fmt(sb)]);
        }
      }),
      params,
    );
  });

  it('structural, conv and normalization ops', () => {
    const cases: [string, () => unknown, number[][]][] = [
      ['reshape', () => reshape(zeros([2, 3]), [4]), [[2, 3], [4]]],
      ['broadcastTo', () => broadcastTo(zeros([2, 3]), [3, 3]), [[2, 3], [3, 3]]],
      ['concat', () => concat([zeros([2, 3]), zeros([3, 4])], 1), [[2, 3], [3, 4]]],
      ['conv1d', () => conv1d(zeros([1, 2, 5]), zeros([3, 4, 2])), [[1, 2, 5], [3, 4, 2]]],
      ['conv1d', () => conv1d(zeros([1, 2, 2]), zeros([3, 2, 4])), [[1, 2, 2], [3, 2, 4]]],
      ['convTranspose1d', () => convTranspose1d(zeros([1, 2, 5]), zeros([3, 4, 2])), [[1, 2, 5], [3, 4, 2]]],
      ['groupNorm', () => groupNorm(zeros([1, 3, 4]), 2), [[1, 3, 4]]],
      ['groupNorm', () => groupNorm(zeros([1, 4, 4]), 2, zeros([3])), [[1, 4, 4], [3]]],
    ];
    for (const [op, f, shapes] of cases) expectError(f, ShapeError, [`${op}:`, ...shapes.map(fmt)]);
  });
});

describe('misused transformations', () => {
  it('grad of a non-scalar function names the shape', () => {
    expectError(() => grad((x: Tensor) => mul(x, 2))(zeros([2, 3])), TransformError, ['grad', 'scalar', '[2, 3]']);
    expectError(() => valueAndGrad((x: Tensor) => mul(x, 2))(zeros([2])), TransformError, ['scalar', '[2]']);
    // One element of any rank is a scalar.
    expect(grad((x: Tensor) => reshape(sum(x), [1, 1]))(ones([2])).toArray()).toEqual([1, 1]);
  });

  it('grad with an argnum out of range, or of a function that returns a non-tensor', () => {
    expectError(() => grad((x: Tensor) => sum(x), 2)(zeros([2])), TransformError, ['argnum 2']);
    expectError(() => grad((x: Tensor) => [sum(x)] as unknown as Tensor)(zeros([2])), TransformError, ['grad']);
  });

  it('pytrees of the wrong structure', () => {
    const x = ones([2]);
    // Primals and tangents differ: object vs array, missing key, extra leaf.
    expectError(() => jvp((p: { a: Tensor }) => p.a, [{ a: x }], [[x]] as never), TransformError, ['jvp', 'structure']);
    expectError(() => jvp((p: { a: Tensor; b: Tensor }) => p.a, [{ a: x, b: x }], [{ a: x, c: x }] as never), TransformError, ['structure']);
    expectError(() => jvp((p: Tensor[]) => p[0], [[x]], [[x, x]]), TransformError, ['structure']);
    // A tangent of the wrong shape names both shapes.
    expectError(() => jvp((v: Tensor) => v, [x], [ones([3])]), ShapeError, ['jvp', '[2]', '[3]']);
    // A cotangent of the wrong structure or shape.
    const [, pullback] = vjp((v: Tensor) => ({ out: v, aux: [sum(v)] }), x);
    expectError(() => pullback({ out: x } as never), TransformError, ['vjp', 'structure']);
    expectError(() => pullback({ out: ones([3]), aux: [tensor(1)] }), ShapeError, ['vjp', '[2]', '[3]']);
    // A leaf that is not a tensor names its path.
    expectError(() => grad((p: { a: Tensor }) => sum(p.a))({ a: x, b: 3 } as never), TransformError, ['argument 0.b', 'number']);
  });
});

describe('non-finite values in debug mode', () => {
  afterEach(() => setDebug(false));

  it('a NaN cotangent or tangent passed in is reported', () => {
    setDebug(true);
    const x = ones([3]);
    const [, pullback] = vjp(sin, x);
    expectError(() => pullback(tensor([1, Number.NaN, 1])), NonFiniteError, ['vjp: cotangent 0', 'element 1', 'NaN']);
    expectError(() => jvp(sin, [x], [tensor([1, 1, Number.POSITIVE_INFINITY])]), NonFiniteError, ['jvp: tangent 0', 'element 2']);
  });

  it('a non-finite derivative produced by a rule names the primitive, in either mode and nested', () => {
    setDebug(true);
    const x = tensor([1, 0, 4]); // sqrt has an infinite derivative at 0
    expectError(() => grad((v: Tensor) => sum(sqrt(v)))(x), NonFiniteError, ['sqrt', 'cotangent', 'element 1', 'Infinity']);
    expectError(() => jvp(sqrt, [x], [ones([3])]), NonFiniteError, ['sqrt', 'tangent', 'element 1']);
    expectError(() => jvp(grad((v: Tensor) => sum(sqrt(v))), [x], [ones([3])]), NonFiniteError, ['sqrt']);
  });

  it('without debug mode the same computation returns the non-finite value silently', () => {
    setDebug(false);
    expect(grad((v: Tensor) => sum(sqrt(v)))(tensor([1, 0])).toArray()[1]).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('tracers that escape their transformation', () => {
  it('are rejected when used in an op afterwards, naming the op', () => {
    let leaked: Tensor | null = null;
    grad((v: Tensor) => {
      leaked = v;
      return sum(v);
    })(ones([2]));
    expectError(() => add(leaked!, 1), TransformError, ['add:', 'escaped']);
    expectError(() => grad((y: Tensor) => sum(mul(leaked!, y)))(ones([2])), TransformError, ['mul:', 'escaped']);

    let fromJvp: Tensor | null = null;
    jvp((v: Tensor) => (fromJvp = sin(v)), [ones([2])], [ones([2])]);
    expectError(() => sum(fromJvp!), TransformError, ['sum:', 'escaped']);

    let fromVjp: Tensor | null = null;
    vjp((v: Tensor) => (fromVjp = mul(v, 2)), ones([2]));
    expectError(() => sin(fromVjp!), TransformError, ['sin:', 'escaped']);
  });

  it('are rejected when an inner transformation leaks into the still-running outer one', () => {
    expectError(
      () =>
        grad((x: Tensor) => {
          let inner: Tensor | null = null;
          grad((y: Tensor) => {
            inner = y;
            return sum(mul(x, y));
          })(x);
          return sum(mul(inner!, x));
        })(ones([2])),
      TransformError,
      ['mul:', 'escaped'],
    );
  });

  it('may still be read (values only) after the transformation', () => {
    let leaked: Tensor | null = null;
    jvp((v: Tensor) => (leaked = mul(v, 3)), [tensor([1, 2])], [ones([2])]);
    expect(leaked!.toArray()).toEqual([3, 6]);
  });
});
