/**
 * scan: values and derivatives against the unrolled loop and central differences (float64),
 * at several checkpoint intervals, in both directions; every nesting of forward and reverse
 * mode through a scan (check.ts's checkAll), vmap around and inside it, linearize and jit of
 * it, the reverse-mode tape it leaves (one node, not one per step), and its typed errors.
 *
 * Tolerances: the primal replays the step's ops in the loop's order, so it equals the
 * unrolled loop bit for bit. Derivatives equal the unrolled tape's in real arithmetic, but the
 * checkpointed sweep sums the constants' cotangents step by step in its own order: EXACT_TOL
 * (check.ts). Against central differences: FD_TOL, as everywhere (check.ts explains both).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ShapeError, type Tensor, TransformError, add, cast, concat, grad, hessian, jit, jvp, linearize, matmul, mul, reshape,
  remat, scan, sin, slice, square, stack, sub, sum, tanh, tensor, vjp, vmap, zeros,
} from '../../src/autodiff/index.js';
import { VjpTrace } from '../../src/autodiff/reverse.js';
import { EXACT_TOL, Rng, assertClose, checkAll, checkGradAgainstFiniteDifferences, data, flat, seedArb, values } from './check.js';

const SEED = 20260420;
const params = { seed: SEED, numRuns: 12 };

/** A damped, driven pendulum-like step: carry [2] (q, v), x [1] (torque), theta [3] closed over. */
function pendulumStep(theta: Tensor) {
  const dt = 0.1;
  return (c: Tensor, u: Tensor): [Tensor, Tensor] => {
    const q = slice(c, [{ start: 0, stop: 1 }]);
    const v = slice(c, [{ start: 1, stop: 2 }]);
    const k = slice(theta, [{ start: 0, stop: 1 }]);
    const damping = slice(theta, [{ start: 1, stop: 2 }]);
    const gain = slice(theta, [{ start: 2, stop: 3 }]);
    const acc = add(mul(k, sin(q)), sub(mul(gain, tanh(u)), mul(damping, v)));
    const vNext = add(v, mul(dt, acc));
    const next = concat([add(q, mul(dt, vNext)), vNext]);
    return [next, add(sum(square(next)), mul(0.1, sum(square(u))))];
  };
}

/** The rollout cost through scan, and through a plain loop (the unrolled tape). */
const viaScan = (checkpoint?: number, reverse = false) => (c0: Tensor, us: Tensor, theta: Tensor) => {
  const [cT, costs] = scan(pendulumStep(theta), c0, us, { checkpoint, reverse });
  return add(sum(costs), sum(mul(cT, cT)));
};
const viaLoop = (reverse = false) => (c0: Tensor, us: Tensor, theta: Tensor) => {
  const stepFn = pendulumStep(theta);
  let c = c0;
  const costs: Tensor[] = new Array(us.shape[0]);
  const times = Array.from({ length: us.shape[0] }, (_, t) => t);
  for (const t of reverse ? times.reverse() : times) {
    const [next, cost] = stepFn(c, reshape(slice(us, [t]), [1]));
    c = next;
    costs[t] = cost;
  }
  return add(sum(stack(costs)), sum(mul(c, c)));
};

const caseArb = fc.integer({ min: 1, max: 7 }).chain((T) => fc.tuple(fc.constant(T), fc.integer({ min: 1, max: T }), fc.boolean(), seedArb));

function point(seed: number, T: number): [Tensor, Tensor, Tensor] {
  const rng = new Rng(seed);
  return [values(rng, [2]), values(rng, [T, 1]), values(rng, [3], 'positive')];
}

describe(`scan against the unrolled loop (seed ${SEED})`, () => {
  it('value bit for bit; gradient in (init, xs, closed-over theta) to EXACT_TOL, at every checkpoint interval, both directions', () => {
    fc.assert(
      fc.property(caseArb, ([T, k, reverse, seed]) => {
        const xs = point(seed, T);
        const F = viaScan(k, reverse);
        const L = viaLoop(reverse);
        expect(F(...xs).item()).toBe(L(...xs).item());
        for (const argnum of [0, 1, 2] as const) {
          const g = grad(F, argnum)(...xs);
          assertClose(data(g), data(grad(L, argnum)(...xs)), EXACT_TOL, `grad in argument ${argnum}, k = ${k}`);
        }
      }),
      params,
    );
  });

  it('every nesting of forward and reverse mode through a scan vs central differences (jvp, adjoint, 4 second orders)', () => {
    fc.assert(
      fc.property(caseArb, ([T, k, reverse, seed]) => {
        const xs = point(seed, T);
        checkAll(viaScan(k, reverse), xs, new Rng(seed + 1), `scan T = ${T}, k = ${k}${reverse ? ', reverse' : ''}`, { partials: false });
      }),
      { seed: SEED, numRuns: 8 },
    );
  });

  it('the gradient against central differences coordinate by coordinate, and the Hessian in theta against the unrolled one', () => {
    const [c0, us, theta] = point(7, 6);
    for (const k of [1, 2, 4, 6]) {
      checkGradAgainstFiniteDifferences((p: { c0: Tensor; us: Tensor; theta: Tensor }) => viaScan(k)(p.c0, p.us, p.theta), { c0, us, theta }, `k = ${k}`);
      const H = hessian((t: Tensor) => viaScan(k)(c0, us, t))(theta);
      assertClose(data(H), data(hessian((t: Tensor) => viaLoop()(c0, us, t))(theta)), EXACT_TOL, `hessian, k = ${k}`);
    }
  });

  it('reverse mode records one tape node for the whole loop (plus its unpacking), whatever T', () => {
    const tapeLength = (T: number) => {
      const trace = new VjpTrace();
      const theta = trace.input(tensor([1, 0.1, 0.5]));
      viaScan(3)(tensor([0.1, 0]), zeros([T, 1]), theta);
      trace.active = false;
      return trace.tape.length;
    };
    expect(tapeLength(50)).toBe(tapeLength(5));
    expect(tapeLength(50)).toBeLessThan(20);
  });
});

describe(`scan with vmap, linearize and jit (seed ${SEED})`, () => {
  it('vmap(scan) over initial states and torques, vmap(grad(scan)) per-example rollout gradients, grad(sum(vmap(scan)))', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 3 }), ([T, k, , seed], B) => {
        const rng = new Rng(seed);
        const c0s = values(rng, [B, 2]);
        const uss = values(rng, [B, T, 1]);
        const theta = values(rng, [3], 'positive');
        const F = viaScan(k);
        const loopOver = (f: (c: Tensor, u: Tensor) => Tensor) =>
          stack(Array.from({ length: B }, (_, b) => f(reshape(slice(c0s, [b]), [2]), reshape(slice(uss, [b]), [T, 1]))));
        const batched = vmap((c: Tensor, u: Tensor) => F(c, u, theta))(c0s, uss);
        assertClose(data(batched), data(loopOver((c, u) => F(c, u, theta))), EXACT_TOL, 'vmap(scan)');
        const perExample = vmap(grad(F, 2), [0, 0, null])(c0s, uss, theta);
        assertClose(data(perExample), data(loopOver((c, u) => grad(viaLoop(), 2)(c, u, theta))), EXACT_TOL, 'vmap(grad(scan))');
        const total = grad((t: Tensor) => sum(vmap((c: Tensor, u: Tensor) => F(c, u, t))(c0s, uss)))(theta);
        assertClose(data(total), data(sum(perExample, 0)), EXACT_TOL, 'grad(sum(vmap(scan)))');
        // Batched theta (a scan over per-example parameters), shared torques.
        const thetas = values(rng, [B, 3], 'positive');
        const us = reshape(slice(uss, [0]), [T, 1]);
        const v = vmap((t: Tensor) => F(tensor([0.1, 0]), us, t))(thetas);
        const l = stack(Array.from({ length: B }, (_, b) => viaLoop()(tensor([0.1, 0]), us, reshape(slice(thetas, [b]), [3]))));
        assertClose(data(v), data(l), EXACT_TOL, 'vmap over closed-over theta');
      }),
      params,
    );
  });

  it('linearize of a scan equals jvp; jit of a scan equals the scan', () => {
    const [c0, us, theta] = point(3, 5);
    const F = (t: Tensor) => viaScan(2)(c0, us, t);
    const [, lin] = linearize(F, theta);
    const dir = tensor([0.3, -1, 2]);
    assertClose(data(lin(dir)), data(jvp(F, [theta], [dir])[1]), EXACT_TOL, 'linearize(scan)');
    const compiled = jit((t: Tensor) => [F(t), grad(F)(t)], [[3]]);
    const [value, g] = compiled.call(theta) as Tensor[];
    expect(value.item()).toBeCloseTo(F(theta).item(), 12);
    assertClose(data(g), data(grad(F)(theta)), EXACT_TOL, 'jit(grad(scan))');
  });
});

describe(`remat (seed ${SEED})`, () => {
  const deep = (depth: number) => (x: Tensor, W: Tensor) => {
    let h = x;
    for (let i = 0; i < depth; i++) h = tanh(add(matmul(W, h), mul(0.1, sin(h))));
    return h;
  };
  it('grad, jvp and second order through remat equal those of the function itself; checkAll vs central differences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), seedArb, (depth, seed) => {
        const rng = new Rng(seed);
        const [x, W] = [values(rng, [3]), values(rng, [3, 3])];
        const plain = (a: Tensor, b: Tensor) => sum(square(deep(depth)(a, b)));
        const wrapped = (a: Tensor, b: Tensor) => sum(square(remat(deep(depth))(a, b)));
        expect(wrapped(x, W).item()).toBe(plain(x, W).item());
        for (const argnum of [0, 1] as const) assertClose(data(grad(wrapped, argnum)(x, W)), data(grad(plain, argnum)(x, W)), EXACT_TOL, `grad ${argnum}`);
        checkAll((a: Tensor, b: Tensor) => remat(deep(depth))(a, b), [x, W], rng, `remat depth ${depth}`, { partials: false });
      }),
      { seed: SEED, numRuns: 6 },
    );
  });

  it('the tape keeps one node for the wrapped function, not one per op', () => {
    const tapeLength = (depth: number) => {
      const trace = new VjpTrace();
      const W = trace.input(values(new Rng(1), [3, 3]));
      remat(deep(depth))(tensor([0.1, 0.2, 0.3]), W);
      trace.active = false;
      return trace.tape.length;
    };
    expect(tapeLength(30)).toBe(tapeLength(2));
  });
});

describe('scan options, pytrees and errors', () => {
  it('pytree carry and xs, ys of several leaves, xs = null with a length, float32 carries', () => {
    const [out, ys] = scan(
      (c: { a: Tensor; b: Tensor }, x: { u: Tensor }) => [{ a: add(c.a, x.u), b: mul(c.b, 2) }, [c.a, sum(x.u)]],
      { a: tensor([0, 0]), b: tensor(1) },
      { u: tensor([[1, 2], [3, 4], [5, 6]]) },
    );
    expect(out.a.toArray()).toEqual([9, 12]);
    expect(out.b.item()).toBe(8);
    expect(ys[0].toArray()).toEqual([0, 0, 1, 2, 4, 6]);
    expect(ys[1].toArray()).toEqual([3, 7, 11]);
    const [count] = scan((c: Tensor, _x: null) => [add(c, 1), c], tensor(0), null, { length: 4 });
    expect(count.item()).toBe(4);
    const [c32] = scan((c: Tensor, x: Tensor) => [add(c, x), c], zeros([2], 'float32'), tensor([[1, 2]], undefined, 'float32'));
    expect(c32.dtype).toBe('float32');
    const g32 = grad((w: Tensor) => sum(cast(scan((c: Tensor, x: Tensor) => [mul(c, w), x], w, tensor([[1, 2]], undefined, 'float32'))[0], 'float64')))(
      tensor([1.5, 2], undefined, 'float32'),
    );
    expect(g32.dtype).toBe('float32');
    expect(g32.toArray()).toEqual([3, 4]);
  });

  it('typed errors: the carry changes shape or dtype or structure, xs disagree on T, no length, bad checkpoint, T = 0', () => {
    expect(() => scan((c: Tensor, x: Tensor) => [concat([c, x]), x], tensor([1]), tensor([[1], [2]]))).toThrow(ShapeError);
    expect(() => scan((c: Tensor, x: Tensor) => [concat([c, x]), x], tensor([1]), tensor([[1], [2]]))).toThrow(/changes shape/);
    expect(() => scan((c: Tensor, x: Tensor) => [cast(c, 'float32'), x], tensor([1]), tensor([[1]]))).toThrow(TransformError);
    expect(() => scan((c: Tensor, x: Tensor) => [[c] as unknown as Tensor, x], tensor([1]), tensor([[1]]))).toThrow(/structure/);
    expect(() => scan((c: Tensor, x: Tensor[]) => [c, x[0]], tensor(0), [zeros([3]), zeros([4])])).toThrow(ShapeError);
    expect(() => scan((c: Tensor, _x: null) => [c, c], tensor(0), null)).toThrow(/length/);
    expect(() => scan((c: Tensor, x: Tensor) => [c, x], tensor(0), zeros([3]), { checkpoint: 0 })).toThrow(TransformError);
    expect(() => scan((c: Tensor, x: Tensor) => [c, x], tensor(0), zeros([0]))).toThrow(TransformError);
    expect(() => scan((c: Tensor, x: Tensor) => [c, tensor(x.item())], tensor(0), zeros([3]))).toThrow(TransformError);
  });

  it('a step with a matrix-valued closure: gradient matches the unrolled tape at k = 1, 3, T', () => {
    const rng = new Rng(SEED);
    const W0 = values(rng, [3, 3]);
    const xs = values(rng, [8, 3]);
    const roll = (k: number) => (W: Tensor) =>
      sum(scan((h: Tensor, x: Tensor) => { const n = tanh(add(matmul(W, h), x)); return [n, sum(n)]; }, zeros([3]), xs, { checkpoint: k })[1]);
    const unrolled = (W: Tensor) => {
      let h: Tensor = zeros([3]);
      let s: Tensor = tensor(0);
      for (let t = 0; t < 8; t++) {
        h = tanh(add(matmul(W, h), reshape(slice(xs, [t]), [3])));
        s = add(s, sum(h));
      }
      return s;
    };
    for (const k of [1, 3, 8]) assertClose(flat(grad(roll(k))(W0)), flat(grad(unrolled)(W0)), EXACT_TOL, `k = ${k}`);
    const [, pull] = vjp(roll(3), W0);
    assertClose(flat(pull(tensor(2))), flat(mul(grad(unrolled)(W0), 2)), EXACT_TOL, 'vjp');
  });
});
