/**
 * The interplay loop of the main paper's Alg. 1, for several methods at once: for n_algo
 * iterations, collect n_traj solved trajectories per method (the buffer is reset every
 * iteration), then train every method on its own buffer. The first iteration has no policy
 * yet, so its cold solves are shared by all methods (the fair comparison: the same data);
 * later iterations solve each task both cold and warm-started from the method's current
 * policy, keep the cheaper converged solution, and reject tasks where both fail
 * (collect.ts).
 */
import type { InitialGuess } from '../ocp/index.js';
import type { TaskInstance } from '../tasks/index.js';
import { type Collection, type SolvedTrajectory, type TrajectorySolver, collectTrajectories } from './collect.js';
import type { EvaluatedPolicy } from './evaluate.js';

export interface InterplayOptions<M extends string> {
  methods: readonly M[];
  iterations: number;
  /** n_traj, the same at every iteration, or per iteration (from 0; see `growingTrajectories`). */
  trajectories: number | ((iteration: number) => number);
  /** The task horizon T (policy rollouts for warm starts). */
  T: number;
  solver: TrajectorySolver;
  sampleInstance: () => TaskInstance;
  /** Train every method on its buffer (concurrently if it likes); returns the policies in order. */
  train: (buffers: Map<M, SolvedTrajectory[]>, iteration: number) => Promise<EvaluatedPolicy[]>;
  /** Called after every iteration's training (to evaluate the policies, say). */
  afterIteration?: (iteration: number, policies: ReadonlyMap<M, EvaluatedPolicy>) => Promise<void>;
  /** Called between steps; throw to stop (Ctrl-C). */
  checkpoint?: () => void;
  log?: (message: string) => void;
}

export interface InterplayResult<M extends string> {
  policies: Map<M, EvaluatedPolicy>;
  /** Per "method/iteration" (or "all/0" for the shared first collection). */
  collections: Record<string, Collection>;
}

function warmStarts(policy: EvaluatedPolicy, T: number) {
  return (instances: TaskInstance[]): InitialGuess[] => {
    const r = policy.rollout(instances, T);
    return instances.map((_, i) => ({ xs: r.xs[i], us: r.us[i] }));
  };
}

/**
 * n_traj growing linearly from `first` at iteration 0 to `last` at iteration `iterations - 1`,
 * rounded to integers (the main paper's 9-column quadrotor: "n_traj gradually increase at each
 * iteration, from 30 to 100", over n_algo = 5: 30, 48, 65, 83, 100). As the policy improves,
 * fewer solves are rejected and trajectories get cheaper to collect (sec. 4.1).
 */
export function growingTrajectories(first: number, last: number, iterations: number): (iteration: number) => number {
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last < 1) throw new RangeError(`growingTrajectories: n_traj must be positive integers, got ${first} and ${last}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`growingTrajectories: iterations must be a positive integer, got ${iterations}`);
  return (iteration) => {
    if (!Number.isInteger(iteration) || iteration < 0 || iteration >= iterations) throw new RangeError(`growingTrajectories: iteration ${iteration} is outside 0 .. ${iterations - 1}`);
    return iterations === 1 ? first : Math.round(first + ((last - first) * iteration) / (iterations - 1));
  };
}

export async function interplay<M extends string>(options: InterplayOptions<M>): Promise<InterplayResult<M>> {
  const policies = new Map<M, EvaluatedPolicy>();
  const collections: Record<string, Collection> = {};
  const schedule = options.trajectories;
  const count = (iteration: number) => (typeof schedule === 'number' ? schedule : schedule(iteration));
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    const buffers = new Map<M, SolvedTrajectory[]>();
    const n = count(iteration);
    if (iteration === 0) {
      options.log?.(`iteration 1: collecting ${n} trajectories (cold solves, shared by every method)`);
      const shared = await collectTrajectories(n, options.solver, { sampleInstance: options.sampleInstance });
      collections['all/0'] = shared;
      for (const m of options.methods) buffers.set(m, shared.trajectories);
    } else {
      for (const m of options.methods) {
        options.checkpoint?.();
        options.log?.(`iteration ${iteration + 1}: collecting ${n} trajectories for ${m}, warm-started from its policy`);
        const c = await collectTrajectories(n, options.solver, {
          sampleInstance: options.sampleInstance,
          warmGuess: warmStarts(policies.get(m)!, options.T),
        });
        collections[`${m}/${iteration}`] = c;
        buffers.set(m, c.trajectories);
      }
    }
    options.checkpoint?.();
    const trained = await options.train(buffers, iteration);
    options.methods.forEach((m, i) => policies.set(m, trained[i]));
    await options.afterIteration?.(iteration, policies);
  }
  return { policies, collections };
}
