/**
 * Transformations composed with each other: Hessians three ways, every two-level nesting,
 * third order, closures over values an outer transformation is tracing, perturbation
 * confusion, custom rules under nesting, and pytrees in and out of jvp / vjp / grad.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConcreteTensor,
  type Tensor,
  add,
  concat,
  cos,
  customJvp,
  customVjp,
  exp,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  log,
  matmul,
  mean,
  mish,
  mul,
  reshape,
  sigmoid,
  sin,
  slice,
  softplus,
  square,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  valueAndGrad,
  variance,
  vjp,
} from '../../src/autodiff/index.js';
import {
  EXACT_TOL,
  FD_TOL,
  Rng,
  assertClose,
  centralDifference,
  checkAll,
  data,
  dot,
  flat,
  seedArb,
  shapeArb,
  values,
} from './check.js';

const SEED = 20250303;
const RUNS = 60;
const params = { seed: SEED, numRuns: RUNS };

/** Scalar test functions of one tensor, smooth everywhere, mixing many primitives. */
const SCALAR_FNS: [string, (x: Tensor) => Tensor][] = [
  ['sin * exp + square of sum', (x) => add(sum(mul(sin(x), exp(mul(x, 0.5)))), square(sum(x)))],
  ['log of norm times mean of tanh', (x) => mul(log(add(sum(square(x)), 1)), mean(tanh(x)))],
  ['variance of mish plus softplus of a Gram matrix', (x) => {
    const m = reshape(x, [x.size === 0 ? 0 : 1, -1]);
    return add(variance(mish(x)), sum(softplus(matmul(transpose(m), m))));
  }],
  ['cyclic differences through slice and concat', (x) => {
    const v = reshape(x, [-1]);
    const rolled = concat([slice(v, [{ start: 1 }]), slice(v, [{ stop: 1 }])]);
    return sum(mul(sigmoid(sub(v, rolled)), cos(v)));
  }],
];

/** The Jacobian of a pytree-valued F (flattened) by central differences, one column per input coordinate. */
function fdJacobian(F: (x: Tensor) => Tensor, x: ConcreteTensor): { jac: Float64Array; scale: number } {
  const n = x.size;
  const cols: Float64Array[] = [];
  let scale = 0;
  for (let j = 0; j < n; j++) {
    const e = new ConcreteTensor(new Float64Array(n), x.shape);
    e.data[j] = 1;
    const { fd, scale: s } = centralDifference(([v]) => F(v), [x], [e]);
    cols.push(fd);
    scale = Math.max(scale, s);
  }
  const m = cols[0]?.length ?? 0;
  const jac = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) jac[i * n + j] = cols[j][i];
  return { jac, scale };
}

describe(`hessian (seed ${SEED})`, () => {
  for (const [name, f] of SCALAR_FNS) {
    it(`${name}: symmetric, = jacfwd(jacrev f) = jacrev(jacfwd f) = differences of grad (seed ${SEED})`, () => {
      fc.assert(
        fc.property(shapeArb(1, 2, 3), seedArb, (shape, seed) => {
          const x = values(new Rng(seed), shape);
          const n = x.size;
          const h = hessian(f)(x);
          expect(h.shape).toEqual([...shape, ...shape]);
          const hd = data(h);
          const scale = Math.max(1, ...hd.map(Math.abs));
          const ht = new Float64Array(n * n);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ht[i * n + j] = hd[j * n + i];
          assertClose(hd, ht, EXACT_TOL * 10, 'hessian symmetric', scale);
          assertClose(data(jacfwd(jacrev(f))(x)), hd, EXACT_TOL * 10, 'jacfwd(jacrev(f))', scale);
          assertClose(data(jacrev(jacfwd(f))(x)), hd, EXACT_TOL * 10, 'jacrev(jacfwd(f))', scale);
          assertClose(data(jacrev(jacrev(f))(x)), hd, EXACT_TOL * 10, 'jacrev(jacrev(f))', scale);
          const { jac, scale: gScale } = fdJacobian(grad(f), x);
          assertClose(hd, jac, FD_TOL, 'hessian vs central differences of grad', gScale);
        }),
        params,
      );
    });
  }

  it(`jacfwd and jacrev of a vector function agree and match central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(1, 2, 3), seedArb, (shape, seed) => {
        const rng = new Rng(seed);
        const x = values(rng, shape);
        const a = values(rng, [3, x.size]);
        const f = (v: Tensor) => tanh(matmul(a, reshape(mul(v, sin(v)), [-1])));
        const jf = jacfwd(f)(x);
        const jr = jacrev(f)(x);
        expect(jf.shape).toEqual([3, ...shape]);
        assertClose(data(jr), data(jf), EXACT_TOL, 'jacrev vs jacfwd');
        const { jac, scale } = fdJacobian(f, x);
        assertClose(data(jf), jac, FD_TOL, 'jacfwd vs central differences', scale);
      }),
      params,
    );
  });
});

describe(`third order (seed ${SEED})`, () => {
  it(`the third directional derivative agrees across fff, ffr, frr, rrr, rfr and differences of the second (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(1, 2, 3), fc.integer({ min: 0, max: SCALAR_FNS.length - 1 }), seedArb, (shape, which, seed) => {
        const rng = new Rng(seed);
        const f = SCALAR_FNS[which][1];
        const x = values(rng, shape);
        const [u, v, w] = [values(rng, shape), values(rng, shape), values(rng, shape)];
        const d1 = (g: (y: Tensor) => Tensor, t: Tensor) => (y: Tensor) => jvp(g, [y], [t])[1];
        const dot1 = (a: Tensor, b: Tensor) => sum(mul(a, b));
        // f'''[u, v, w] five ways.
        const fff = d1(d1(d1(f, u), v), w)(x).item();
        const ffr = dot1(d1(d1(grad(f), u), v)(x), w).item();
        const frr = dot1(d1(grad((y: Tensor) => dot1(grad(f)(y), u)), v)(x), w).item();
        const rrr = dot1(grad((z: Tensor) => dot1(grad((y: Tensor) => dot1(grad(f)(y), u))(z), v))(x), w).item();
        const rfr = dot1(grad((y: Tensor) => d1((z: Tensor) => dot1(grad(f)(z), u), v)(y))(x), w).item();
        // Central difference, along w, of the second derivative f''[u, v] (by forward over reverse).
        const second = (y: Tensor) => dot1(d1(grad(f), u)(y), v);
        const { fd, scale } = centralDifference(([y]) => second(y), [x], [w]);
        assertClose([fff], fd, FD_TOL, 'forward-forward-forward vs differences', scale);
        for (const [name, val] of [['ffr', ffr], ['frr', frr], ['rrr', rrr], ['rfr', rfr]] as const) {
          assertClose([val], [fff], EXACT_TOL * 100, `${name} vs fff`, scale);
        }
      }),
      { seed: SEED, numRuns: 20 },
    );
  });

  it('d^3/dx^3 of sin(x) x^2 matches the closed form', () => {
    const f = (x: Tensor) => mul(sin(x), square(x));
    const g3 = grad(grad(grad(f)));
    for (const xv of [-1.3, 0, 0.4, 2.2]) {
      const x = tensor(xv);
      // (x^2 sin x)''' = -x^2 cos x - 6 x sin x + 6 cos x
      const want = -xv * xv * Math.cos(xv) - 6 * xv * Math.sin(xv) + 6 * Math.cos(xv);
      assertClose([g3(x).item()], [want], EXACT_TOL, 'grad^3');
      const fwd3 = jvp((y: Tensor) => jvp((z: Tensor) => jvp(f, [z], [tensor(1)])[1], [y], [tensor(1)])[1], [x], [tensor(1)])[1];
      assertClose([fwd3.item()], [want], EXACT_TOL, 'jvp^3');
    }
  });
});

describe(`closures over values an outer transformation is tracing (seed ${SEED})`, () => {
  it(`outer grad / jvp / vjp through inner jvp / vjp / grad that close over the outer variable (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(1, 2, 3), seedArb, (shape, seed) => {
        const rng = new Rng(seed);
        const x0 = values(rng, shape);
        const t = values(rng, shape);
        const a0 = values(rng, shape);
        // Each inner transformation is over x; the function closes over the outer a.
        const inner = (a: Tensor) => (x: Tensor) => mul(tanh(mul(a, x)), exp(mul(a, 0.3)));
        const viaJvp = (a: Tensor) => sum(square(jvp(inner(a), [x0], [t])[1]));
        const viaVjp = (a: Tensor) => sum(square(vjp(inner(a), x0)[1](t)[0]));
        const viaGrad = (a: Tensor) => sum(mul(grad((x: Tensor) => sum(inner(a)(x)))(x0), t));
        const viaValueAndGrad = (a: Tensor) => {
          const [val, g] = valueAndGrad((x: Tensor) => sum(mul(inner(a)(x), inner(a)(x))))(x0);
          return add(val, sum(g));
        };
        for (const [name, F] of [['jvp', viaJvp], ['vjp', viaVjp], ['grad', viaGrad], ['valueAndGrad', viaValueAndGrad]] as const) {
          checkAll(F, [a0], rng, `closure through inner ${name}`, { secondOrder: name === 'jvp' });
        }
      }),
      params,
    );
  });

  it('a closure over a tracer of a transformation two levels out', () => {
    // d/da [ d/db [ d/dx (a b x^2) at x ] ] = 2 x, with a and b each traced by its own level.
    const x = tensor(1.7);
    const r = grad((a: Tensor) => grad((b: Tensor) => grad((y: Tensor) => mul(mul(a, b), square(y)))(x))(tensor(0.3)))(tensor(-2));
    expect(r.item()).toBeCloseTo(2 * 1.7, 14);
    const rf = jvp((a: Tensor) => jvp((b: Tensor) => jvp((y: Tensor) => mul(mul(a, b), square(y)), [x], [tensor(1)])[1], [tensor(0.3)], [tensor(1)])[1], [tensor(-2)], [tensor(1)])[1];
    expect(rf.item()).toBeCloseTo(2 * 1.7, 14);
  });
});

describe(`perturbation confusion (seed ${SEED})`, () => {
  const one = tensor(1);
  // d/dy (x + y) is 1 whatever x is; an engine that confuses the two perturbations returns 2.
  const innerGrad = (x: Tensor) => grad((y: Tensor) => add(x, y));
  const innerJvp = (x: Tensor) => (y: Tensor) => jvp((z: Tensor) => add(x, z), [y], [one])[1];
  const innerVjp = (x: Tensor) => (y: Tensor) => vjp((z: Tensor) => add(x, z), y)[1](one)[0];

  it(`d/dx [x * d/dy (x + y)] is exactly 1 for every nesting of grad, jvp and vjp (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), (xv, yv) => {
        const x = tensor(xv);
        const y = tensor(yv);
        for (const [iname, inner] of [['grad', innerGrad], ['jvp', innerJvp], ['vjp', innerVjp]] as const) {
          const h = (u: Tensor) => mul(u, inner(u)(y));
          expect(grad(h)(x).item(), `grad over ${iname}`).toBe(1);
          expect(jvp(h, [x], [one])[1].item(), `jvp over ${iname}`).toBe(1);
          expect(vjp(h, x)[1](one)[0].item(), `vjp over ${iname}`).toBe(1);
        }
      }),
      params,
    );
  });

  it(`d/dx [x * d/dy (x y)] is 2x, and the Hessian of x y built from nested grads is [[0, 1], [1, 0]] (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), (xv, yv) => {
        const x = tensor(xv);
        const y = tensor(yv);
        const h = (u: Tensor) => mul(u, grad((v: Tensor) => mul(u, v))(y));
        expect(grad(h)(x).item()).toBe(2 * xv);
        expect(jvp(h, [x], [one])[1].item()).toBe(2 * xv);
        // d/dx d/dy (x y) = 1 while the inner derivative in y is taken at a fixed y.
        const mixed = grad((u: Tensor) => grad((v: Tensor) => mul(u, v))(y))(x);
        expect(mixed.item()).toBe(1);
        const yy = grad((v: Tensor) => grad((w: Tensor) => mul(x, w))(v))(y);
        expect(yy.item()).toBe(0);
      }),
      params,
    );
  });
});

describe(`custom rules (seed ${SEED})`, () => {
  // softplus with a hand-written VJP, written with the engine's ops so it can be nested.
  const plain = (x: Tensor) => log(add(exp(x), 1));
  const withVjp = customVjp(
    'softplusVjp',
    (x: Tensor) => plain(x),
    (x: Tensor) => [plain(x), x] as [Tensor, Tensor],
    (x: Tensor, ct: Tensor) => [mul(ct, sigmoid(x))],
  );
  // expm1 computed from concrete numbers: no engine op sees it, so every derivative, at
  // every order, must come from the hand-written JVP (which uses `withJvp` itself for the
  // primal, so the rule is used again when an outer transformation differentiates it).
  const opaqueExpm1 = (x: Tensor) => tensor(Float64Array.from(x.concrete().data, Math.expm1), x.shape);
  const withJvp: (x: Tensor) => Tensor = customJvp('expm1Jvp', opaqueExpm1, ([x], [t]) => [withJvp(x), mul(t, exp(x))]);
  const plainExpm1 = (x: Tensor) => sub(exp(x), 1);

  it(`customVjp: the rule agrees with the function's own derivative, nested too (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(1, 2, 3), seedArb, (shape, seed) => {
        const rng = new Rng(seed);
        const x = values(rng, shape);
        checkAll(withVjp, [x], rng, 'customVjp softplus');
        const f = (v: Tensor) => sum(mul(withVjp(mul(v, v)), sin(v)));
        const g = (v: Tensor) => sum(mul(plain(mul(v, v)), sin(v)));
        assertClose(data(grad(f)(x)), data(grad(g)(x)), EXACT_TOL, 'grad');
        if (x.size <= 6) assertClose(data(hessian(f)(x)), data(hessian(g)(x)), EXACT_TOL * 10, 'hessian (jvp over the custom vjp)', 10);
        const rr = (F: (v: Tensor) => Tensor) => grad((v: Tensor) => sum(square(grad(F)(v))))(x);
        assertClose(data(rr(f)), data(rr(g)), EXACT_TOL * 10, 'grad of grad through the custom vjp', 10);
      }),
      params,
    );
  });

  it('customVjp: reverse mode uses the rule, forward mode transposes it', () => {
    const halved = customVjp(
      'halvedGradient',
      (x: Tensor) => square(x),
      (x: Tensor) => [square(x), x] as [Tensor, Tensor],
      (x: Tensor, ct: Tensor) => [mul(ct, x)], // half the true derivative 2x
    );
    const x = tensor([1.5, -2]);
    expect(grad((v: Tensor) => sum(halved(v)))(x).toArray()).toEqual([1.5, -2]);
    // Forward mode sees the rule too (J t from transposing bwd), not the function's own derivative.
    expect(jvp(halved, [x], [tensor([1, 1])])[1].toArray()).toEqual([1.5, -2]);
    // And a reverse level below a jvp keeps the rule: d/da of (a x)^2 by the halved rule is a x^2.
    const outer = grad((a: Tensor) => sum(jvp((v: Tensor) => halved(mul(a, v)), [x], [tensor([0, 0])])[0]))(tensor(2));
    expect(outer.toArray()).toEqual([2 * (1.5 ** 2 + 4)]);
    // Two arguments, a null cotangent for the second, residuals from fwd.
    const scaled = customVjp(
      'scaledBy',
      (a: Tensor, b: Tensor) => mul(a, b),
      (a: Tensor, b: Tensor) => [mul(a, b), { b }] as [Tensor, { b: Tensor }],
      (r: { b: Tensor }, ct: Tensor) => [mul(ct, r.b), null],
    );
    const [ga, gb] = vjp(scaled, tensor([2, 3]), tensor([5, 7]))[1](tensor([1, 1]));
    expect(ga.toArray()).toEqual([5, 7]);
    expect(gb.toArray()).toEqual([0, 0]);
  });

  it(`customJvp: an opaque function differentiated only through its rule, to third order (seed ${SEED})`, () => {
    fc.assert(
      fc.property(shapeArb(1, 2, 3), seedArb, (shape, seed) => {
        const rng = new Rng(seed);
        const x = values(rng, shape, 'small');
        checkAll(withJvp, [x], rng, 'customJvp expm1');
        const f = (v: Tensor) => sum(mul(withJvp(v), cos(v)));
        const g = (v: Tensor) => sum(mul(plainExpm1(v), cos(v)));
        assertClose(data(grad(f)(x)), data(grad(g)(x)), EXACT_TOL, 'grad (reverse mode transposes the rule)');
        if (x.size <= 6) {
          assertClose(data(hessian(f)(x)), data(hessian(g)(x)), EXACT_TOL * 10, 'hessian', 10);
          assertClose(data(jacrev(jacrev(f))(x)), data(hessian(g)(x)), EXACT_TOL * 10, 'reverse over reverse', 10);
        }
        const t = values(rng, shape);
        const third = (F: (v: Tensor) => Tensor) =>
          jvp((y: Tensor) => jvp((z: Tensor) => jvp(F, [z], [t])[1], [y], [t])[1], [x], [t])[1];
        assertClose(data(third(withJvp)), data(third(plainExpm1)), EXACT_TOL * 10, 'third order forward', 10);
      }),
      params,
    );
  });

  it('customJvp: the hand-written rule is what is used (a deliberately different rule shows through)', () => {
    const fake = customJvp('fakeRule', (x: Tensor) => square(x), ([x], [t]) => [square(x), mul(t, 7)]);
    const x = tensor([1, 2]);
    expect(jvp(fake, [x], [tensor([1, 1])])[1].toArray()).toEqual([7, 7]);
    expect(grad((v: Tensor) => sum(fake(v)))(x).toArray()).toEqual([7, 7]);
  });
});

describe(`pytrees (seed ${SEED})`, () => {
  type Params = { w: Tensor; layers: [Tensor, { b: Tensor; c: Tensor[] }] };
  const model = (p: Params, x: Tensor) => {
    const [l0, { b, c }] = p.layers;
    const h = tanh(add(mul(p.w, x), l0));
    return { out: add(mul(h, b), c[0]), aux: [sum(mul(h, c[1]))] };
  };
  const leavesOf = (p: Params) => [p.w, p.layers[0], p.layers[1].b, p.layers[1].c[0], p.layers[1].c[1]];
  const fromLeaves = (l: Tensor[]): Params => ({ w: l[0], layers: [l[1], { b: l[2], c: [l[3], l[4]] }] });
  const randomParams = (rng: Rng, n: number) => fromLeaves(Array.from({ length: 5 }, () => values(rng, [n])));

  it(`jvp, vjp, grad and valueAndGrad with nested objects and arrays match the flat computation (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), seedArb, (n, seed) => {
        const rng = new Rng(seed);
        const p = randomParams(rng, n);
        const tp = randomParams(rng, n);
        const x = values(rng, [n]);
        const tx = values(rng, [n]);
        // Forward: pytree in, pytree out.
        const [y, ty] = jvp(model, [p, x], [tp, tx]);
        expect(Object.keys(ty).sort()).toEqual(['aux', 'out']);
        const flatModel = (...ls: Tensor[]) => {
          const r = model(fromLeaves(ls.slice(0, 5)), ls[5]);
          return concat([r.out, reshape(r.aux[0], [1])]);
        };
        const [, tFlat] = jvp(flatModel, [...leavesOf(p), x], [...leavesOf(tp), tx]);
        assertClose(flat(ty), flat({ a: ty.aux, b: ty.out }), 0, 'leaf order');
        assertClose([...data(ty.out), ...data(ty.aux[0])], data(tFlat), EXACT_TOL, 'pytree jvp vs flat jvp');
        assertClose(data(y.out), data(model(p, x).out), EXACT_TOL, 'pytree jvp primal');
        // Central differences on the whole tree.
        const { fd, scale } = centralDifference(
          (ls) => {
            const r = model(fromLeaves(ls.slice(0, 5)), ls[5]);
            return [r.out, r.aux[0]];
          },
          [...leavesOf(p), x],
          [...leavesOf(tp), tx],
        );
        assertClose([...data(ty.out), ...data(ty.aux[0])], fd, FD_TOL, 'pytree jvp vs differences', scale);
        // Reverse: cotangent with the output's structure; the adjoint identity over the trees.
        const [, pullback] = vjp(model, p, x);
        const ct = { out: values(rng, [n]), aux: [values(rng, [])] };
        const [gp, gx] = pullback(ct);
        const lhs = dot(flat(ct), flat(ty));
        const rhs = dot(flat(gp), flat(tp)) + dot(data(gx), data(tx));
        assertClose([lhs], [rhs], EXACT_TOL, 'pytree adjoint identity', Math.abs(lhs) + 1);
        // grad over a pytree argument and over argnum 1; valueAndGrad agrees.
        const loss = (q: Params, v: Tensor) => {
          const r = model(q, v);
          return add(sum(square(r.out)), r.aux[0]);
        };
        const g = grad(loss)(p, x);
        expect(g.layers[1].c).toHaveLength(2);
        const ctOfLoss = { out: mul(model(p, x).out, 2), aux: [tensor(1)] };
        const [gp2, gx2] = pullback(ctOfLoss);
        assertClose(flat(g), flat(gp2), EXACT_TOL, 'grad over a pytree');
        assertClose(data(grad(loss, 1)(p, x)), data(gx2), EXACT_TOL, 'grad argnum 1');
        const [val, g3] = valueAndGrad(loss)(p, x);
        expect(val.item()).toBe(loss(p, x).item());
        assertClose(flat(g3), flat(g), 0, 'valueAndGrad');
        // And nested: forward over reverse on a pytree.
        const [, hvp] = jvp((q: Params) => grad(loss)(q, x), [p], [tp]);
        const { fd: hfd, scale: hs } = centralDifference((ls) => grad(loss)(fromLeaves(ls), x), leavesOf(p), leavesOf(tp));
        assertClose(flat(hvp), hfd, FD_TOL, 'pytree Hessian-vector product', hs);
      }),
      params,
    );
  });

});
