/**
 * The inverted double pendulum of the main paper (section 4.4, Fig. 2 and Table 2c): Alg. 1
 * over several iterations, each collecting new trajectories warm-started from the current
 * policies, with the four methods evaluated after every iteration (Fig. 2a), the solver's
 * iterations cold and warm (Fig. 2b), and Sob+Diff's trade-off between the action length
 * T_a and the time to a refined solution (Table 2c). The task is src/tasks/double-pendulum.ts.
 *
 * The paper's protocol (--full): T_h = 16, T_a = 4 in Alg. 1's rollouts, n_traj = 30,
 * n_pl = 3000 epochs, n_algo = 5, 5 seeds, 50 held-out tasks, evaluation at T_a in
 * {1, 2, 4, 6, 9, 12, 15}. The default shrinks n_traj, n_pl, n_algo and the held-out tasks
 * to fit about a quarter of an hour on two cores (README).
 *
 *   npx tsx src/experiments/double-pendulum.ts [--full | --quick] [--help] [flags]
 */
import { METHODS } from '../learning/methods.js';
import type { ExperimentSpec } from './runner/config.js';
import { runIfMain } from './runner/runner.js';

const PAPER_ACTION_LENGTHS = [1, 2, 4, 6, 9, 12, 15];

export const DOUBLE_PENDULUM_EXPERIMENT: ExperimentSpec = {
  name: 'double-pendulum',
  task: 'double-pendulum',
  about: `The main paper's double-pendulum experiment (Fig. 2, Table 2c): Alg. 1 over n_algo iterations,
Sob+Diff, Diff, MLP and Sob+MLP evaluated after each, alone and as solver warm starts on
held-out tasks, against the solver alone; Sob+Diff and Diff at several T_a.`,
  defaults: {
    seeds: [0],
    nTraj: [10],
    epochs: [500],
    methods: [...METHODS],
    nAlgo: 4,
    evalTasks: 20,
    horizon: 16,
    historyLength: 1,
    actionsPerPlan: 4,
    evalActionsPerPlan: [1, 4, 9, 15],
    evalEveryIteration: true,
    diffusionSteps: 5,
    alphaSob: 1,
    diffusionBatch: 64,
    maxIterations: 1000,
  },
  full: { seeds: [0, 1, 2, 3, 4], nTraj: [30], epochs: [3000], nAlgo: 5, evalTasks: 50, evalActionsPerPlan: PAPER_ACTION_LENGTHS },
  quick: { nTraj: [4], epochs: [50], nAlgo: 2, evalTasks: 5, evalActionsPerPlan: [4] },
};

runIfMain(DOUBLE_PENDULUM_EXPERIMENT, import.meta.url);
