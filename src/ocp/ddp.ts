/**
 * DDP / iLQR with box control bounds (Tassa, Erez & Todorov 2012; Tassa, Mansard & Todorov
 * 2014): single shooting from the rolled-out initial controls, Gauss-Newton (iLQR)
 * iterations by default, exact second-order gains at the returned iterate.
 */
import { type InitialGuess, type SolverOptions, solveCore } from './core.js';
import type { OcpProblem } from './problem.js';
import type { OcpSolution } from './solution.js';

export function solveDdp(problem: OcpProblem, init: InitialGuess = {}, options: Partial<SolverOptions> = {}): OcpSolution {
  return solveCore(problem, 'ddp', options, init).solution;
}
