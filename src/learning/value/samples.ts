/**
 * Value samples from trajectory optimization (value-learning paper, sec. II-C and III-A): one
 * solve of the task's OCP over a horizon T with a terminal cost F (none: F = 0; DVP: the last
 * learned value) gives, at every knot t of its trajectory, the cost-to-go
 *
 *   V_t = sum_{k=t}^{T-1} gamma^(k-t) l(x_k, u_k) + gamma^(T-t) F(x_T)
 *
 * (gamma = 1 but in the discounted comparison with PPO, sec. IV-D) and its gradient V_x,t
 * from the solver's backward pass at the returned iterate (DESIGN section 3). The solver
 * differentiates the cost from knot 0, so its V_x at knot t is gamma^t times the gradient of
 * V_t: the samples divide that factor out. The ground truth is the same at knot 0 of a long
 * horizon (the paper's T = 1000) without terminal cost, on a grid over the task's state region.
 */
import {
  type DifferentiableFunction, type OcpProblem, type OcpSolution, defineProblem, discountWeights, learnedTerminalCost, solveOcp, withTask, zeroFunction,
} from '../../ocp/index.js';
import type { StateRegion, Task } from '../../tasks/index.js';
import type { ValueDataset } from './sobolev.js';

/** The task's state region; a typed error for a task that has none. */
export function regionOf(task: Task): StateRegion {
  if (task.stateRegion === undefined) throw new RangeError(`task ${task.name} has no stateRegion: it is not a value-learning task`);
  return task.stateRegion;
}

/** The task's goal (a cost-free equilibrium, V = 0 there); a typed error for a task without one. */
export function goalOf(task: Task): readonly number[] {
  const goal = regionOf(task).goal;
  if (goal === undefined) throw new RangeError(`task ${task.name} names no goal in its stateRegion: the value network cannot be anchored`);
  return goal;
}

/** The task's OCP over `horizon` with terminal cost F (F = 0 when omitted) and discount gamma (1: none); change x0 with `withTask`. */
export function valueProblem(task: Task, horizon: number, terminal?: DifferentiableFunction, discount = 1): OcpProblem {
  if (!(Number.isInteger(horizon) && horizon >= 1)) throw new RangeError(`valueProblem: horizon must be a positive integer, got ${horizon}`);
  const { lower, upper } = regionOf(task);
  const base = task.problem({ x0: lower.map((lo, i) => (lo + upper[i]!) / 2) });
  const { nx, ndx } = task.dynamics;
  return defineProblem({ ...base, horizon, discount, terminalCost: learnedTerminalCost(terminal ?? zeroFunction(nx, ndx), { nxi: base.xi.length }) });
}

/** Solve from x0 with the task's solver and cold guess. */
export function solveFrom(task: Task, problem: OcpProblem, x0: readonly number[]): { problem: OcpProblem; solution: OcpSolution } {
  const p = withTask(problem, { x0 });
  return { problem: p, solution: solveOcp(p, task.solver, task.coldGuess(p), { ...task.solverOptions, history: false }) };
}

/** V_t for t = 0..T: the (discounted) cost-to-go of a solved trajectory at every knot, V_t = l_t + gamma V_{t+1}. */
export function costsToGo(problem: OcpProblem, solution: OcpSolution): number[] {
  const T = solution.us.length;
  const gamma = problem.discount;
  const out = new Array<number>(T + 1);
  out[T] = problem.terminalCost.value(solution.xs[T]!, problem.xi);
  for (let t = T - 1; t >= 0; t--) out[t] = problem.stageCost.value(solution.xs[t]!, solution.us[t]!, problem.xi) + gamma * out[t + 1]!;
  return out;
}

/** Append the samples (x_t, V_t, V_x,t) at `knots` of a solved trajectory. */
export class SampleBuffer {
  private readonly x: number[] = [];
  private readonly v: number[] = [];
  private readonly vx: number[] = [];
  constructor(readonly nx: number) {}

  get count(): number {
    return this.v.length;
  }

  add(x: ArrayLike<number>, v: number, vx: ArrayLike<number>): void {
    if (x.length !== this.nx || vx.length !== this.nx) throw new RangeError(`SampleBuffer: x ${x.length}, vx ${vx.length}, nx ${this.nx}`);
    this.x.push(...Array.from(x));
    this.v.push(v);
    this.vx.push(...Array.from(vx));
  }

  addTrajectory(problem: OcpProblem, solution: OcpSolution, knots: readonly number[]): void {
    const V = costsToGo(problem, solution);
    const weights = discountWeights(problem.discount, solution.us.length);
    // The backward pass's V_x at knot t is gamma^t times the gradient of V_t (header).
    for (const t of knots) this.add(solution.xs[t]!, V[t]!, Array.from(solution.Vx[t]!, (g) => g / weights[t]!));
  }

  dataset(): ValueDataset {
    return { count: this.count, nx: this.nx, x: Float64Array.from(this.x), v: Float64Array.from(this.v), vx: Float64Array.from(this.vx) };
  }
}

/** A regular grid of `perAxis[i]` points over the region (each axis includes both bounds), row-major, last axis fastest. */
export function regionGrid(region: StateRegion, perAxis: readonly number[]): number[][] {
  const nx = region.lower.length;
  if (perAxis.length !== nx) throw new RangeError(`regionGrid: ${perAxis.length} counts for ${nx} axes`);
  const axes = perAxis.map((n, i) => {
    if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`regionGrid: axis ${i} needs at least 2 points, got ${n}`);
    return Array.from({ length: n }, (_, k) => region.lower[i]! + ((region.upper[i]! - region.lower[i]!) * k) / (n - 1));
  });
  let points: number[][] = [[]];
  for (const axis of axes) points = points.flatMap((p) => axis.map((a) => [...p, a]));
  return points;
}

export interface GroundTruth {
  data: ValueDataset;
  /** Solves that did not converge (their values are kept: the solver's last iterate). */
  unconverged: number;
}

/** V and V_x at knot 0 of a long-horizon solve without terminal cost (discount gamma; 1: none), from each state. */
export function groundTruth(task: Task, states: readonly number[][], horizon: number, onSolve?: (done: number) => void, discount = 1): GroundTruth {
  const problem = valueProblem(task, horizon, undefined, discount);
  const buffer = new SampleBuffer(task.dynamics.nx);
  let unconverged = 0;
  states.forEach((x0, i) => {
    const s = solveFrom(task, problem, x0);
    if (!s.solution.converged) unconverged++;
    buffer.addTrajectory(s.problem, s.solution, [0]);
    onSolve?.(i + 1);
  });
  return { data: buffer.dataset(), unconverged };
}
