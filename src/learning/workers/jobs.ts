/**
 * The jobs the worker pool runs, as data: solve one instance of a task, solve one OC problem
 * of the consensus algorithms (with the policy's parameters and multipliers in its cost:
 * consensus/oc-solve.ts), or train one method.
 * `runJob` is what a worker does with a request (worker.mjs) and what this thread does when
 * it runs a job itself, so both give the same result. `JobPool` is the typed face of the
 * pool for the experiments.
 */
import type { ConstrainedGuess, ConstrainedOptions, OcpSolution } from '../../ocp/index.js';
import { solveOcp } from '../../ocp/index.js';
import { type TaskInstance, taskByName } from '../../tasks/index.js';
import { type ConsensusSolveBackend, type ConsensusSolveJob, type ConsensusSolveResult, solveConsensusOcp } from '../consensus/oc-solve.js';
import { type ProgressReport, type TrainedArtifact, type TrainingJob, type TrainingProgress, runTrainingJob } from '../methods.js';
import { WorkerPool } from './pool.js';

/** Solve one instance with the task's solver, from `guess` or else the task's cold guess. */
export interface SolveJob {
  kind: 'solve';
  task: string;
  instance: TaskInstance;
  guess?: ConstrainedGuess;
  /** Overrides of the task's solver options (n_max, history...). */
  options?: Partial<ConstrainedOptions>;
}

export interface TrainJob {
  kind: 'train';
  training: TrainingJob;
}

export interface ConsensusJob extends ConsensusSolveJob {
  kind: 'consensus-solve';
}

export type Job = SolveJob | ConsensusJob | TrainJob;

/**
 * Where solve jobs run: the worker threads of this process (`JobPool`, the default) or a job
 * queue that workers on other machines serve (`QueueBackend`, queue.ts). Either gives the
 * same solutions, since a job is data and its solve deterministic.
 */
export interface SolveBackend {
  solve(job: Omit<SolveJob, 'kind'>): Promise<OcpSolution>;
  /** Reject the pending solves with `reason` and stop. */
  abort(reason: Error): Promise<void>;
  close(): Promise<void>;
}
export type JobResult = OcpSolution | ConsensusSolveResult | TrainedArtifact;

/** The tasks this thread has solved once already (see solveInstance). */
const warmTasks = new Set<string>();

/**
 * Solve one instance. A task's first solve in a thread also pays for compiling its problem's
 * derivatives (jit, lazily, on first use) and for V8's warm-up: about 10 s on the UR5, whose
 * exact final gains stage the dynamics' Hessian, against 0.55 s for the same solve warm. So the first
 * time, the same solve runs twice and the second is returned: the solution is the same (a
 * solve is deterministic), and its own clock, which the evaluation reports as solving
 * seconds, measures solving only, as the benchmarks do (bench/ocp.ts reports the cold solve apart).
 */
export function solveInstance(job: SolveJob): OcpSolution {
  const task = taskByName(job.task);
  const problem = task.problem(job.instance);
  const solve = () => solveOcp(problem, task.solver, job.guess ?? task.coldGuess(problem), { ...task.solverOptions, ...job.options });
  if (!warmTasks.has(job.task)) {
    solve();
    warmTasks.add(job.task);
  }
  return solve();
}

/** Progress of a training job reaches the main thread at most this often (each report is a message). */
const PROGRESS_INTERVAL_MS = 250;

export function runJob(job: Job, report: ProgressReport = () => {}): JobResult {
  if (job.kind === 'solve') return solveInstance(job);
  if (job.kind === 'consensus-solve') return solveConsensusOcp(taskByName(job.task), job);
  let last = 0;
  return runTrainingJob(job.training, (progress) => {
    const now = Date.now();
    if (now - last > PROGRESS_INTERVAL_MS || progress.done === progress.total) {
      last = now;
      report(progress);
    }
  });
}

/** The worker pool with one method per job kind. */
export class JobPool implements SolveBackend, ConsensusSolveBackend {
  private readonly pool: WorkerPool<Job, JobResult, TrainingProgress>;

  constructor(size?: number) {
    this.pool = new WorkerPool(new URL('./worker.mjs', import.meta.url), size);
  }

  get size(): number {
    return this.pool.size;
  }

  solve(job: Omit<SolveJob, 'kind'>): Promise<OcpSolution> {
    return this.pool.run({ kind: 'solve', ...job }) as Promise<OcpSolution>;
  }

  solveConsensus(job: ConsensusSolveJob): Promise<ConsensusSolveResult> {
    return this.pool.run({ ...job, kind: 'consensus-solve' }) as Promise<ConsensusSolveResult>;
  }

  train(training: TrainingJob, report: ProgressReport): Promise<TrainedArtifact> {
    return this.pool.run({ kind: 'train', training }, report) as Promise<TrainedArtifact>;
  }

  /** Stop every worker; queued and running jobs are rejected with `reason` (training checkpoints stay on disk). */
  abort(reason: Error): Promise<void> {
    return this.pool.abort(reason);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
