/**
 * The swing-up the page shows, as plain functions that run the same in the page and in Node
 * (tests/web/ compares the two): the shipped Sob+Diff policy rolled out with Alg. 2 on the
 * main job's pendulum task from a start angle, and its cost; and the solve job that refines
 * the rollout, as data (the same job the experiments send to their worker pool).
 */
import { Rng } from '../src/autodiff/index.js';
import { type DiffusionPolicy, decodePolicy } from '../src/diffusion/index.js';
import { type SolveJob, diffusionEvaluated } from '../src/learning/index.js';
import { trajectoryCost } from '../src/ocp/index.js';
import { type TaskInstance, taskByName } from '../src/tasks/index.js';

export const SWING_TASK = 'pendulum';
/** T_a of the main job's rollouts, which the policy was trained and evaluated for. */
export const ACTIONS_PER_PLAN = 9;
/** The evaluation's rollout seed for seed 0 (src/experiments/runner: Rng(seed * 7919 + 99)). */
export const ROLLOUT_SEED = 99;

export function loadSwingPolicy(bytes: Uint8Array): DiffusionPolicy {
  return decodePolicy(bytes, 'pendulum-sob-diff.safetensors');
}

/** At rest at angle q0 (0 upright, pi hanging down). */
export function startAt(q0: number): TaskInstance {
  if (!Number.isFinite(q0)) throw new RangeError(`start angle must be a finite number, got ${q0}`);
  return { x0: [q0, 0] };
}

export interface SwingRollout {
  xs: Float64Array[];
  us: Float64Array[];
  cost: number;
  diverged: boolean;
}

/** Alg. 2 from (q0, 0) for the task's horizon, and the OCP cost of what it did. */
export function policyRollout(policy: DiffusionPolicy, q0: number): SwingRollout {
  const task = taskByName(SWING_TASK);
  const instance = startAt(q0);
  const evaluated = diffusionEvaluated('Sob+Diff', policy, task, { actionsPerPlan: ACTIONS_PER_PLAN, rng: new Rng(ROLLOUT_SEED) });
  const r = evaluated.rollout([instance], task.horizon);
  const [xs, us, diverged] = [r.xs[0], r.us[0], r.diverged[0]];
  return { xs, us, diverged, cost: diverged ? Infinity : trajectoryCost(task.problem(instance), xs, us) };
}

/** The solve that refines a rollout: the task's solver warm-started from it. */
export function refineJob(q0: number, rollout: SwingRollout): SolveJob {
  return { kind: 'solve', task: SWING_TASK, instance: startAt(q0), guess: { xs: rollout.xs, us: rollout.us } };
}
