/**
 * One loop for the consensus paper's algorithms (algorithms.ts): alternate an OC phase on a
 * fixed set of sampled instances beta^(i) (eq. 6, 11) and a learning phase on the policy,
 * with, for the ADMM kinds, a dual update (Alg. 2, line 4; eq. 16 for +M).
 *
 *   for k = 1..M
 *     OC:       per instance, solveCore on R(beta^(i); u) [+ the consensus terms of
 *               ocp/consensus-cost.ts], from the policy's rollout or the previous iterate
 *     learning: Adam epochs on eq. (7) (PDDP, PODS, DPL: targets u_t) or on the augmented
 *               Lagrangian's regression (PLAL: targets u_t + lambda_t/mu at x_t, or at 2x_t
 *               for +M), with the Sobolev term on the gains K_t for +S (eq. 8)
 *     +M:       2x_t moves to minimize mu/2 ||u + lambda/mu - pi(2x)||^2 + mu/2 ||1x + gamma/mu - 2x||^2
 *               (one Gauss-Newton step per knot: the (theta, 2X) block of ADMM, ours)
 *     dual:     lambda_t += mu (u_t - pi(x_t)),  gamma_t += mu (1x_t - 2x_t)   (mu schedule below)
 *     evaluate: the policy's rollouts on held-out instances (test cost against simulator calls)
 *
 * mu schedules (the paper's Fig. 5 right, and its suggested improvement): `constant`;
 * `geometric` (mu *= muFactor each iteration, up to muMax); `bcl`, in the spirit of the
 * bound-constrained Lagrangian of Conn, Gould and Toint (1991): the multipliers are updated
 * only when the consensus residual is below a tolerance eta, which then halves; otherwise
 * mu *= muFactor (up to muMax) and the multipliers are kept.
 *
 * Simulator calls (simulator.ts) count every step and Jacobian of the dynamics during
 * training.
 *
 * The OC phase's solves are independent: each goes as a job (oc-solve.ts: the instance, the
 * guess, the consensus terms with the policy's parameters as data) to the run's solve backend,
 * all of a phase at once, and the results come back in the instances' order. With a worker
 * pool (workers/jobs.ts: JobPool) they run in parallel, as Alg. 1 says; without one, on this
 * thread one after the other. A job gives the same solution on either, so the run is the same
 * to the bit; only `ocSeconds` (the wall time of the phase) changes, while `ocSolveSeconds`
 * sums each solve's own time, the measure of the OC phase's cost per solve.
 */
import { Rng } from '../../autodiff/index.js';
import { Matrix, choleskySolve } from '../../linalg/index.js';
import type { InitialGuess, OcpProblem, OcpSolution, PolicyFunction } from '../../ocp/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import { type MlpPolicy, type PairDataset, trainMlpPolicy } from '../mlp-policy.js';
import { type ConsensusAlgorithm } from './algorithms.js';
import { type ConsensusSolveBackend, type ConsensusTermsData, inProcessBackend } from './oc-solve.js';
import { policyData, policyFunction } from './policy.js';
import { CountingDynamics, onDynamics, rolloutPolicy } from './simulator.js';

export type MuSchedule = 'constant' | 'geometric' | 'bcl';

export interface ConsensusSettings {
  /** M, outer iterations. */
  iterations: number;
  /** Adam epochs of the learning phase per iteration (over the N T pairs). */
  epochs: number;
  batchSize: number;
  lr: number;
  /** Weight of the Sobolev term when the algorithm has +S. */
  alphaSob: number;
  /** mu of the augmented Lagrangian (PLAL) or of the penalty (DPL) at the start. */
  mu: number;
  muSchedule: MuSchedule;
  muFactor: number;
  muMax: number;
  /** bcl: the first tolerance eta on the RMS consensus residual. */
  bclTolerance: number;
  /** n_max of each OC phase's solve (PODS: one iteration regardless). */
  maxSolverIterations: number;
  /** Shuffles the pairs and draws the Sobolev projections. */
  seed: number;
}

export const DEFAULT_CONSENSUS_SETTINGS: ConsensusSettings = {
  iterations: 10,
  epochs: 20,
  batchSize: 256,
  lr: 1e-3,
  alphaSob: 1,
  mu: 1,
  muSchedule: 'constant',
  muFactor: 10,
  muMax: 1e4,
  bclTolerance: 0.1,
  maxSolverIterations: 1000,
  seed: 0,
};

/** What one iteration did and what the policy is worth after it. */
export interface IterationRecord {
  iteration: number;
  /** Cumulative simulator calls (steps + Jacobians) of training so far. */
  simulatorCalls: number;
  /** Held-out instances: the policy's costs J (eq. 3), infinite where the rollout diverged. */
  testCosts: number[];
  /** RMS over knots and instances of u_t - pi(x_t) (at 2x_t for +M) after the learning phase. */
  consensusResidual: number;
  /** +M: RMS of 1x_t - 2x_t; 0 otherwise. */
  stateResidual: number;
  /** mu after this iteration's schedule step. */
  mu: number;
  /** Whether the multipliers were updated (bcl may skip). */
  dualUpdated: boolean;
  /** Mean solver iterations of the OC phase, and how many solves converged. */
  ocIterations: number;
  ocConverged: number;
  /** Wall seconds of the OC phase (its solves in parallel on a pool) and of the learning phase. */
  ocSeconds: number;
  /** The OC phase's solves' own seconds, summed (each measured on the thread that ran it). */
  ocSolveSeconds: number;
  learnSeconds: number;
  /** Mean loss of the last epoch. */
  loss: number;
}

export interface ConsensusResult {
  algorithm: string;
  /** The evaluation of the initial policy (iteration 0, no simulator calls yet), then one per iteration. */
  history: IterationRecord[];
  policy: MlpPolicy;
}

export interface ConsensusRun {
  task: Task;
  algorithm: ConsensusAlgorithm;
  settings: ConsensusSettings;
  /** The fixed training instances beta^(i). */
  instances: readonly TaskInstance[];
  /** Held-out instances for the test cost. */
  testInstances: readonly TaskInstance[];
  /** The initial policy (the same for every algorithm of a comparison). */
  policy: MlpPolicy;
  /** Called after each iteration (progress, Ctrl-C). */
  onIteration?: (record: IterationRecord) => void;
  /** Where the OC solves run: a worker pool (whose workers find the task by name: a registered task); absent: this thread, one after the other. */
  backend?: ConsensusSolveBackend;
}

function checkSettings(s: ConsensusSettings): void {
  const positiveInt = ['iterations', 'epochs', 'batchSize', 'maxSolverIterations'] as const;
  for (const key of positiveInt) if (!Number.isInteger(s[key]) || s[key] < 1) throw new RangeError(`consensus: ${key} must be a positive integer, got ${s[key]}`);
  for (const key of ['lr', 'mu', 'muMax', 'bclTolerance'] as const) if (!(s[key] > 0)) throw new RangeError(`consensus: ${key} must be positive, got ${s[key]}`);
  if (!(s.alphaSob >= 0)) throw new RangeError(`consensus: alphaSob must be >= 0, got ${s.alphaSob}`);
  if (!(s.muFactor >= 1)) throw new RangeError(`consensus: muFactor must be >= 1, got ${s.muFactor}`);
  if (!['constant', 'geometric', 'bcl'].includes(s.muSchedule)) throw new RangeError(`consensus: muSchedule "${s.muSchedule}" is not constant, geometric or bcl`);
}

/** Per instance: the ADMM variables that persist between iterations. */
interface InstanceState {
  problem: OcpProblem;
  /** The last OC solution. */
  solution: OcpSolution | null;
  lambda: Float64Array[];
  /** +M: 2x_t and gamma_t. */
  states2: Float64Array[];
  gamma: Float64Array[];
}

const rms = (sumSquares: number, count: number) => Math.sqrt(sumSquares / Math.max(count, 1));

/** The test cost of a policy on held-out instances (uncounted rollouts on the task's own dynamics). */
export function testCosts(task: Task, policy: PolicyFunction, instances: readonly TaskInstance[]): number[] {
  return instances.map((instance) => rolloutPolicy(task.problem(instance), policy).cost);
}

export async function trainConsensus(run: ConsensusRun): Promise<ConsensusResult> {
  const { task, algorithm, settings: s, instances } = run;
  checkSettings(s);
  if (task.solver === 'constrained') throw new RangeError(`consensus: task ${task.name} uses the constrained solver, which the consensus OC phase does not wrap`);
  const { nx, nu } = task.dynamics;
  const T = task.horizon;
  const mode = task.solver;
  const dynamics = new CountingDynamics(task.dynamics);
  const rng = new Rng(s.seed);
  const admm = algorithm.consensus !== 'projection';
  const backend = run.backend ?? inProcessBackend(task);
  const states: InstanceState[] = instances.map((instance) => ({
    problem: onDynamics(task.problem(instance), dynamics, algorithm.constrained ? 'keep' : 'lift'),
    solution: null,
    lambda: Array.from({ length: T }, () => new Float64Array(nu)),
    states2: [],
    gamma: Array.from({ length: T }, () => new Float64Array(nx)),
  }));
  let policy = run.policy;
  let pi = policyFunction(policy);
  let mu = s.mu;
  let eta = s.bclTolerance;
  const history: IterationRecord[] = [{
    iteration: 0, simulatorCalls: 0, testCosts: testCosts(task, pi, run.testInstances), consensusResidual: NaN, stateResidual: 0,
    mu, dualUpdated: false, ocIterations: 0, ocConverged: 0, ocSeconds: 0, ocSolveSeconds: 0, learnSeconds: 0, loss: NaN,
  }];
  const piValue = new Float64Array(nu);
  const piJacobian = new Float64Array(nu * nx);

  for (let k = 1; k <= s.iterations; k++) {
    // --- OC phase (Alg. 1 line 3, Alg. 2 line 2)
    const ocStart = performance.now();
    let ocIterations = 0;
    let ocConverged = 0;
    let ocSolveSeconds = 0;
    const muKnots = new Float64Array(T).fill(mu);
    // The policy's parameters travel once per phase as data (single shooting needs pi inside the solver).
    const piData = admm && !algorithm.multipleShooting ? policyData(policy) : undefined;
    const options = { history: false, maxIterations: algorithm.ocIterations ?? s.maxSolverIterations };
    const jobs = states.map((st, n) => {
      let guess: InitialGuess;
      if (algorithm.guess === 'previous' && st.solution !== null) guess = { xs: st.solution.xs, us: st.solution.us };
      else {
        const r = rolloutPolicy(st.problem, pi);
        // A diverged rollout is no guess: the solver starts from the task's cold guess instead.
        guess = r.diverged ? task.coldGuess(st.problem) : { xs: r.xs, us: r.us };
      }
      if (algorithm.multipleShooting && st.states2.length === 0) st.states2 = guess.xs!.slice(0, T).map((x) => Float64Array.from(x));
      let terms: ConsensusTermsData | undefined;
      if (admm) {
        terms = algorithm.multipleShooting
          ? {
            mu: muKnots, lambda: st.lambda,
            shooting: { controls: st.states2.map((x) => { const u = new Float64Array(nu); pi.evaluate(x, u, null); return u; }), states: st.states2, gamma: st.gamma },
          }
          : { mu: muKnots, lambda: st.lambda, policy: piData };
      }
      return backend.solveConsensus({ task: task.name, instance: instances[n]!, constrained: algorithm.constrained, guess, options, terms });
    });
    for (const [n, result] of (await Promise.all(jobs)).entries()) {
      const st = states[n]!;
      const { solution } = result;
      dynamics.add(result.calls);
      ocSolveSeconds += result.seconds;
      ocIterations += solution.iterations;
      if (solution.converged) ocConverged++;
      // A solve that blew up keeps the previous iterate (or contributes nothing on the first iteration).
      if (solution.xs.every((x) => x.every(Number.isFinite)) && solution.us.every((u) => u.every(Number.isFinite))) st.solution = solution;
    }
    const ocSeconds = (performance.now() - ocStart) / 1000;

    // --- learning phase (Alg. 1 line 4, Alg. 2 line 3)
    const learnStart = performance.now();
    const solved = states.filter((st) => st.solution !== null);
    if (solved.length === 0) throw new Error(`consensus ${algorithm.name}: no OC solution is finite at iteration ${k}`);
    const count = solved.length * T;
    const data: PairDataset = { count, stateDim: nx, controlDim: nu, x: new Float64Array(count * nx), u: new Float64Array(count * nu), K: new Float64Array(count * nu * nx) };
    let row = 0;
    for (const st of solved) {
      const sol = st.solution!;
      for (let t = 0; t < T; t++, row++) {
        data.x.set(algorithm.multipleShooting ? st.states2[t]! : sol.xs[t]!, row * nx);
        for (let i = 0; i < nu; i++) data.u[row * nu + i] = sol.us[t]![i]! + (admm ? st.lambda[t]![i]! / mu : 0);
        data.K.set(sol.K[t]!, row * nu * nx);
      }
    }
    let loss = NaN;
    policy = trainMlpPolicy(policy, data, {
      epochs: s.epochs, batchSize: s.batchSize, lr: s.lr, alphaSob: algorithm.sobolev ? s.alphaSob : 0, rng,
      onEpoch: (_e, l) => { loss = l; },
    });
    pi = policyFunction(policy);

    // +M: the learning copy of the states, one Gauss-Newton step per knot on its two penalty terms.
    if (algorithm.multipleShooting) {
      for (const st of solved) {
        const sol = st.solution!;
        for (let t = 0; t < T; t++) {
          const y = st.states2[t]!;
          pi.evaluate(y, piValue, piJacobian);
          const H = new Matrix(nx, nx);
          const g = new Float64Array(nx);
          for (let a = 0; a < nx; a++) {
            H.data[a * nx + a] += 1;
            g[a] = sol.xs[t]![a]! + st.gamma[t]![a]! / mu - y[a]!;
            for (let i = 0; i < nu; i++) g[a] += piJacobian[i * nx + a]! * (sol.us[t]![i]! + st.lambda[t]![i]! / mu - piValue[i]!);
            for (let b = 0; b < nx; b++) for (let i = 0; i < nu; i++) H.data[a * nx + b] += piJacobian[i * nx + a]! * piJacobian[i * nx + b]!;
          }
          const d = choleskySolve(H, g);
          for (let a = 0; a < nx; a++) y[a] += d[a]!;
        }
      }
    }

    // --- residuals and the dual update (Alg. 2 line 4, eq. 16)
    let sumU = 0;
    let sumX = 0;
    const uResidual: Float64Array[][] = [];
    for (const st of solved) {
      const sol = st.solution!;
      const perKnot: Float64Array[] = [];
      for (let t = 0; t < T; t++) {
        pi.evaluate(algorithm.multipleShooting ? st.states2[t]! : sol.xs[t]!, piValue, null);
        const r = Float64Array.from(sol.us[t]!, (u, i) => u - piValue[i]!);
        perKnot.push(r);
        for (const v of r) sumU += v * v;
        if (algorithm.multipleShooting) for (let a = 0; a < nx; a++) sumX += (sol.xs[t]![a]! - st.states2[t]![a]!) ** 2;
      }
      uResidual.push(perKnot);
    }
    const consensusResidual = rms(sumU, count * nu);
    const stateResidual = algorithm.multipleShooting ? rms(sumX, count * nx) : 0;
    let dualUpdated = false;
    if (algorithm.consensus === 'augmentedLagrangian') {
      const residual = Math.hypot(consensusResidual, stateResidual);
      dualUpdated = s.muSchedule !== 'bcl' || residual <= eta;
      if (dualUpdated) {
        solved.forEach((st, n) => {
          for (let t = 0; t < T; t++) {
            for (let i = 0; i < nu; i++) st.lambda[t]![i] += mu * uResidual[n]![t]![i]!;
            if (algorithm.multipleShooting) for (let a = 0; a < nx; a++) st.gamma[t]![a] += mu * (st.solution!.xs[t]![a]! - st.states2[t]![a]!);
          }
        });
      }
      if (s.muSchedule === 'geometric') mu = Math.min(mu * s.muFactor, s.muMax);
      else if (s.muSchedule === 'bcl') {
        if (dualUpdated) eta /= 2;
        else mu = Math.min(mu * s.muFactor, s.muMax);
      }
    }
    const learnSeconds = (performance.now() - learnStart) / 1000;

    const record: IterationRecord = {
      iteration: k, simulatorCalls: dynamics.total, testCosts: testCosts(task, pi, run.testInstances), consensusResidual, stateResidual,
      mu, dualUpdated, ocIterations: ocIterations / states.length, ocConverged, ocSeconds, ocSolveSeconds, learnSeconds, loss,
    };
    history.push(record);
    run.onIteration?.(record);
  }
  return { algorithm: algorithm.name, history, policy };
}
