/**
 * The main job: the inverted-pendulum experiment of the main paper (Fig. 1). Solver
 * trajectories (with their gains) train four policies, Sob+Diff, Diff, MLP and Sob+MLP;
 * each is evaluated alone and as a warm start for the solver on held-out tasks, against the
 * solver alone (TO alone). Alg. 1 with n_algo iterations; the default is one iteration, one
 * seed, n_traj in {3, 10}, n_pl = 1000 epochs, 50 held-out tasks.
 *
 * T_a = 9 by default: the paper's pendulum rollout executes 9 actions per plan (T = 200 in 23
 * plans, DESIGN section 5). Measured on the default run's Sob+Diff policy (n_traj = 3): mean
 * cost 36.7 with T_a = 31, 32.5 with 16, 31.8 with 9, 31.6 with 4, against 30.1 for the
 * solver; Diff stays near 76 whatever T_a (its plans themselves are wrong, not their length).
 *
 *   npx tsx src/experiments/pendulum.ts [--full] [--help] [flags]
 *
 * Writes runs/pendulum/<timestamp>/ (or --out DIR): config.json, results.json, results.md
 * and SVG plots. The task is defined in src/learning/pendulum-task.ts.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../autodiff/index.js';
import { loadPolicy } from '../diffusion/index.js';
import { SolverPool } from '../ocp/index.js';
import { requestSolver } from '../learning/collect.js';
import { interplay } from '../learning/interplay.js';
import { type EvaluatedPolicy, type MethodResult, type SolverAloneResult, evaluatePolicy, evaluateSolverAlone } from '../learning/evaluate.js';
import {
  PENDULUM_TASK, PENDULUM_TASK_MODULE, pendulumCost, pendulumModel, pendulumSwingUp, samplePendulumStarts,
} from '../learning/pendulum-task.js';
import { diffusionEvaluated, mlpEvaluated } from '../learning/policies.js';
import { METHODS, type Method, type TrainedArtifact, type TrainingSettings, mlpFromArtifact } from '../learning/train-methods.js';
import { TrainingPool } from '../learning/training-pool.js';
import { Interrupted, MultiProgress, checkInterrupted, installInterruptHandler } from './progress.js';
import { type PendulumResults, writeReport } from './report.js';

export { METHODS, type Method };

/** The experiment's settings: the training settings of every method, and the protocol. */
export interface PendulumConfig extends TrainingSettings {
  seeds: number[];
  nTraj: number[];
  epochs: number[];
  methods: Method[];
  nAlgo: number;
  evalTasks: number;
  /** T_a of the diffusion rollout. */
  actionsPerPlan: number;
  /** Solver iteration cap n_max. */
  maxIterations: number;
  workers: number;
  out: string;
}

const HELP = `Usage: npx tsx src/experiments/pendulum.ts [flags]

The main paper's pendulum experiment (Fig. 1): Sob+Diff, Diff, MLP and Sob+MLP trained on
solver trajectories, evaluated alone and as solver warm starts on held-out tasks, against
the solver alone. Writes config.json, results.json, results.md and SVG plots.

  --seeds LIST         comma-separated seeds (default 0)
  --n-traj LIST        numbers of training trajectories (default 3,10)
  --epochs LIST        training epochs n_pl (default 1000)
  --methods LIST       any of ${METHODS.join(',')} (default all)
  --n-algo N           iterations of Alg. 1 (default 1)
  --eval-tasks N       held-out tasks (default 50)
  --th N               T_h, chunk length (default 32)
  --to N               T_o, observation history (default 1)
  --ta N               T_a, actions executed per plan (default 9)
  --k N                diffusion steps K (default 5)
  --alpha-sob X        weight of the Sobolev terms (default 1)
  --batch N            diffusion batch size (default 64)
  --max-iterations N   solver cap n_max (default 1000)
  --workers N          worker threads for solves and for training (default: cores)
  --out DIR            output folder (default runs/pendulum/<timestamp>)
  --float64            train the diffusion policies in float64 (default float32, as PyTorch)
  --full               the paper's protocol: n_traj 3,5,10,20,50, seeds 0..4, epochs 1000,2000
  --help               this text
`;

function list(s: string, what: string): number[] {
  const values = s.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new RangeError(`--${what}: expected numbers separated by commas, got "${s}"`);
  return values;
}

function positiveInteger(s: string, what: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${what}: expected a positive integer, got "${s}"`);
  return v;
}

export function parseConfig(argv: string[]): PendulumConfig | null {
  const { values: f } = parseArgs({
    args: argv,
    options: {
      seeds: { type: 'string', default: '0' },
      'n-traj': { type: 'string', default: '3,10' },
      epochs: { type: 'string', default: '1000' },
      methods: { type: 'string', default: METHODS.join(',') },
      'n-algo': { type: 'string', default: '1' },
      'eval-tasks': { type: 'string', default: '50' },
      th: { type: 'string', default: '32' },
      to: { type: 'string', default: '1' },
      ta: { type: 'string', default: '9' },
      k: { type: 'string', default: '5' },
      'alpha-sob': { type: 'string', default: '1' },
      batch: { type: 'string', default: '64' },
      'max-iterations': { type: 'string', default: '1000' },
      workers: { type: 'string' },
      out: { type: 'string' },
      full: { type: 'boolean', default: false },
      float64: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (f.help) return null;
  const methods = f.methods!.split(',').map((m) => m.trim());
  for (const m of methods) if (!(METHODS as readonly string[]).includes(m)) throw new RangeError(`--methods: unknown method "${m}" (known: ${METHODS.join(', ')})`);
  const horizon = positiveInteger(f.th!, 'th');
  const historyLength = positiveInteger(f.to!, 'to');
  const actionsPerPlan = positiveInteger(f.ta!, 'ta');
  if (historyLength - 1 + actionsPerPlan > horizon) throw new RangeError(`--ta ${actionsPerPlan}: T_o - 1 + T_a must not exceed T_h = ${horizon}`);
  if (horizon >= PENDULUM_TASK.horizon) throw new RangeError(`--th ${horizon}: must be shorter than the task horizon ${PENDULUM_TASK.horizon}`);
  const alphaSob = Number(f['alpha-sob']);
  if (!(alphaSob >= 0)) throw new RangeError(`--alpha-sob: expected a non-negative number, got "${f['alpha-sob']}"`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    seeds: f.full ? [0, 1, 2, 3, 4] : list(f.seeds!, 'seeds'),
    nTraj: f.full ? [3, 5, 10, 20, 50] : list(f['n-traj']!, 'n-traj').map((n) => positiveInteger(String(n), 'n-traj')),
    epochs: f.full ? [1000, 2000] : list(f.epochs!, 'epochs').map((n) => positiveInteger(String(n), 'epochs')),
    methods: methods as Method[],
    nAlgo: positiveInteger(f['n-algo']!, 'n-algo'),
    evalTasks: positiveInteger(f['eval-tasks']!, 'eval-tasks'),
    horizon,
    historyLength,
    actionsPerPlan,
    diffusionSteps: positiveInteger(f.k!, 'k'),
    alphaSob,
    diffusionBatch: positiveInteger(f.batch!, 'batch'),
    diffusionLr: 1e-3,
    diffusionDtype: f.float64 ? 'float64' : 'float32',
    mlpHidden: [256, 256],
    mlpBatch: 256,
    mlpLr: 1e-3,
    maxIterations: positiveInteger(f['max-iterations']!, 'max-iterations'),
    workers: f.workers === undefined ? 0 : positiveInteger(f.workers, 'workers'),
    out: f.out ?? join('runs', 'pendulum', stamp),
  };
}

/** Relative training times measured on the default run, to start the longest jobs first. */
const EXPECTED_COST: Record<Method, number> = { 'sob-diff': 4, 'sob-mlp': 3, diff: 2, mlp: 1 };

/** The training settings of a configuration (what a training worker needs). */
function trainingSettings(c: PendulumConfig): TrainingSettings {
  const { horizon, historyLength, diffusionSteps, alphaSob, diffusionBatch, diffusionLr, diffusionDtype, mlpHidden, mlpBatch, mlpLr, unetDownDims } = c;
  return { horizon, historyLength, diffusionSteps, alphaSob, diffusionBatch, diffusionLr, diffusionDtype, mlpHidden, mlpBatch, mlpLr, unetDownDims };
}

/** A trained artifact as a policy the evaluation can roll out. */
function evaluatedFrom(method: Method, artifact: TrainedArtifact, config: PendulumConfig, seed: number): EvaluatedPolicy {
  if (artifact.kind === 'mlp') return mlpEvaluated(method, mlpFromArtifact(artifact), pendulumModel);
  const rng = new Rng(seed * 7919 + 99);
  return diffusionEvaluated(method, loadPolicy(artifact.policyPath), pendulumModel, { actionsPerPlan: config.actionsPerPlan, rng });
}

function atomicWrite(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** What Ctrl-C does while a run is going (set by runPendulum). */
let onInterrupt = (): void => {};

export async function runPendulum(config: PendulumConfig): Promise<PendulumResults> {
  mkdirSync(config.out, { recursive: true });
  atomicWrite(join(config.out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const pool = new SolverPool(config.workers || undefined);
  const trainers = new TrainingPool(config.workers || undefined);
  const solver = requestSolver(PENDULUM_TASK_MODULE, 'pendulumProblem', { maxIterations: config.maxIterations, history: false }, pool);
  const results: PendulumResults = { config, seeds: [], started: new Date().toISOString(), finished: null, interrupted: false };
  const save = () => writeReport(config.out, results);
  onInterrupt = () => void trainers.abort(new Interrupted());
  try {
    for (const seed of config.seeds) {
      const rng = new Rng(seed);
      const evalStarts = samplePendulumStarts(new Rng(1_000_003 + seed), config.evalTasks);
      const evalProblems = evalStarts.map(pendulumSwingUp);
      const ctx = {
        starts: evalStarts, T: PENDULUM_TASK.horizon, solver,
        cost: (i: number, xs: readonly ArrayLike<number>[], us: readonly ArrayLike<number>[]) => pendulumCost(evalProblems[i], xs, us),
      };
      console.log(`seed ${seed}: the solver alone on ${config.evalTasks} held-out tasks`);
      const alone: SolverAloneResult = await evaluateSolverAlone(ctx);
      const seedResult = { seed, toAlone: alone, runs: [] as PendulumResults['seeds'][number]['runs'] };
      results.seeds.push(seedResult);
      for (const nTraj of config.nTraj) {
        for (const epochs of config.epochs) {
          const { policies, collections } = await interplay({
            methods: config.methods,
            iterations: config.nAlgo,
            trajectories: nTraj,
            T: PENDULUM_TASK.horizon,
            solver,
            sampleStart: () => samplePendulumStarts(rng, 1)[0],
            checkpoint: checkInterrupted,
            log: (message) => console.log(`seed ${seed}, n_traj ${nTraj}, ${message}`),
            train: async (buffers, iteration) => {
              // The methods train concurrently, one per worker thread, the longest jobs first.
              const progress = new MultiProgress();
              const order = [...config.methods].sort((a, b) => EXPECTED_COST[b] - EXPECTED_COST[a]);
              const trained = new Map<Method, Promise<TrainedArtifact>>();
              for (const method of order) {
                const name = `seed${seed}-n${nTraj}-e${epochs}-it${iteration}-${method}`;
                const job = {
                  method,
                  trajectories: buffers.get(method)!.map(({ xs, us, K, fx, fu }) => ({ xs, us, K, fx, fu })),
                  epochs, seed, settings: trainingSettings(config),
                  checkpointPath: join(config.out, `checkpoint-${name}.ckpt`),
                  policyPath: join(config.out, `policy-${name}.ckpt`),
                };
                trained.set(method, trainers.train(job, (done, total, loss) => progress.update(`${method} (n_traj ${nTraj})`, done, total, `loss ${loss.toExponential(2)}`)));
              }
              const artifacts = await Promise.all(config.methods.map((method) => trained.get(method)!));
              return config.methods.map((method, i) => evaluatedFrom(method, artifacts[i], config, seed));
            },
          });
          const methods: Partial<Record<Method, MethodResult>> = {};
          for (const method of config.methods) {
            checkInterrupted();
            console.log(`seed ${seed}, n_traj ${nTraj}: evaluating ${method}`);
            methods[method] = await evaluatePolicy(policies.get(method)!, ctx);
          }
          const summary = Object.fromEntries(Object.entries(collections).map(([k, c]) => [k, { rejected: c.rejected, cold: c.coldIterations, warm: c.warmIterations }]));
          seedResult.runs.push({ nTraj, epochs, methods, collections: summary });
          save();
        }
      }
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    results.interrupted = true;
    console.log('\ninterrupted: writing the results so far');
  } finally {
    onInterrupt = () => {};
    await Promise.all([pool.close(), trainers.close()]);
  }
  results.finished = new Date().toISOString();
  save();
  return results;
}

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2));
  if (config === null) {
    console.log(HELP);
    return;
  }
  installInterruptHandler(() => {
    console.log('\nCtrl-C: stopping, writing the results so far (press again to quit at once)');
    onInterrupt();
  });
  const t0 = performance.now();
  console.log(`pendulum experiment: seeds [${config.seeds}], n_traj [${config.nTraj}], epochs [${config.epochs}], methods [${config.methods}] -> ${config.out}`);
  const results = await runPendulum(config);
  console.log(`\n${results.summaryTable ?? ''}`);
  console.log(`done in ${((performance.now() - t0) / 60000).toFixed(1)} min; results in ${config.out}`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('pendulum.ts')) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
