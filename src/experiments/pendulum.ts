/**
 * The main job: the inverted-pendulum experiment of the main paper (section 4.4, Fig. 1).
 * Solver trajectories (with their gains) train four policies, Sob+Diff, Diff, MLP and
 * Sob+MLP; each is evaluated alone and as a warm start for the solver on held-out tasks,
 * against the solver alone (TO alone). The task is src/tasks/pendulum.ts, the protocol the
 * shared runner (runner/runner.ts); this file holds only the experiment's defaults.
 *
 * T_a = 9 by default: the paper's pendulum rollout executes 9 actions per plan (T = 200 in 23
 * plans, DESIGN section 5). Measured on the default run's Sob+Diff policy (n_traj = 3): mean
 * cost 36.7 with T_a = 31, 32.5 with 16, 31.8 with 9, 31.6 with 4, against 30.1 for the
 * solver; Diff stays near 76 whatever T_a (its plans themselves are wrong, not their length).
 *
 *   npx tsx src/experiments/pendulum.ts [--full | --quick] [--help] [flags]
 */
import { METHODS } from '../learning/methods.js';
import type { ExperimentSpec } from './runner/config.js';
import { runIfMain } from './runner/runner.js';

export const PENDULUM_EXPERIMENT: ExperimentSpec = {
  name: 'pendulum',
  task: 'pendulum',
  about: `The main paper's pendulum experiment (Fig. 1): Sob+Diff, Diff, MLP and Sob+MLP trained on
solver trajectories, evaluated alone and as solver warm starts on held-out tasks, against
the solver alone.`,
  defaults: {
    seeds: [0],
    nTraj: [3, 10],
    epochs: [1000],
    methods: [...METHODS],
    nAlgo: 1,
    evalTasks: 50,
    horizon: 32,
    historyLength: 1,
    actionsPerPlan: 9,
    evalActionsPerPlan: [],
    evalEveryIteration: false,
    diffusionSteps: 5,
    alphaSob: 1,
    diffusionBatch: 64,
    maxIterations: 1000,
  },
  full: { nTraj: [3, 5, 10, 20, 50], seeds: [0, 1, 2, 3, 4], epochs: [1000, 2000] },
  quick: { nTraj: [3], epochs: [100], evalTasks: 10 },
};

runIfMain(PENDULUM_EXPERIMENT, import.meta.url);
