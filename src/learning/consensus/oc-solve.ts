/**
 * One solve of the consensus OC phase (eq. 6; eq. 13 or 15 for the ADMM kinds) as data, so it
 * can run on a worker of the pool (workers/jobs.ts, kind `consensus-solve`) or on this thread
 * with the same result to the bit: the job names the task and carries the instance, the guess,
 * the solver's options and the consensus terms (mu_t, lambda_t, and the policy's parameters as
 * typed arrays for single shooting, or the targets pi(2x_t), 2x_t, gamma_t for +M).
 * `solveConsensusOcp` rebuilds the problem on fresh counting dynamics and the objective from
 * the terms (`consensusTermsObjective`, the one place both threads build it), runs
 * `solveCore`, and returns the solution with the simulator calls it made and its own seconds.
 */
import {
  type InitialGuess, type Objective, type OcpProblem, type OcpSolution, type SolverOptions, consensusObjective, solveCore,
} from '../../ocp/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import { type PolicyData, policyFunction } from './policy.js';
import { CountingDynamics, type SimulatorCalls, onDynamics } from './simulator.js';

/** The consensus terms of ocp/consensus-cost.ts as data: the policy as its parameters. */
export interface ConsensusTermsData {
  /** mu_t per knot (T entries). */
  mu: Float64Array;
  /** lambda_t (T entries of nu). */
  lambda: Float64Array[];
  /** Single shooting (eq. 13): the policy, evaluated with its Jacobian inside the solver ... */
  policy?: PolicyData;
  /** ... or multiple shooting (eq. 15): pi(2x_t), 2x_t and gamma_t, constants of the OC phase. */
  shooting?: { controls: Float64Array[]; states: Float64Array[]; gamma: Float64Array[] };
}

export interface ConsensusSolveJob {
  /** A registered task (tasks/index.ts: taskByName), for a worker to rebuild it. */
  task: string;
  instance: TaskInstance;
  /** false: the box on u lifted (-C, PODS, DPL). */
  constrained: boolean;
  guess: InitialGuess;
  /** Overrides of the task's solver options (n_max, history). */
  options: Partial<SolverOptions>;
  /** Absent: the problem's own cost (PDDP, PODS). */
  terms?: ConsensusTermsData;
}

export interface ConsensusSolveResult {
  solution: OcpSolution;
  /** Steps and Jacobians of the dynamics during this solve. */
  calls: SimulatorCalls;
  /** This solve's own wall seconds (on the thread that ran it). */
  seconds: number;
}

/** Where the OC phase's solves run: a worker pool (workers/jobs.ts: JobPool) or, absent one, this thread. */
export interface ConsensusSolveBackend {
  solveConsensus(job: ConsensusSolveJob): Promise<ConsensusSolveResult>;
}

/** The problem's costs plus the consensus terms given as data. */
export function consensusTermsObjective(problem: OcpProblem, terms: ConsensusTermsData): Objective {
  return consensusObjective(problem, {
    mu: terms.mu,
    lambda: terms.lambda,
    ...(terms.policy !== undefined ? { policy: policyFunction(terms.policy) } : {}),
    ...(terms.shooting !== undefined ? { shooting: terms.shooting } : {}),
  });
}

/** Solve one job on this thread; `task` is the one `job.task` names (a worker looks it up, the main thread passes its own). */
export function solveConsensusOcp(task: Task, job: ConsensusSolveJob): ConsensusSolveResult {
  if (task.name !== job.task) throw new RangeError(`solveConsensusOcp: the job names task "${job.task}", got task "${task.name}"`);
  if (task.solver === 'constrained') throw new RangeError(`solveConsensusOcp: task ${task.name} uses the constrained solver, which the consensus OC phase does not wrap`);
  const start = performance.now();
  const dynamics = new CountingDynamics(task.dynamics);
  const problem = onDynamics(task.problem(job.instance), dynamics, job.constrained ? 'keep' : 'lift');
  const objective = job.terms === undefined ? undefined : consensusTermsObjective(problem, job.terms);
  const solution = solveCore(problem, task.solver, { ...task.solverOptions, ...job.options }, job.guess, objective).solution;
  return { solution, calls: { ...dynamics.calls }, seconds: (performance.now() - start) / 1000 };
}

/** The backend without a pool: each solve on this thread, one after the other (tests, browsers). */
export function inProcessBackend(task: Task): ConsensusSolveBackend {
  return { solveConsensus: async (job) => solveConsensusOcp(task, job) };
}
