/**
 * linearize and linearTranspose: the linear map equals jvp's tangent bit for bit (it replays
 * the same ops on the same values), its transpose satisfies the adjoint identity against it
 * and equals vjp's pullback, linearize composes with outer transformations (its derivative
 * against central differences), and bad input raises typed errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Primitive, ShapeError, type Tensor, bind, primitive, TransformError, add, concat, exp, grad, jvp, linearTranspose, linearize, matmul, mish, mul, reshape,
  sigmoid, sin, slice, softplus, square, sub, sum, tanh, tensor, vjp,
} from '../../src/autodiff/index.js';
import { EXACT_TOL, FD_TOL, Rng, assertClose, assertIdentity, centralDifference, data, dot, flat, seedArb, shapeArb, values } from './check.js';

const SEED = 20260417;
const params = { seed: SEED, numRuns: 40 };

/** Vector-valued functions of two tensors of one shape, mixing many primitives. */
const FNS: [string, (x: Tensor, y: Tensor) => Tensor][] = [
  ['sin x * exp(y / 2) + x^2', (x, y) => add(mul(sin(x), exp(mul(y, 0.5))), square(x))],
  ['mish and softplus through a Gram product', (x, y) => {
    const m = reshape(mish(x), [1, -1]);
    const n = reshape(softplus(y), [-1, 1]);
    return tanh(matmul(n, m));
  }],
  ['cyclic differences through slice and concat', (x, y) => {
    const v = reshape(x, [-1]);
    const rolled = concat([slice(v, [{ start: 1 }]), slice(v, [{ stop: 1 }])]);
    return mul(sigmoid(sub(v, rolled)), reshape(y, [-1]));
  }],
];

const bits = (t: Tensor) => Array.from(data(t));

describe(`linearize (seed ${SEED})`, () => {
  for (const [name, f] of FNS) {
    it(`${name}: the linear map gives jvp's primal and tangent bit for bit, for several tangents`, () => {
      fc.assert(
        fc.property(shapeArb(1, 2, 3), seedArb, (shape, seed) => {
          const rng = new Rng(seed);
          const [x, y] = [values(rng, shape), values(rng, shape)];
          const [out, lin] = linearize(f, x, y);
          expect(bits(out)).toEqual(bits(f(x, y)));
          for (let k = 0; k < 3; k++) {
            const [tx, ty] = [values(rng, shape), values(rng, shape)];
            const [, t] = jvp(f, [x, y], [tx, ty]);
            expect(bits(lin(tx, ty))).toEqual(bits(t));
          }
        }),
        params,
      );
    });

    it(`${name}: linearTranspose of the linear map satisfies <w, J v> = <J^T w, v> and equals vjp`, () => {
      fc.assert(
        fc.property(shapeArb(1, 2, 3), seedArb, (shape, seed) => {
          const rng = new Rng(seed);
          const [x, y] = [values(rng, shape), values(rng, shape)];
          const [out, lin] = linearize(f, x, y);
          const transpose = linearTranspose(lin, x, y);
          const [v1, v2] = [values(rng, shape), values(rng, shape)];
          const w = values(rng, out.shape);
          const jv = data(lin(v1, v2));
          const [g1, g2] = transpose(w);
          const lhs = dot(data(w), jv);
          const rhs = dot(data(g1), data(v1)) + dot(data(g2), data(v2));
          const scale = dot(data(w).map(Math.abs), jv.map(Math.abs)) + dot(flat([g1, g2]).map(Math.abs), flat([v1, v2]).map(Math.abs));
          assertIdentity(lhs, rhs, scale, 'adjoint identity');
          const [, pullback] = vjp(f, x, y);
          const scaleG = Math.max(1, ...flat(pullback(w)).map(Math.abs));
          assertClose(flat([g1, g2]), flat(pullback(w)), EXACT_TOL, 'transpose vs vjp', scaleG);
        }),
        params,
      );
    });
  }

  it('composes: the gradient, in x, of <w, J(x) v> through linearize matches central differences and jvp-of-grad', () => {
    fc.assert(
      fc.property(shapeArb(1, 2, 3), fc.integer({ min: 0, max: FNS.length - 1 }), seedArb, (shape, which, seed) => {
        const rng = new Rng(seed);
        const f = FNS[which][1];
        const [x0, y0, v, u] = [values(rng, shape), values(rng, shape), values(rng, shape), values(rng, shape)];
        const w = values(rng, f(x0, y0).shape);
        const viaLinearize = (x: Tensor) => sum(mul(w, linearize((a: Tensor) => f(a, y0), x)[1](v)));
        const viaJvp = (x: Tensor) => sum(mul(w, jvp((a: Tensor) => f(a, y0), [x], [v])[1]));
        const g = grad(viaLinearize)(x0);
        assertClose(data(g), data(grad(viaJvp)(x0)), EXACT_TOL, 'grad through linearize vs through jvp');
        const { fd, scale } = centralDifference(([x]) => viaLinearize(x), [x0], [u]);
        assertClose([dot(data(g), data(u))], fd, FD_TOL, 'directional derivative vs central difference', scale);
      }),
      params,
    );
  });

  it('the linear map replays only the tangent half: no primal op runs again', () => {
    let cubeCalls = 0;
    const cubeP: Primitive<null> = primitive({
      name: 'countedCube',
      impl: ([x]) => {
        cubeCalls++;
        return tensor(Array.from(x.data, (v) => v ** 3), x.shape);
      },
      jvp: ([x], [t]) => [cube(x), t === null ? null : mul(t, mul(3, square(x)))],
      vjp: (ct, [x]) => [mul(ct, mul(3, square(x)))],
    });
    const cube = (x: Tensor): Tensor => bind(cubeP, [x], null);
    const [, lin] = linearize((x: Tensor) => sin(cube(x)), tensor([0.5, -1]));
    const after = cubeCalls;
    expect(after).toBe(1);
    const t = lin(tensor([1, 2]));
    lin(tensor([3, 4]));
    expect(cubeCalls).toBe(after);
    expect(bits(t)).toEqual(bits(jvp((x: Tensor) => sin(cube(x)), [tensor([0.5, -1])], [tensor([1, 2])])[1]));
  });

  it('pytrees in and out, and a tangent map that ignores an input', () => {
    const f = (p: { a: Tensor; b: Tensor }) => [mul(p.a, p.a), sin(p.a)];
    const [out, lin] = linearize(f, { a: tensor([1, 2]), b: tensor([3]) });
    expect(out[0].toArray()).toEqual([1, 4]);
    const [t0, t1] = lin({ a: tensor([1, 1]), b: tensor([5]) });
    expect(t0.toArray()).toEqual([2, 4]);
    expect(t1.toArray()).toEqual([Math.cos(1), Math.cos(2)]);
  });

  it('raises typed errors for tangents of the wrong structure or shape, and for a transpose of a non-linear map', () => {
    const [, lin] = linearize((x: Tensor) => sin(x), tensor([1, 2]));
    expect(() => lin(tensor([1, 2, 3]))).toThrow(ShapeError);
    const [, lin2] = linearize((p: { a: Tensor }) => sin(p.a), { a: tensor([1, 2]) as Tensor });
    expect(() => lin2({ b: tensor([1, 2]) } as unknown as { a: Tensor })).toThrow(TransformError);
    expect(() => linearTranspose((x: Tensor) => add(x, 1), tensor([1]))).toThrow(TransformError);
  });
});
