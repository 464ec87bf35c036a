/**
 * A task as a reinforcement-learning environment, vectorized over `numEnvs` copies that step
 * together (stable-baselines3's VecEnv, which auto-resets a finished copy):
 *
 *   reset     x_0 from the task's instance distribution (`sampleInstance`)
 *   step      x_{t+1} = f(x_t, u_t) with the task's compiled dynamics, counted as simulator
 *             calls the way the consensus experiments count them (consensus/simulator.ts),
 *             u_t = the action mapped onto the control box
 *   reward    r_t = -l(x_t, u_t, xi), minus the task's stage cost
 *   end       at the horizon T, as a time limit (gym's TimeLimit "truncation"): the learners
 *             bootstrap from the value of x_T instead of treating x_T as terminal, as SB3 does
 *             for Pendulum-v1 (so the OCP's terminal cost is not a reward: the bootstrap stands
 *             for what follows x_T)
 *   observe   the task's state features (Task.stateFeatures, e.g. (cos q, sin q, v)), else its
 *             observation encoding of a one-state history (Task.observe), else x; then the
 *             instance's task parameters (Task.condition) where the task has them
 *
 * With `actionRepeat` k > 1 an action is held for k steps of the dynamics and its reward is the
 * sum of their stage costs (frame skip: the task's dt = 0.01 pendulum then decides at 20 Hz like
 * gym's Pendulum-v1, dt = 0.05; learners are known to degrade as the decision step shrinks,
 * Tallec et al., "Making deep Q-learning methods robust to time discretization", ICML 2019).
 * Simulator calls count every dynamics step.
 *
 * Actions live in [-1, 1]^nu and are scaled onto the control box, u = mid + half a (SB3's
 * advice for continuous actions, and what its SAC does internally); a task without control
 * bounds takes the box [-actionBound, actionBound]^nu where one is given, else u = a. Each finished episode is also scored with the OCP's own objective,
 * J = sum_t gamma_env^t l_t + gamma_env^T l_T(x_T) (gamma_env = `discount`, 1 by default: the
 * cost the solver minimizes; the value paper compares on a discounted problem), which is what
 * the learning curves and the comparison with the solver report.
 */
import { Rng, type Tensor, reshape, tensor } from '../../autodiff/index.js';
import { type OcpProblem, trajectoryCost } from '../../ocp/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import { CountingDynamics } from '../consensus/simulator.js';

export interface EnvOptions {
  /** Copies stepped together. Default 1. */
  numEnvs?: number;
  /** gamma_env of the episode score J; 1 (default) is the task's undiscounted OCP. */
  discount?: number;
  /** Draws the instances of every reset. */
  rng: Rng;
  /** The action box of a task without control bounds (actionScaling); ignored where the task has bounds. */
  actionBound?: number | null;
  /** Dynamics steps each action is held for (frame skip); 1 by default. */
  actionRepeat?: number;
}

export interface StepResult {
  /** The observations after the step, [numEnvs * obsDim]; a finished copy shows its next episode's first one. */
  obs: Float64Array;
  rewards: Float64Array;
  /** True where the copy reached the horizon this step (all copies share the horizon, so all or none). */
  truncated: boolean[];
  /** The observation of x_T where `truncated`, else null. */
  finalObs: (Float64Array | null)[];
  /** The score J of each episode that finished this step. */
  finishedCosts: number[];
}

/** What a policy sees of a task: `dim` numbers per state, the state features then the instance's task parameters. */
export interface TaskObservation {
  readonly dim: number;
  /** Observations [B * dim] of the states x [B * nx] of `instances` (one per row). */
  observe(x: Float64Array, instances: readonly TaskInstance[]): Float64Array;
}

export function taskObservation(task: Task): TaskObservation {
  const { nx } = task.dynamics;
  const observe = task.observe;
  const features = task.stateFeatures
    ?? (observe ? (x: Tensor) => { const o = observe(reshape(x, [x.shape[0], 1, nx])); return reshape(o, [x.shape[0], o.shape[2]]); } : (x: Tensor) => x);
  const nf = features(tensor(new Array(nx).fill(0), [1, nx])).shape[1];
  // Its length is the same for every instance (Task.condition); any draw tells it.
  const nc = task.condition === undefined ? 0 : task.condition(task.sampleInstance(new Rng(0))).length;
  const dim = nf + nc;
  return {
    dim,
    observe(x, instances) {
      const B = instances.length;
      if (x.length !== B * nx) throw new RangeError(`taskObservation: ${x.length} state entries for ${B} instances of ${nx}`);
      const f = features(tensor(x, [B, nx])).toArray();
      const out = new Float64Array(B * dim);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < nf; j++) out[b * dim + j] = f[b * nf + j];
        if (nc > 0) out.set(task.condition!(instances[b]), b * dim + nf);
      }
      return out;
    },
  };
}

/**
 * The map of actions a in [-1, 1]^nu onto the control box, u = mid + half a. A task without
 * control bounds takes the box [-actionBound, actionBound]^nu where one is given (the action
 * space a gym environment would declare), else u = a unscaled and unbounded.
 */
export function actionScaling(task: Task, actionBound: number | null = null): { bounded: boolean; control(actions: ArrayLike<number>): Float64Array } {
  const nu = task.dynamics.nu;
  if (actionBound !== null && !(actionBound > 0 && Number.isFinite(actionBound))) throw new RangeError(`actionScaling: actionBound must be positive and finite, got ${actionBound}`);
  const bounds = task.dynamics.controlBounds
    ?? (actionBound === null ? null : { lower: new Float64Array(nu).fill(-actionBound), upper: new Float64Array(nu).fill(actionBound) });
  const mid = new Float64Array(nu);
  const half = new Float64Array(nu).fill(1);
  if (bounds !== null) {
    for (let j = 0; j < nu; j++) {
      const [lo, hi] = [bounds.lower[j], bounds.upper[j]];
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new RangeError(`actionScaling: ${task.name}'s control ${j} has bounds [${lo}, ${hi}]; scaling actions needs a finite box`);
      mid[j] = (lo + hi) / 2;
      half[j] = (hi - lo) / 2;
    }
  }
  return {
    bounded: bounds !== null,
    control(actions) {
      if (actions.length % nu !== 0) throw new RangeError(`actionScaling: ${actions.length} action entries are not rows of ${nu}`);
      return Float64Array.from(actions, (a, i) => mid[i % nu] + half[i % nu] * a);
    },
  };
}

/**
 * The score J of a trajectory under discount gamma_env: sum_t gamma^t l_t + gamma^T l_T; with
 * gamma_env = 1 the OCP's cost (ocp's trajectoryCost).
 */
export function discountedCost(problem: OcpProblem, xs: readonly Float64Array[], us: readonly Float64Array[], discount: number): number {
  if (discount === 1) return trajectoryCost(problem, xs, us);
  let total = 0;
  for (let t = 0; t < us.length; t++) total += discount ** t * problem.stageCost.value(xs[t], us[t], problem.xi);
  return total + discount ** us.length * problem.terminalCost.value(xs[us.length], problem.xi);
}

export class TaskEnv {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly horizon: number;
  readonly discount: number;
  readonly actionRepeat: number;
  /** The task's dynamics with the simulator-call counter of the consensus experiments (their Fig. 3-5 axis): every step goes through it. */
  readonly dynamics: CountingDynamics;
  /** Whether the controls are boxed (actions then are scaled from [-1, 1]). */
  readonly bounded: boolean;
  private readonly scaling: ReturnType<typeof actionScaling>;
  private readonly rng: Rng;
  private readonly observation: TaskObservation;
  private instances: TaskInstance[] = [];
  private problems: OcpProblem[] = [];
  private x: Float64Array;
  private t = 0;
  private costs: Float64Array;

  constructor(readonly task: Task, options: EnvOptions) {
    const numEnvs = options.numEnvs ?? 1;
    const discount = options.discount ?? 1;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`TaskEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    if (!(discount > 0 && discount <= 1)) throw new RangeError(`TaskEnv: discount must lie in (0, 1], got ${discount}`);
    this.actionRepeat = options.actionRepeat ?? 1;
    if (!Number.isInteger(this.actionRepeat) || this.actionRepeat < 1) throw new RangeError(`TaskEnv: actionRepeat must be a positive integer, got ${this.actionRepeat}`);
    this.numEnvs = numEnvs;
    this.discount = discount;
    this.dynamics = new CountingDynamics(task.dynamics);
    this.rng = options.rng;
    this.horizon = task.horizon;
    this.actDim = task.dynamics.nu;
    this.scaling = actionScaling(task, options.actionBound ?? null);
    this.bounded = this.scaling.bounded;
    this.observation = taskObservation(task);
    this.obsDim = this.observation.dim;
    this.x = new Float64Array(numEnvs * task.dynamics.nx);
    this.costs = new Float64Array(numEnvs);
  }

  /** Simulator calls so far (dynamics steps; a model-free learner takes no Jacobians). */
  get simulatorCalls(): number {
    return this.dynamics.calls.steps;
  }

  /** The controls of actions [numEnvs * nu] in [-1, 1]. */
  control(actions: ArrayLike<number>): Float64Array {
    return this.scaling.control(actions);
  }

  /** New instances for every copy; returns their observations. */
  reset(): Float64Array {
    const { nx } = this.task.dynamics;
    this.instances = Array.from({ length: this.numEnvs }, () => this.task.sampleInstance(this.rng));
    this.problems = this.instances.map((instance) => this.task.problem(instance));
    this.instances.forEach((instance, e) => this.x.set(instance.x0, e * nx));
    this.t = 0;
    this.costs.fill(0);
    return this.observe(this.x, this.instances);
  }

  private observe(x: Float64Array, instances: readonly TaskInstance[]): Float64Array {
    return this.observation.observe(x, instances);
  }

  step(actions: ArrayLike<number>): StepResult {
    const { nx, nu } = this.task.dynamics;
    const E = this.numEnvs;
    if (actions.length !== E * nu) throw new RangeError(`TaskEnv.step: ${actions.length} action entries for ${E} copies of ${nu} controls`);
    if (this.problems.length === 0) throw new RangeError('TaskEnv.step: call reset() first');
    const u = this.control(actions);
    const rewards = new Float64Array(E);
    // The action is held for actionRepeat steps of the dynamics (fewer at the horizon); the reward sums their stage costs.
    for (let r = 0; r < this.actionRepeat && this.t < this.horizon; r++) {
      const next = new Float64Array(E * nx);
      const weight = this.discount ** this.t;
      for (let e = 0; e < E; e++) {
        const xe = this.x.subarray(e * nx, (e + 1) * nx);
        const ue = u.subarray(e * nu, (e + 1) * nu);
        const problem = this.problems[e];
        const l = problem.stageCost.value(xe, ue, problem.xi);
        rewards[e] -= l;
        this.costs[e] += weight * l;
        this.dynamics.step(xe, ue, next.subarray(e * nx, (e + 1) * nx));
      }
      this.x = next;
      this.t++;
    }
    if (this.t < this.horizon) {
      return { obs: this.observe(this.x, this.instances), rewards, truncated: new Array<boolean>(E).fill(false), finalObs: new Array(E).fill(null), finishedCosts: [] };
    }
    // The horizon: score the episodes with the terminal cost, then start new ones.
    const finalStates = this.observe(this.x, this.instances);
    const finishedCosts = Array.from(this.costs, (c, e) => {
      const problem = this.problems[e];
      return c + this.discount ** this.horizon * problem.terminalCost.value(this.x.subarray(e * nx, (e + 1) * nx), problem.xi);
    });
    const finalObs = Array.from({ length: E }, (_, e) => finalStates.slice(e * this.obsDim, (e + 1) * this.obsDim));
    return { obs: this.reset(), rewards, truncated: new Array<boolean>(E).fill(true), finalObs, finishedCosts };
  }
}
