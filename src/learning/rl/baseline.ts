/**
 * The model-free baselines as the project's experiments run them: PPO or SAC on a task with
 * stable-baselines3's defaults (PPO_DEFAULTS, SAC_DEFAULTS) and the project's own choices on
 * top (budgets per task, SAC's widths, the decision period, the action box of a task without
 * bounds), its learning curve measured on the seed's held-out tasks. The RL experiment
 * (experiments/rl.ts) and the consensus comparison (consensus/compare.ts, the consensus
 * paper's Fig. 2-3) both train through `trainBaseline`, so the two report the same learners.
 *
 *   const run = trainBaseline('sac', task, { seed, heldOut: heldOutInstances(task, seed, 20) });
 */
import type { Task, TaskInstance } from '../../tasks/index.js';
import { PPO_DEFAULTS, trainPpo } from './ppo.js';
import { SAC_DEFAULTS, trainSac } from './sac.js';
import type { CurvePoint, RlRun } from './training.js';

export const BASELINE_ALGOS = ['ppo', 'sac'] as const;
export type BaselineAlgo = (typeof BASELINE_ALGOS)[number];

export function isBaselineAlgo(name: string): name is BaselineAlgo {
  return (BASELINE_ALGOS as readonly string[]).includes(name);
}

/**
 * Environment steps (decisions) per seed by default (ours): what fits the RL experiment's
 * 10-minute budget here with three seeds. For reference, SB3's SAC solves gym's Pendulum-v1 in
 * about 20k steps at 20 Hz; at the same rate (`decisionRepeat`) our swing-up, fully actuated,
 * takes about 4k.
 */
export const BASELINE_STEPS: Record<BaselineAlgo, Readonly<Record<string, number>>> = {
  sac: { pendulum: 6000, lqr: 6000, unicycle: 6000 },
  ppo: { pendulum: 100_000, lqr: 100_000, unicycle: 100_000 },
};

/** SAC's networks here (ours, for the time budget): 64-64 instead of SB3's 256-256 (SAC_DEFAULTS.hidden). PPO keeps SB3's 64-64. */
export const SAC_HIDDEN: readonly number[] = [64, 64];

/** The learner decides every 0.05 s (gym Pendulum-v1's rate; ours): each action is held for this many dynamics steps, at least 1. */
export const DECISION_PERIOD = 0.05;
export const decisionRepeat = (dt: number) => Math.max(1, Math.round(DECISION_PERIOD / dt));

/**
 * The action box [-b, b]^nu of a task without control bounds (ours: on the unicycle the
 * solver's controls reach 8.4 on sampled starts); ignored where the task has bounds.
 */
export const BASELINE_ACTION_BOUND = 10;

/** What a caller may set; an absent field, a 0 or an empty list takes the default. */
export interface BaselineOptions {
  seed: number;
  /** The seed's held-out tasks (evaluate.ts heldOutInstances): the learning curve is measured on them. */
  heldOut: readonly TaskInstance[];
  /** Environment steps (decisions); default BASELINE_STEPS of the algorithm and task. */
  steps?: number;
  /** Hidden widths; default PPO 64-64 (SB3), SAC SAC_HIDDEN. */
  hidden?: readonly number[];
  /** Dynamics steps per decision; default decisionRepeat(dt). */
  actionRepeat?: number;
  /** Environment steps between learning-curve points; default steps / 20. */
  evalEvery?: number;
  /** Adam's learning rate (SB3: 3e-4 for both). */
  learningRate?: number;
  /** PPO: steps per copy between updates (SB3 n_steps); ignored by SAC. */
  nSteps?: number;
  /** Environment copies stepped together (SB3 n_envs). */
  numEnvs?: number;
  /** gamma_env of the task's problem (1: the solver's OCP); below 1 it is the learner's gamma too (the value paper's discounted comparison). */
  discount?: number;
  /** The action box of a task without control bounds; default BASELINE_ACTION_BOUND. */
  actionBound?: number;
  /** At every curve point; may throw to stop the run (Ctrl-C). */
  onProgress?: (point: CurvePoint, totalSteps: number) => void;
}

/** The settings a baseline run resolves to. */
export interface BaselineProtocol {
  algo: BaselineAlgo;
  steps: number;
  evalEvery: number;
  actionRepeat: number;
  hidden: number[];
  learningRate: number;
  nSteps: number;
  numEnvs: number;
  discount: number;
  /** The box the learner acts in where the task has no control bounds; null where it has them. */
  actionBound: number | null;
}

const orDefault = (value: number | undefined, fallback: number) => (value === undefined || value === 0 ? fallback : value);

/** The default budget of `algo` on `task`, or a RangeError when it has none and none is given. */
export function baselineSteps(algo: BaselineAlgo, taskName: string, steps = 0): number {
  if (steps !== 0) return steps;
  const budget = BASELINE_STEPS[algo][taskName];
  if (budget === undefined) throw new RangeError(`${algo}: no default budget on ${taskName} (defaults: ${Object.keys(BASELINE_STEPS[algo]).join(', ')}); give the steps`);
  return budget;
}

/** The settings `trainBaseline` runs with; RangeError on an unknown algorithm or a missing budget. */
export function baselineProtocol(algo: string, task: Task, options: Omit<BaselineOptions, 'seed' | 'heldOut' | 'onProgress'> = {}): BaselineProtocol {
  if (!isBaselineAlgo(algo)) throw new RangeError(`baseline: "${algo}" is not one of ${BASELINE_ALGOS.join(', ')}`);
  const steps = baselineSteps(algo, task.name, options.steps);
  const defaults = algo === 'ppo' ? PPO_DEFAULTS : SAC_DEFAULTS;
  return {
    algo,
    steps,
    evalEvery: orDefault(options.evalEvery, Math.max(1, Math.floor(steps / 20))),
    actionRepeat: orDefault(options.actionRepeat, decisionRepeat(task.dynamics.dt)),
    hidden: [...(options.hidden !== undefined && options.hidden.length > 0 ? options.hidden : algo === 'sac' ? SAC_HIDDEN : PPO_DEFAULTS.hidden)],
    learningRate: options.learningRate ?? defaults.learningRate,
    nSteps: options.nSteps ?? PPO_DEFAULTS.nSteps,
    numEnvs: options.numEnvs ?? defaults.numEnvs,
    discount: options.discount ?? defaults.discount,
    actionBound: task.dynamics.controlBounds === null ? options.actionBound ?? BASELINE_ACTION_BOUND : null,
  };
}

/** Train PPO or SAC on `task` with the project's defaults (above), the learning curve on the held-out tasks. */
export function trainBaseline(algo: string, task: Task, options: BaselineOptions): RlRun {
  const p = baselineProtocol(algo, task, options);
  if (options.heldOut.length === 0) throw new RangeError('trainBaseline: give the held-out tasks the learning curve runs on');
  const run = {
    seed: options.seed, totalSteps: p.steps, numEnvs: p.numEnvs, discount: p.discount, actionBound: p.actionBound,
    actionRepeat: p.actionRepeat, evalEvery: p.evalEvery, evalInstances: options.heldOut.length, evalTasks: options.heldOut,
    hidden: p.hidden, learningRate: p.learningRate,
    // The value paper compares on a discounted problem: the learner's gamma is its discount.
    ...(p.discount < 1 ? { gamma: p.discount } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  return p.algo === 'ppo' ? trainPpo(task, { ...run, nSteps: p.nSteps }) : trainSac(task, run);
}
