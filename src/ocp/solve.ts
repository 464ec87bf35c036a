/**
 * One entry point for the three solvers, and the total cost of a trajectory: what the code
 * above this layer (tasks, collection, evaluation, worker jobs) calls, so it never needs to
 * know which loop a problem runs through.
 */
import { solveConstrained, type ConstrainedGuess, type ConstrainedOptions } from './constrained.js';
import { solveCore } from './core.js';
import { SolverOptionsError } from './inputs.js';
import type { OcpProblem } from './problem.js';
import type { OcpSolution } from './solution.js';

/** DDP (single shooting, box controls), FDDP (multiple shooting) or the augmented-Lagrangian solver. */
export type SolverName = 'ddp' | 'fddp' | 'constrained';

/** Solve `problem` from `guess` (the solver's defaults where the guess omits xs or us). */
export function solveOcp(problem: OcpProblem, solver: SolverName, guess: ConstrainedGuess = {}, options: Partial<ConstrainedOptions> = {}): OcpSolution {
  if (solver === 'constrained') return solveConstrained(problem, guess, options);
  if (solver !== 'ddp' && solver !== 'fddp') throw new SolverOptionsError('solveOcp', 'solver', solver, "is not 'ddp', 'fddp' or 'constrained'");
  return solveCore(problem, solver, options, guess).solution;
}

/** The objective of a trajectory (xs: T + 1 states, us: T controls): stage costs plus the terminal cost. */
export function trajectoryCost(problem: OcpProblem, xs: readonly ArrayLike<number>[], us: readonly ArrayLike<number>[]): number {
  if (xs.length !== us.length + 1) throw new RangeError(`trajectoryCost: ${xs.length} states for ${us.length} controls (need one more state)`);
  let total = 0;
  const xi = problem.xi;
  for (let t = 0; t < us.length; t++) total += problem.stageCost.value(Float64Array.from(xs[t]), Float64Array.from(us[t]), xi);
  return total + problem.terminalCost.value(Float64Array.from(xs[us.length]), xi);
}
