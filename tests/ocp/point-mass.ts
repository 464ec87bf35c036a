/**
 * A 2-D point mass (double integrator) for the constrained-solver tests, and the problems
 * built on it: going around cylinders (inequalities) and moving along a line to a terminal
 * point (equalities). Shared by constrained.test.ts and the pool factory.
 */
import { type Tensor, add, concat, mul, slice, square, sub, sum, tensor } from '../../src/autodiff/index.js';
import {
  type OcpProblem, cylinderRows, defineProblem, stageConstraint, stageCost, terminalConstraint, terminalCost,
} from '../../src/ocp/index.js';
import { fromStepTensor } from './systems.js';

export const DT = 0.1;
/** x = (px, py, vx, vy), u = acceleration, semi-implicit Euler, |u_i| <= 20. */
export const pointMass = fromStepTensor('pointMass', 4, 2, DT, { lower: Float64Array.of(-20, -20), upper: Float64Array.of(20, 20) }, (x, u) => {
  const v = add(slice(x, [{ start: 2, stop: 4 }]), mul(DT, u));
  return concat([add(slice(x, [{ start: 0, stop: 2 }]), mul(DT, v)), v]);
});

export const goal = [3, 0, 0, 0];
export const pointStage = (x: Tensor, u: Tensor) => add(mul(DT, sum(square(sub(x, tensor(goal))))), mul(0.1 * DT, sum(square(u))));
export const pointTerminal = (x: Tensor) => mul(100, sum(square(sub(x, tensor(goal)))));
export const positionXY = (x: Tensor) => slice(x, [{ start: 0, stop: 2 }]);

/** Reach the goal around cylinders (cx, cy, r) given as xi. */
export function obstacleProblem(cylinders: number[]): OcpProblem {
  const n = cylinders.length / 3;
  const m = pointMass.manifold;
  return defineProblem({
    dynamics: pointMass,
    horizon: 40,
    x0: [0, 0, 0, 0],
    xi: cylinders,
    stageCost: stageCost(m, 2, cylinders.length, (x, u) => pointStage(x, u)),
    terminalCost: terminalCost(m, cylinders.length, (x) => pointTerminal(x)),
    stageConstraint: stageConstraint(m, 2, cylinders.length, { ne: 0, ni: n }, cylinderRows(positionXY, n, 0)),
  });
}

/**
 * Equalities: a stage row u_y - s u_x = 0 (accelerate only along the line y = s x) and a
 * terminal row p_x - xi_0 = 0 (stop the horizon at that abscissa), while the cost pulls to
 * (3, 0): both are active. xi = (terminal p_x, slope s).
 */
export const lineStageRow = (_x: Tensor, u: Tensor, xi: Tensor) =>
  sub(slice(u, [{ start: 1, stop: 2 }]), mul(slice(xi, [{ start: 1, stop: 2 }]), slice(u, [{ start: 0, stop: 1 }])));
export const terminalRow = (x: Tensor, xi: Tensor) => sub(slice(x, [{ start: 0, stop: 1 }]), slice(xi, [{ start: 0, stop: 1 }]));

export function lineProblem(xi: [number, number]): OcpProblem {
  const m = pointMass.manifold;
  return defineProblem({
    dynamics: pointMass,
    horizon: 30,
    x0: [0, 0, 0, 0],
    xi,
    stageCost: stageCost(m, 2, 2, (x, u) => pointStage(x, u)),
    terminalCost: terminalCost(m, 2, (x) => pointTerminal(x)),
    stageConstraint: stageConstraint(m, 2, 2, { ne: 1, ni: 0 }, lineStageRow),
    terminalConstraint: terminalConstraint(m, 2, { ne: 1, ni: 0 }, terminalRow),
  });
}
