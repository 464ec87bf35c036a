/** A problem factory for the pool test: the pendulum swing-up from a start angle. */
import type { ProblemFactoryResult } from '../../src/ocp/index.js';
import { interpolationGuess, withTask } from '../../src/ocp/index.js';
import { pendulumProblem } from './pendulum-problem.js';

// Compiled once per module (per worker); each task only changes x0.
const base = pendulumProblem(Math.PI, { T: 100 });

export function pendulumTask(params: { q0: number; interpolate?: boolean }): ProblemFactoryResult {
  const problem = withTask(base, { x0: [params.q0, 0] });
  return { problem, init: params.interpolate ? interpolationGuess(problem, [0, 0]) : undefined };
}
