/**
 * The value paper's comparison with PPO (sec. IV-D, Fig. 10): PPO's critic, read as a
 * cost-to-go in the task's units (rl/policy.ts: costToGo), on the states where the ground
 * truth is known, and the errors of any value estimate against that truth. PPO's critic
 * estimates the discounted cost of PPO's own (stochastic) policy, so it can only be compared
 * with the discounted ground truth of the same gamma.
 */
import type { Task } from '../../tasks/index.js';
import type { RlPolicy } from '../rl/policy.js';
import { taskObservation } from '../rl/env.js';

/** PPO's critic as a cost-to-go at each of `states` (rows of nx). */
export function criticValues(policy: RlPolicy, task: Task, states: readonly (readonly number[])[]): Float64Array {
  if (policy.costToGo === undefined) throw new RangeError(`criticValues: the ${policy.algo} policy has no critic of states (costToGo)`);
  const observation = taskObservation(task);
  if (observation.dim !== policy.obsDim) throw new RangeError(`criticValues: the policy observes ${policy.obsDim} numbers, ${task.name} gives ${observation.dim}`);
  const { nx } = task.dynamics;
  for (const s of states) if (s.length !== nx) throw new RangeError(`criticValues: a state of ${s.length} entries, nx = ${nx}`);
  const obs = observation.observe(Float64Array.from(states.flat()), states.map((s) => ({ x0: [...s] })));
  return policy.costToGo(obs, states.length);
}

export interface ValueErrorSummary {
  /** Mean squared error, and divided by the truth's mean square. */
  mse: number;
  relativeMse: number;
  /** Mean of (estimate - truth): positive when the estimate overestimates the cost. */
  bias: number;
  /** Fraction of the states where the estimate is above the truth. */
  above: number;
}

export function valueErrorSummary(estimate: ArrayLike<number>, truth: ArrayLike<number>): ValueErrorSummary {
  const n = truth.length;
  if (estimate.length !== n || n === 0) throw new RangeError(`valueErrorSummary: ${estimate.length} estimates for ${n} true values`);
  let se = 0;
  let bias = 0;
  let above = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const d = estimate[i]! - truth[i]!;
    if (!Number.isFinite(d)) throw new RangeError(`valueErrorSummary: a non-finite difference at state ${i}`);
    se += d * d;
    bias += d;
    if (d > 0) above++;
    scale += truth[i]! * truth[i]!;
  }
  return { mse: se / n, relativeMse: scale > 0 ? se / scale : Number.NaN, bias: bias / n, above: above / n };
}
