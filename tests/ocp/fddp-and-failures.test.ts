/**
 * FDDP closes the gaps of an infeasible guess; failures come back as results with a reason.
 */
import { describe, expect, it } from 'vitest';
import { add, log, mul, square, sum } from '../../src/autodiff/index.js';
import { defineProblem, interpolationGuess, rolloutStates, solveDdp, solveFddp, stageCost, terminalCost } from '../../src/ocp/index.js';
import { pendulumProblem } from './pendulum-problem.js';
import { fromStepTensor } from './systems.js';

describe('FDDP from an infeasible interpolation guess', () => {
  it('closes the gaps and ends on a dynamically feasible optimum', () => {
    const problem = pendulumProblem(3.0);
    const guess = interpolationGuess(problem, [0, 0]);
    const sol = solveFddp(problem, guess);
    expect(sol.converged).toBe(true);
    expect(sol.history[0]!.feasibility).toBeGreaterThan(0.01);
    expect(sol.feasibility).toBeLessThanOrEqual(1e-9);
    // Gaps shrink by (1 - alpha) per step: feasibility is non-increasing along the history.
    for (let i = 1; i < sol.history.length; i++) expect(sol.history[i]!.feasibility).toBeLessThanOrEqual(sol.history[i - 1]!.feasibility);
    // Rolling the controls out from x0 reproduces the states.
    const xs = rolloutStates(problem, sol.us);
    xs.forEach((x, t) => x.forEach((v, i) => expect(Math.abs(v - sol.xs[t]![i]!)).toBeLessThanOrEqual(1e-9)));
    // Tip at the goal (upright) at the end.
    expect(Math.abs(Math.cos(sol.xs[problem.horizon]![0]!) - 1)).toBeLessThan(1e-2);
  });

  it('from a perturbed (gapped) copy of the DDP optimum, returns to it', () => {
    const problem = pendulumProblem(2.8, { T: 100 });
    const tight = { tolerance: 1e-14 };
    const d = solveDdp(problem, {}, tight);
    const xs = d.xs.map((x, t) => x.map((v, i) => v + 0.05 * Math.sin(0.3 * t + i)));
    const f = solveFddp(problem, { xs, us: d.us }, tight);
    expect(f.converged && d.converged).toBe(true);
    expect(f.history[0]!.feasibility).toBeGreaterThan(0.01);
    expect(Math.abs(f.cost - d.cost)).toBeLessThanOrEqual(1e-8 * d.cost);
    // Both stopped at |g| <= 1e-14 (1 + J): controls agree to ~sqrt(tol J / lambda_min(Q_uu)) ~ 1e-5.
    f.us.forEach((u, t) => expect(Math.abs(u[0]! - d.us[t]![0]!)).toBeLessThanOrEqual(1e-5));
  });
});

describe('failures are results', () => {
  it('NaN from the dynamics: converged = false, reason nonFinite', () => {
    // x+ = x + log(u): NaN for the initial u = 0 ... -1.
    const dyn = fromStepTensor('log', 1, 1, 1, null, (x, u) => add(x, log(u)));
    const problem = defineProblem({
      dynamics: dyn, horizon: 5, x0: [0],
      stageCost: stageCost(dyn.manifold, 1, 1, (x, u) => add(sum(square(x)), sum(square(u)))),
      terminalCost: terminalCost(dyn.manifold, 1, (x) => sum(square(x))),
    });
    for (const solve of [solveDdp, solveFddp]) {
      const sol = solve(problem, { us: Array.from({ length: 5 }, () => [-1]) });
      expect(sol.converged).toBe(false);
      expect(sol.reason).toBe('nonFinite');
    }
  });

  it('NaN met during the line search is a rejected step, not a crash', () => {
    // Valid only for u > 0; the Newton step from u = 1 overshoots into u < 0.
    const dyn = fromStepTensor('log', 1, 1, 1, null, (x, u) => add(x, log(u)));
    const problem = defineProblem({
      dynamics: dyn, horizon: 3, x0: [0],
      stageCost: stageCost(dyn.manifold, 1, 1, (_x, u) => mul(0.01, sum(square(u)))),
      terminalCost: terminalCost(dyn.manifold, 1, (x) => sum(square(add(x, 5)))),
    });
    const sol = solveDdp(problem, { us: [[1], [1], [1]] });
    expect(Number.isFinite(sol.cost)).toBe(true);
    expect(sol.us.every((u) => u[0]! > 0)).toBe(true);
    expect(sol.converged).toBe(true);
  });

  it('iteration cap: reason maxIterations', () => {
    const sol = solveDdp(pendulumProblem(3.0), {}, { maxIterations: 2 });
    expect(sol.converged).toBe(false);
    expect(sol.reason).toBe('maxIterations');
    expect(sol.iterations).toBe(2);
    expect(sol.K.length).toBe(200);
  });
});
