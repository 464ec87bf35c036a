/**
 * The two policy families as `EvaluatedPolicy`s on a discrete dynamical system: the MLP in
 * closed loop (u_t = pi(x_t), every task of the batch at once) and the diffusion policy with
 * Alg. 2 (diffusion/rollout.ts). Both apply their controls to the compiled dynamics.
 */
import { ConcreteTensor, type DType, type Rng, type Tensor, tensor } from '../autodiff/index.js';
import { type DiffusionPolicy, rollout } from '../diffusion/index.js';
import { type DiscreteDynamics, NonFiniteResultError } from '../dynamics/index.js';
import type { Task, TaskInstance } from '../tasks/index.js';
import type { EvaluatedPolicy, PolicyRollout } from './evaluate.js';
import { type MlpPolicy, mlpAction, mlpDtype } from './mlp-policy.js';

/** The largest finite float32: a float32 policy reads any state beyond it as infinity. */
export const FLOAT32_LIMIT = 3.4028234663852886e38;

/**
 * Batched steps of the compiled dynamics, x [B, nx], u [B, nu] -> [B, nx], that stop a task
 * whose state blows up: a policy can drive a system until its step is no longer finite (an
 * MLP spinning the double pendulum faster every step, say). Such a task is marked in
 * `diverged` and keeps its last finite state from then on, so the rest of the batch rolls on;
 * the evaluation counts its cost as infinite rather than reading the held state as a result.
 *
 * A state beyond `stateLimit` in magnitude counts as blown up too: a float32 policy
 * (FLOAT32_LIMIT) would read it as infinity and answer NaN, which the next step would reject
 * as a non-finite control, though the float64 state is still finite for a step or two more.
 */
export function divergenceAwareStep(dynamics: DiscreteDynamics, diverged: boolean[], stateLimit = Infinity) {
  return (x: Tensor, u: Tensor): ConcreteTensor => {
    const B = x.shape[0];
    const { nx, nu } = dynamics;
    const xs = x.concrete().data;
    const us = u.concrete().data;
    const out = new Float64Array(B * nx);
    const next = new Float64Array(nx);
    for (let b = 0; b < B; b++) {
      const state = xs.subarray(b * nx, (b + 1) * nx);
      if (!diverged[b]) {
        try {
          dynamics.step(state, us.subarray(b * nu, (b + 1) * nu), next);
          if (stateLimit === Infinity || next.every((v) => Math.abs(v) <= stateLimit)) {
            out.set(next, b * nx);
            continue;
          }
          diverged[b] = true;
        } catch (error) {
          if (!(error instanceof NonFiniteResultError)) throw error;
          diverged[b] = true;
        }
      }
      out.set(state, b * nx);
    }
    return new ConcreteTensor(out, [B, nx]);
  };
}

/** Per-task arrays of a batch's time series, from one [B, n] tensor per time step. */
export function perTask(sequence: readonly Tensor[], B: number): Float64Array[][] {
  const tasks: Float64Array[][] = Array.from({ length: B }, () => []);
  for (const t of sequence) {
    const n = t.shape[1];
    const d = t.concrete().data;
    for (let b = 0; b < B; b++) tasks[b].push(Float64Array.from(d.subarray(b * n, (b + 1) * n)));
  }
  return tasks;
}

/** Per-task arrays of a batch's time series, from one [B, steps, n] tensor. */
function perTaskFromBatch(x: Tensor): Float64Array[][] {
  const [B, steps, n] = x.shape;
  const d = x.concrete().data;
  return Array.from({ length: B }, (_, b) => Array.from({ length: steps }, (_, t) => Float64Array.from(d.subarray((b * steps + t) * n, (b * steps + t + 1) * n))));
}

export type Step = (x: Tensor, u: Tensor) => Tensor;

/**
 * A batch of closed-loop rollouts: `simulate` drives the divergence-aware dynamics from the
 * instances' start states; `policyDtype` is the dtype the policy computes in (its states'
 * limit, see divergenceAwareStep).
 */
export function batchRollout(
  dynamics: DiscreteDynamics, instances: readonly TaskInstance[], simulate: (x0: Tensor, step: Step) => { xs: Float64Array[][]; us: Float64Array[][] },
  policyDtype: DType = 'float64',
): PolicyRollout {
  const diverged = new Array<boolean>(instances.length).fill(false);
  const x0 = tensor(instances.flatMap((instance) => instance.x0), [instances.length, dynamics.nx]);
  return { ...simulate(x0, divergenceAwareStep(dynamics, diverged, policyDtype === 'float32' ? FLOAT32_LIMIT : Infinity)), diverged };
}

/** The MLP in closed loop; `condition` (Task.condition) gives each instance's task parameters where the policy takes them. */
export function mlpEvaluated(name: string, policy: MlpPolicy, dynamics: DiscreteDynamics, condition?: (instance: TaskInstance) => number[]): EvaluatedPolicy {
  return {
    name,
    rollout: (instances, T) => batchRollout(dynamics, instances, (x0, step) => {
      const nc = policy.config.conditionDim ?? 0;
      if (nc > 0 && condition === undefined) throw new RangeError(`${name}: the policy takes ${nc} task parameters and the task gives none`);
      const c = nc > 0 ? tensor(instances.flatMap((instance) => condition!(instance)), [instances.length, nc]) : undefined;
      let x = x0;
      const xs: Tensor[] = [x];
      const us: Tensor[] = [];
      for (let t = 0; t < T; t++) {
        const u = mlpAction(policy, policy.params, x, c).concrete();
        us.push(u);
        x = step(x, u);
        xs.push(x);
      }
      return { xs: perTask(xs, instances.length), us: perTask(us, instances.length) };
    }, mlpDtype(policy.config)),
  };
}

export interface DiffusionRolloutOptions {
  /** T_a */
  actionsPerPlan: number;
  /** K_rollout (<= K) */
  kRollout?: number;
  rng: Rng;
}

/** Alg. 2 on a task: its dynamics, its action representation (torques, or planned states and their inverse step) and its observation. */
export function diffusionEvaluated(name: string, policy: DiffusionPolicy, task: Task, options: DiffusionRolloutOptions): EvaluatedPolicy {
  const { dynamics, action, observe } = task;
  const stateActions = action.kind === 'state' ? { inverse: action.inverse, encode: action.encode } : {};
  return {
    name,
    rollout: (instances, T) => batchRollout(dynamics, instances, (x0, step) => {
      // The instances' task parameters [B, nTask] where the task conditions on them (Task.condition), as in training.
      const rows = task.condition === undefined ? undefined : instances.map((instance) => task.condition!(instance));
      const taskParams = rows === undefined ? undefined : tensor(rows.flat(), [rows.length, rows[0]?.length ?? 0]);
      const result = rollout(policy, { step, observe, ...stateActions }, x0, taskParams, options.rng, {
        T,
        actionsPerPlan: options.actionsPerPlan,
        actionKind: action.kind,
        kRollout: options.kRollout,
      });
      return { xs: perTaskFromBatch(result.xs), us: perTaskFromBatch(result.us) };
    }),
  };
}
