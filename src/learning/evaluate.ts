/**
 * The evaluation protocol of the main paper: on held-out tasks, run each policy alone and
 * record its cost J; then give its rollout to the solver as a warm start and record the
 * refined cost and the solver's iterations; compare with the solver alone from the cold
 * interpolation guess ("TO alone"). Solves go through the same `TrajectorySolver` as
 * collection (the worker pool in the experiment).
 */
import { Rng } from '../autodiff/index.js';
import { type InitialGuess, type OcpSolution, constraintViolation, defaultConstrainedOptions, trajectoryCost } from '../ocp/index.js';
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

/**
 * What a constrained or goal-reaching task adds to a set of trajectories (the main paper,
 * sec. 4.5: on a constrained OCP the cost alone hides how far a trajectory is from feasible):
 * each one's largest constraint violation (ocp/solve.ts constraintViolation; infinite for a
 * diverged rollout or a non-finite solve) and its final distance to the goal (Task.goalDistance).
 */
export interface ConstraintRecord {
  violation: Stats;
  /** The largest violation over the instances. */
  maxViolation: number;
  finalDistance: Stats;
  /** Share of trajectories that violate a constraint by more than the task's tolerance, or diverged. */
  violatedRate: number;
  perTask: { violation: number[]; finalDistance: number[] };
}

/** The violation above which a trajectory counts as violating: the task solver's own stop (constraintTolerance). */
export function violationTolerance(task: Task): number {
  return task.solverOptions.constraintTolerance ?? defaultConstrainedOptions.constraintTolerance;
}

/** Whether evaluations of `task` carry ConstraintRecords: it has general constraints (the constrained solver) or a goal distance. */
export function reportsConstraints(task: Task): boolean {
  return task.solver === 'constrained' || task.goalDistance !== undefined;
}

/** The ConstraintRecord of trajectories of `task` on `instances` (`failed[i]`: a diverged rollout or a non-finite solve). */
export function constraintRecord(
  task: Task, instances: readonly TaskInstance[], xs: readonly (readonly ArrayLike<number>[])[], us: readonly (readonly ArrayLike<number>[])[], failed: readonly boolean[],
): ConstraintRecord {
  const tolerance = violationTolerance(task);
  const violation = instances.map((instance, i) => (failed[i] ? Infinity : constraintViolation(task.problem(instance), xs[i], us[i])));
  const finalDistance = instances.map((instance, i) => {
    if (task.goalDistance === undefined) return NaN;
    return failed[i] ? Infinity : task.goalDistance(instance, Array.from(xs[i][xs[i].length - 1]));
  });
  return {
    violation: stats(violation),
    maxViolation: Math.max(...violation),
    finalDistance: stats(finalDistance),
    violatedRate: violation.filter((v) => !(v <= tolerance)).length / violation.length,
    perTask: { violation, finalDistance },
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
  /** The states of the refined (warm-started) solutions, per task, for plots. */
  refinedXs: Float64Array[][];
  /** Constrained or goal-reaching tasks only (reportsConstraints): the policy's rollouts and the refined solutions. */
  constraints?: {
    policy: ConstraintRecord;
    refined: ConstraintRecord;
    /** Share of the policy's decoded controls that met an actuator bound (StateActions.saturation), where the task counts them. */
    saturatedDecodes?: number;
  };
}

export interface SolverAloneResult {
  cost: Stats;
  iterations: Stats;
  /** Seconds per solve (the solver's own clock, on a worker). */
  solveSeconds: Stats;
  convergedRate: number;
  perTask: { cost: number[]; iterations: number[]; converged: boolean[]; solveSeconds: number[] };
  solutions: OcpSolution[];
  /** Constrained or goal-reaching tasks only (reportsConstraints). */
  constraints?: ConstraintRecord;
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

/**
 * The held-out tasks of a seed: `count` draws from Rng(1_000_003 + seed), a stream apart from
 * the training draws of Rng(seed), so a run's held-out tasks can be regenerated from its seed.
 */
export function heldOutInstances(task: Task, seed: number, count: number): TaskInstance[] {
  const rng = new Rng(1_000_003 + seed);
  return Array.from({ length: count }, () => task.sampleInstance(rng));
}

export async function evaluatePolicy(policy: EvaluatedPolicy, ctx: EvaluationContext): Promise<MethodResult> {
  const { task, instances } = ctx;
  const t0 = performance.now();
  policy.rollout([instances[0]], task.horizon);
  const rolloutSeconds = (performance.now() - t0) / 1000;
  const { action } = task;
  if (action.kind === 'state') action.resetSaturation?.();
  const rollouts = policy.rollout(instances, task.horizon);
  const saturation = action.kind === 'state' ? action.saturation?.() : undefined;
  // A diverged rollout failed: its cost is infinite (null in results.json), not the held state's.
  const policyCost = instances.map((instance, i) => (rollouts.diverged[i] ? Infinity : trajectoryCost(task.problem(instance), rollouts.xs[i], rollouts.us[i])));
  const refinedSolutions = await Promise.all(
    instances.map((instance, i) => ctx.solver.solve(instance, { xs: rollouts.xs[i], us: rollouts.us[i] } satisfies InitialGuess)),
  );
  const refined = solveRecord(refinedSolutions);
  const { cost: refinedCost, iterations, converged, solveSeconds } = refined.perTask;
  const constraints = reportsConstraints(task) ? {
    constraints: {
      policy: constraintRecord(task, instances, rollouts.xs, rollouts.us, rollouts.diverged),
      refined: solutionsRecord(task, instances, refinedSolutions),
      ...(saturation ? { saturatedDecodes: saturation.decoded > 0 ? saturation.saturated / saturation.decoded : 0 } : {}),
    },
  } : {};
  return {
    policyCost: stats(policyCost),
    refinedCost: stats(refinedCost),
    solverIterations: refined.iterations,
    refinedConvergedRate: refined.convergedRate,
    rolloutSeconds,
    solveSeconds: refined.solveSeconds,
    perTask: { policyCost, refinedCost, iterations, converged, solveSeconds, diverged: rollouts.diverged },
    rollouts,
    refinedXs: refinedSolutions.map((s) => s.xs),
    ...constraints,
  };
}

/** The ConstraintRecord of solver solutions (a non-finite one counts as failed). */
function solutionsRecord(task: Task, instances: readonly TaskInstance[], solutions: readonly OcpSolution[]): ConstraintRecord {
  return constraintRecord(task, instances, solutions.map((s) => s.xs), solutions.map((s) => s.us), solutions.map((s) => !Number.isFinite(s.cost)));
}

export async function evaluateSolverAlone(ctx: EvaluationContext): Promise<SolverAloneResult> {
  const solutions = await Promise.all(ctx.instances.map((instance) => ctx.solver.solve(instance)));
  const { perTask, convergedRate, iterations, solveSeconds } = solveRecord(solutions);
  const constraints = reportsConstraints(ctx.task) ? { constraints: solutionsRecord(ctx.task, ctx.instances, solutions) } : {};
  return { cost: stats(perTask.cost), iterations, solveSeconds, convergedRate, perTask, solutions, ...constraints };
}
