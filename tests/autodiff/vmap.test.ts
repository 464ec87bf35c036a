/**
 * vmap as a transformation: against a loop over the batch, nested in and around jvp, vjp,
 * grad, jacfwd, jacrev and hessian at depths up to three, inside itself, with closures over
 * values other transformations are tracing (perturbation confusion included), with custom
 * rules and primitives that have no batching rule, with pytrees and axes, and its errors.
 *
 * Tolerance: EXACT_TOL (check.ts) where the batched and the looped computations are equal in
 * real arithmetic but may round differently (a batched matmul tiles differently); derivatives
 * of a vmapped function against central differences use FD_TOL through check.ts's checkers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Primitive, ShapeError, type Tensor, TransformError, add, bind, customJvp, customVjp, div, exp, grad, greater,
  hessian, jacfwd, jacrev, jit, jvp, linearize, log, matmul, mean, mish, mul, primitive, reshape, sigmoid, sin, slice, sqrt, square, stack,
  sub, sum, tanh, tensor, transpose, vjp, vmap, where, zeros, concat, groupNorm, conv1d,
} from '../../src/autodiff/index.js';
import { EXACT_TOL, Rng, assertClose, checkAll, data, flat, seedArb, shapeArb, values } from './check.js';

const SEED = 20260419;
const params = { seed: SEED, numRuns: 15 };

/** Scalar functions of one example (shape [n]) that close over a weight matrix, many primitives. */
function scalarFns(rng: Rng, n: number): [string, (x: Tensor) => Tensor][] {
  const W = values(rng, [3, n]);
  const b = values(rng, [3]);
  return [
    ['tanh layer, squared', (x) => sum(square(tanh(add(matmul(W, x), b))))],
    ['mish, log and slices', (x) => {
      const h = mish(add(matmul(x, W, { transB: true }), b));
      return add(log(add(sum(square(h)), 1)), sum(mul(slice(h, [{ start: 1 }]), sin(slice(h, [{ stop: 2 }])))));
    }],
    ['softmax-like normalization', (x) => {
      const e = exp(mul(sigmoid(x), 2));
      return sum(mul(div(e, sum(e)), x));
    }],
  ];
}

/** Stack the results of f applied to each example (axis 0) of each argument. */
function loop(f: (...xs: Tensor[]) => Tensor, ...batches: Tensor[]): Tensor {
  const size = batches[0].shape[0];
  const out: Tensor[] = [];
  for (let i = 0; i < size; i++) out.push(f(...batches.map((b) => reshape(slice(b, [i]), b.shape.slice(1)))));
  return stack(out);
}

const close = (a: Tensor, b: Tensor, what: string) => {
  expect(a.shape).toEqual(b.shape);
  assertClose(data(a), data(b), EXACT_TOL, what);
};

const batchArb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), seedArb);

describe(`vmap around and inside the derivative transformations (seed ${SEED})`, () => {
  it('vmap(grad f), vmap(jacfwd f), vmap(jacrev f), vmap(hessian f) equal the loop', () => {
    fc.assert(
      fc.property(batchArb, ([size, n, seed]) => {
        const rng = new Rng(seed);
        const xs = values(rng, [size, n]);
        for (const [name, f] of scalarFns(rng, n)) {
          close(vmap(grad(f))(xs), loop(grad(f), xs), `${name}: vmap(grad)`);
          const g = grad(f);
          close(vmap(jacfwd(g))(xs), loop(jacfwd(g), xs), `${name}: vmap(jacfwd(grad))`);
          close(vmap(jacrev(g))(xs), loop(jacrev(g), xs), `${name}: vmap(jacrev(grad))`);
          close(vmap(hessian(f))(xs), loop(hessian(f), xs), `${name}: vmap(hessian)`);
        }
      }),
      params,
    );
  });

  it('jvp(vmap f) = vmap(jvp f) = the loop; vjp(vmap f) = the loop of vjp; grad of a sum over vmap = the sum of grads', () => {
    fc.assert(
      fc.property(batchArb, ([size, n, seed]) => {
        const rng = new Rng(seed);
        const xs = values(rng, [size, n]);
        const ts = values(rng, [size, n]);
        for (const [name, f] of scalarFns(rng, n)) {
          const [y, t] = jvp(vmap(f), [xs], [ts]);
          const perExample = (x: Tensor, tx: Tensor) => jvp(f, [x], [tx])[1];
          close(y, loop(f, xs), `${name}: primal`);
          close(t, loop(perExample, xs, ts), `${name}: jvp(vmap)`);
          close(vmap(perExample)(xs, ts), t, `${name}: vmap(jvp)`);
          const w = values(rng, [size]);
          const [, pullback] = vjp(vmap(f), xs);
          close(pullback(w)[0], loop((x, wi) => mul(grad(f)(x), wi), xs, w), `${name}: vjp(vmap)`);
          close(grad((x: Tensor) => sum(vmap(f)(x)))(xs), loop(grad(f), xs), `${name}: grad(sum(vmap))`);
        }
      }),
      params,
    );
  });

  it('a vmapped function passes the derivative checks (jvp and second order vs central differences, adjoint identity)', () => {
    fc.assert(
      fc.property(batchArb, ([size, n, seed]) => {
        const rng = new Rng(seed);
        const xs = values(rng, [size, n]);
        for (const [name, f] of scalarFns(rng, n)) checkAll(vmap(f), [xs], rng, `vmap(${name})`);
      }),
      { seed: SEED, numRuns: 8 },
    );
  });

  it('three levels: vmap(grad(grad)), jvp(vmap(grad)), grad(vmap(jvp)), vmap(vmap(grad)) equal the loops', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 3 }), ([size, n, seed], outer) => {
        const rng = new Rng(seed);
        const xs = values(rng, [size, n]);
        const ts = values(rng, [size, n]);
        const u = values(rng, [n]);
        const f = scalarFns(rng, n)[0][1];
        const hvpU = (x: Tensor) => jvp(grad(f), [x], [u])[1];
        // vmap(grad(grad . u)): the gradient of the directional second derivative.
        const g2 = grad((x: Tensor) => sum(mul(grad(f)(x), u)));
        close(vmap(g2)(xs), loop(g2, xs), 'vmap(grad(grad))');
        close(jvp(vmap(grad(f)), [xs], [ts])[1], loop((x, t) => jvp(grad(f), [x], [t])[1], xs, ts), 'jvp(vmap(grad))');
        close(grad((x: Tensor) => sum(vmap(hvpU)(x)))(xs), loop(grad((x: Tensor) => sum(hvpU(x))), xs), 'grad(vmap(jvp(grad)))');
        const xss = values(rng, [outer, size, n]);
        close(vmap(vmap(grad(f)))(xss), loop((x) => loop(grad(f), x), xss), 'vmap(vmap(grad))');
      }),
      params,
    );
  });
});

describe(`vmap and linearize (seed ${SEED})`, () => {
  it('vmap of a linearized map, and linearize of a vmapped function, equal jvp per example', () => {
    fc.assert(
      fc.property(batchArb, ([size, n, seed]) => {
        const rng = new Rng(seed);
        const xs = values(rng, [size, n]);
        const ts = values(rng, [size, n]);
        for (const [name, f] of scalarFns(rng, n)) {
          const expected = loop((x, t) => jvp(f, [x], [t])[1], xs, ts);
          close(vmap((x: Tensor, t: Tensor) => linearize(f, x)[1](t))(xs, ts), expected, `${name}: vmap(linearize)`);
          close(linearize(vmap(f), xs)[1](ts), expected, `${name}: linearize(vmap)`);
        }
      }),
      params,
    );
  });
});

describe(`closures over values other transformations trace (seed ${SEED})`, () => {
  it('grad in theta of a sum over a vmap that closes over theta = the sum of per-example gradients; per-example gradients in theta', () => {
    fc.assert(
      fc.property(batchArb, ([size, n, seed]) => {
        const rng = new Rng(seed);
        const xs = values(rng, [size, n]);
        const theta0 = values(rng, [n, n]);
        const model = (theta: Tensor, x: Tensor) => sum(tanh(matmul(theta, mul(x, sin(x)))));
        const total = (theta: Tensor) => sum(vmap((x: Tensor) => model(theta, x))(xs));
        const perExample = loop((x) => grad((theta: Tensor) => model(theta, x))(theta0), xs);
        close(grad(total)(theta0), sum(perExample, 0), 'grad(sum(vmap(closure)))');
        // Per-example gradients: vmap over x of grad in theta, theta shared (inAxes null).
        close(vmap(grad(model), [null, 0])(theta0, xs), perExample, 'vmap(grad(model), [null, 0])');
        // The same closure the other way round: vmap over x of grad in theta of a function closing over x.
        close(vmap((x: Tensor) => grad((theta: Tensor) => model(theta, x))(theta0))(xs), perExample, 'vmap(grad(closure over x))');
        checkAll(total, [theta0], rng, 'sum over vmap closing over theta', { secondOrder: false });
      }),
      params,
    );
  });

  it('no perturbation confusion: d/dx sum_b [x * d/dy_b (x + y_b)] = B, and vmap of d/dx [x * d/dy (x + y)] = 1', () => {
    const ys = tensor([0.5, -1, 2]);
    const inner = (x: Tensor) => vmap((y: Tensor) => mul(x, jvp((z: Tensor) => add(x, z), [y], [tensor(1)])[1]))(ys);
    expect(grad((x: Tensor) => sum(inner(x)))(tensor(2)).item()).toBe(3);
    expect(jvp((x: Tensor) => sum(inner(x)), [tensor(2)], [tensor(1)])[1].item()).toBe(3);
    const perExample = vmap(grad((x: Tensor) => mul(x, grad((y: Tensor) => add(x, y))(tensor(1)))))(tensor([1, 2, 3]));
    expect(perExample.toArray()).toEqual([1, 1, 1]);
    // vmap inside vmap closing over the outer batched value: an outer product, not a diagonal.
    const outer = vmap((x: Tensor) => vmap((y: Tensor) => mul(x, y))(tensor([1, 10])))(tensor([2, 3, 4]));
    expect(outer.shape).toEqual([3, 2]);
    expect(outer.toArray()).toEqual([2, 20, 3, 30, 4, 40]);
    // grad inside vmap inside grad, the innermost closing over both outer variables.
    const f = (a: Tensor) => sum(vmap((x: Tensor) => grad((y: Tensor) => mul(mul(a, x), square(y)))(x))(tensor([1, 2])));
    // d/da sum_x 2 a x^2 = 2 (1 + 4) = 10
    expect(grad(f)(tensor(3)).item()).toBe(10);
  });
});

describe('custom rules and primitives without a batching rule', () => {
  it('a customJvp and a customVjp keep their rules under vmap (looped per example) and under grad of vmap', () => {
    const naiveNorm = (x: Tensor) => sqrt(sum(square(x)));
    const norm = customJvp('norm', naiveNorm, ([x], [t]) => {
      const n = naiveNorm(x);
      return [n, div(sum(mul(x, t)), where(greater(n, 0), n, 1))];
    });
    const xs = tensor([[0, 0], [3, 4]]);
    // At the origin the naive rule gives NaN: these zeros show the custom rule ran.
    assertClose(data(vmap(grad(norm))(xs)), [0, 0, 0.6, 0.8], EXACT_TOL, 'vmap(grad(norm))');
    assertClose(data(grad((x: Tensor) => sum(vmap(norm)(x)))(xs)), [0, 0, 0.6, 0.8], EXACT_TOL, 'grad(sum(vmap(norm)))');
    let backward = 0;
    const twice = customVjp('twice', (x: Tensor) => mul(x, 2), (x: Tensor) => [mul(x, 2), null], (_r: null, ct: Tensor) => {
      backward++;
      return [mul(ct, 2)];
    });
    expect(vmap(grad((x: Tensor) => sum(twice(x))))(xs).toArray()).toEqual([2, 2, 2, 2]);
    // grad is the inner transformation: its tape holds one node whose rule runs once, on the batch.
    expect(backward).toBe(1);
    // vmap inside grad: the custom function meets vmap first and runs once per example.
    expect(grad((x: Tensor) => sum(vmap(twice)(x)))(xs).toArray()).toEqual([2, 2, 2, 2]);
    expect(backward).toBe(3);
  });

  it('a primitive with no batching rule is applied example by example, derivatives included', () => {
    let calls = 0;
    const cubeP: Primitive<null> = primitive({
      name: 'cubeNoRule',
      impl: ([x]) => {
        calls++;
        return tensor(Array.from(x.data, (v) => v ** 3), x.shape);
      },
      jvp: ([x], [t]) => [cube(x), t === null ? null : mul(t, mul(3, square(x)))],
      vjp: (ct, [x]) => [mul(ct, mul(3, square(x)))],
    });
    const cube = (x: Tensor): Tensor => bind(cubeP, [x], null);
    const xs = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(vmap(cube)(xs).toArray()).toEqual([1, 8, 27, 64, 125, 216]);
    expect(calls).toBe(3);
    expect(vmap(grad((x: Tensor) => sum(cube(x))))(xs).toArray()).toEqual([3, 12, 27, 48, 75, 108]);
  });
});

describe('axes, pytrees, networks', () => {
  it('inAxes per argument (null, negative) and outAxes: against moving the axes by hand', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: -2, max: 1 }), fc.integer({ min: 0, max: 1 }), ([size, n, seed], inAxis, outAxis) => {
        const rng = new Rng(seed);
        const a = values(rng, inAxis === 0 || inAxis === -2 ? [size, n] : [n, size]);
        const c = values(rng, [n]);
        const f = (x: Tensor, k: Tensor) => stack([mul(x, k), sin(x)]); // [2, n] per example
        const front = inAxis === 0 || inAxis === -2 ? a : transpose(a);
        const expected = loop((x) => f(x, c), front); // [size, 2, n]
        const got = vmap(f, [inAxis, null], outAxis)(a, c);
        close(got, outAxis === 0 ? expected : transpose(expected, [1, 0, 2]), `inAxes ${inAxis}, outAxes ${outAxis}`);
      }),
      params,
    );
  });

  it('jit of a vmapped function (and of vmap(grad)) equals vmap', () => {
    const rng = new Rng(SEED + 1);
    const xs = values(rng, [4, 3]);
    const f = scalarFns(rng, 3)[0][1];
    const compiled = jit((x: Tensor) => [vmap(f)(x), vmap(grad(f))(x)], [[4, 3]]);
    const [y, g] = compiled.call(xs) as Tensor[];
    close(y, vmap(f)(xs), 'jit(vmap)');
    close(g, vmap(grad(f))(xs), 'jit(vmap(grad))');
  });

  it('pytrees in and out; an output that ignores the batch is broadcast', () => {
    const f = (p: { w: Tensor; x: Tensor }) => ({ y: mul(p.w, p.x), c: tensor(7) });
    const out = vmap(f, [0])({ w: tensor([[1, 2], [3, 4]]), x: tensor([[10, 10], [1, 1]]) });
    expect(out.y.toArray()).toEqual([10, 20, 3, 4]);
    expect(out.c.toArray()).toEqual([7, 7]);
  });

  it('a conv, GroupNorm and Mish block: vmap over a batch of [N, C, L] inputs equals the loop, and so do its per-example gradients', () => {
    const rng = new Rng(SEED);
    const w = values(rng, [4, 2, 3]);
    const block = (x: Tensor) => mish(groupNorm(conv1d(x, w, { padding: 1 }), 2));
    const loss = (x: Tensor) => mean(square(block(x)));
    const xs = values(rng, [3, 2, 2, 5]);
    close(vmap(block)(xs), loop(block, xs), 'vmap(block)');
    close(vmap(grad(loss))(xs), loop(grad(loss), xs), 'vmap(grad(loss))');
    const lossW = (wt: Tensor, x: Tensor) => mean(square(mish(groupNorm(conv1d(x, wt, { padding: 1 }), 2))));
    close(vmap(grad(lossW), [null, 0])(w, xs), loop((x) => grad(lossW)(w, x), xs), 'per-example weight gradients');
  });
});

describe('errors', () => {
  it('typed errors: batch sizes differ, axis out of range, inAxes length, nothing batched, empty batch, reading a batched value, escaping', () => {
    const f = (a: Tensor, b: Tensor) => add(a, b);
    expect(() => vmap(f)(zeros([2, 3]), zeros([3, 3]))).toThrow(ShapeError);
    expect(() => vmap(f)(zeros([2, 3]), zeros([3, 3]))).toThrow(/batch sizes differ: 2 and 3/);
    expect(() => vmap(f, [2, 0])(zeros([2, 3]), zeros([2, 3]))).toThrow(ShapeError);
    expect(() => vmap(f, [0, -3])(zeros([2, 3]), zeros([2, 3]))).toThrow(/out of range/);
    expect(() => vmap(f, [0])(zeros([2, 3]), zeros([2, 3]))).toThrow(TransformError);
    expect(() => vmap(f, null)(zeros([2, 3]), zeros([2, 3]))).toThrow(TransformError);
    expect(() => vmap((x: Tensor) => x, 0, 2)(zeros([2, 3]))).toThrow(ShapeError);
    expect(() => vmap((x: Tensor) => x)(zeros([0, 3]))).toThrow(/empty/);
    expect(() => vmap((x: Tensor) => tensor(x.item()))(zeros([2]))).toThrow(TransformError);
    let leaked: Tensor | null = null;
    vmap((x: Tensor) => (leaked = x))(zeros([2, 1]));
    expect(() => add(leaked!, 1)).toThrow(/escaped/);
    expect(() => vmap((x: Tensor) => concat([x, zeros([4])]))(zeros([2, 3, 1]))).toThrow(ShapeError);
  });
});
