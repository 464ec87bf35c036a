/**
 * One entry point for the three solvers, and the total cost of a trajectory: what the code
 * above this layer (tasks, collection, evaluation, worker jobs) calls, so it never needs to
 * know which loop a problem runs through.
 */
import { solveConstrained, type ConstrainedGuess, type ConstrainedOptions } from './constrained.js';
import { solveCore } from './core.js';
import { SolverOptionsError } from './inputs.js';
import { discountWeights } from './objective.js';
import type { Constraint, OcpProblem } from './problem.js';
import type { OcpSolution } from './solution.js';

/** DDP (single shooting, box controls), FDDP (multiple shooting) or the augmented-Lagrangian solver. */
export type SolverName = 'ddp' | 'fddp' | 'constrained';

/** Solve `problem` from `guess` (the solver's defaults where the guess omits xs or us). */
export function solveOcp(problem: OcpProblem, solver: SolverName, guess: ConstrainedGuess = {}, options: Partial<ConstrainedOptions> = {}): OcpSolution {
  if (solver === 'constrained') return solveConstrained(problem, guess, options);
  if (solver !== 'ddp' && solver !== 'fddp') throw new SolverOptionsError('solveOcp', 'solver', solver, "is not 'ddp', 'fddp' or 'constrained'");
  return solveCore(problem, solver, options, guess).solution;
}

/**
 * The objective of a trajectory (xs: T + 1 states, us: T controls): stage costs plus the
 * terminal cost, weighted by the problem's discount (gamma^t, gamma^T with T = us.length).
 */
export function trajectoryCost(problem: OcpProblem, xs: readonly ArrayLike<number>[], us: readonly ArrayLike<number>[]): number {
  if (xs.length !== us.length + 1) throw new RangeError(`trajectoryCost: ${xs.length} states for ${us.length} controls (need one more state)`);
  const T = us.length;
  const w = discountWeights(problem.discount, T);
  const xi = problem.xi;
  let total = 0;
  for (let t = 0; t < T; t++) total += w[t]! * problem.stageCost.value(Float64Array.from(xs[t]), Float64Array.from(us[t]), xi);
  return total + w[T]! * problem.terminalCost.value(Float64Array.from(xs[T]), xi);
}

/**
 * The largest violation of the problem's general constraints along a trajectory: |c| for the
 * equality rows, max(c, 0) for the inequality rows, over the stage constraint at t < T and the
 * terminal constraint at T; 0 for a problem without them. A trajectory's cost hides how far it
 * is from feasible (the main paper, sec. 4.5), so evaluations report this beside it.
 */
export function constraintViolation(problem: OcpProblem, xs: readonly ArrayLike<number>[], us: readonly ArrayLike<number>[]): number {
  if (xs.length !== us.length + 1) throw new RangeError(`constraintViolation: ${xs.length} states for ${us.length} controls (need one more state)`);
  const T = us.length;
  let worst = 0;
  const rows = (con: Constraint, x: ArrayLike<number>, u: Float64Array) => {
    const c = new Float64Array(con.ne + con.ni);
    con.value(Float64Array.from(x), u, problem.xi, c);
    for (let i = 0; i < c.length; i++) {
      const v = i < con.ne ? Math.abs(c[i]!) : Math.max(c[i]!, 0);
      worst = Number.isNaN(v) ? NaN : Math.max(worst, v);
    }
  };
  if (problem.stageConstraint) for (let t = 0; t < T; t++) rows(problem.stageConstraint, xs[t]!, Float64Array.from(us[t]!));
  if (problem.terminalConstraint) rows(problem.terminalConstraint, xs[T]!, new Float64Array(0));
  return worst;
}
