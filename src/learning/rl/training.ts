/**
 * What PPO and SAC share around their updates: the options every run takes, the streams of
 * randomness a seed fixes, and the learning curve (the deterministic policy's mean score J on a
 * fixed set of instances every `evalEvery` environment steps, against steps and simulator calls).
 */
import { Rng } from '../../autodiff/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import { stats } from '../evaluate.js';
import { type RlPolicy, policyCosts } from './policy.js';

export interface RunOptions {
  seed: number;
  /** Environment steps (decisions) of the whole run, all copies together: SB3's total_timesteps. */
  totalSteps: number;
  /** Copies of the environment stepped together (SB3's n_envs). */
  numEnvs: number;
  /** gamma_env of the task's problem (1: the OCP as the solver sees it). */
  discount: number;
  /** The action box [-b, b]^nu of a task without control bounds (null: none; SAC needs one there). */
  actionBound: number | null;
  /** Dynamics steps each action is held for (env.ts); 1: every step decides. */
  actionRepeat: number;
  /** Environment steps between two points of the learning curve. */
  evalEvery: number;
  /** Instances the curve evaluates on (fixed for the run, drawn from the seed)... */
  evalInstances: number;
  /** ...or these (an experiment's held-out tasks, so that the curve ends at the final evaluation's cost). */
  evalTasks?: readonly TaskInstance[];
  /** Called at every curve point; may throw to stop the run (the harness's Ctrl-C). */
  onProgress?: (point: CurvePoint, totalSteps: number) => void;
}

export const RUN_DEFAULTS: Omit<RunOptions, 'seed' | 'totalSteps'> = { numEnvs: 1, discount: 1, actionBound: null, actionRepeat: 1, evalEvery: 2000, evalInstances: 10 };

export interface CurvePoint {
  steps: number;
  simulatorCalls: number;
  /** Mean and median score J of the deterministic policy on the curve's instances. */
  evalCost: number;
  evalCostMedian: number;
  /** Mean score of the training episodes finished since the previous point (exploring), or null. */
  trainCost: number | null;
  seconds: number;
}

/** What a training run returns. */
export interface RlRun {
  algo: 'ppo' | 'sac';
  policy: RlPolicy;
  curve: CurvePoint[];
  steps: number;
  simulatorCalls: number;
  /** Gradient updates taken (minibatches). */
  updates: number;
  seconds: number;
}

/** The independent streams of one seed: initialization, instances, exploration noise, minibatches, curve instances. */
export function seedStreams(seed: number): { init: Rng; env: Rng; noise: Rng; batches: Rng; evaluation: Rng } {
  const root = new Rng(seed);
  return { init: root.split(), env: root.split(), noise: root.split(), batches: root.split(), evaluation: root.split() };
}

export function checkRunOptions(name: string, o: RunOptions): void {
  for (const key of ['totalSteps', 'numEnvs', 'evalEvery', 'evalInstances'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`${name}: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (!Number.isFinite(o.seed)) throw new RangeError(`${name}: seed must be a finite number, got ${o.seed}`);
}

export class LearningCurve {
  readonly points: CurvePoint[] = [];
  private readonly instances: TaskInstance[];
  private pending: number[] = [];
  private next = 0;
  private readonly t0 = performance.now();

  constructor(private readonly task: Task, private readonly options: RunOptions, rng: Rng) {
    this.instances = options.evalTasks !== undefined ? [...options.evalTasks] : Array.from({ length: options.evalInstances }, () => task.sampleInstance(rng));
    if (this.instances.length === 0) throw new RangeError('LearningCurve: no instances to evaluate on');
  }

  /** Training episodes' scores as they finish. */
  episodes(costs: readonly number[]): void {
    this.pending.push(...costs);
  }

  /** Record a point if `steps` reached the next one (and at step 0). */
  maybeRecord(steps: number, simulatorCalls: number, policy: RlPolicy): void {
    if (steps < this.next) return;
    const costs = policyCosts(policy, this.task, this.instances, this.options.discount);
    const s = stats(costs);
    const point: CurvePoint = {
      steps,
      simulatorCalls,
      evalCost: s.mean,
      evalCostMedian: s.median,
      trainCost: this.pending.length === 0 ? null : this.pending.reduce((a, b) => a + b, 0) / this.pending.length,
      seconds: (performance.now() - this.t0) / 1000,
    };
    this.pending = [];
    this.points.push(point);
    this.next = steps + this.options.evalEvery;
    this.options.onProgress?.(point, this.options.totalSteps);
  }
}
