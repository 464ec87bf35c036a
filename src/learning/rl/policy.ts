/**
 * A trained baseline as a deterministic controller, and its rollouts on held-out tasks through
 * the evaluation protocol of the other methods (learning/evaluate.ts: policy cost, then the
 * solver warm-started from the rollout).
 *
 * Deterministic means the distribution's centre: PPO's Gaussian mean clipped to [-1, 1], SAC's
 * tanh(mu) (SB3's `predict(deterministic=True)`), scaled onto the control box.
 */
import { type Tensor, tensor } from '../../autodiff/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import type { EvaluatedPolicy } from '../evaluate.js';
import { batchRollout, perTask } from '../policies.js';
import { actionScaling, discountedCost, taskObservation } from './env.js';

export interface RlPolicy {
  readonly algo: 'ppo' | 'sac';
  readonly obsDim: number;
  readonly actDim: number;
  /** The action box it was trained with where the task has no control bounds (env.ts: actionScaling). */
  readonly actionBound: number | null;
  /** Dynamics steps each action is held for (env.ts). */
  readonly actionRepeat: number;
  /** Deterministic actions in [-1, 1]^nu, [rows * actDim], for raw observations [rows * obsDim]. */
  act(obs: Float64Array, rows: number): Float64Array;
  /**
   * PPO's critic as a cost-to-go in the task's units, [rows], for raw observations: -V(s) with
   * the reward normalization undone (the value paper's Fig. 10 compares it with the true value).
   * It estimates the discounted (gamma) sum of stage costs, bootstrapped past the horizon.
   */
  costToGo?(obs: Float64Array, rows: number): Float64Array;
}

/** The policy in closed loop on a task, every instance of a batch at once (divergence-aware, as the MLP's), each action held for its actionRepeat steps. */
export function rlEvaluated(name: string, policy: RlPolicy, task: Task): EvaluatedPolicy {
  const observation = taskObservation(task);
  const scaling = actionScaling(task, policy.actionBound);
  const { nu } = task.dynamics;
  if (observation.dim !== policy.obsDim || nu !== policy.actDim) {
    throw new RangeError(`rlEvaluated: the ${policy.algo} policy maps ${policy.obsDim} observations to ${policy.actDim} actions; ${task.name} has ${observation.dim} and ${nu}`);
  }
  return {
    name,
    rollout: (instances, T) => batchRollout(task.dynamics, instances, (x0, step) => {
      const B = instances.length;
      let x: Tensor = x0;
      const xs: Tensor[] = [x];
      const us: Tensor[] = [];
      let u = tensor(new Array(B * nu).fill(0), [B, nu]);
      for (let t = 0; t < T; t++) {
        if (t % policy.actionRepeat === 0) {
          const obs = observation.observe(x.concrete().data as Float64Array, instances);
          u = tensor(scaling.control(policy.act(obs, B)), [B, nu]);
        }
        us.push(u);
        x = step(x, u);
        xs.push(x);
      }
      return { xs: perTask(xs, B), us: perTask(us, B) };
    }),
  };
}

/** The score J of the policy's rollout on each instance (Infinity where it diverged). */
export function policyCosts(policy: RlPolicy, task: Task, instances: readonly TaskInstance[], discount = 1): number[] {
  const rollout = rlEvaluated(policy.algo, policy, task).rollout(instances, task.horizon);
  return instances.map((instance, i) => (rollout.diverged[i] ? Infinity : discountedCost(task.problem(instance), rollout.xs[i], rollout.us[i], discount)));
}
