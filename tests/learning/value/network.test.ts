/**
 * The value networks and their Sobolev training (src/learning/value/): V_x of a batch against
 * central differences, the terminal-cost function's gradient equal to it, the Gauss-Newton
 * Hessian equal to the exact one at the anchor (r = 0 there), the loss's parameter gradient
 * (reverse over reverse) against central differences, and Sobolev regression fitting the
 * gradient of a known function where classical regression on values alone does not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcreteTensor, Rng, type Tensor, flatten, grad, reshape, tensor, unflatten } from '../../../src/autodiff/index.js';
import { exactFunction } from '../../../src/ocp/index.js';
import { type ValueArchitecture, initValueNetwork, valueAndGradient, valueFunction, valuePredict } from '../../../src/learning/value/network.js';
import { type ValueDataset, sobolevLoss, trainValueNetwork, valueErrors } from '../../../src/learning/value/sobolev.js';
import type { MLPParams } from '../../../src/nn/index.js';
import { FD_TOL, H } from '../../autodiff/check.js';

const SEED = 1964;
const region = { lower: [-2, -1, -0.5], upper: [2, 1, 0.5] };

function network(seed: number, architecture: ValueArchitecture, anchor?: number[]) {
  return initValueNetwork(new Rng(seed), { architecture, nx: 3, hidden: [8, 8], residual: 3, anchor }, region, 2.5);
}

function randomStates(rng: Rng, count: number): number[] {
  return Array.from({ length: count * 3 }, (_, k) => region.lower[k % 3]! + (region.upper[k % 3]! - region.lower[k % 3]!) * rng.nextFloat());
}

const close = (ad: number, fd: number, scale: number) => expect(Math.abs(ad - fd)).toBeLessThanOrEqual(FD_TOL * (scale + Math.abs(fd)));

describe(`value networks (seed ${SEED})`, () => {
  const arb = fc.record({ seed: fc.integer({ min: 1, max: 1e6 }), architecture: fc.constantFrom<ValueArchitecture>('gauss-residual', 'feed-forward') });

  it('V_x of a batch against central differences, and the terminal-cost function agrees with the batch', () => {
    fc.assert(
      fc.property(arb, ({ seed, architecture }) => {
        const net = network(seed, architecture);
        const xs = randomStates(new Rng(seed + 1), 4);
        const [v, vx] = valueAndGradient(net, net.params, tensor(xs, [4, 3]));
        const V = (x: number[]) => valuePredict(net, net.params, tensor(x, [1, 3])).item();
        const fn = valueFunction(net);
        for (let b = 0; b < 4; b++) {
          const x = xs.slice(3 * b, 3 * b + 3);
          const g = new Float64Array(3);
          expect(fn.derivatives(Float64Array.from(x), g, new Float64Array(9))).toBeCloseTo(v.toArray()[b]!, 12);
          for (let i = 0; i < 3; i++) {
            const [p, q] = [x.slice(), x.slice()];
            p[i] += H * 2;
            q[i] -= H * 2;
            const fd = (V(p) - V(q)) / (4 * H);
            close(vx.toArray()[3 * b + i]!, fd, Math.max(1, Math.abs(V(x))));
            expect(g[i]).toBeCloseTo(vx.toArray()[3 * b + i]!, 10);
          }
        }
      }),
      { seed: SEED, numRuns: 10 },
    );
  });

  it('anchored: V(goal) = 0 and V_x(goal) = 0, and the Gauss-Newton Hessian there equals the exact Hessian', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const goal = [0.3, -0.2, 0.1];
        const net = network(seed, 'gauss-residual', goal);
        const gn = valueFunction(net);
        const exact = exactFunction(3, (x) => valuePredict(net, net.params, reshape(x, [1, 3])));
        const [g, Hgn, He] = [new Float64Array(3), new Float64Array(9), new Float64Array(9)];
        expect(gn.derivatives(Float64Array.from(goal), g, Hgn)).toBeLessThan(1e-28);
        expect(Math.max(...Array.from(g, Math.abs))).toBeLessThan(1e-14);
        exact.derivatives(Float64Array.from(goal), new Float64Array(3), He);
        const scale = Math.max(1, ...Array.from(He, Math.abs));
        for (let i = 0; i < 9; i++) expect(Math.abs(Hgn[i]! - He[i]!)).toBeLessThanOrEqual(1e-10 * scale);
        // Elsewhere the network's own curvature separates them.
        const y = Float64Array.of(1.5, 0.8, -0.4);
        gn.derivatives(y, g, Hgn);
        exact.derivatives(y, new Float64Array(3), He);
        expect(Math.max(...Array.from(Hgn, (h, i) => Math.abs(h - He[i]!)))).toBeGreaterThan(1e-6);
      }),
      { seed: SEED, numRuns: 5 },
    );
  });

  it('the Sobolev loss: its gradient in the parameters (through the V_x it contains) against central differences', () => {
    fc.assert(
      fc.property(arb, ({ seed, architecture }) => {
        const net = network(seed, architecture, [0, 0, 0]);
        const rng = new Rng(seed + 2);
        const x = tensor(randomStates(rng, 5), [5, 3]);
        const v = tensor(Array.from({ length: 5 }, () => rng.nextFloat() * 3), [5]);
        const vx = tensor(Array.from({ length: 15 }, () => rng.nextNormal()), [5, 3]);
        const loss = (p: MLPParams) => sobolevLoss(net, p, x, v, vx, 0.7);
        const [leaves, def] = flatten(net.params);
        const [gLeaves] = flatten(grad(loss)(net.params) as MLPParams);
        const dir = leaves.map((l) => new ConcreteTensor(Float64Array.from({ length: l.size }, () => rng.nextNormal()), l.shape));
        const at = (h: number) => loss(unflatten(def, leaves.map((l, k) => tensor(l.toArray().map((e, i) => e + h * dir[k]!.data[i]!), l.shape))) as MLPParams).item();
        const fd = (at(H) - at(-H)) / (2 * H);
        const ad = gLeaves.reduce((s, g: Tensor, k) => s + g.toArray().reduce((t, e, i) => t + e * dir[k]!.data[i]!, 0), 0);
        close(ad, fd, Math.max(1, at(0)));
      }),
      { seed: SEED, numRuns: 6 },
    );
  });

  it('from 30 samples of a known value, Sobolev regression fits its gradient better than classical regression', () => {
    const P = [2, 0.5, 0, 0.5, 1, 0.3, 0, 0.3, 4];
    const V = (x: number[]) => x.reduce((s, xi, i) => s + xi * x.reduce((t, xj, j) => t + P[3 * i + j]! * xj, 0), 0);
    const Vx = (x: number[]) => [0, 1, 2].map((i) => 2 * x.reduce((t, xj, j) => t + P[3 * i + j]! * xj, 0));
    const sample = (rng: Rng, n: number): ValueDataset => {
      const xs = randomStates(rng, n);
      const rows = Array.from({ length: n }, (_, b) => xs.slice(3 * b, 3 * b + 3));
      return { count: n, nx: 3, x: Float64Array.from(xs), v: Float64Array.from(rows.map(V)), vx: Float64Array.from(rows.flatMap(Vx)) };
    };
    const train = sample(new Rng(SEED), 30);
    const test = sample(new Rng(SEED + 1), 200);
    const fit = (alpha: number) => {
      const net = trainValueNetwork(network(SEED, 'gauss-residual', [0, 0, 0]), train, { epochs: 300, batchSize: 10, lr: 3e-3, alpha, rng: new Rng(SEED + 2) });
      return valueErrors(net, test);
    };
    const sobolev = fit(1);
    const classical = fit(0);
    console.log(`30 samples, held-out MSE (seed ${SEED}): Sobolev V ${sobolev.value.toExponential(2)} V_x ${sobolev.gradient.toExponential(2)}; classical V ${classical.value.toExponential(2)} V_x ${classical.gradient.toExponential(2)}`);
    expect(sobolev.gradient).toBeLessThan(classical.gradient);
    expect(sobolev.value).toBeLessThan(classical.value);
  }, 60_000);

  it('bad input: a region of the wrong size, an empty or non-finite dataset, an unknown architecture', () => {
    expect(() => initValueNetwork(new Rng(1), { architecture: 'gauss-residual', nx: 2, hidden: [4], residual: 3 }, region, 1)).toThrow(RangeError);
    expect(() => initValueNetwork(new Rng(1), { architecture: 'resnet' as ValueArchitecture, nx: 3, hidden: [4], residual: 3 }, region, 1)).toThrow(/architecture/);
    expect(() => initValueNetwork(new Rng(1), { architecture: 'gauss-residual', nx: 3, hidden: [4], residual: 3 }, region, 0)).toThrow(/valueScale/);
    const net = network(1, 'gauss-residual');
    const bad: ValueDataset = { count: 1, nx: 3, x: Float64Array.of(0, Number.NaN, 0), v: Float64Array.of(1), vx: new Float64Array(3) };
    expect(() => valueErrors(net, bad)).toThrow(/x\[1\] is NaN/);
    expect(() => trainValueNetwork(net, { ...bad, count: 0, x: new Float64Array(0), v: new Float64Array(0), vx: new Float64Array(0) }, { epochs: 1, batchSize: 1, lr: 1e-3, alpha: 1, rng: new Rng(1) })).toThrow(/no samples/);
  });
});
