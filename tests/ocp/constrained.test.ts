/**
 * The augmented-Lagrangian solver on a point mass that must go around cylinders: at the
 * returned solution the KKT conditions hold, checked independently of the solver:
 *
 *   stationarity   d/dU [ J(U) + sum_t lambda_t^T c_t(x_t(U), u_t) ] = 0   (autodiff through the rollout)
 *   primal         c_t <= tol,   dual  lambda_t >= 0,   complementarity  lambda_t,i c_t,i = 0
 *
 * and an obstacle that contains the start is reported as infeasible. With equality rows
 * (a stage row on u and a terminal row on x), the same stationarity holds with multipliers
 * of either sign, and |c| <= tol.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, add, grad, mul, reshape, slice, stack, sum, tensor } from '../../src/autodiff/index.js';
import { type OcpProblem, cylinderRows, solveConstrained, solveCore } from '../../src/ocp/index.js';
import { lineProblem, lineStageRow, obstacleProblem, pointStage as stage, pointTerminal as terminal, positionXY, terminalRow } from './point-mass.js';

/** J(U) + sum_t lambda_t^T c_t by autodiff through the rollout. */
function lagrangianGradient(problem: OcpProblem, us: Float64Array[], lambda: Float64Array[], cylinders: number[]): number[] {
  const n = cylinders.length / 3;
  const xi = tensor(cylinders);
  const c = cylinderRows(positionXY, n, 0);
  const L = (U: Tensor) => {
    let x: Tensor = tensor(Array.from(problem.x0));
    let total: Tensor = tensor(0);
    for (let t = 0; t < problem.horizon; t++) {
      const u = reshape(slice(U, [{ start: t, stop: t + 1 }]), [2]);
      total = add(total, add(stage(x, u), sum(mul(tensor(Array.from(lambda[t]!)), c(x, u, xi)))));
      x = problem.dynamics.stepTensor(x, u);
    }
    return add(total, terminal(x));
  };
  return grad(L)(stack(us.map((u) => tensor(Array.from(u))))).toArray();
}

describe('augmented-Lagrangian solver', () => {
  const cylinders = [1.0, 0.1, 0.4, 2.0, -0.2, 0.3];
  it('satisfies the KKT conditions with active obstacles', () => {
    const problem = obstacleProblem(cylinders);
    const sol = solveConstrained(problem, {}, { tolerance: 1e-12, constraintTolerance: 1e-8 });
    expect(sol.converged).toBe(true);
    expect(sol.reason).toBe('converged');
    const lambda = sol.multipliers!;
    let active = 0;
    for (let t = 0; t < problem.horizon; t++) {
      const p = sol.xs[t]!;
      for (let i = 0; i < 2; i++) {
        const [cx, cy, r] = cylinders.slice(3 * i, 3 * i + 3);
        const ci = r! * r! - ((p[0]! - cx!) ** 2 + (p[1]! - cy!) ** 2);
        expect(ci).toBeLessThanOrEqual(1e-8);
        expect(lambda[t]![i]!).toBeGreaterThanOrEqual(0);
        // Complementarity to the scale of the violation tolerance times a multiplier.
        expect(Math.abs(lambda[t]![i]! * ci)).toBeLessThanOrEqual(1e-7);
        if (lambda[t]![i]! > 1e-6) active++;
      }
    }
    expect(active).toBeGreaterThan(0);
    // Stationarity: the controls stay inside the box here, so the full gradient must vanish.
    // The inner stop |g| <= 1e-12 (1 + L) and lambda_max(Q_uu) = O(1) give |grad| ~ 1e-6 at most;
    // the multiplier error adds rho-scaled violation terms, |J^T (y - lambda)| ~ 1e-8 * rho |J|.
    for (const u of sol.us) expect(Math.max(Math.abs(u[0]!), Math.abs(u[1]!))).toBeLessThan(20);
    const g = lagrangianGradient(problem, sol.us, lambda, cylinders);
    const g0 = lagrangianGradient(problem, sol.us.map((u) => u.map(() => 0)), lambda.map((l) => l.map(() => 0)), cylinders);
    const gmax = Math.max(...g.map(Math.abs));
    expect(gmax).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...g0.map(Math.abs))).toBeGreaterThan(1e4 * gmax);
  });

  it('reports an obstacle around the fixed start as infeasible', () => {
    const problem = obstacleProblem([0, 0, 0.5]);
    const sol = solveConstrained(problem, {}, { penaltyMax: 1e6 });
    expect(sol.converged).toBe(false);
    expect(sol.reason).toBe('infeasible');
    expect(sol.constraintViolation!).toBeGreaterThan(0.1);
  });
});

/** J(U) + sum_t lambda_t c_t(x_t, u_t) + lambda_T c_T(x_T): the Lagrangian of lineProblem. */
function lineLagrangianGradient(problem: OcpProblem, us: Float64Array[], lambda: Float64Array[]): number[] {
  const xi = tensor(Array.from(problem.xi));
  const T = problem.horizon;
  const L = (U: Tensor) => {
    let x: Tensor = tensor(Array.from(problem.x0));
    let total: Tensor = tensor(0);
    for (let t = 0; t < T; t++) {
      const u = reshape(slice(U, [{ start: t, stop: t + 1 }]), [2]);
      total = add(total, add(stage(x, u), mul(lambda[t]![0]!, sum(lineStageRow(x, u, xi)))));
      x = problem.dynamics.stepTensor(x, u);
    }
    return add(total, add(terminal(x), mul(lambda[T]![0]!, sum(terminalRow(x, xi)))));
  };
  return grad(L)(stack(us.map((u) => tensor(Array.from(u))))).toArray();
}

describe('augmented-Lagrangian solver, equality constraints', () => {
  it('stage and terminal equalities: |c| <= tol and the Lagrangian is stationary', () => {
    const xi: [number, number] = [2, 0.5];
    const problem = lineProblem(xi);
    const sol = solveConstrained(problem, {}, { tolerance: 1e-12, constraintTolerance: 1e-8 });
    expect(sol.converged).toBe(true);
    expect(sol.constraintViolation!).toBeLessThanOrEqual(1e-8);
    const T = problem.horizon;
    for (let t = 0; t < T; t++) expect(Math.abs(sol.us[t]![1]! - xi[1] * sol.us[t]![0]!)).toBeLessThanOrEqual(1e-8);
    expect(Math.abs(sol.xs[T]![0]! - xi[0])).toBeLessThanOrEqual(1e-8);
    // Both kinds are active: the cost alone would end near p = (3, 0), off the line's end point.
    const lambda = sol.multipliers!;
    expect(Math.abs(lambda[T]![0]!)).toBeGreaterThan(1e-2);
    expect(lambda.slice(0, T).some((l) => Math.abs(l[0]!) > 1e-3)).toBe(true);
    // Stationarity as in the inequality test (inner stop 1e-12 (1 + L), violation 1e-8).
    for (const u of sol.us) expect(Math.max(Math.abs(u[0]!), Math.abs(u[1]!))).toBeLessThan(20);
    const g = lineLagrangianGradient(problem, sol.us, lambda);
    const g0 = lineLagrangianGradient(problem, sol.us.map((u) => u.map(() => 0)), lambda.map((l) => l.map(() => 0)));
    const gmax = Math.max(...g.map(Math.abs));
    expect(gmax).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...g0.map(Math.abs))).toBeGreaterThan(1e4 * gmax);
  });

  it('warm-started with its own solution and multipliers it stops at once; without the multipliers it must re-estimate them', () => {
    const problem = lineProblem([2, 0.5]);
    const opts = { tolerance: 1e-12, constraintTolerance: 1e-8 };
    const first = solveConstrained(problem, {}, opts);
    const again = solveConstrained(problem, { xs: first.xs, us: first.us, multipliers: first.multipliers }, opts);
    expect(again.converged).toBe(true);
    expect(again.iterations).toBeLessThanOrEqual(2);
    expect(Math.abs(again.cost - first.cost)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(first.cost)));
    const noMultipliers = solveConstrained(problem, { xs: first.xs, us: first.us }, opts);
    expect(noMultipliers.converged).toBe(true);
    expect(noMultipliers.iterations).toBeGreaterThan(again.iterations + 2);
  });
});

describe('augmented-Lagrangian solver, inner solves', () => {
  it('each inner solve can start from the regularization the previous one stopped at (solveCore reports it)', () => {
    const problem = obstacleProblem([1.0, 0.1, 0.4]);
    const inner = solveCore(problem, 'fddp', { maxIterations: 5 });
    expect(inner.regularization).toBe(inner.solution.history.at(-1)!.regularization);
    // Same fixed point whatever the inner solves start from.
    const a = solveConstrained(problem, {}, { tolerance: 1e-10, constraintTolerance: 1e-8 });
    const b = solveConstrained(problem, {}, { tolerance: 1e-10, constraintTolerance: 1e-8, regInit: 1 });
    expect(a.converged && b.converged).toBe(true);
    expect(Math.abs(a.cost - b.cost)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(a.cost)));
  });
});
