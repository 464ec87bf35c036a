/**
 * The experiment runner every experiment script shares: for each seed, the solver alone on
 * held-out instances ("TO alone"), then for each n_traj and epoch budget, Alg. 1 (collect,
 * train every method, n_algo times: learning/interplay.ts) and the evaluation of every
 * trained policy alone and as the solver's warm start, after the last iteration or after
 * each (the main paper's Fig. 2a), at one or several T_a (its Table 2c). Solves and
 * trainings run as jobs on one worker pool. After every evaluation it rewrites the output
 * folder (config.json, results.json, results.md, plots: report.ts), and Ctrl-C stops at the
 * next step with the results so far on disk.
 *
 * Seeds: training instances come from Rng(seed), held-out ones from Rng(1_000_003 + seed),
 * so the evaluation never sees a training instance and every method meets the same ones.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../autodiff/index.js';
import { loadPolicy } from '../../diffusion/index.js';
import { type TrajectorySolver, taskSolver } from '../../learning/collect.js';
import { type EvaluatedPolicy, type EvaluationContext, type MethodResult, evaluatePolicy, evaluateSolverAlone, heldOutInstances } from '../../learning/evaluate.js';
import { growingTrajectories, interplay } from '../../learning/interplay.js';
import {
  METHOD_INFO, type Method, type TrainedArtifact, type TrainingSettings, type TrainingTrajectory, mlpFromArtifact,
} from '../../learning/methods.js';
import { diffusionEvaluated, mlpEvaluated } from '../../learning/policies.js';
import { JobPool, type SolveBackend } from '../../learning/workers/jobs.js';
import { QueueBackend } from '../../learning/workers/queue.js';
import { type Task, type TaskInstance, taskByName } from '../../tasks/index.js';
import { type ExperimentConfig, type ExperimentSpec, type StartMode, helpText, parseConfig } from './config.js';
import { INTERRUPTED_EXIT_CODE, Interrupted, MultiProgress, checkInterrupted, installInterruptHandler } from './progress.js';
import { type ExperimentResults, type ExperimentRun, type RunEvaluation, type SeedResults, writeReport } from './report.js';
import { isProgram } from './study.js';
import { atomicWrite, loadArtifact, prepareFolder, provenance, removeIfPresent, saveArtifact } from './run-folder.js';

/** The training settings of a configuration (what a training job needs). */
function trainingSettings(c: ExperimentConfig): TrainingSettings {
  const { horizon, historyLength, holdEnd, diffusionSteps, alphaSob, diffusionBatch, diffusionLr, diffusionDtype, mlpDtype, mlpHidden, mlpBatch, mlpLr, unetDownDims } = c;
  return { horizon, historyLength, holdEnd, diffusionSteps, alphaSob, diffusionBatch, diffusionLr, diffusionDtype, mlpDtype, mlpHidden, mlpBatch, mlpLr, unetDownDims };
}

/** A trained artifact as a policy to roll out, diffusion policies with T_a actions per plan. */
function evaluatedFrom(task: Task, method: Method, artifact: TrainedArtifact, actionsPerPlan: number, seed: number): EvaluatedPolicy {
  if (artifact.kind === 'mlp') return mlpEvaluated(method, mlpFromArtifact(artifact), task.dynamics, task.condition && ((instance) => task.condition!(instance)));
  const rng = new Rng(seed * 7919 + 99);
  return diffusionEvaluated(method, loadPolicy(artifact.policyPath), task, { actionsPerPlan, rng });
}

/** n_traj at each iteration of Alg. 1: fixed, growing linearly (--n-traj-final) or as listed (--n-traj-per-iteration). */
function trajectorySchedule(config: ExperimentConfig, nTraj: number): number | ((iteration: number) => number) {
  const listed = config.nTrajPerIteration;
  if (listed !== undefined) return (iteration) => listed[iteration]!;
  return config.nTrajFinal === undefined ? nTraj : growingTrajectories(nTraj, config.nTrajFinal, config.nAlgo);
}

/** The T_a values a run evaluates: Alg. 1's own first, then the extra ones in increasing order. */
function evaluatedActionLengths(config: ExperimentConfig): number[] {
  const extra = [...new Set(config.evalActionsPerPlan)].filter((t) => t !== config.actionsPerPlan).sort((a, b) => a - b);
  return [config.actionsPerPlan, ...extra];
}

/**
 * Train every method on its buffer, concurrently on the pool, the longest jobs first;
 * artifacts in config order. Each finished training is stored (artifact-NAME.safetensors), so a
 * resumed run loads it; an interrupted diffusion training continues from its checkpoint.
 */
async function trainMethods(
  pool: JobPool, task: Task, config: ExperimentConfig, mode: StartMode,
  run: { seed: number; nTraj: number; epochs: number }, buffers: Map<Method, TrainingTrajectory[]>, iteration: number,
): Promise<TrainedArtifact[]> {
  const { seed, nTraj, epochs } = run;
  const progress = new MultiProgress();
  const order = [...config.methods].sort((a, b) => METHOD_INFO[b].relativeCost - METHOD_INFO[a].relativeCost);
  const trained = new Map<Method, Promise<TrainedArtifact>>();
  for (const method of order) {
    const name = `seed${seed}-n${nTraj}-e${epochs}-it${iteration}-${method}`;
    const artifactPath = join(config.out, `artifact-${name}.safetensors`);
    const stored = mode === 'resume' ? loadArtifact(artifactPath) : null;
    if (stored !== null) {
      trained.set(method, Promise.resolve(stored));
      continue;
    }
    const checkpointPath = join(config.out, `checkpoint-${name}.safetensors`);
    const job = {
      task: task.name,
      method,
      // The instance travels only where the policy is conditioned on it (Task.condition).
      trajectories: buffers.get(method)!.map(({ xs, us, K, fx, fu, instance }) => ({ xs, us, K, fx, fu, ...(task.condition ? { instance } : {}) })),
      epochs, seed, settings: trainingSettings(config),
      checkpointPath,
      policyPath: join(config.out, `policy-${name}.safetensors`),
      resumeFrom: mode === 'resume' && existsSync(checkpointPath) ? checkpointPath : undefined,
    };
    const label = `${method} (n_traj ${nTraj})`;
    trained.set(method, pool.train(job, ({ done, total, loss }) => progress.update(label, done, total, `loss ${loss.toExponential(2)}`)).then((artifact) => {
      saveArtifact(artifactPath, artifact);
      if (config.keepCheckpoints !== 'all') removeIfPresent(checkpointPath);
      return artifact;
    }));
  }
  return Promise.all(config.methods.map((method) => trained.get(method)!));
}

/** Evaluate every method's trained artifact on the held-out instances, at each T_a (the MLPs, which have none, once). */
async function evaluateMethods(
  task: Task, config: ExperimentConfig, seed: number, artifacts: ReadonlyMap<Method, TrainedArtifact>, ctx: EvaluationContext, iteration: number,
): Promise<RunEvaluation[]> {
  const evaluations: RunEvaluation[] = [];
  for (const actionsPerPlan of evaluatedActionLengths(config)) {
    const methods: Partial<Record<Method, MethodResult>> = {};
    for (const method of config.methods) {
      const artifact = artifacts.get(method)!;
      if (artifact.kind === 'mlp' && actionsPerPlan !== config.actionsPerPlan) continue;
      checkInterrupted();
      console.log(`seed ${seed}, iteration ${iteration}: evaluating ${method}${artifact.kind === 'diffusion' ? ` at T_a = ${actionsPerPlan}` : ''}`);
      methods[method] = await evaluatePolicy(evaluatedFrom(task, method, artifact, actionsPerPlan, seed), ctx);
    }
    evaluations.push({ iteration, actionsPerPlan, methods });
  }
  return evaluations;
}

/**
 * One untimed solve per worker before the timed ones. A worker's first solve runs while V8
 * still interprets and tiers up the solver's loops (several times slower than its steady
 * state: bench/ocp.ts reports it apart), and TO alone's solves come first in a run, so
 * without this their seconds would carry the warm-up and the warm starts' would not.
 * Iterations and solutions are unaffected (a solve is deterministic).
 */
async function warmUpWorkers(pool: JobPool, solver: TrajectorySolver, instance: TaskInstance): Promise<void> {
  await Promise.all(Array.from({ length: pool.size }, () => solver.solve(instance)));
}

/** What Ctrl-C does while a run is going (set by runExperiment). */
let onInterrupt = (): void => {};

/**
 * Run an experiment into config.out: a new or empty folder ('fresh'), one whose old run is
 * replaced ('force'), or the folder of an interrupted run to continue ('resume'). Resuming
 * recomputes what is cheap and deterministic (the solves, the evaluations) and loads or
 * continues the trainings, so its results equal those of a run that was never interrupted.
 */
export async function runExperiment(config: ExperimentConfig, mode: StartMode = 'fresh'): Promise<ExperimentResults> {
  const task = taskByName(config.task);
  prepareFolder(config.out, mode);
  const pool = new JobPool(config.workers || undefined);
  // Solves go to the job queue when one is given (a dead queue stops the run here, before any work).
  let solves: SolveBackend = pool;
  if (config.queue) {
    console.log(`solves go to the job queue at ${config.queue}`);
    solves = await QueueBackend.connect(config.queue).catch(async (error: unknown) => {
      await pool.close();
      throw error;
    });
  }
  if (mode === 'resume') console.log(`resuming the run in ${config.out}`);
  else atomicWrite(join(config.out, 'config.json'), `${JSON.stringify({ ...config, provenance: provenance(config, task, pool.size) }, null, 2)}\n`);
  const solver = taskSolver(task, { maxIterations: config.maxIterations, history: false }, solves);
  const results: ExperimentResults = { config, seeds: [], started: new Date().toISOString(), finished: null, interrupted: false };
  onInterrupt = () => {
    void pool.abort(new Interrupted());
    if (solves !== pool) void solves.abort(new Interrupted());
  };
  try {
    for (const seed of config.seeds) {
      const rng = new Rng(seed);
      const instances = heldOutInstances(task, seed, config.evalTasks);
      const ctx = { task, instances, solver };
      if (seed === config.seeds[0] && solves === pool) await warmUpWorkers(pool, solver, instances[0]);
      console.log(`seed ${seed}: the solver alone on ${config.evalTasks} held-out tasks`);
      const seedResult: SeedResults = { seed, toAlone: await evaluateSolverAlone(ctx), runs: [] };
      results.seeds.push(seedResult);
      for (const nTraj of config.nTraj) {
        for (const epochs of config.epochs) {
          const artifacts = new Map<Method, TrainedArtifact>();
          const run: ExperimentRun = { nTraj, epochs, evaluations: [], collections: {} };
          seedResult.runs.push(run);
          const { collections } = await interplay({
            methods: config.methods,
            iterations: config.nAlgo,
            trajectories: trajectorySchedule(config, nTraj),
            T: task.horizon,
            solver,
            sampleInstance: () => task.sampleInstance(rng),
            checkpoint: checkInterrupted,
            log: (message) => console.log(`seed ${seed}, n_traj ${nTraj}, ${message}`),
            train: async (buffers, iteration) => {
              const trained = await trainMethods(pool, task, config, mode, { seed, nTraj, epochs }, buffers, iteration);
              config.methods.forEach((method, i) => artifacts.set(method, trained[i]));
              // Alg. 1's rollouts (warm starts of the next iteration's solves) use the training T_a.
              return config.methods.map((method, i) => evaluatedFrom(task, method, trained[i], config.actionsPerPlan, seed));
            },
            afterIteration: async (iteration) => {
              if (!config.evalEveryIteration && iteration !== config.nAlgo - 1) return;
              run.evaluations.push(...await evaluateMethods(task, config, seed, artifacts, ctx, iteration + 1));
              writeReport(config.out, task, results);
            },
          });
          run.collections = Object.fromEntries(Object.entries(collections).map(([k, c]) => [k, {
            rejected: c.rejected,
            cold: c.coldIterations,
            warm: c.warmIterations,
            keptWarm: c.trajectories.filter((t) => t.source === 'warm').length,
          }]));
          writeReport(config.out, task, results);
        }
      }
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    results.interrupted = true;
    console.log('\ninterrupted: writing the results so far');
  } finally {
    onInterrupt = () => {};
    await pool.close();
    if (solves !== pool) await solves.close();
  }
  results.finished = new Date().toISOString();
  writeReport(config.out, task, results);
  if (!results.interrupted && config.keepCheckpoints === 'none') {
    for (const name of readdirSync(config.out)) if (/^(policy|artifact)-.*\.safetensors$/.test(name)) removeIfPresent(join(config.out, name));
  }
  return results;
}

/** An experiment script's whole body: parse the command line, run, print the table. Returns the results (null for --help). */
export async function runFromCommandLine(spec: ExperimentSpec, argv: string[]): Promise<ExperimentResults | null> {
  const request = parseConfig(spec, argv);
  if (request === null) {
    console.log(helpText(spec));
    return null;
  }
  const { config, mode } = request;
  installInterruptHandler(() => {
    console.log('\nCtrl-C: stopping, writing the results so far (press again to quit at once)');
    onInterrupt();
  });
  const t0 = performance.now();
  console.log(`${spec.name} experiment: seeds [${config.seeds}], n_traj [${config.nTraj}], epochs [${config.epochs}], methods [${config.methods}] -> ${config.out}`);
  const results = await runExperiment(config, mode);
  console.log(`\n${results.summaryTable ?? ''}`);
  const minutes = ((performance.now() - t0) / 60000).toFixed(1);
  if (results.interrupted) {
    console.log(`interrupted after ${minutes} min; the results so far are in ${config.out}`);
    process.exitCode = INTERRUPTED_EXIT_CODE;
  } else {
    console.log(`done in ${minutes} min; results in ${config.out}`);
  }
  return results;
}

/** Run `spec` when its script is the program (not when a test imports it). */
export function runIfMain(spec: ExperimentSpec, moduleUrl: string): void {
  if (!isProgram(spec.name, moduleUrl)) return;
  runFromCommandLine(spec, process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
