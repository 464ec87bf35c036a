/** Problem factories for the pool test: the pendulum swing-up and the point mass around cylinders. */
import type { ProblemFactoryResult } from '../../src/ocp/index.js';
import { interpolationGuess, withTask } from '../../src/ocp/index.js';
import { pendulumProblem } from './pendulum-problem.js';
import { obstacleProblem } from './point-mass.js';

// Compiled once per module (per worker); each task only changes x0 or xi.
const base = pendulumProblem(Math.PI, { T: 100 });
const obstacles = obstacleProblem([1.0, 0.1, 0.4, 2.0, -0.2, 0.3]);

export function pendulumTask(params: { q0: number; interpolate?: boolean }): ProblemFactoryResult {
  const problem = withTask(base, { x0: [params.q0, 0] });
  return { problem, init: params.interpolate ? interpolationGuess(problem, [0, 0]) : undefined };
}

/** Two cylinders (cx, cy, r) per task: xi is read at run time by the compiled constraint. */
export function obstacleTask(params: { cylinders: number[] }): ProblemFactoryResult {
  return { problem: withTask(obstacles, { xi: params.cylinders }) };
}
