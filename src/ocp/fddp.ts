/**
 * FDDP (Mastalli et al. 2020, "Crocoddyl: an efficient and versatile framework for
 * multi-contact optimal control"): DDP on a multiple-shooting trajectory. It starts from
 * any state and control guess (an interpolation, a policy rollout), keeps the dynamics
 * defects ("gaps") in the backward pass, and closes them along the iterations: a step of
 * length alpha leaves (1 - alpha) of each gap, a full step none. Once feasible it behaves
 * as box-DDP.
 */
import { type InitialGuess, type SolverOptions, solveCore } from './core.js';
import type { OcpProblem } from './problem.js';
import type { OcpSolution } from './solution.js';

export function solveFddp(problem: OcpProblem, init: InitialGuess = {}, options: Partial<SolverOptions> = {}): OcpSolution {
  return solveCore(problem, 'fddp', options, init).solution;
}
