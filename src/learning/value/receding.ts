/**
 * A learned value used as a controller: receding-horizon control (MPC) with the T-step problem
 * whose terminal cost is the value (the value paper, sec. III-A: "the value function ... as the
 * terminal cost of a short-horizon solver"). At each step the problem is solved from the
 * current state, warm-started from the previous solution shifted by one knot, and its first
 * control applied to the task's dynamics. This is the DVP trajectory of the comparison with
 * PPO (Fig. 11): a closed loop of any length, as PPO's rollout is, where the T-step plan alone
 * ends at T.
 */
import { type InitialGuess, type OcpProblem, solveOcp, withTask } from '../../ocp/index.js';
import type { Task } from '../../tasks/index.js';

export interface RecedingRollout {
  /** steps + 1 states and steps controls of the closed loop. */
  xs: Float64Array[];
  us: Float64Array[];
  /** Solver iterations per step, mean; solves that did not converge (their first control is applied all the same). */
  meanIterations: number;
  unconverged: number;
}

/** Run `steps` steps of receding-horizon control of `problem` (its horizon, terminal cost and discount) from x0. */
export function recedingHorizon(task: Task, problem: OcpProblem, x0: readonly number[], steps: number): RecedingRollout {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`recedingHorizon: steps must be a positive integer, got ${steps}`);
  const { nx } = task.dynamics;
  if (x0.length !== nx) throw new RangeError(`recedingHorizon: x0 has ${x0.length} entries, ${task.name} has nx = ${nx}`);
  const T = problem.horizon;
  let x = Float64Array.from(x0);
  let guess: InitialGuess = task.coldGuess(withTask(problem, { x0: x }));
  const xs = [x];
  const us: Float64Array[] = [];
  let iterations = 0;
  let unconverged = 0;
  for (let k = 0; k < steps; k++) {
    const sol = solveOcp(withTask(problem, { x0: x }), task.solver, guess, { ...task.solverOptions, history: false });
    iterations += sol.iterations;
    if (!sol.converged) unconverged++;
    const u = sol.us[0]!.slice();
    const next = new Float64Array(nx);
    task.dynamics.step(x, u, next);
    us.push(u);
    xs.push(next);
    x = next;
    // Shift by one knot, the last state and control repeated; the first state is the one reached.
    guess = { xs: [next, ...sol.xs.slice(2), sol.xs[T]!], us: [...sol.us.slice(1), sol.us[T - 1]!] };
  }
  return { xs, us, meanIterations: iterations / steps, unconverged };
}
