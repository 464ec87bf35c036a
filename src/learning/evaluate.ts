/**
 * The evaluation protocol of the main paper: on held-out tasks, run each policy alone and
 * record its cost J; then give its rollout to the solver as a warm start and record the
 * refined cost and the solver's iterations; compare with the solver alone from the cold
 * interpolation guess ("TO alone"). Solves go through the same `TrajectorySolver` as
 * collection (the worker pool in the experiment).
 */
import type { InitialGuess, OcpSolution } from '../ocp/index.js';
import type { TrajectorySolver } from './collect.js';

/** Closed-loop trajectories of a policy from a batch of start states. */
export interface PolicyRollout {
  xs: Float64Array[][];
  us: Float64Array[][];
}

export interface EvaluatedPolicy {
  name: string;
  /** Roll out from every start, T controls each (batched where the policy allows). */
  rollout(starts: readonly Float64Array[], T: number): PolicyRollout;
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
  perTask: { policyCost: number[]; refinedCost: number[]; iterations: number[]; converged: boolean[] };
  /** The rollouts themselves, for plots. */
  rollouts: PolicyRollout;
}

export interface SolverAloneResult {
  cost: Stats;
  iterations: Stats;
  convergedRate: number;
  perTask: { cost: number[]; iterations: number[]; converged: boolean[] };
  solutions: OcpSolution[];
}

export interface EvaluationContext {
  starts: readonly Float64Array[];
  T: number;
  solver: TrajectorySolver;
  /** The task's total cost of a trajectory from start `i`. */
  cost(i: number, xs: readonly ArrayLike<number>[], us: readonly ArrayLike<number>[]): number;
}

export async function evaluatePolicy(policy: EvaluatedPolicy, ctx: EvaluationContext): Promise<MethodResult> {
  const t0 = performance.now();
  policy.rollout([ctx.starts[0]], ctx.T);
  const rolloutSeconds = (performance.now() - t0) / 1000;
  const rollouts = policy.rollout(ctx.starts, ctx.T);
  const policyCost = ctx.starts.map((_, i) => ctx.cost(i, rollouts.xs[i], rollouts.us[i]));
  const refined = await Promise.all(
    ctx.starts.map((x0, i) => ctx.solver.solve(x0, { xs: rollouts.xs[i], us: rollouts.us[i] } satisfies InitialGuess)),
  );
  const refinedCost = refined.map((s) => s.cost);
  const iterations = refined.map((s) => s.iterations);
  const converged = refined.map((s) => s.converged);
  return {
    policyCost: stats(policyCost),
    refinedCost: stats(refinedCost),
    solverIterations: stats(iterations),
    refinedConvergedRate: converged.filter(Boolean).length / converged.length,
    rolloutSeconds,
    perTask: { policyCost, refinedCost, iterations, converged },
    rollouts,
  };
}

export async function evaluateSolverAlone(ctx: EvaluationContext): Promise<SolverAloneResult> {
  const solutions = await Promise.all(ctx.starts.map((x0) => ctx.solver.solve(x0)));
  const cost = solutions.map((s) => s.cost);
  const iterations = solutions.map((s) => s.iterations);
  const converged = solutions.map((s) => s.converged);
  return {
    cost: stats(cost),
    iterations: stats(iterations),
    convergedRate: converged.filter(Boolean).length / converged.length,
    perTask: { cost, iterations, converged },
    solutions,
  };
}
