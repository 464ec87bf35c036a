/**
 * The swing-ups the page shows, as plain functions that run the same in the page and in Node
 * (tests/web/ compares the two): a shipped Sob+Diff policy rolled out with Alg. 2 on one of
 * the main paper's swing-up tasks from a start angle, and its cost; and the solve job that
 * refines the rollout, as data (the same job the experiments send to their worker pool).
 * scripts/web-policy.ts trains the policies with the settings named here.
 */
import { Rng } from '../src/autodiff/index.js';
import { type DiffusionPolicy, decodePolicy } from '../src/diffusion/index.js';
import { type SolveJob, diffusionEvaluated } from '../src/learning/index.js';
import { trajectoryCost } from '../src/ocp/index.js';
import { type TaskInstance, taskByName } from '../src/tasks/index.js';

export interface SwingUp {
  /** The registered task. */
  task: string;
  title: string;
  /** The policy's files in web/policy/: NAME.safetensors and NAME.json (how it was made). */
  file: string;
  /** T_h of the chunks and T_a of the rollouts: the task's experiment's defaults. */
  horizon: number;
  actionsPerPlan: number;
  /** Training budget of the shipped policy: the experiment's default n_traj and epochs. */
  nTraj: number;
  epochs: number;
  /** Held-out tasks of the experiment's default evaluation (the note's numbers). */
  evalTasks: number;
  /** The start state at rest with the first joint at q0 (0 upright, pi hanging down), the others straight. */
  start(q0: number): number[];
}

export const SWING_UPS: Record<'pendulum' | 'double-pendulum', SwingUp> = {
  // src/experiments/pendulum.ts: T_h = 32, T_a = 9, n_traj 10 (its larger setting), 1000 epochs.
  pendulum: { task: 'pendulum', title: 'pendulum', file: 'pendulum-sob-diff', horizon: 32, actionsPerPlan: 9, nTraj: 10, epochs: 1000, evalTasks: 50, start: (q0) => [q0, 0] },
  // src/experiments/double-pendulum.ts: T_h = 16, T_a = 4, n_traj 10, 500 epochs (one collection, no Alg. 1 iterations here).
  'double-pendulum': {
    task: 'double-pendulum', title: 'double pendulum', file: 'double-pendulum-sob-diff', horizon: 16, actionsPerPlan: 4, nTraj: 10, epochs: 500, evalTasks: 20,
    start: (q0) => [q0, 0, 0, 0],
  },
};

/** The evaluation's rollout seed for seed 0 (src/experiments/runner: Rng(seed * 7919 + 99)). */
export const ROLLOUT_SEED = 99;

export function loadSwingPolicy(swing: SwingUp, bytes: Uint8Array): DiffusionPolicy {
  return decodePolicy(bytes, `${swing.file}.safetensors`);
}

export function startAt(swing: SwingUp, q0: number): TaskInstance {
  if (!Number.isFinite(q0)) throw new RangeError(`start angle must be a finite number, got ${q0}`);
  return { x0: swing.start(q0) };
}

export interface SwingRollout {
  xs: Float64Array[];
  us: Float64Array[];
  cost: number;
  diverged: boolean;
}

/** Alg. 2 from the start state for the task's horizon, and the OCP cost of what it did. */
export function policyRollout(swing: SwingUp, policy: DiffusionPolicy, q0: number): SwingRollout {
  const task = taskByName(swing.task);
  const instance = startAt(swing, q0);
  const evaluated = diffusionEvaluated('Sob+Diff', policy, task, { actionsPerPlan: swing.actionsPerPlan, rng: new Rng(ROLLOUT_SEED) });
  const r = evaluated.rollout([instance], task.horizon);
  const [xs, us, diverged] = [r.xs[0], r.us[0], r.diverged[0]];
  return { xs, us, diverged, cost: diverged ? Infinity : trajectoryCost(task.problem(instance), xs, us) };
}

/**
 * The solve that refines a rollout: the task's solver warm-started from it, or from the
 * task's cold guess where the rollout diverged (its states are no trajectory to start from).
 */
export function refineJob(swing: SwingUp, q0: number, rollout: SwingRollout): SolveJob {
  const job: SolveJob = { kind: 'solve', task: swing.task, instance: startAt(swing, q0) };
  return rollout.diverged ? job : { ...job, guess: { xs: rollout.xs, us: rollout.us } };
}

/** The robot's joints and tip in the plane of the figure (the task's skeleton). */
export function skeletonOf(swing: SwingUp): (x: readonly number[]) => [number, number][] {
  const skeleton = taskByName(swing.task).skeleton;
  if (skeleton === undefined) throw new RangeError(`task ${swing.task} draws no skeleton`);
  return skeleton;
}
