/**
 * Collecting solver trajectories (the data step of Alg. 1). Each task is solved from the
 * cold interpolation guess and, when a policy is given, also from the policy's rollout (the
 * warm start); the cheaper converged solution is kept, and a task where both fail within
 * n_max iterations is rejected and replaced by a fresh one. What is kept carries everything
 * the learning code needs: states, controls, the gains K_t = du/dx and the dynamics
 * Jacobians at the solution (for the chained derivative targets, eq. 2 and 7).
 *
 * Solves go through a `TrajectorySolver`: the worker pool (parallel, for collection and
 * evaluation) or a serial one (tests, and machines without threads). Both run the same
 * code on the same problem, so they give the same solutions.
 */
import { type InitialGuess, type OcpSolution, type SolveRequest, type SolverPool, solveRequest } from '../ocp/index.js';

export interface SolvedTrajectory {
  x0: Float64Array;
  xs: Float64Array[];
  us: Float64Array[];
  K: Float64Array[];
  fx: Float64Array[];
  fu: Float64Array[];
  cost: number;
  iterations: number;
  /** Which guess produced it. */
  source: 'cold' | 'warm';
}

/** Solves one task of a fixed problem family from a start state and an optional guess. */
export interface TrajectorySolver {
  solve(x0: Float64Array, guess?: InitialGuess): Promise<OcpSolution>;
}

/** Requests for a problem factory module (see ocp/requests.ts), solved serially or on a pool. */
export function requestSolver(
  module: string,
  factory: string,
  options: SolveRequest['options'],
  pool?: SolverPool,
): TrajectorySolver {
  return {
    solve(x0, guess) {
      const request: SolveRequest = { module, factory, params: { x0: Array.from(x0) }, solver: 'fddp', options, init: guess };
      return pool ? pool.solve(request) : solveRequest(request);
    },
  };
}

function keep(x0: Float64Array, s: OcpSolution, source: 'cold' | 'warm'): SolvedTrajectory {
  return { x0, xs: s.xs, us: s.us, K: s.K, fx: s.fx, fu: s.fu, cost: s.cost, iterations: s.iterations, source };
}

export interface CollectOptions {
  /** Draws a fresh start state. */
  sampleStart: () => Float64Array;
  /** The warm-start guess for a start state (a policy rollout), or undefined for cold solves only. */
  warmGuess?: (starts: Float64Array[]) => InitialGuess[];
  /** Give up after this many rejected tasks (a problem the solver cannot do is an error, not a loop). */
  maxRejections?: number;
}

export interface Collection {
  trajectories: SolvedTrajectory[];
  rejected: number;
  /** Solver iterations of every solve made, cold and warm. */
  coldIterations: number[];
  warmIterations: number[];
}

/** Solve until `count` tasks have a converged solution (Alg. 1, lines "collect"). */
export async function collectTrajectories(count: number, solver: TrajectorySolver, options: CollectOptions): Promise<Collection> {
  const maxRejections = options.maxRejections ?? 10 * count + 10;
  const result: Collection = { trajectories: [], rejected: 0, coldIterations: [], warmIterations: [] };
  while (result.trajectories.length < count) {
    const starts = Array.from({ length: count - result.trajectories.length }, options.sampleStart);
    const warm = options.warmGuess?.(starts);
    const solved = await Promise.all(
      starts.map(async (x0, i) => {
        const cold = await solver.solve(x0);
        const warmSolution = warm ? await solver.solve(x0, warm[i]) : null;
        return { x0, cold, warm: warmSolution };
      }),
    );
    for (const { x0, cold, warm: w } of solved) {
      result.coldIterations.push(cold.iterations);
      if (w) result.warmIterations.push(w.iterations);
      const candidates = [
        cold.converged ? keep(x0, cold, 'cold') : null,
        w?.converged ? keep(x0, w, 'warm') : null,
      ].filter((c): c is SolvedTrajectory => c !== null);
      if (candidates.length === 0) {
        result.rejected++;
        if (result.rejected > maxRejections) {
          throw new Error(`collectTrajectories: ${result.rejected} tasks rejected (the solver did not converge); last reason: ${cold.reason}`);
        }
        continue;
      }
      result.trajectories.push(candidates.reduce((a, b) => (b.cost < a.cost ? b : a)));
    }
  }
  return result;
}
