/**
 * Collecting solver trajectories (the data step of Alg. 1). Each task is solved from the
 * cold interpolation guess and, when a policy is given, also from the policy's rollout (the
 * warm start); the cheaper converged solution is kept, and a task where both fail within
 * n_max iterations is rejected and replaced by a fresh one. What is kept carries everything
 * the learning code needs: states, controls, the gains K_t = du/dx and the dynamics
 * Jacobians at the solution (for the chained derivative targets, eq. 2 and 7).
 *
 * Solves go through a `TrajectorySolver`: the worker pool (parallel, for collection and
 * evaluation), a job queue served by other machines (workers/queue.ts), or this thread (tests). Both run the same job (workers/jobs.ts) on the same
 * task instance, so they give the same solutions.
 */
import type { InitialGuess, OcpSolution } from '../ocp/index.js';
import type { Task, TaskInstance } from '../tasks/index.js';
import { type SolveBackend, solveInstance } from './workers/jobs.js';

export interface SolvedTrajectory {
  instance: TaskInstance;
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

/** Solves instances of one task from the task's cold guess or a given one. */
export interface TrajectorySolver {
  solve(instance: TaskInstance, guess?: InitialGuess): Promise<OcpSolution>;
}

/** Solves of `task`'s instances with `options` (n_max...), on a backend (the worker pool, a job queue) or, without one, on this thread. */
export function taskSolver(task: Task, options: SolveOptions, backend?: SolveBackend): TrajectorySolver {
  return {
    solve(instance, guess) {
      const job = { task: task.name, instance, guess, options };
      return backend ? backend.solve(job) : Promise.resolve(solveInstance({ kind: 'solve', ...job }));
    },
  };
}

/** What the experiments set of a solve besides the task's own options. */
export interface SolveOptions {
  maxIterations?: number;
  /** Keep the per-iteration records (off for collection: they are not needed and cost memory). */
  history?: boolean;
}

function keep(instance: TaskInstance, s: OcpSolution, source: 'cold' | 'warm'): SolvedTrajectory {
  return { instance, xs: s.xs, us: s.us, K: s.K, fx: s.fx, fu: s.fu, cost: s.cost, iterations: s.iterations, source };
}

export interface CollectOptions {
  /** Draws a fresh instance. */
  sampleInstance: () => TaskInstance;
  /** The warm-start guesses for instances (a policy rollout), or undefined for cold solves only. */
  warmGuess?: (instances: TaskInstance[]) => InitialGuess[];
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
    const instances = Array.from({ length: count - result.trajectories.length }, options.sampleInstance);
    const warm = options.warmGuess?.(instances);
    const solved = await Promise.all(
      instances.map(async (instance, i) => {
        const cold = await solver.solve(instance);
        const warmSolution = warm ? await solver.solve(instance, warm[i]) : null;
        return { instance, cold, warm: warmSolution };
      }),
    );
    for (const { instance, cold, warm: w } of solved) {
      result.coldIterations.push(cold.iterations);
      if (w) result.warmIterations.push(w.iterations);
      const candidates = [
        cold.converged ? keep(instance, cold, 'cold') : null,
        w?.converged ? keep(instance, w, 'warm') : null,
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
