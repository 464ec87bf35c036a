/**
 * The discounted OCP (problem.ts): stage cost at knot t weighed gamma^t, terminal cost gamma^T.
 * On the nonlinear pendulum swing-up, checked against central differences of whole solves:
 * V_x at knot 0 is the gradient of the discounted optimal cost, and V_x at knot t is gamma^t
 * times the gradient of the discounted optimal cost of the tail problem started at x_t (what
 * DVP's samples undo, learning/value/samples.ts). The closed-form check against the discounted
 * Riccati recursion is in lqr.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OcpDefinitionError, type OcpProblem, defineProblem, solveDdp, solveOcp, trajectoryCost, withTask } from '../../src/ocp/index.js';
import { pendulumProblem } from './pendulum-problem.js';

const SEED = 90210;
const TIGHT = { tolerance: 1e-14, history: false };
const EPS = 1e-5;

function discounted(q0: number, gamma: number, T: number): OcpProblem {
  return defineProblem({ ...pendulumProblem(q0, { T, umax: null }), discount: gamma });
}

/** Central differences of the optimal cost of `problem` with respect to x0. */
function optimalCostGradient(problem: OcpProblem, x0: Float64Array): number[] {
  const cost = (x: Float64Array) => {
    const s = solveDdp(withTask(problem, { x0: x }), {}, TIGHT);
    expect(s.converged).toBe(true);
    return s.cost;
  };
  return Array.from(x0, (_, i) => {
    const [p, m] = [x0.slice(), x0.slice()];
    p[i] += EPS;
    m[i] -= EPS;
    return (cost(p) - cost(m)) / (2 * EPS);
  });
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>): void {
  // Truncation O(EPS^2) times third derivatives of O(10), re-solve error ~1e-13 / EPS.
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(b[i]!)));
}

describe(`discounted OCP (seed ${SEED})`, () => {
  it('V_x at knot 0 is the gradient of the discounted optimal cost; at knot t, gamma^t times the tail\'s', () => {
    fc.assert(
      fc.property(fc.double({ min: 2.6, max: 3.0, noNaN: true }), fc.double({ min: 0.9, max: 0.99, noNaN: true }), (q0, gamma) => {
        const T = 60;
        const problem = discounted(q0, gamma, T);
        const sol = solveDdp(problem, {}, TIGHT);
        expect(sol.converged).toBe(true);
        expect(Math.abs(trajectoryCost(problem, sol.xs, sol.us) - sol.cost)).toBeLessThanOrEqual(1e-12 * (1 + sol.cost));
        expectClose(sol.Vx[0]!, optimalCostGradient(problem, problem.x0));
        const t = 25;
        const tail = defineProblem({ ...problem, horizon: T - t, x0: sol.xs[t]! });
        expectClose(Array.from(sol.Vx[t]!, (v) => v / gamma ** t), optimalCostGradient(tail, sol.xs[t]!));
        // The discount is not a no-op: the undiscounted solve's gradient differs.
        const plain = solveDdp(pendulumProblem(q0, { T, umax: null }), {}, TIGHT);
        expect(Math.max(...Array.from(plain.Vx[0]!, (v, i) => Math.abs(v - sol.Vx[0]![i]!)))).toBeGreaterThan(1e-2);
      }),
      { seed: SEED, numRuns: 3 },
    );
  });

  it('the constrained solver reports the discounted objective J', () => {
    const problem = discounted(2.8, 0.95, 40);
    const ddp = solveDdp(problem, {}, TIGHT);
    const al = solveOcp(problem, 'constrained', {}, { tolerance: 1e-12 });
    expect(al.converged).toBe(true);
    expect(Math.abs(al.cost - trajectoryCost(problem, al.xs, al.us))).toBeLessThanOrEqual(1e-12 * (1 + al.cost));
    expect(Math.abs(al.cost - ddp.cost)).toBeLessThanOrEqual(1e-8 * (1 + ddp.cost));
  });

  it('a discount outside (0, 1] is an OcpDefinitionError; withTask keeps the discount', () => {
    const base = pendulumProblem(2.8, { T: 10 });
    for (const gamma of [0, -0.5, 1.5, Number.NaN]) expect(() => defineProblem({ ...base, discount: gamma })).toThrow(OcpDefinitionError);
    expect(base.discount).toBe(1);
    expect(withTask(defineProblem({ ...base, discount: 0.9 }), { x0: [1, 0] }).discount).toBe(0.9);
  });
});
