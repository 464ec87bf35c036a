/**
 * Differential Value Programming (value-learning paper, sec. III-A): learn the value V of
 * the infinite-horizon problem from short-horizon solves.
 *
 *   iteration 1     solve T-step problems without terminal cost from starts sampled over
 *                   the state region; fit V_1 to the costs-to-go and their gradients
 *                   (Sobolev regression, sobolev.ts);
 *   iteration i+1   solve with V_i as terminal cost (eq. 6; its Gauss-Newton Hessian feeds
 *                   the backward pass), fit V_{i+1}: with perfect fits, V_i is the
 *                   i T-step cost-to-go and tends to V.
 *
 * Choices the paper leaves open (ours): each iteration draws fresh starts (uniform over the
 * region) and solves from the task's cold guess; the samples are the knots t = 0, s, 2s, ...
 * < T of each trajectory (s = `knotStride`; the terminal knot's "cost-to-go" is V_i itself
 * and teaches nothing); the network is trained on from the previous iteration's weights;
 * its value scale s is the mean of the first dataset's targets. A solve that does not
 * converge still gives its samples (its last iterate is feasible and its backward pass
 * consistent), and is counted. `noise` perturbs the first dataset (Fig. 6): each target V
 * and V_x is multiplied by (1 + noise * N(0, 1)), independently.
 */
import { ConcreteTensor, Rng } from '../../autodiff/index.js';
import type { Task } from '../../tasks/index.js';
import { type ValueArchitecture, type ValueNetwork, initValueNetwork, valueFunction, valuePredict } from './network.js';
import { SampleBuffer, goalOf, regionOf, solveFrom, valueProblem } from './samples.js';
import { type ValueDataset, trainValueNetwork, valueErrors } from './sobolev.js';

export interface DvpOptions {
  /** T, the horizon of every solve. */
  horizon: number;
  iterations: number;
  /** Starts (solves) per iteration. */
  trajectories: number;
  /** Samples at knots 0, s, 2s, ... < T. */
  knotStride: number;
  architecture: ValueArchitecture;
  hidden: readonly number[];
  residual: number;
  /** Epochs of Sobolev training per iteration. */
  epochs: number;
  batchSize: number;
  lr: number;
  /** Weight of the gradient term (0: classical regression). */
  alpha: number;
  /** Anchor the network at the task's goal, V(goal) = 0 (network.ts); needs stateRegion.goal. */
  anchor: boolean;
  /** Relative noise on the first dataset's targets (Fig. 6); 0 for none. */
  noise: number;
  /**
   * gamma of the discounted problem (1: the undiscounted one). With gamma < 1 each solve
   * minimizes sum_t gamma^t l_t + gamma^T V_i(x_T), so V_i tends to the discounted value
   * (the comparison with PPO, sec. IV-D).
   */
  discount: number;
  seed: number;
}

export interface DvpIteration {
  iteration: number;
  samples: number;
  unconverged: number;
  meanSolverIterations: number;
  solveSeconds: number;
  trainSeconds: number;
  /** The last epoch's training loss. */
  trainLoss: number;
  /** Against the ground truth (when given): mean squared error of V and of V_x per component. */
  validation?: { value: number; gradient: number };
  /** Mean squared difference between V_i and V_{i-1} on the validation states (the paper's Bellman residual, Fig. 3). */
  bellmanResidual?: number;
}

export interface DvpHooks {
  /** The ground truth the iterations are measured against. */
  validation?: ValueDataset;
  onIteration?(record: DvpIteration, net: ValueNetwork): void;
  /** Called between solves and between iterations (Ctrl-C). */
  checkInterrupted?(): void;
  onSolve?(iteration: number, done: number): void;
}

export function checkDvpOptions(o: DvpOptions): void {
  const positive = ['horizon', 'iterations', 'trajectories', 'knotStride', 'epochs', 'batchSize', 'residual'] as const;
  for (const key of positive) if (!(Number.isInteger(o[key]) && o[key] >= 1)) throw new RangeError(`DVP: ${key} must be a positive integer, got ${o[key]}`);
  if (!(o.lr > 0)) throw new RangeError(`DVP: lr must be positive, got ${o.lr}`);
  if (!(o.alpha >= 0)) throw new RangeError(`DVP: alpha must be >= 0, got ${o.alpha}`);
  if (!(o.noise >= 0)) throw new RangeError(`DVP: noise must be >= 0, got ${o.noise}`);
  if (!(o.discount > 0 && o.discount <= 1)) throw new RangeError(`DVP: discount must lie in (0, 1], got ${o.discount}`);
  if (!o.hidden.every((h) => Number.isInteger(h) && h >= 1)) throw new RangeError(`DVP: hidden widths must be positive integers, got [${o.hidden}]`);
}

/** One iteration's dataset: `trajectories` solves of horizon T with terminal value `net` (none: F = 0). */
export function collectValueSamples(
  task: Task, net: ValueNetwork | null, o: Pick<DvpOptions, 'horizon' | 'trajectories' | 'knotStride' | 'discount'>, rng: Rng,
  onSolve?: (done: number) => void, checkInterrupted?: () => void,
): { data: ValueDataset; unconverged: number; meanIterations: number } {
  const region = regionOf(task);
  const problem = valueProblem(task, o.horizon, net === null ? undefined : valueFunction(net), o.discount);
  const buffer = new SampleBuffer(task.dynamics.nx);
  const knots = Array.from({ length: Math.ceil(o.horizon / o.knotStride) }, (_, k) => k * o.knotStride);
  let unconverged = 0;
  let iterations = 0;
  for (let n = 0; n < o.trajectories; n++) {
    checkInterrupted?.();
    const x0 = region.lower.map((lo, i) => lo + (region.upper[i]! - lo) * rng.nextFloat());
    const { problem: p, solution } = solveFrom(task, problem, x0);
    if (!solution.converged) unconverged++;
    iterations += solution.iterations;
    buffer.addTrajectory(p, solution, knots);
    onSolve?.(n + 1);
  }
  return { data: buffer.dataset(), unconverged, meanIterations: iterations / o.trajectories };
}

/** Multiply each target by (1 + noise N(0, 1)). */
export function perturbTargets(data: ValueDataset, noise: number, rng: Rng): ValueDataset {
  if (noise === 0) return data;
  return { ...data, v: data.v.map((v) => v * (1 + noise * rng.nextNormal())), vx: data.vx.map((g) => g * (1 + noise * rng.nextNormal())) };
}

/** Run DVP; returns the last network and one record per iteration. */
export function runDvp(task: Task, o: DvpOptions, hooks: DvpHooks = {}): { net: ValueNetwork; iterations: DvpIteration[] } {
  checkDvpOptions(o);
  const region = regionOf(task);
  const rngStarts = new Rng(o.seed);
  const rngInit = new Rng(o.seed + 1);
  const rngTrain = new Rng(o.seed + 2);
  const rngNoise = new Rng(o.seed + 3);
  let net: ValueNetwork | null = null;
  let previous: Float64Array | null = null;
  const records: DvpIteration[] = [];
  for (let i = 1; i <= o.iterations; i++) {
    hooks.checkInterrupted?.();
    const t0 = performance.now();
    const collected = collectValueSamples(task, net, o, rngStarts, (done) => hooks.onSolve?.(i, done), hooks.checkInterrupted);
    const data = i === 1 ? perturbTargets(collected.data, o.noise, rngNoise) : collected.data;
    const t1 = performance.now();
    if (net === null) {
      const scale = data.v.reduce((a, b) => a + Math.abs(b), 0) / data.count;
      net = initValueNetwork(rngInit, { architecture: o.architecture, nx: task.dynamics.nx, hidden: o.hidden, residual: o.residual, anchor: o.anchor ? goalOf(task) : undefined }, region, scale > 0 ? scale : 1);
    }
    let trainLoss = Number.NaN;
    net = trainValueNetwork(net, data, { epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, alpha: o.alpha, rng: rngTrain, onEpoch: (_e, loss) => (trainLoss = loss) });
    const record: DvpIteration = {
      iteration: i,
      samples: data.count,
      unconverged: collected.unconverged,
      meanSolverIterations: collected.meanIterations,
      solveSeconds: (t1 - t0) / 1000,
      trainSeconds: (performance.now() - t1) / 1000,
      trainLoss,
    };
    if (hooks.validation !== undefined) {
      record.validation = valueErrors(net, hooks.validation);
      const current = predictValues(net, hooks.validation);
      if (previous !== null) record.bellmanResidual = current.reduce((s, v, k) => s + (v - previous![k]!) ** 2, 0) / current.length;
      previous = current;
    }
    records.push(record);
    hooks.onIteration?.(record, net);
  }
  return { net: net!, iterations: records };
}

/** V at the dataset's states. */
export function predictValues(net: ValueNetwork, data: ValueDataset): Float64Array {
  return Float64Array.from(valuePredict(net, net.params, new ConcreteTensor(data.x, [data.count, data.nx])).toArray());
}
