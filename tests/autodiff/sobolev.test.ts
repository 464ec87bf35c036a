/**
 * The Sobolev pattern of DESIGN section 3: the gradient over parameters of a loss that
 * contains a derivative over inputs, computed by
 *
 *   - reverse over forward: grad(theta => sum(square(jvp(x => net(theta, x), [x0], [w])[1])))
 *   - reverse over reverse: grad(theta => sum(square(vjp(x => net(theta, x), x0)[1](ct)[0])))
 *
 * checked against central differences in every parameter coordinate, for small random MLPs
 * (several activations, depths and widths) and a tiny conv net (conv1d + groupNorm + mish +
 * convTranspose1d). Also forward over forward: the directional derivative of the loss along
 * a random parameter direction equals <grad, direction>.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  type Tensor,
  add,
  conv1d,
  convTranspose1d,
  groupNorm,
  jvp,
  matmul,
  mish,
  relu,
  sigmoid,
  softplus,
  square,
  sub,
  sum,
  tanh,
  vjp,
  grad,
} from '../../src/autodiff/index.js';
import { EXACT_TOL, Rng, assertClose, checkGradAgainstFiniteDifferences, dot, flat, seedArb, values } from './check.js';

const SEED = 20250404;
const params = { seed: SEED, numRuns: 60 };

type Layer = { w: Tensor; b: Tensor };
type Mlp = Layer[];

const ACTIVATIONS = { tanh, mish, softplus, sigmoid, relu } as const;
type Activation = keyof typeof ACTIVATIONS;

function mlp(theta: Mlp, x: Tensor, act: Activation): Tensor {
  let h = x;
  theta.forEach((l, i) => {
    h = add(matmul(h, l.w), l.b);
    if (i < theta.length - 1) h = ACTIVATIONS[act](h);
  });
  return h;
}

/** The smallest |pre-activation| over the hidden layers: relu is kinked at 0. */
function reluMargin(theta: Mlp, x: Tensor): number {
  let h = x;
  let m = Infinity;
  theta.forEach((l, i) => {
    h = add(matmul(h, l.w), l.b);
    if (i < theta.length - 1) {
      for (const v of h.concrete().data) m = Math.min(m, Math.abs(v));
      h = relu(h);
    }
  });
  return m;
}

/** Forward over forward: d/ds L(theta + s d) at 0 equals <grad L, d>. */
function checkDirectional<T extends Layer[] | Record<string, Tensor>>(loss: (p: T) => Tensor, theta: T, dir: T, what: string): void {
  const [, dl] = jvp(loss, [theta], [dir]);
  const g = grad(loss)(theta);
  const want = dot(flat(g), flat(dir));
  assertClose([dl.item()], [want], EXACT_TOL * 100, `${what}: forward over forward vs <grad, d>`, Math.abs(want) + 1);
}

describe(`Sobolev losses on random MLPs (seed ${SEED})`, () => {
  it(`grad of a loss containing a JVP or a VJP over inputs vs central differences on the parameters (seed ${SEED})`, () => {
    fc.assert(
      fc.property(
        fc.record({
          inputs: fc.integer({ min: 1, max: 3 }),
          hidden: fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 2 }),
          outputs: fc.integer({ min: 1, max: 2 }),
          batch: fc.integer({ min: 1, max: 3 }),
          act: fc.constantFrom<Activation>('tanh', 'mish', 'softplus', 'sigmoid', 'relu'),
        }),
        seedArb,
        ({ inputs, hidden, outputs, batch, act }, seed) => {
          const rng = new Rng(seed);
          const sizes = [inputs, ...hidden, outputs];
          const layer = (i: number): Layer => ({
            w: rng.normal([sizes[i], sizes[i + 1]], 0, 1 / Math.sqrt(sizes[i])),
            b: rng.normal([sizes[i + 1]], 0, 0.5),
          });
          const theta: Mlp = sizes.slice(1).map((_, i) => layer(i));
          const dir: Mlp = sizes.slice(1).map((_, i) => layer(i));
          const x0 = values(rng, [batch, inputs]);
          const w = values(rng, [batch, inputs]);
          const ct = values(rng, [batch, outputs]);
          const y = values(rng, [batch, outputs]);
          if (act === 'relu') fc.pre(reluMargin(theta, x0) > 0.05);

          // Reverse over forward: the paper's stochastic Sobolev term, plus a data term.
          const jvpLoss = (p: Mlp) =>
            add(sum(square(sub(mlp(p, x0, act), y))), sum(square(jvp((x: Tensor) => mlp(p, x, act), [x0], [w])[1])));
          // Reverse over reverse: a random projection of J^T.
          const vjpLoss = (p: Mlp) => sum(square(vjp((x: Tensor) => mlp(p, x, act), x0)[1](ct)[0]));
          checkGradAgainstFiniteDifferences(jvpLoss, theta, `${act} MLP ${sizes.join('-')}, JVP form`);
          checkGradAgainstFiniteDifferences(vjpLoss, theta, `${act} MLP ${sizes.join('-')}, VJP form`);
          checkDirectional(jvpLoss, theta, dir, 'JVP form');
          checkDirectional(vjpLoss, theta, dir, 'VJP form');
        },
      ),
      params,
    );
  });
});

describe(`Sobolev losses on a tiny conv net (seed ${SEED})`, () => {
  type ConvNet = { w1: Tensor; b1: Tensor; gamma: Tensor; beta: Tensor; w2: Tensor; b2: Tensor };

  /**
   * conv1d (kernel 3, padding 1) -> groupNorm -> mish -> convTranspose1d (kernel 4, stride 2,
   * padding 1): [B, cin, L] -> [B, cout, 2L]. Biases are [channels, 1] and broadcast over length.
   */
  function net(p: ConvNet, x: Tensor, groups: number): Tensor {
    const h = mish(groupNorm(add(conv1d(x, p.w1, { padding: 1 }), p.b1), groups, p.gamma, p.beta));
    return add(convTranspose1d(h, p.w2, { stride: 2, padding: 1 }), p.b2);
  }

  it(`grad over all weights of a JVP-form and a VJP-form Sobolev loss vs central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          cin: fc.integer({ min: 1, max: 2 }),
          groups: fc.integer({ min: 1, max: 2 }),
          perGroup: fc.integer({ min: 1, max: 2 }),
          cout: fc.integer({ min: 1, max: 2 }),
          length: fc.integer({ min: 3, max: 5 }),
        }),
        seedArb,
        ({ batch, cin, groups, perGroup, cout, length }, seed) => {
          const rng = new Rng(seed);
          const ch = groups * perGroup;
          const make = (): ConvNet => ({
            w1: rng.normal([ch, cin, 3], 0, 0.6),
            b1: rng.normal([ch, 1], 0, 0.3),
            gamma: rng.normal([ch], 1, 0.2),
            beta: rng.normal([ch], 0, 0.2),
            w2: rng.normal([ch, cout, 4], 0, 0.5),
            b2: rng.normal([cout, 1], 0, 0.3),
          });
          const theta = make();
          const dir = make();
          const x0 = values(rng, [batch, cin, length]);
          const w = values(rng, [batch, cin, length]);
          const ct = values(rng, [batch, cout, 2 * length]);
          const f = (p: ConvNet) => (x: Tensor) => net(p, x, groups);
          const jvpLoss = (p: ConvNet) => sum(square(jvp(f(p), [x0], [w])[1]));
          const vjpLoss = (p: ConvNet) => sum(square(vjp(f(p), x0)[1](ct)[0]));
          checkGradAgainstFiniteDifferences(jvpLoss, theta, 'conv net, JVP form');
          checkGradAgainstFiniteDifferences(vjpLoss, theta, 'conv net, VJP form');
          checkDirectional(jvpLoss, theta, dir, 'conv net JVP form');
          checkDirectional(vjpLoss, theta, dir, 'conv net VJP form');
        },
      ),
      { seed: SEED, numRuns: 25 },
    );
  });
});
