/**
 * The experiment runner every experiment script shares: for each seed, the solver alone on
 * held-out instances ("TO alone"), then for each n_traj and epoch budget, Alg. 1 (collect,
 * train every method, n_algo times: learning/interplay.ts) and the evaluation of every
 * trained policy alone and as the solver's warm start. Solves and trainings run as jobs on
 * one worker pool. After every completed run it rewrites the output folder (config.json,
 * results.json, results.md, plots: report.ts), and Ctrl-C stops at the next step with the
 * results so far on disk.
 *
 * Seeds: training instances come from Rng(seed), held-out ones from Rng(1_000_003 + seed),
 * so the evaluation never sees a training instance and every method meets the same ones.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../autodiff/index.js';
import { loadPolicy } from '../diffusion/index.js';
import { taskSolver } from '../learning/collect.js';
import { type EvaluatedPolicy, type MethodResult, evaluatePolicy, evaluateSolverAlone } from '../learning/evaluate.js';
import { interplay } from '../learning/interplay.js';
import { METHOD_INFO, type Method, type TrainedArtifact, type TrainingSettings, mlpFromArtifact } from '../learning/methods.js';
import { diffusionEvaluated, mlpEvaluated } from '../learning/policies.js';
import { JobPool } from '../learning/workers/jobs.js';
import { type Task, taskByName } from '../tasks/index.js';
import { type ExperimentConfig, type ExperimentSpec, helpText, parseConfig } from './config.js';
import { Interrupted, MultiProgress, checkInterrupted, installInterruptHandler } from './progress.js';
import { type ExperimentResults, type SeedResults, writeReport } from './report.js';

/** The training settings of a configuration (what a training job needs). */
function trainingSettings(c: ExperimentConfig): TrainingSettings {
  const { horizon, historyLength, diffusionSteps, alphaSob, diffusionBatch, diffusionLr, diffusionDtype, mlpHidden, mlpBatch, mlpLr, unetDownDims } = c;
  return { horizon, historyLength, diffusionSteps, alphaSob, diffusionBatch, diffusionLr, diffusionDtype, mlpHidden, mlpBatch, mlpLr, unetDownDims };
}

/** A trained artifact as a policy the evaluation can roll out. */
function evaluatedFrom(task: Task, method: Method, artifact: TrainedArtifact, config: ExperimentConfig, seed: number): EvaluatedPolicy {
  if (artifact.kind === 'mlp') return mlpEvaluated(method, mlpFromArtifact(artifact), task.dynamics);
  const rng = new Rng(seed * 7919 + 99);
  return diffusionEvaluated(method, loadPolicy(artifact.policyPath), task.dynamics, { actionsPerPlan: config.actionsPerPlan, rng });
}

/** Train every method on its buffer, concurrently on the pool, the longest jobs first; policies in config order. */
async function trainMethods(
  pool: JobPool, task: Task, config: ExperimentConfig, run: { seed: number; nTraj: number; epochs: number },
  buffers: Map<Method, { xs: Float64Array[]; us: Float64Array[]; K: Float64Array[]; fx: Float64Array[]; fu: Float64Array[] }[]>, iteration: number,
): Promise<EvaluatedPolicy[]> {
  const { seed, nTraj, epochs } = run;
  const progress = new MultiProgress();
  const order = [...config.methods].sort((a, b) => METHOD_INFO[b].relativeCost - METHOD_INFO[a].relativeCost);
  const trained = new Map<Method, Promise<TrainedArtifact>>();
  for (const method of order) {
    const name = `seed${seed}-n${nTraj}-e${epochs}-it${iteration}-${method}`;
    const job = {
      task: task.name,
      method,
      trajectories: buffers.get(method)!.map(({ xs, us, K, fx, fu }) => ({ xs, us, K, fx, fu })),
      epochs, seed, settings: trainingSettings(config),
      checkpointPath: join(config.out, `checkpoint-${name}.ckpt`),
      policyPath: join(config.out, `policy-${name}.ckpt`),
    };
    const label = `${method} (n_traj ${nTraj})`;
    trained.set(method, pool.train(job, ({ done, total, loss }) => progress.update(label, done, total, `loss ${loss.toExponential(2)}`)));
  }
  const artifacts = await Promise.all(config.methods.map((method) => trained.get(method)!));
  return config.methods.map((method, i) => evaluatedFrom(task, method, artifacts[i], config, seed));
}

function atomicWrite(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** What Ctrl-C does while a run is going (set by runExperiment). */
let onInterrupt = (): void => {};

export async function runExperiment(config: ExperimentConfig): Promise<ExperimentResults> {
  const task = taskByName(config.task);
  mkdirSync(config.out, { recursive: true });
  atomicWrite(join(config.out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const pool = new JobPool(config.workers || undefined);
  const solver = taskSolver(task, { maxIterations: config.maxIterations, history: false }, pool);
  const results: ExperimentResults = { config, seeds: [], started: new Date().toISOString(), finished: null, interrupted: false };
  onInterrupt = () => void pool.abort(new Interrupted());
  try {
    for (const seed of config.seeds) {
      const rng = new Rng(seed);
      const heldOut = new Rng(1_000_003 + seed);
      const instances = Array.from({ length: config.evalTasks }, () => task.sampleInstance(heldOut));
      const ctx = { task, instances, solver };
      console.log(`seed ${seed}: the solver alone on ${config.evalTasks} held-out tasks`);
      const seedResult: SeedResults = { seed, toAlone: await evaluateSolverAlone(ctx), runs: [] };
      results.seeds.push(seedResult);
      for (const nTraj of config.nTraj) {
        for (const epochs of config.epochs) {
          const { policies, collections } = await interplay({
            methods: config.methods,
            iterations: config.nAlgo,
            trajectories: nTraj,
            T: task.horizon,
            solver,
            sampleInstance: () => task.sampleInstance(rng),
            checkpoint: checkInterrupted,
            log: (message) => console.log(`seed ${seed}, n_traj ${nTraj}, ${message}`),
            train: (buffers, iteration) => trainMethods(pool, task, config, { seed, nTraj, epochs }, buffers, iteration),
          });
          const methods: Partial<Record<Method, MethodResult>> = {};
          for (const method of config.methods) {
            checkInterrupted();
            console.log(`seed ${seed}, n_traj ${nTraj}: evaluating ${method}`);
            methods[method] = await evaluatePolicy(policies.get(method)!, ctx);
          }
          const summary = Object.fromEntries(Object.entries(collections).map(([k, c]) => [k, { rejected: c.rejected, cold: c.coldIterations, warm: c.warmIterations }]));
          seedResult.runs.push({ nTraj, epochs, methods, collections: summary });
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
  }
  results.finished = new Date().toISOString();
  writeReport(config.out, task, results);
  return results;
}

/** An experiment script's whole body: parse the command line, run, print the table. */
export async function runFromCommandLine(spec: ExperimentSpec, argv: string[]): Promise<void> {
  const config = parseConfig(spec, argv);
  if (config === null) {
    console.log(helpText(spec));
    return;
  }
  installInterruptHandler(() => {
    console.log('\nCtrl-C: stopping, writing the results so far (press again to quit at once)');
    onInterrupt();
  });
  const t0 = performance.now();
  console.log(`${spec.name} experiment: seeds [${config.seeds}], n_traj [${config.nTraj}], epochs [${config.epochs}], methods [${config.methods}] -> ${config.out}`);
  const results = await runExperiment(config);
  console.log(`\n${results.summaryTable ?? ''}`);
  console.log(`done in ${((performance.now() - t0) / 60000).toFixed(1)} min; results in ${config.out}`);
}

/** Run `spec` when its script is the program (not when a test imports it). */
export function runIfMain(spec: ExperimentSpec, moduleUrl: string): void {
  const script = process.argv[1];
  if (script === undefined || !(moduleUrl === `file://${script}` || moduleUrl.endsWith(`/${spec.name}.ts`) && script.endsWith(`${spec.name}.ts`))) return;
  runFromCommandLine(spec, process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
