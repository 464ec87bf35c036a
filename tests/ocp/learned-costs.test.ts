/**
 * Terminal costs from opaque differentiable functions (src/ocp/learned-costs.ts): the builders'
 * derivatives against central differences and autodiff, the Gauss-Newton Hessian against the
 * exact one where the residual vanishes, and the cost inside the solver: on a linear system
 * with an affine residual the solver's value gradient at x0 is the derivative of the optimal
 * cost, checked by central differences of whole solves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, add, hessian, matmul, mul, reshape, square, sub, sum, tanh, tensor } from '../../src/autodiff/index.js';
import {
  LearnedCostError, defineProblem, exactFunction, learnedTerminalCost, residualFunction, solveOcp, stageCost, zeroFunction,
} from '../../src/ocp/index.js';
import { FD_TOL, H } from '../autodiff/check.js';
import { linearSystem, vectorSpace } from './systems.js';

const SEED = 2022;

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** r(x) = tanh(A x + b) - c: a small nonlinear residual [m] of x [n]. */
function randomResidual(seed: number, n: number, m: number, vanishAt?: number[]) {
  const rnd = lcg(seed);
  const A = tensor(Array.from({ length: m * n }, rnd), [m, n]);
  const b = tensor(Array.from({ length: m }, rnd), [m, 1]);
  const pre = (x: Tensor) => reshape(tanh(add(matmul(A, reshape(x, [n, 1])), b)), [m]);
  const c = vanishAt === undefined ? tensor(Array.from({ length: m }, rnd), [m]) : pre(tensor(vanishAt, [n]));
  return (x: Tensor) => sub(pre(x), c);
}

function centralGradient(f: (x: Float64Array) => number, x: Float64Array): number[] {
  const h = H * Math.max(1, ...Array.from(x, Math.abs));
  return Array.from(x, (_, i) => {
    const p = x.slice();
    const q = x.slice();
    p[i] += h;
    q[i] -= h;
    return (f(p) - f(q)) / (2 * h);
  });
}

function expectClose(ad: ArrayLike<number>, fd: ArrayLike<number>, scale: number): void {
  expect(ad.length).toBe(fd.length);
  for (let i = 0; i < ad.length; i++) expect(Math.abs(ad[i]! - fd[i]!)).toBeLessThanOrEqual(FD_TOL * (scale + Math.abs(fd[i]!)));
}

describe(`learned terminal costs (seed ${SEED})`, () => {
  const arbitrary = fc.record({ seed: fc.integer({ min: 1, max: 1e6 }), n: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 3 }) });

  it('residualFunction: F = |r|^2, F_x = 2 J^T r against central differences, a symmetric PSD Gauss-Newton Hessian', () => {
    fc.assert(
      fc.property(arbitrary, ({ seed, n, m }) => {
        const F = residualFunction(n, randomResidual(seed, n, m));
        const x = Float64Array.from({ length: n }, lcg(seed + 7));
        const g = new Float64Array(n);
        const Hm = new Float64Array(n * n);
        const v = F.derivatives(x, g, Hm);
        expect(v).toBeCloseTo(F.value(x), 12);
        expectClose(g, centralGradient((y) => F.value(y), x), Math.max(1, Math.abs(v)));
        for (let i = 0; i < n; i++) {
          expect(Hm[i * n + i]).toBeGreaterThanOrEqual(0);
          for (let j = 0; j < n; j++) expect(Hm[i * n + j]).toBeCloseTo(Hm[j * n + i]!, 12);
        }
      }),
      { seed: SEED, numRuns: 20 },
    );
  });

  it('the Gauss-Newton Hessian equals the exact one where r = 0, and differs from it elsewhere', () => {
    fc.assert(
      fc.property(arbitrary, ({ seed, n, m }) => {
        const x0 = Array.from({ length: n }, lcg(seed + 3));
        const r = randomResidual(seed, n, m, x0);
        const F = residualFunction(n, r);
        const exact = hessian((x: Tensor) => sum(square(r(x))))(tensor(x0, [n])).toArray();
        const g = new Float64Array(n);
        const Hm = new Float64Array(n * n);
        expect(F.derivatives(Float64Array.from(x0), g, Hm)).toBeLessThan(1e-28);
        expectClose(Hm, exact, 1);
      }),
      { seed: SEED, numRuns: 20 },
    );
    // Away from r = 0 the curvature of r enters the exact Hessian and not the approximation.
    const r = randomResidual(11, 2, 2);
    const x = [0.3, -0.4];
    const exact = hessian((y: Tensor) => sum(square(r(y))))(tensor(x, [2])).toArray();
    const Hm = new Float64Array(4);
    residualFunction(2, r).derivatives(Float64Array.from(x), new Float64Array(2), Hm);
    expect(Math.max(...exact.map((e, i) => Math.abs(e - Hm[i]!)))).toBeGreaterThan(1e-3);
  });

  it('exactFunction: gradient and Hessian against central differences', () => {
    fc.assert(
      fc.property(arbitrary, ({ seed, n, m }) => {
        const r = randomResidual(seed, n, m);
        const F = exactFunction(n, (x) => sum(tanh(r(x))));
        const x = Float64Array.from({ length: n }, lcg(seed + 5));
        const g = new Float64Array(n);
        const Hm = new Float64Array(n * n);
        F.derivatives(x, g, Hm);
        expectClose(g, centralGradient((y) => F.value(y), x), 1);
        for (let i = 0; i < n; i++) {
          const row = centralGradient((y) => {
            const gy = new Float64Array(n);
            F.derivatives(y, gy, new Float64Array(n * n));
            return gy[i]!;
          }, x);
          expectClose(Hm.subarray(i * n, (i + 1) * n), row, 1);
        }
      }),
      { seed: SEED, numRuns: 15 },
    );
  });

  it('inside DDP: the value gradient V_x(x0) is the derivative of the optimal cost, and V_x(x_T) the terminal gradient', () => {
    const A = [[1, 0.1], [-0.2, 0.95]];
    const B = [[0], [0.1]];
    const dyn = linearSystem(A, B);
    // r(x) = L x + d, affine: the Gauss-Newton Hessian is exact, so DDP solves the problem in one step.
    const L = tensor([1.5, 0.3, -0.2, 0.8, 0.4, 0.1], [3, 2]);
    const d = tensor([0.2, -0.1, 0.05], [3]);
    const F = residualFunction(2, (x) => add(reshape(matmul(L, reshape(x, [2, 1])), [3]), d));
    const problem = (x0: ArrayLike<number>) => defineProblem({
      dynamics: dyn, horizon: 15, x0,
      stageCost: stageCost(vectorSpace(2), 1, 1, (x, u) => add(sum(square(x)), mul(0.1, sum(square(u))))),
      terminalCost: learnedTerminalCost(F, { weight: 1.5 }),
    });
    const x0 = Float64Array.of(0.7, -0.3);
    const s = solveOcp(problem(x0), 'ddp', {}, { history: false });
    expect(s.converged).toBe(true);
    const gT = new Float64Array(2);
    F.derivatives(s.xs[15]!, gT, new Float64Array(4));
    expectClose(s.Vx[15]!, Array.from(gT, (v) => 1.5 * v), 1);
    const cost = (y: Float64Array) => solveOcp(problem(y), 'ddp', {}, { history: false }).cost;
    expectClose(s.Vx[0]!, centralGradient(cost, x0), Math.max(1, s.cost));
  });

  it('bad input: a state of the wrong length is a RangeError, non-finite derivatives a LearnedCostError', () => {
    const cost = learnedTerminalCost(zeroFunction(2));
    expect(() => cost.value(new Float64Array(3), new Float64Array(1))).toThrow(RangeError);
    const broken = learnedTerminalCost({ nx: 1, ndx: 1, value: () => Number.NaN, derivatives: (_x, g) => ((g[0] = Number.NaN), 1) });
    expect(() => broken.derivatives(new Float64Array(1), new Float64Array(1), new Float64Array(1), new Float64Array(1))).toThrow(LearnedCostError);
    expect(() => learnedTerminalCost(zeroFunction(1), { nxi: 0 })).toThrow(RangeError);
  });
});
