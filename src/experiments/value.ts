/**
 * The value-learning paper (Parag et al., ICRA 2022): DVP on the pendulum, the cartpole and
 * the unicycle (`--task`), measured against a ground truth from long-horizon solves on a grid
 * over the task's state region. Its parts (`--parts`, all by default):
 *
 *   dvp            MSE to the ground truth and Bellman residual by iteration (Fig. 1-3)
 *   horizons       DVP for several horizons T (Fig. 5), and the trajectories planned over T
 *                  with and without the learned terminal value against the long one (Fig. 4)
 *   noise          DVP from a noisy first dataset (Fig. 6)
 *   sobolev        Sobolev against classical regression by number of samples (Fig. 7)
 *   architectures  Gauss-residual against feed-forward network, validation errors during
 *                  Sobolev training (Fig. 8), and their gradient fields (Fig. 9)
 *   ppo            on the discounted problem (--discount): discounted DVP against PPO's
 *                  critic on the grid, their difference maps (Fig. 10), and the closed-loop
 *                  trajectories of both from a few starts beside the long-horizon solution (Fig. 11)
 *
 * plus, for the two-dimensional pendulum, the heat maps of the true and learned values and
 * their difference. The algorithms live in src/learning/value/; this script sets parameters
 * and assembles tables and figures.
 *
 *   npx tsx src/experiments/value.ts --task unicycle [--full | --quick] [--help]
 */
import { ConcreteTensor, Rng } from '../autodiff/index.js';
import { type CurvePoint, type EfficiencyRow, sampleEfficiency, trainingCurves } from '../learning/value/compare.js';
import { type DvpIteration, type DvpOptions, predictValues, runDvp } from '../learning/value/dvp.js';
import { type ValueNetwork, valueAndGradient, valueFunction } from '../learning/value/network.js';
import { type GroundTruth, goalOf, groundTruth, regionGrid, regionOf, solveFrom, valueProblem } from '../learning/value/samples.js';
import { criticValues, valueErrorSummary } from '../learning/value/critic.js';
import { recedingHorizon } from '../learning/value/receding.js';
import { trainPpo } from '../learning/rl/ppo.js';
import { rlEvaluated } from '../learning/rl/policy.js';
import { trajectoryCost, withTask } from '../ocp/index.js';
import { taskByName } from '../tasks/index.js';
import type { Task } from '../tasks/index.js';
import { type StudyContext, type StudySpec, runStudyIfMain } from './runner/study.js';
import { type Series, heatmap, lineChart, quiver } from './runner/svg.js';

const PARTS = ['dvp', 'horizons', 'noise', 'sobolev', 'architectures', 'ppo'] as const;
const TASKS = ['pendulum-dvp', 'cartpole', 'unicycle'];
/** Grid points per axis of the validation grid, by task (ours): 441, 625 and 216 states. */
const GRID: Record<string, number> = { 'pendulum-dvp': 21, cartpole: 5, unicycle: 6 };

export interface ValueParams {
  [key: string]: number | string | boolean | number[] | string[];
  task: string;
  parts: string[];
  horizon: number;
  iterations: number;
  trajectories: number;
  knotStride: number;
  epochs: number;
  batchSize: number;
  lr: number;
  alpha: number;
  hidden: number[];
  residual: number;
  anchor: boolean;
  groundTruthHorizon: number;
  grid: number;
  horizons: number[];
  sweepTrajectories: number;
  sweepEpochs: number;
  noise: number[];
  samples: number[];
  regressionEpochs: number;
  discount: number;
  ppoSteps: number;
  ppoNSteps: number;
  ppoActionBound: number;
  sliceGrid: number;
  seed: number;
}

export const VALUE_STUDY: StudySpec<ValueParams> = {
  name: 'value',
  about:
    'Value learning from trajectory optimization and Sobolev descent (Parag et al., ICRA 2022): DVP learns the infinite-horizon value of a task ' +
    'from short-horizon DDP solves whose terminal cost is the last learned value (a Gauss-residual network V = s |r|^2 with its Gauss-Newton Hessian), ' +
    'trained on costs-to-go and their gradients (Sobolev loss). Measured against long-horizon solves on a grid over the task\'s state region: DVP by ' +
    'iteration (Fig. 1-3), horizon sweep (Fig. 4-5), noisy first dataset (Fig. 6), Sobolev against classical regression (Fig. 7), Gauss-residual ' +
    'against feed-forward (Fig. 8-9). Writes runs/value/<timestamp>/.',
  defaults: {
    task: 'pendulum-dvp',
    parts: [...PARTS],
    horizon: 50,
    iterations: 10,
    trajectories: 100,
    knotStride: 5,
    epochs: 100,
    batchSize: 64,
    lr: 1e-3,
    alpha: 1,
    hidden: [64, 64, 64],
    residual: 3,
    anchor: true,
    groundTruthHorizon: 500,
    grid: 0,
    horizons: [20, 40, 60, 80, 100],
    sweepTrajectories: 50,
    sweepEpochs: 50,
    noise: [0, 0.1, 0.3],
    samples: [10, 25, 50, 100, 200],
    regressionEpochs: 300,
    discount: 0.99,
    ppoSteps: 300_000,
    ppoNSteps: 2048,
    ppoActionBound: 3,
    sliceGrid: 10,
    seed: 0,
  },
  full: { groundTruthHorizon: 1000, trajectories: 200, epochs: 300, sweepTrajectories: 100, sweepEpochs: 100, regressionEpochs: 2000, horizons: [20, 30, 40, 50, 60, 70, 80, 90, 100] },
  quick: {
    parts: [...PARTS], iterations: 2, trajectories: 8, epochs: 5, groundTruthHorizon: 150, grid: 3, horizons: [20, 40], sweepTrajectories: 6, sweepEpochs: 3,
    noise: [0.1], samples: [5, 10], regressionEpochs: 5, hidden: [16, 16], ppoSteps: 600, ppoNSteps: 300, sliceGrid: 3,
  },
  describe: {
    task: `the task: ${TASKS.join(', ')}`,
    parts: `what to run: ${PARTS.join(', ')}`,
    horizon: 'T, the horizon of the DVP solves',
    iterations: 'DVP iterations (the paper shows 10)',
    trajectories: 'solves per DVP iteration, from starts uniform over the state region',
    knotStride: 'samples at knots 0, s, 2s, ... < T of each trajectory',
    epochs: 'epochs of Sobolev training per DVP iteration (from the previous iteration\'s weights)',
    batchSize: 'minibatch size',
    lr: 'Adam learning rate',
    alpha: 'weight of the gradient term of the Sobolev loss (0: classical regression)',
    hidden: 'hidden widths of the value network (the paper: 64, 64, 64)',
    residual: 'units of the Gauss-residual r (the paper: 3)',
    anchor: 'V(goal) = 0 by construction (ours; see src/learning/value/network.ts)',
    groundTruthHorizon: 'horizon of the ground-truth solves (the paper: 1000)',
    grid: 'validation grid points per axis (0: the task\'s default, pendulum 21, cartpole 5, unicycle 6)',
    horizons: 'horizons T of the sweep (part horizons)',
    sweepTrajectories: 'solves per iteration in the horizon sweep and the noise runs',
    sweepEpochs: 'epochs per iteration in the horizon sweep and the noise runs',
    noise: 'relative noise levels of the first dataset (part noise)',
    samples: 'numbers of samples for Sobolev against classical regression (part sobolev; the largest also sizes the pool)',
    regressionEpochs: 'epochs of the regression comparisons (parts sobolev and architectures)',
    discount: 'gamma per step of the discounted problem of part ppo (DVP, its ground truth, PPO\'s gamma and its environment)',
    ppoSteps: 'PPO\'s environment steps (part ppo; one decision per dynamics step)',
    ppoNSteps: 'PPO\'s rollout length n_steps (SB3: 2048)',
    ppoActionBound: 'PPO\'s action box [-b, b] on a task without control bounds (the unicycle; part ppo)',
    sliceGrid: 'points per axis of the heat maps\' slice through the goal (part ppo, states of more than two dimensions)',
    seed: 'the seed of every draw (starts, initializations, minibatches)',
  },
  check(p) {
    if (!TASKS.includes(p.task)) throw new RangeError(`--task: expected one of ${TASKS.join(', ')}, got "${p.task}"`);
    for (const part of p.parts) if (!(PARTS as readonly string[]).includes(part)) throw new RangeError(`--parts: unknown part "${part}" (known: ${PARTS.join(', ')})`);
    if (!(Number.isInteger(p.grid) && (p.grid === 0 || p.grid >= 2))) throw new RangeError(`--grid: 0 or an integer >= 2, got ${p.grid}`);
    if (!(Number.isInteger(p.groundTruthHorizon) && p.groundTruthHorizon >= 1)) throw new RangeError(`--ground-truth-horizon: a positive integer, got ${p.groundTruthHorizon}`);
    if (p.noise.some((n) => !(n >= 0))) throw new RangeError(`--noise: levels must be >= 0, got ${p.noise}`);
    if (p.samples.some((n) => !(Number.isInteger(n) && n >= 1))) throw new RangeError(`--samples: positive integers, got ${p.samples}`);
    if (p.horizons.some((n) => !(Number.isInteger(n) && n >= 1))) throw new RangeError(`--horizons: positive integers, got ${p.horizons}`);
    if (!(Number.isInteger(p.regressionEpochs) && p.regressionEpochs >= 1)) throw new RangeError(`--regression-epochs: a positive integer, got ${p.regressionEpochs}`);
    if (!(p.discount > 0 && p.discount <= 1)) throw new RangeError(`--discount must lie in (0, 1], got ${p.discount}`);
    for (const key of ['ppoSteps', 'ppoNSteps'] as const) if (!(Number.isInteger(p[key]) && p[key] >= 1)) throw new RangeError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: a positive integer, got ${p[key]}`);
    if (!(p.ppoActionBound > 0 && Number.isFinite(p.ppoActionBound))) throw new RangeError(`--ppo-action-bound: a positive number, got ${p.ppoActionBound}`);
    if (!(Number.isInteger(p.sliceGrid) && p.sliceGrid >= 2)) throw new RangeError(`--slice-grid: an integer >= 2, got ${p.sliceGrid}`);
  },
  run: runValueStudy,
};

/**
 * Fig. 9: V_x on the plane of the first two state coordinates, at the grid's slice nearest
 * the goal in the others: the ground truth's, and the two networks' trained on the same samples.
 */
function gradientField(task: Task, perAxis: number, states: number[][], truth: GroundTruth, nets: Record<string, ValueNetwork>): string {
  const nx = task.dynamics.nx;
  const goal = goalOf(task);
  const region = regionOf(task);
  const axis = (i: number) => Array.from(new Set(states.map((s) => s[i]!)));
  const slice = Array.from({ length: nx }, (_, i) => (i < 2 ? Number.NaN : axis(i).reduce((best, v) => (Math.abs(v - goal[i]!) < Math.abs(best - goal[i]!) ? v : best))));
  const rows = states.map((s, k) => [s, k] as const).filter(([s]) => s.every((v, i) => i < 2 || v === slice[i]));
  const points = rows.map(([s]) => [s[0]!, s[1]!] as [number, number]);
  const field = (vx: ArrayLike<number>, k: number) => [vx[k * nx]!, vx[k * nx + 1]!] as [number, number];
  const x = Float64Array.from(rows.flatMap(([s]) => s));
  const predicted = (net: ValueNetwork) => valueAndGradient(net, net.params, new ConcreteTensor(x, [rows.length, nx]))[1].toArray();
  const step = (i: number) => (region.upper[i]! - region.lower[i]!) / (perAxis - 1);
  const rest = slice.slice(2).map((v, i) => `x[${i + 2}] = ${v.toFixed(2)}`).join(', ');
  return quiver(`${task.title}: V_x (first two components)${rest ? `, ${rest}` : ''} (Fig. 9)`, 'x[0]', 'x[1]', [step(0), step(1)], [
    { name: 'ground truth', color: '#000000', points, vectors: rows.map(([, k]) => field(truth.data.vx, k)) },
    ...Object.entries(nets).map(([name, net], i) => {
      const g = predicted(net);
      return { name, color: ['#d62728', '#2ca02c'][i], points, vectors: rows.map((_, j) => field(g, j)) };
    }),
  ]);
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toExponential(2));
const log10 = (v: number) => (v > 0 ? Math.log10(v) : Number.NaN);
const meanSquare = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v * v, 0) / a.length;

function dvpOptions(p: ValueParams, change: Partial<DvpOptions> = {}): DvpOptions {
  return {
    horizon: p.horizon, iterations: p.iterations, trajectories: p.trajectories, knotStride: p.knotStride, architecture: 'gauss-residual',
    hidden: p.hidden, residual: p.residual, epochs: p.epochs, batchSize: p.batchSize, lr: p.lr, alpha: p.alpha, anchor: p.anchor, noise: 0, discount: 1, seed: p.seed,
    ...change,
  };
}

function dvpRun(task: Task, options: DvpOptions, truth: GroundTruth, study: StudyContext, label: string) {
  return runDvp(task, options, {
    validation: truth.data,
    checkInterrupted: study.checkInterrupted,
    onSolve: (i, done) => study.progress.update(label, done, options.trajectories, `iteration ${i}/${options.iterations}`),
    onIteration: (r) => study.log(`${label}: iteration ${r.iteration}: MSE ${fmt(r.validation?.value)}, V_x ${fmt(r.validation?.gradient)}, Bellman ${fmt(r.bellmanResidual)} (solves ${r.solveSeconds.toFixed(1)} s, training ${r.trainSeconds.toFixed(1)} s)`),
  });
}

/** The state trajectory of a T-step solve from x0, with or without a terminal value. */
function plannedStates(task: Task, horizon: number, x0: number[], terminal?: Parameters<typeof valueProblem>[2]): number[][] {
  return solveFrom(task, valueProblem(task, horizon, terminal), x0).solution.xs.map((x) => Array.from(x));
}

/** RMS over the common knots of the distance between two state trajectories. */
function rmsDeviation(a: number[][], b: number[][]): number {
  const n = Math.min(a.length, b.length);
  let s = 0;
  for (let t = 0; t < n; t++) s += a[t]!.reduce((acc, v, i) => acc + (v - b[t]![i]!) ** 2, 0);
  return Math.sqrt(s / n);
}

async function runValueStudy(p: ValueParams, study: StudyContext) {
  const task = taskByName(p.task);
  const region = regionOf(task);
  const nx = task.dynamics.nx;
  const parts = new Set(p.parts);
  const figures: Record<string, string> = {};
  const md: string[] = [];
  const results: Record<string, unknown> = {};
  const t0 = performance.now();

  const perAxis = p.grid === 0 ? GRID[p.task]! : p.grid;
  const states = regionGrid(region, new Array(nx).fill(perAxis));
  md.push(`## ${task.title}: value learning (DVP)\n`);
  // The undiscounted ground truth, for every part but ppo (which has its own, discounted).
  let truth!: GroundTruth;
  let scale = Number.NaN;
  if ([...parts].some((part) => part !== 'ppo')) {
    study.log(`ground truth: ${states.length} solves of T = ${p.groundTruthHorizon} on a ${new Array(nx).fill(perAxis).join(' x ')} grid`);
    truth = groundTruth(task, states, p.groundTruthHorizon, (done) => study.progress.update('ground truth', done, states.length));
    scale = meanSquare(truth.data.v);
    results.groundTruth = { states: states.length, horizon: p.groundTruthHorizon, unconverged: truth.unconverged, meanSquareValue: scale };
    md.push(`Ground truth: ${states.length} states (${perAxis} per axis over [${region.lower.map((v) => v.toFixed(2))}] to [${region.upper.map((v) => v.toFixed(2))}]), ` +
      `solves of T = ${p.groundTruthHorizon} without terminal cost, ${truth.unconverged} not converged; mean V^2 = ${scale.toPrecision(4)} (relative MSE = MSE / mean V^2).\n`);
  }

  const mseRows = (records: DvpIteration[]) => records.map((r) => `| ${r.iteration} | ${r.samples} | ${r.unconverged} | ${r.meanSolverIterations.toFixed(1)} | ${fmt(r.validation?.value)} | ${fmt((r.validation?.value ?? Number.NaN) / scale)} | ${fmt(r.validation?.gradient)} | ${fmt(r.bellmanResidual)} | ${r.solveSeconds.toFixed(1)} | ${r.trainSeconds.toFixed(1)} |`);

  if (parts.has('dvp')) {
    study.checkInterrupted();
    const { net, iterations } = dvpRun(task, dvpOptions(p), truth, study, 'DVP');
    results.dvp = iterations;
    md.push(`### DVP by iteration (Fig. 1-3)\n\nT = ${p.horizon}, ${p.trajectories} solves per iteration, samples every ${p.knotStride} knots, ${p.epochs} epochs per iteration.\n`);
    md.push('| iteration | samples | unconverged solves | solver iterations | MSE V | relative MSE | MSE V_x | Bellman residual | solves s | training s |');
    md.push('|---|---|---|---|---|---|---|---|---|---|');
    md.push(...mseRows(iterations), '');
    const it = iterations.map((r) => r.iteration);
    figures['dvp-mse.svg'] = lineChart(`${task.title}: DVP against the ground truth (Fig. 2-3)`, 'DVP iteration', 'log10 mean squared error', [
      { name: 'V to ground truth', x: it, y: iterations.map((r) => log10(r.validation!.value)), dots: true },
      { name: 'V_x to ground truth', x: it, y: iterations.map((r) => log10(r.validation!.gradient)), dots: true },
      { name: 'Bellman residual', x: it, y: iterations.map((r) => log10(r.bellmanResidual ?? Number.NaN)), dots: true, dashed: true },
    ]);
    if (nx === 2) {
      const xs = Array.from({ length: perAxis }, (_, i) => states[i * perAxis]![0]!);
      const ys = Array.from({ length: perAxis }, (_, j) => states[j]![1]!);
      const learned = predictValues(net, truth.data);
      // Grid order: the first axis is the slow one; rows of the map are the second axis.
      const at = (a: ArrayLike<number>) => ys.map((_, j) => xs.map((_, i) => a[i * perAxis + j]!));
      const [xl, yl] = ['x[0]', 'x[1]'].map((l, k) => (task.plot.state.index === k ? task.plot.state.label : l));
      figures['value-truth.svg'] = heatmap(`${task.title}: V, ground truth (T = ${p.groundTruthHorizon})`, xl!, yl!, xs, ys, at(truth.data.v));
      figures['value-learned.svg'] = heatmap(`${task.title}: V after ${p.iterations} DVP iterations`, xl!, yl!, xs, ys, at(learned));
      figures['value-error.svg'] = heatmap(`${task.title}: learned - ground truth`, xl!, yl!, xs, ys, at(learned.map((v, k) => v - truth.data.v[k]!)));
    }
  }

  if (parts.has('horizons')) {
    const rows: string[] = [];
    const series: Series[] = [];
    const withV: Series[] = [];
    const withoutV: Series[] = [];
    const sweep: Record<number, DvpIteration[]> = {};
    const probe = region.lower.map((lo, i) => lo + 0.85 * (region.upper[i]! - lo));
    const channel = task.plot.state.index;
    const reference = plannedStates(task, p.groundTruthHorizon, probe);
    const longest = Math.max(...p.horizons);
    const line = (name: string, xs: number[][], color?: string): Series => ({ name, x: xs.map((_, t) => t), y: xs.map((x) => x[channel]!), color });
    for (const T of p.horizons) {
      study.checkInterrupted();
      const { net, iterations } = dvpRun(task, dvpOptions(p, { horizon: T, trajectories: p.sweepTrajectories, epochs: p.sweepEpochs }), truth, study, `T = ${T}`);
      sweep[T] = iterations;
      const planned = plannedStates(task, T, probe, valueFunction(net));
      const bare = plannedStates(task, T, probe);
      const pick = (k: number) => fmt(iterations[Math.min(k, iterations.length) - 1]?.validation?.value);
      rows.push(`| ${T} | ${pick(1)} | ${pick(5)} | ${pick(iterations.length)} | ${fmt(iterations.at(-1)!.validation!.value / scale)} | ${rmsDeviation(planned, reference).toFixed(4)} | ${rmsDeviation(bare, reference).toFixed(4)} |`);
      series.push({ name: `T = ${T}`, x: iterations.map((r) => r.iteration), y: iterations.map((r) => log10(r.validation!.value)), dots: true });
      withV.push(line(`T = ${T}`, planned));
      withoutV.push(line(`T = ${T}`, bare));
    }
    const ref = line(`T = ${p.groundTruthHorizon}`, reference.slice(0, longest + 1), '#000000');
    results.horizons = { probe, sweep };
    md.push(`### Horizon sweep (Fig. 4-5)\n\n${p.sweepTrajectories} solves per iteration, ${p.sweepEpochs} epochs per iteration, ${p.iterations} iterations. ` +
      `Deviation: RMS distance over the plan's knots between the T-step plan from x0 = [${probe.map((v) => v.toFixed(3))}] and the T = ${p.groundTruthHorizon} solution, with the last learned V as terminal cost and without.\n`);
    md.push(`| T | MSE V, iteration 1 | iteration 5 | iteration ${p.iterations} | relative MSE | deviation with V | without V |`);
    md.push('|---|---|---|---|---|---|---|');
    md.push(...rows, '');
    figures['horizons-mse.svg'] = lineChart(`${task.title}: DVP by horizon T (Fig. 5)`, 'DVP iteration', 'log10 MSE to ground truth', series);
    figures['horizons-trajectories-value.svg'] = lineChart(`${task.title}: plans with the learned value (Fig. 4 left)`, 'knot', task.plot.state.label, [...withV, ref]);
    figures['horizons-trajectories-no-value.svg'] = lineChart(`${task.title}: plans without terminal value (Fig. 4 right)`, 'knot', task.plot.state.label, [...withoutV, ref]);
  }

  if (parts.has('noise')) {
    const rows: string[] = [];
    const series: Series[] = [];
    const runs: Record<string, DvpIteration[]> = {};
    for (const level of p.noise) {
      study.checkInterrupted();
      const { iterations } = dvpRun(task, dvpOptions(p, { noise: level, trajectories: p.sweepTrajectories, epochs: p.sweepEpochs }), truth, study, `noise ${level}`);
      runs[String(level)] = iterations;
      const pick = (k: number) => fmt(iterations[Math.min(k, iterations.length) - 1]?.validation?.value);
      rows.push(`| ${level} | ${pick(1)} | ${pick(2)} | ${pick(5)} | ${pick(iterations.length)} |`);
      series.push({ name: `noise ${level}`, x: iterations.map((r) => r.iteration), y: iterations.map((r) => log10(r.validation!.value)), dots: true });
    }
    results.noise = runs;
    md.push(`### Noisy first dataset (Fig. 6)\n\nEach target of the first iteration multiplied by (1 + noise N(0, 1)); T = ${p.horizon}, ${p.sweepTrajectories} solves and ${p.sweepEpochs} epochs per iteration.\n`);
    md.push(`| noise | MSE V, iteration 1 | iteration 2 | iteration 5 | iteration ${p.iterations} |`);
    md.push('|---|---|---|---|---|');
    md.push(...rows, '');
    figures['noise.svg'] = lineChart(`${task.title}: DVP from a noisy first dataset (Fig. 6)`, 'DVP iteration', 'log10 MSE to ground truth', series);
  }

  if (parts.has('sobolev') || parts.has('architectures')) {
    study.checkInterrupted();
    const count = Math.max(...p.samples, parts.has('architectures') ? 100 : 0);
    const rng = new Rng(p.seed + 17);
    const starts = Array.from({ length: count }, () => region.lower.map((lo, i) => lo + (region.upper[i]! - lo) * rng.nextFloat()));
    study.log(`regression pool: ${count} solves of T = ${p.groundTruthHorizon} from random starts`);
    const pool = groundTruth(task, starts, p.groundTruthHorizon, (done) => study.progress.update('regression pool', done, count)).data;
    const setup = { hidden: p.hidden, residual: p.residual, anchor: p.anchor ? goalOf(task) : undefined, region, epochs: p.regressionEpochs, batchSize: p.batchSize, lr: p.lr, seed: p.seed };
    if (parts.has('sobolev')) {
      const rows = sampleEfficiency(pool, truth.data, p.samples, setup, (row) => study.log(`samples ${row.samples}: Sobolev ${fmt(row.sobolev.value)}, classical ${fmt(row.classical.value)}`));
      results.sobolev = rows;
      const reach = (pick: (r: EfficiencyRow) => number, level: number) => rows.find((r) => pick(r) <= level)?.samples ?? `> ${Math.max(...p.samples)}`;
      md.push(`### Sobolev against classical regression (Fig. 7)\n\nGauss-residual networks, ${p.regressionEpochs} epochs on the first n of ${count} samples (x0, V, V_x) of T = ${p.groundTruthHorizon} solves; errors on the validation grid.\n`);
      md.push('| samples | Sobolev: MSE V | MSE V_x | classical: MSE V | MSE V_x |');
      md.push('|---|---|---|---|---|');
      md.push(...rows.map((r) => `| ${r.samples} | ${fmt(r.sobolev.value)} | ${fmt(r.sobolev.gradient)} | ${fmt(r.classical.value)} | ${fmt(r.classical.gradient)} |`));
      md.push('', `Samples for MSE V <= 1e-3: Sobolev ${reach((r) => r.sobolev.value, 1e-3)}, classical ${reach((r) => r.classical.value, 1e-3)} ` +
        `(relative MSE <= 1e-3: Sobolev ${reach((r) => r.sobolev.value / scale, 1e-3)}, classical ${reach((r) => r.classical.value / scale, 1e-3)}).\n`);
      const n = rows.map((r) => r.samples);
      figures['sobolev.svg'] = lineChart(`${task.title}: Sobolev against classical regression (Fig. 7)`, 'samples', 'log10 validation MSE', [
        { name: 'Sobolev, V', x: n, y: rows.map((r) => log10(r.sobolev.value)), dots: true, color: '#d62728' },
        { name: 'classical, V', x: n, y: rows.map((r) => log10(r.classical.value)), dots: true, color: '#1f77b4' },
        { name: 'Sobolev, V_x', x: n, y: rows.map((r) => log10(r.sobolev.gradient)), dots: true, dashed: true, color: '#d62728' },
        { name: 'classical, V_x', x: n, y: rows.map((r) => log10(r.classical.gradient)), dots: true, dashed: true, color: '#1f77b4' },
      ]);
    }
    if (parts.has('architectures')) {
      study.checkInterrupted();
      const train = { ...pool, count: 100, x: pool.x.slice(0, 100 * nx), v: pool.v.slice(0, 100), vx: pool.vx.slice(0, 100 * nx) };
      const { curves, nets } = trainingCurves(train, truth.data, setup, Math.max(1, Math.floor(p.regressionEpochs / 20)));
      results.architectures = curves;
      figures['gradients.svg'] = gradientField(task, perAxis, states, truth, nets);
      const last = (c: CurvePoint[]) => c.at(-1)!;
      md.push(`### Gauss-residual against feed-forward (Fig. 8-9)\n\nSobolev training on 100 samples, ${p.regressionEpochs} epochs; validation errors at the end.\n`);
      md.push('| network | MSE V | MSE V_x |');
      md.push('|---|---|---|');
      for (const [name, c] of Object.entries(curves)) md.push(`| ${name} | ${fmt(last(c).value)} | ${fmt(last(c).gradient)} |`);
      md.push('');
      const s = (name: string, c: CurvePoint[], key: 'value' | 'gradient', color: string, dashed = false): Series => ({ name, x: c.map((q) => q.epoch), y: c.map((q) => log10(q[key])), color, dashed });
      figures['architectures.svg'] = lineChart(`${task.title}: Gauss-residual against feed-forward (Fig. 8)`, 'epoch', 'log10 validation MSE', [
        s('Gauss-residual, V', curves['gauss-residual'], 'value', '#d62728'),
        s('feed-forward, V', curves['feed-forward'], 'value', '#2ca02c'),
        s('Gauss-residual, V_x', curves['gauss-residual'], 'gradient', '#d62728', true),
        s('feed-forward, V_x', curves['feed-forward'], 'gradient', '#2ca02c', true),
      ]);
    }
  }

  if (parts.has('ppo')) {
    const part = comparePpo(task, p, states, perAxis, study);
    results.ppo = part.results;
    md.push(part.markdown);
    Object.assign(figures, part.figures);
  }

  const minutes = (performance.now() - t0) / 60000;
  md.push(`Wall time ${minutes.toFixed(1)} min.`);
  results.minutes = minutes;
  return { results, markdown: md.join('\n'), figures };
}

/**
 * Fig. 11's "smoother", two ways: mean_t ||u_{t+1} - u_t||^2, how much the controls jump from
 * knot to knot, and mean_t ||x_{t+1} - 2 x_t + x_{t-1}||^2, how much the states zig-zag.
 */
function roughness(us: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (let t = 1; t < us.length; t++) for (let i = 0; i < us[t]!.length; i++) s += (us[t]![i]! - us[t - 1]![i]!) ** 2;
  return us.length > 1 ? s / (us.length - 1) : 0;
}

function curvature(xs: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (let t = 1; t + 1 < xs.length; t++) for (let i = 0; i < xs[t]!.length; i++) s += (xs[t + 1]![i]! - 2 * xs[t]![i]! + xs[t - 1]![i]!) ** 2;
  return xs.length > 2 ? s / (xs.length - 2) : 0;
}

/** The heat maps' states: the grid itself for two dimensions, else a sliceGrid^2 grid over the first two with the others at the goal. */
function mapStates(task: Task, p: ValueParams, states: number[][], perAxis: number): { states: number[][]; n: number; onGrid: boolean; note: string } {
  const nx = task.dynamics.nx;
  if (nx === 2) return { states, n: perAxis, onGrid: true, note: 'the validation grid' };
  const region = regionOf(task);
  const goal = goalOf(task);
  const plane = regionGrid({ lower: region.lower.slice(0, 2), upper: region.upper.slice(0, 2) }, [p.sliceGrid, p.sliceGrid]);
  const rest = goal.slice(2);
  return {
    states: plane.map((xy) => [...xy, ...rest]),
    n: p.sliceGrid,
    onGrid: false,
    note: `the slice x[2..] = goal (${rest.map((v) => v.toFixed(2)).join(', ')}) through the goal, ${p.sliceGrid} x ${p.sliceGrid} states over the first two coordinates`,
  };
}

/**
 * Part ppo (the value paper's sec. IV-D, Fig. 10-11), on the discounted problem: ground truth,
 * DVP (the dvp part's settings) and PPO (gamma = discount, one decision per dynamics step, so
 * its critic estimates the same discounted sum) on the task; values on the grid, difference
 * maps, and closed-loop trajectories of both from three starts.
 */
function comparePpo(task: Task, p: ValueParams, states: number[][], perAxis: number, study: StudyContext) {
  const gamma = p.discount;
  const region = regionOf(task);
  const nx = task.dynamics.nx;
  const H = p.groundTruthHorizon;
  const N = task.horizon;
  const seconds: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t = performance.now();
    const r = f();
    seconds[name] = (performance.now() - t) / 1000;
    return r;
  };
  const figures: Record<string, string> = {};
  const md: string[] = [];

  study.checkInterrupted();
  study.log(`ppo: discounted ground truth (gamma = ${gamma}), ${states.length} solves of T = ${H}`);
  const truth = timed('ground truth', () => groundTruth(task, states, H, (done) => study.progress.update('discounted ground truth', done, states.length), gamma));
  const scale = meanSquare(truth.data.v);
  const dvp = timed('DVP', () => dvpRun(task, dvpOptions(p, { discount: gamma }), truth, study, 'discounted DVP'));
  study.checkInterrupted();
  const bounded = task.dynamics.controlBounds !== null;
  const ppo = timed('PPO', () => trainPpo(task, {
    seed: p.seed, totalSteps: p.ppoSteps, nSteps: p.ppoNSteps, gamma, discount: gamma, actionRepeat: 1,
    actionBound: bounded ? null : p.ppoActionBound, evalEvery: Math.max(1, Math.floor(p.ppoSteps / 10)), evalInstances: 10,
    onProgress: (point, total) => {
      study.checkInterrupted();
      study.progress.update('PPO', point.steps, total, `discounted cost ${point.evalCost.toPrecision(4)}`);
    },
  }));

  // Fig. 10: the values on the grid.
  const dvpValues = predictValues(dvp.net, truth.data);
  const criticOnGrid = criticValues(ppo.policy, task, states);
  const instances = states.map((x0) => ({ x0 }));
  const longProblem = valueProblem(task, H, undefined, gamma);
  const ppoRollouts = timed('PPO rollouts', () => rlEvaluated('PPO', ppo.policy, task).rollout(instances, H));
  const ppoPolicyCost = states.map((x0, k) => (ppoRollouts.diverged[k] ? Number.POSITIVE_INFINITY : trajectoryCost(withTask(longProblem, { x0 }), ppoRollouts.xs[k]!, ppoRollouts.us[k]!)));
  const diverged = ppoRollouts.diverged.filter(Boolean).length;
  const rows = {
    dvp: valueErrorSummary(dvpValues, truth.data.v),
    critic: valueErrorSummary(criticOnGrid, truth.data.v),
    policy: diverged === 0 ? valueErrorSummary(ppoPolicyCost, truth.data.v) : null,
  };
  const last = dvp.iterations.at(-1)!;
  md.push(`### Against PPO on the discounted problem (Fig. 10-11)\n`);
  md.push(`Discount gamma = ${gamma} per step (dt = ${task.dynamics.dt}), for the ground truth (T = ${H} solves on the ${states.length}-state grid, ${truth.unconverged} not converged; mean V^2 = ${scale.toPrecision(4)}), ` +
    `DVP (T = ${p.horizon}, ${p.iterations} iterations of ${p.trajectories} solves, ${p.epochs} epochs each) and PPO (SB3's defaults, gamma = ${gamma}, environment discount ${gamma}, ` +
    `${ppo.steps} steps, one decision per dynamics step${bounded ? '' : `, actions scaled onto [-${p.ppoActionBound}, ${p.ppoActionBound}]`}, seed ${p.seed}). ` +
    `PPO's critic is read as a cost-to-go (its reward normalization undone); "PPO's policy" is the discounted cost of its deterministic rollout of ${H} steps from each state${diverged ? ` (${diverged} rollouts diverged)` : ''}.\n`);
  md.push('| value on the grid | MSE | relative MSE | mean (estimate - truth) | share above the truth |');
  md.push('|---|---|---|---|---|');
  const line = (name: string, r: ReturnType<typeof valueErrorSummary> | null) => (r === null ? `| ${name} | - | - | - | - |` : `| ${name} | ${fmt(r.mse)} | ${fmt(r.relativeMse)} | ${r.bias.toPrecision(3)} | ${(100 * r.above).toFixed(0)} % |`);
  md.push(line(`DVP, iteration ${last.iteration}`, rows.dvp), line('PPO\'s critic', rows.critic), line('PPO\'s policy (its true discounted cost)', rows.policy), '');
  md.push(`DVP by iteration (discounted): MSE ${dvp.iterations.map((r) => fmt(r.validation?.value)).join(', ')}.\n`);
  md.push(`PPO's learning curve (mean discounted cost over ${N} steps plus the terminal cost, deterministic policy, 10 instances of the task): ` +
    `${ppo.curve.map((c) => `${c.steps}: ${c.evalCost.toPrecision(4)}`).join(', ')}; ${ppo.seconds.toFixed(0)} s of training.\n`);

  // The difference maps (Fig. 10) over the grid or a slice through the goal.
  const map = mapStates(task, p, states, perAxis);
  const mapTruth = map.onGrid ? truth : timed('slice ground truth', () => groundTruth(task, map.states, H, (done) => study.progress.update('slice ground truth', done, map.states.length), gamma));
  const mapDvp = predictValues(dvp.net, mapTruth.data);
  const mapCritic = criticValues(ppo.policy, task, map.states);
  const xs = Array.from({ length: map.n }, (_, i) => map.states[i * map.n]![0]!);
  const ys = Array.from({ length: map.n }, (_, j) => map.states[j]![1]!);
  const at = (a: ArrayLike<number>) => ys.map((_, j) => xs.map((_, i) => a[i * map.n + j]!));
  const [xl, yl] = ['x[0]', 'x[1]'].map((l, k) => (task.plot.state.index === k ? task.plot.state.label : l));
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (v, k) => v - b[k]!);
  figures['ppo-value-truth.svg'] = heatmap(`${task.title}: discounted V, ground truth (gamma = ${gamma})`, xl!, yl!, xs, ys, at(mapTruth.data.v));
  figures['ppo-difference-truth-dvp.svg'] = heatmap(`${task.title}: ground truth - DVP (Fig. 10 left)`, xl!, yl!, xs, ys, at(diff(mapTruth.data.v, mapDvp)));
  figures['ppo-difference-truth-ppo.svg'] = heatmap(`${task.title}: ground truth - PPO's critic (Fig. 10 middle)`, xl!, yl!, xs, ys, at(diff(mapTruth.data.v, mapCritic)));
  figures['ppo-difference-dvp-ppo.svg'] = heatmap(`${task.title}: DVP - PPO's critic (Fig. 10 right)`, xl!, yl!, xs, ys, at(diff(mapDvp, mapCritic)));
  const onMap = { dvp: valueErrorSummary(mapDvp, mapTruth.data.v), critic: valueErrorSummary(mapCritic, mapTruth.data.v) };
  md.push(`Difference maps (ppo-difference-*.svg) on ${map.note}: there, MSE of DVP ${fmt(onMap.dvp.mse)} and of PPO's critic ${fmt(onMap.critic.mse)}; ` +
    `the truth ranges over ${Math.min(...mapTruth.data.v).toPrecision(3)} to ${Math.max(...mapTruth.data.v).toPrecision(3)}.\n`);
  figures['ppo-curve.svg'] = lineChart(`${task.title}: PPO on the discounted problem`, 'environment steps', 'discounted cost', [
    { name: 'PPO (deterministic)', x: ppo.curve.map((c) => c.steps), y: ppo.curve.map((c) => c.evalCost), dots: true },
  ]);

  // Fig. 11: closed-loop trajectories from three starts.
  study.checkInterrupted();
  // Two opposite corners and one off the diagonal (ours; (0.15, 0.85, 0.15) would mirror the first start on the unicycle: (x, y, theta) -> (-x, y, -theta) with v -> -v is a symmetry).
  const fractions = [new Array<number>(nx).fill(0.85), new Array<number>(nx).fill(0.15), Array.from({ length: nx }, (_, i) => [0.75, 0.05, 0.65, 0.35][i % 4]!)];
  const starts = fractions.map((f) => region.lower.map((lo, i) => lo + f[i]! * (region.upper[i]! - lo)));
  const dvpProblem = valueProblem(task, p.horizon, valueFunction(dvp.net), gamma);
  // Each closed loop is scored with the ground truth's objective, sum_{t<H} gamma^t l_t: the long solution's cost is V(x0).
  const score = (x0: number[], xsT: readonly ArrayLike<number>[], usT: readonly ArrayLike<number>[]) => trajectoryCost(withTask(longProblem, { x0 }), xsT, usT);
  const ppoStarts = rlEvaluated('PPO', ppo.policy, task).rollout(starts.map((x0) => ({ x0 })), H);
  const trajectories = starts.map((x0, k) => {
    const long = solveFrom(task, longProblem, x0).solution;
    const t = performance.now();
    const mpc = recedingHorizon(task, dvpProblem, x0, H);
    seconds['DVP receding horizon'] = (seconds['DVP receding horizon'] ?? 0) + (performance.now() - t) / 1000;
    const ppoXs = ppoStarts.xs[k]!;
    const ppoUs = ppoStarts.us[k]!;
    return {
      x0,
      cost: { long: score(x0, long.xs, long.us), dvp: score(x0, mpc.xs, mpc.us), ppo: ppoStarts.diverged[k] ? Number.POSITIVE_INFINITY : score(x0, ppoXs, ppoUs) },
      roughness: { long: roughness(long.us), dvp: roughness(mpc.us), ppo: roughness(ppoUs) },
      zigzag: { long: curvature(long.xs), dvp: curvature(mpc.xs), ppo: curvature(ppoXs) },
      mpc: { meanIterations: mpc.meanIterations, unconverged: mpc.unconverged },
      // The figures show the task's episode, the first N knots.
      states: { long: long.xs.slice(0, N + 1).map((x) => Array.from(x)), dvp: mpc.xs.slice(0, N + 1).map((x) => Array.from(x)), ppo: ppoXs.slice(0, N + 1).map((x) => Array.from(x)) },
    };
  });
  md.push(`Closed loops of ${H} steps from three starts (Fig. 11; the figures show the first ${N} knots): DVP is receding-horizon control, the T = ${p.horizon} problem with the learned V as terminal cost re-solved at every step ` +
    `(warm-started from the previous solution shifted by one knot); PPO its deterministic policy; "long horizon" the T = ${H} solution. ` +
    `Cost: sum_{t<${H}} gamma^t l_t, the objective of the ground truth (the long solution's cost is V(x0)); over the ${H} steps, state zig-zag: mean ||x_{t+1} - 2 x_t + x_{t-1}||^2, control jumps: mean ||u_{t+1} - u_t||^2.\n`);
  md.push(`| start | cost: T = ${H} solution (V(x0)) | DVP | PPO | state zig-zag: T = ${H} | DVP | PPO | control jumps: T = ${H} | DVP | PPO | DVP solver iterations per step |`);
  md.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of trajectories) {
    md.push(`| [${r.x0.map((v) => v.toFixed(2)).join(', ')}] | ${r.cost.long.toPrecision(4)} | ${r.cost.dvp.toPrecision(4)} | ${r.cost.ppo.toPrecision(4)} | ` +
      `${fmt(r.zigzag.long)} | ${fmt(r.zigzag.dvp)} | ${fmt(r.zigzag.ppo)} | ` +
      `${fmt(r.roughness.long)} | ${fmt(r.roughness.dvp)} | ${fmt(r.roughness.ppo)} | ${r.mpc.meanIterations.toFixed(1)}${r.mpc.unconverged ? ` (${r.mpc.unconverged} unconverged)` : ''} |`);
  }
  md.push('');
  for (let i = 0; i < nx; i++) {
    const label = task.plot.state.index === i ? task.plot.state.label : `x[${i}]`;
    const colors = ['#1f77b4', '#d62728', '#2ca02c'];
    // The long-horizon lines first, so that DVP's (often on top of them) stays visible.
    const series: Series[] = [
      ...trajectories.map((r, k): Series => ({ name: `T = ${H}, start ${k + 1}`, x: r.states.long.map((_, t) => t), y: r.states.long.map((x) => x[i]!), color: '#bbbbbb' })),
      ...trajectories.flatMap((r, k): Series[] => [
        { name: `DVP, start ${k + 1}`, x: r.states.dvp.map((_, t) => t), y: r.states.dvp.map((x) => x[i]!), color: colors[k] },
        { name: `PPO, start ${k + 1}`, x: r.states.ppo.map((_, t) => t), y: r.states.ppo.map((x) => x[i]!), color: colors[k], dashed: true },
      ]),
    ];
    figures[`ppo-trajectories-${i}.svg`] = lineChart(`${task.title}: ${label}, DVP (solid), PPO (dashed), T = ${H} (grey) (Fig. 11)`, 'knot', label, series);
  }
  md.push(`Seconds: ${Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}.\n`);

  const results = {
    discount: gamma,
    groundTruth: { states: states.length, horizon: H, unconverged: truth.unconverged, meanSquareValue: scale },
    dvp: dvp.iterations,
    ppo: { steps: ppo.steps, seconds: ppo.seconds, curve: ppo.curve, actionBound: bounded ? null : p.ppoActionBound },
    grid: rows,
    map: { note: map.note, ...onMap },
    trajectories: trajectories.map(({ x0, cost, roughness: r, zigzag, mpc }) => ({ x0, cost, zigzag, roughness: r, mpc })),
    seconds,
  };
  return { results, markdown: md.join('\n'), figures };
}

runStudyIfMain(VALUE_STUDY, import.meta.url);
