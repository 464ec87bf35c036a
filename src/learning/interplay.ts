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
  trajectories: number;
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

export async function interplay<M extends string>(options: InterplayOptions<M>): Promise<InterplayResult<M>> {
  const policies = new Map<M, EvaluatedPolicy>();
  const collections: Record<string, Collection> = {};
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    const buffers = new Map<M, SolvedTrajectory[]>();
    if (iteration === 0) {
      options.log?.(`iteration 1: collecting ${options.trajectories} trajectories (cold solves, shared by every method)`);
      const shared = await collectTrajectories(options.trajectories, options.solver, { sampleInstance: options.sampleInstance });
      collections['all/0'] = shared;
      for (const m of options.methods) buffers.set(m, shared.trajectories);
    } else {
      for (const m of options.methods) {
        options.checkpoint?.();
        options.log?.(`iteration ${iteration + 1}: collecting for ${m}, warm-started from its policy`);
        const c = await collectTrajectories(options.trajectories, options.solver, {
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
