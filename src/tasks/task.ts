/**
 * A task: everything an experiment needs to know about one problem family (DESIGN section
 * 2), so that the learning code above it (Alg. 1, the methods, the evaluation) is written
 * once for every robot.
 *
 *   model        the discrete dynamics (states, controls, bounds, dt)
 *   OCP          `problem(instance)`: costs, constraints and horizon for one instance
 *   instances    `sampleInstance(rng)`: the distribution of xi (start state, targets...); the
 *                runner draws training instances and held-out ones from separate seeds
 *   TO alone     `coldGuess(problem)`: the initial guess the solver starts from without a policy
 *   actions      what the policy's a_t is and how it becomes a control (main paper, sec. 4.3)
 *   observation  o_t, what the policy sees of the state history
 *
 * An instance is plain numbers, and a task is rebuilt from its name (`taskByName`), so a
 * worker thread solves the same problem as this thread from (task name, instance) alone:
 * closures such as compiled costs cannot cross threads, names and numbers can.
 */
import type { Rng, Tensor } from '../autodiff/index.js';
import type { DiscreteDynamics } from '../dynamics/index.js';
import type { ConstrainedOptions, InitialGuess, OcpProblem, SolverName } from '../ocp/index.js';

/** One instance xi of a task family: the start state, and the task parameters its costs read (targets, obstacles). */
export interface TaskInstance {
  x0: number[];
  xi?: number[];
}

/**
 * The policy's action a_t (main paper, sec. 4.2). Torque actions (a_t = u_t) are applied as
 * they are; their derivative targets are the solver's gains chained through the dynamics
 * (eq. 7, src/learning/chaining.ts).
 */
export interface TorqueActions {
  kind: 'torque';
}

/**
 * State actions: a chunk holds encoded states, enc(x), those of the T_o observed states (Alg.
 * 2 inpaints them) and then the planned next ones; `inverse` turns the current state and the
 * next planned action into a control (inverse dynamics). `encode` is written with engine ops:
 * the derivative targets chain its Jacobian onto the closed loop's dx_{t+h}/dx_t.
 */
export interface StateActions {
  kind: 'state';
  /** na, the size of enc(x). */
  dim: number;
  /** [B, nx] -> [B, na] */
  encode(x: Tensor): Tensor;
  /** The control that takes state x [B, nx] towards the planned action next [B, na]: [B, nu]. */
  inverse(x: Tensor, next: Tensor): Tensor;
  /**
   * Decodes since the last reset, and how many of them met an actuator bound (the control
   * that was applied is then not the one the plan asked for). A decoding that counts them
   * says so here; the evaluation reports the share. Absent: not counted.
   */
  saturation?(): { decoded: number; saturated: number };
  resetSaturation?(): void;
}

export type ActionRepresentation = TorqueActions | StateActions;

/** A box of states: lower[i] <= x_i <= upper[i]. */
export interface StateRegion {
  lower: readonly number[];
  upper: readonly number[];
  /** The goal, where the cost vanishes for ever (an equilibrium): the value is 0 there. */
  goal?: readonly number[];
}

/** Which state coordinate and control to draw in trajectory plots, and how (an angle wrapped, say). */
export interface PlotChannels {
  state: { index: number; label: string; map?: (value: number) => number };
  control: { index: number; label: string };
}

export interface Task {
  /** The registry name (`taskByName`), as it appears in results and on the command line. */
  readonly name: string;
  /** For titles and tables. */
  readonly title: string;
  readonly dynamics: DiscreteDynamics;
  /** Control intervals T of every instance. */
  readonly horizon: number;
  /** The solver that "TO" means for this task, and its options. */
  readonly solver: SolverName;
  readonly solverOptions: Partial<ConstrainedOptions>;
  /** The OCP of one instance. */
  problem(instance: TaskInstance): OcpProblem;
  /** The initial guess of "TO alone". */
  coldGuess(problem: OcpProblem): InitialGuess;
  /** One draw from the task distribution (consumes the rng in a fixed order, so a seed fixes the instances). */
  sampleInstance(rng: Rng): TaskInstance;
  readonly action: ActionRepresentation;
  /** o_t from a state history [B, T_o, nx] -> [B, T_o, no]; absent where o_t = x_t. */
  readonly observe?: (xHist: Tensor) => Tensor;
  /**
   * The task parameters the policy is conditioned on, for one instance (the main paper's xi
   * as a policy input, sec. 4.3: UR5(., 1)'s random target). The diffusion policy gets them
   * as the `task` part of its global condition, the MLP policies appended to the state. Absent
   * where every instance shares them (the swing-ups, a fixed target): nothing is added, and
   * those experiments' numbers do not change. Its length must be the same for every instance.
   */
  condition?(instance: TaskInstance): number[];
  /**
   * The state as the input of a memoryless learned policy or critic (the model-free baselines,
   * src/learning/rl/): [B, nx] -> [B, nf]. Angles as (cos q, sin q), so that a state and the
   * same state one turn later look alike (the consensus paper feeds q so). Absent: the state
   * itself. The diffusion and MLP policies of Alg. 1 do not read it.
   */
  readonly stateFeatures?: (x: Tensor) => Tensor;
  /**
   * How far a state is from the instance's goal (m, say), for tasks that reach one: the
   * evaluation reports it at the final state of every trajectory. Absent where the cost alone
   * says it (the swing-ups, the UR5 runs so far).
   */
  goalDistance?(instance: TaskInstance, x: readonly number[]): number;
  readonly plot: PlotChannels;
  /**
   * The box of states a value function is learned over (the value-learning paper's DVP: its
   * training starts are drawn there and its validation grid covers it), in the state's own
   * coordinates. Absent for tasks that are not value-learning tasks.
   */
  readonly stateRegion?: StateRegion;
  /** The robot's joints and end effector for a state, as points of the figure's plane (stroboscopic figures). */
  skeleton?(x: readonly number[]): [number, number][];
  /**
   * The end effector's position in space for a state, and the instance's target for it: the
   * report draws the end-effector paths of one held-out task in three projections (the main
   * paper's Fig. 3 for the UR5). Absent for tasks without one.
   */
  endEffector?: {
    position(x: readonly number[]): [number, number, number];
    target(instance: TaskInstance): [number, number, number];
  };
}
