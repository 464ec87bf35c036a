/**
 * jit against eager evaluation: the compiled scalar code must compute exactly what the
 * primitives compute, up to the rounding of reassociated sums, for values, Jacobians and
 * Hessians, over random inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Rng, type Tensor, add, concat, cos, div, exp, grad, hessian, jacfwd, jacrev, jit, matmul, maximum, mul, reshape, sin,
  slice, softplus, sqrt, square, sub, sum, tanh, tensor, transpose, where, greater, broadcastTo, mean,
} from '../../src/autodiff/index.js';

const SEED = 20261123;

function expectClose(actual: Tensor, expected: Tensor): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.toArray();
  const e = expected.toArray();
  a.forEach((v, i) => expect(Math.abs(v - e[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(e[i]))));
}

/** Functions that exercise every scalar rule: broadcasting, moves, reductions, matmul, select. */
const cases: { name: string; shapes: number[][]; f: (...xs: Tensor[]) => Tensor }[] = [
  { name: 'elementwise with broadcasting', shapes: [[3, 1], [4]], f: (a, b) => add(mul(sin(a), exp(b)), div(tanh(b), add(square(a), 1))) },
  { name: 'softplus, sqrt and where', shapes: [[5], [5]], f: (a, b) => where(greater(a, b), softplus(a), sqrt(add(square(b), 1))) },
  { name: 'maximum and mean', shapes: [[2, 3], [3]], f: (a, b) => mean(maximum(a, b), 0) },
  { name: 'slice, concat, transpose', shapes: [[4, 3]], f: (a) => transpose(concat([slice(a, [{ start: 1, stop: 4, step: 2 }]), slice(a, [{ start: 0, stop: 1 }])], 0)) },
  { name: 'batched matmul with broadcast', shapes: [[2, 3, 4], [4, 2]], f: (a, b) => matmul(a, b) },
  { name: 'matmul transposed', shapes: [[4, 3], [2, 4]], f: (a, b) => matmul(a, b, { transA: true, transB: true }) },
  { name: 'sum over axes and broadcastTo', shapes: [[2, 3, 2]], f: (a) => broadcastTo(sum(cos(a), [0, 2], true), [2, 3, 2]) },
  { name: 'reshape and sub', shapes: [[6], [2, 3]], f: (a, b) => sub(reshape(a, [2, 3]), b) },
];

describe(`jit agrees with eager evaluation (seed ${SEED})`, () => {
  for (const c of cases) {
    it(c.name, () => {
      const compiled = jit(c.f, c.shapes);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
          const rng = new Rng(seed);
          const xs = c.shapes.map((s) => rng.normal(s));
          expectClose(compiled.call(...xs), c.f(...xs));
        }),
        { seed: SEED, numRuns: 20 },
      );
    });
  }

  it('compiles Jacobians and Hessians traced inside it', () => {
    const f = (x: Tensor) => sum(mul(sin(x), matmul(reshape(x, [1, 3]), reshape(x, [3, 1]))));
    const g = (x: Tensor) => [jacfwd((y: Tensor) => mul(sin(y), cos(y)))(x), jacrev((y: Tensor) => mul(sin(y), cos(y)))(x), grad(f)(x), hessian(f)(x)];
    const compiled = jit(g, [[3]]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const x = new Rng(seed).normal([3]);
        const got = compiled.call(x) as Tensor[];
        const want = g(x) as Tensor[];
        got.forEach((t, i) => expectClose(t, want[i]));
      }),
      { seed: SEED, numRuns: 20 },
    );
  });

  it('folds the structural zeros of a Jacobian away', () => {
    // Elementwise: the Jacobian is diagonal; only the three derivatives remain to compute.
    const compiled = jit((x: Tensor) => jacfwd((y: Tensor) => exp(y))(x), [[3]]);
    expect(compiled.operations).toBe(3);
  });

  it('rejects inputs of the wrong size and values read inside', () => {
    const compiled = jit((x: Tensor) => sin(x), [[2]]);
    expect(() => compiled.run([new Float64Array(3)])).toThrow(/jit.*sizes \[2\]/);
    expect(() => jit((x: Tensor) => tensor([x.item()]), [[1]])).toThrow(/staged value has no concrete value/);
  });
});
