/**
 * The augmented-Lagrangian solver on a point mass that must go around cylinders: at the
 * returned solution the KKT conditions hold, checked independently of the solver:
 *
 *   stationarity   d/dU [ J(U) + sum_t lambda_t^T c_t(x_t(U), u_t) ] = 0   (autodiff through the rollout)
 *   primal         c_t <= tol,   dual  lambda_t >= 0,   complementarity  lambda_t,i c_t,i = 0
 *
 * and an obstacle that contains the start is reported as infeasible.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, add, concat, grad, mul, reshape, slice, square, stack, sub, sum, tensor } from '../../src/autodiff/index.js';
import {
  type OcpProblem, cylinderRows, defineProblem, solveConstrained, stageConstraint, stageCost, terminalCost,
} from '../../src/ocp/index.js';
import { fromStepTensor } from './systems.js';

const DT = 0.1;
/** 2-D double integrator: x = (px, py, vx, vy), u = acceleration, semi-implicit Euler. */
const pointMass = fromStepTensor('pointMass', 4, 2, DT, { lower: Float64Array.of(-20, -20), upper: Float64Array.of(20, 20) }, (x, u) => {
  const v = add(slice(x, [{ start: 2, stop: 4 }]), mul(DT, u));
  return concat([add(slice(x, [{ start: 0, stop: 2 }]), mul(DT, v)), v]);
});

const goal = [3, 0, 0, 0];
const stage = (x: Tensor, u: Tensor) => add(mul(DT, sum(square(sub(x, tensor(goal))))), mul(0.1 * DT, sum(square(u))));
const terminal = (x: Tensor) => mul(100, sum(square(sub(x, tensor(goal)))));
const positionXY = (x: Tensor) => slice(x, [{ start: 0, stop: 2 }]);

function obstacleProblem(cylinders: number[]): OcpProblem {
  const n = cylinders.length / 3;
  const m = pointMass.manifold;
  return defineProblem({
    dynamics: pointMass,
    horizon: 40,
    x0: [0, 0, 0, 0],
    xi: cylinders,
    stageCost: stageCost(m, 2, cylinders.length, (x, u) => stage(x, u)),
    terminalCost: terminalCost(m, cylinders.length, (x) => terminal(x)),
    stageConstraint: stageConstraint(m, 2, cylinders.length, { ne: 0, ni: n }, cylinderRows(positionXY, n, 0)),
  });
}

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
