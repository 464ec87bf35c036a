/**
 * The evaluation protocol of the main paper: on held-out tasks, run each policy alone and
 * record its cost J; then give its rollout to the solver as a warm start and record the
 * refined cost and the solver's iterations; compare with the solver alone from the cold
 * interpolation guess ("TO alone"). Solves go through the same `TrajectorySolver` as
 * collection (the worker pool in the experiment).
 */
import { type InitialGuess, type OcpSolution, trajectoryCost } from '../ocp/index.js';
import type { Task, TaskInstance } from '../tasks/index.js';
import type { TrajectorySolver } from './collect.js';

/** Closed-loop trajectories of a policy from a batch of start states. */
export interface PolicyRollout {
  xs: Float64Array[][];
  us: Float64Array[][];
  /** Tasks whose state blew up (their trajectory holds the last finite state from then on). */
  diverged: boolean[];
}

export interface EvaluatedPolicy {
  name: string;
  /** Roll out on every instance, T controls each (batched where the policy allows). */
  rollout(instances: readonly TaskInstance[], T: number): PolicyRollout;
}

export interface Stats {
  mean: number;
  median: number;
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { mean: NaN, median: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    median: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
  };
}

export interface MethodResult {
  policyCost: Stats;
  refinedCost: Stats;
  /** Solver iterations from the policy's warm start. */
  solverIterations: Stats;
  /** Share of warm-started solves that converged. */
  refinedConvergedRate: number;
  /** Seconds for one batch-1 rollout of a whole task (T controls). */
  rolloutSeconds: number;
  /** Seconds per warm-started solve (the solver's own clock, on a worker). */
  solveSeconds: Stats;
  perTask: { policyCost: number[]; refinedCost: number[]; iterations: number[]; converged: boolean[]; solveSeconds: number[]; diverged: boolean[] };
  /** The rollouts themselves, for plots. */
  rollouts: PolicyRollout;
}

export interface SolverAloneResult {
  cost: Stats;
  iterations: Stats;
  /** Seconds per solve (the solver's own clock, on a worker). */
  solveSeconds: Stats;
  convergedRate: number;
  perTask: { cost: number[]; iterations: number[]; converged: boolean[]; solveSeconds: number[] };
  solutions: OcpSolution[];
}

/** The held-out instances of a task, and the solver that refines on them. */
export interface EvaluationContext {
  task: Task;
  instances: readonly TaskInstance[];
  solver: TrajectorySolver;
}

/**
 * Largest dynamics gap of a returned trajectory whose cost counts. A solve that stopped with
 * larger gaps (FDDP stopped early) or a non-finite cost returned no trajectory of the system:
 * its cost is infinite, as a diverged rollout's, rather than the number of an infeasible iterate.
 */
const FEASIBLE_GAP = 1e-6;

/** What every set of solves reports: per instance, and the statistics over them. */
function solveRecord(solutions: readonly OcpSolution[]) {
  const cost = solutions.map((s) => (Number.isFinite(s.cost) && s.feasibility <= FEASIBLE_GAP ? s.cost : Infinity));
  const iterations = solutions.map((s) => s.iterations);
  const converged = solutions.map((s) => s.converged);
  const solveSeconds = solutions.map((s) => s.timings.totalMs / 1000);
  const convergedRate = converged.filter(Boolean).length / converged.length;
  return { perTask: { cost, iterations, converged, solveSeconds }, convergedRate, iterations: stats(iterations), solveSeconds: stats(solveSeconds) };
}

export async function evaluatePolicy(policy: EvaluatedPolicy, ctx: EvaluationContext): Promise<MethodResult> {
  const { task, instances } = ctx;
  const t0 = performance.now();
  policy.rollout([instances[0]], task.horizon);
  const rolloutSeconds = (performance.now() - t0) / 1000;
  const rollouts = policy.rollout(instances, task.horizon);
  // A diverged rollout failed: its cost is infinite (null in results.json), not the held state's.
  const policyCost = instances.map((instance, i) => (rollouts.diverged[i] ? Infinity : trajectoryCost(task.problem(instance), rollouts.xs[i], rollouts.us[i])));
  const refined = solveRecord(await Promise.all(
    instances.map((instance, i) => ctx.solver.solve(instance, { xs: rollouts.xs[i], us: rollouts.us[i] } satisfies InitialGuess)),
  ));
  const { cost: refinedCost, iterations, converged, solveSeconds } = refined.perTask;
  return {
    policyCost: stats(policyCost),
    refinedCost: stats(refinedCost),
    solverIterations: refined.iterations,
    refinedConvergedRate: refined.convergedRate,
    rolloutSeconds,
    solveSeconds: refined.solveSeconds,
    perTask: { policyCost, refinedCost, iterations, converged, solveSeconds, diverged: rollouts.diverged },
    rollouts,
  };
}

export async function evaluateSolverAlone(ctx: EvaluationContext): Promise<SolverAloneResult> {
  const solutions = await Promise.all(ctx.instances.map((instance) => ctx.solver.solve(instance)));
  const { perTask, convergedRate, iterations, solveSeconds } = solveRecord(solutions);
  return { cost: stats(perTask.cost), iterations, solveSeconds, convergedRate, perTask, solutions };
}
