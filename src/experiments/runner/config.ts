/**
 * The command line every experiment shares (--help, --out, --seeds, --n-traj, --epochs,
 * --methods, --full, --quick and the protocol's knobs), parsed into one `ExperimentConfig`.
 * An experiment script only says what differs: its task, its defaults, and what --full (the
 * paper's protocol) and --quick (a smoke run of a minute or two) mean for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { METHODS, type Method, type TrainingSettings } from '../../learning/methods.js';
import { parseRedisUrl } from '../../learning/workers/queue.js';
import { TASK_NAMES, taskByName } from '../../tasks/index.js';

/** The protocol: which runs an experiment makes, with which policies. */
export interface Protocol {
  seeds: number[];
  nTraj: number[];
  epochs: number[];
  methods: Method[];
  /** n_algo, iterations of Alg. 1. */
  nAlgo: number;
  /**
   * Where set, n_traj grows linearly across Alg. 1's iterations from each --n-traj value to
   * this one (learning/interplay.ts growingTrajectories); a run is still named by its first n_traj.
   */
  nTrajFinal?: number;
  /**
   * Where set, n_traj at each iteration of Alg. 1 (n_algo values; the main paper's UR5 Fig. 3:
   * 50 for the first three iterations, 100 after); --n-traj is then its first value.
   */
  nTrajPerIteration?: number[];
  evalTasks: number;
  /** T_h, T_o and T_a of the diffusion policy (T_a of the rollouts that warm-start Alg. 1's solves, line 6). */
  horizon: number;
  historyLength: number;
  /**
   * State actions: cut chunks past each trajectory's end too, holding its last state, so that
   * every replanning time is observed in training (learning/chunks.ts ChunkOptions.holdEnd).
   * Absent (as in the folders of runs before it existed): false.
   */
  holdEnd?: boolean;
  actionsPerPlan: number;
  /** More T_a values for the held-out evaluation of the diffusion policies (the main paper's Table 2c); it always includes actionsPerPlan, which the main table shows. */
  evalActionsPerPlan: number[];
  /** Evaluate after every iteration of Alg. 1 (the main paper's Fig. 2a), not only after the last. */
  evalEveryIteration: boolean;
  /** K, diffusion steps. */
  diffusionSteps: number;
  alphaSob: number;
  diffusionBatch: number;
  /** Solver iteration cap n_max. */
  maxIterations: number;
}

export interface ExperimentSpec {
  /** Its name: the script is src/experiments/<name>.ts and runs go to runs/<name>/. */
  name: string;
  /** The task's registry name (src/tasks). */
  task: string;
  /** One paragraph for --help: what the experiment reproduces. */
  about: string;
  defaults: Protocol;
  /** The paper's protocol (--full). */
  full: Partial<Protocol>;
  /** A smoke run (--quick). */
  quick: Partial<Protocol>;
}

/** What to keep of the training files: `checkpoint-*` (optimizer state, to resume a training) and `policy-*` (the trained policies). */
export type KeepCheckpoints = 'last' | 'all' | 'none';
export const KEEP_CHECKPOINTS: readonly KeepCheckpoints[] = ['last', 'all', 'none'];

export interface ExperimentConfig extends Protocol, TrainingSettings {
  experiment: string;
  task: string;
  /** Worker threads (0: one per core). */
  workers: number;
  /**
   * A job queue for the solves (redis://HOST:PORT; workers started with src/experiments/worker.ts),
   * or null for this process's worker threads. Training always runs here.
   */
  queue: string | null;
  out: string;
  /**
   * last: delete a training's checkpoint once it has finished, keep the policies (what
   * --resume needs); all: keep both; none: also delete the policies when the run completes.
   */
  keepCheckpoints: KeepCheckpoints;
}

/**
 * How a run starts: in a new or empty folder, over an old run's files (--force), or by
 * continuing an interrupted run from its folder (--resume).
 */
export type StartMode = 'fresh' | 'force' | 'resume';

export interface RunRequest {
  config: ExperimentConfig;
  mode: StartMode;
}

function describe(p: Partial<Protocol>): string {
  const parts: string[] = [];
  if (p.nTrajPerIteration) parts.push(`n_traj ${p.nTrajPerIteration} over the iterations`);
  else if (p.nTraj) parts.push(`n_traj ${p.nTraj}${p.nTrajFinal ? ` growing to ${p.nTrajFinal}` : ''}`);
  if (p.seeds) parts.push(`seeds ${p.seeds}`);
  if (p.epochs) parts.push(`epochs ${p.epochs}`);
  if (p.evalTasks) parts.push(`${p.evalTasks} held-out tasks`);
  if (p.nAlgo) parts.push(`n_algo ${p.nAlgo}`);
  return parts.join(', ');
}

export function helpText(spec: ExperimentSpec): string {
  const d = spec.defaults;
  return `Usage: npx tsx src/experiments/${spec.name}.ts [flags]

${spec.about}
Writes config.json, results.json, results.md and SVG plots.

  --task NAME          the task (default ${spec.task}; registered: ${TASK_NAMES.join(', ')})
  --seeds LIST         comma-separated seeds (default ${d.seeds})
  --n-traj LIST        numbers of training trajectories (default ${d.nTraj})
  --epochs LIST        training epochs n_pl (default ${d.epochs})
  --methods LIST       any of ${METHODS.join(',')} (default ${d.methods})
  --n-algo N           iterations of Alg. 1 (default ${d.nAlgo})
  --n-traj-final N     grow n_traj linearly over the iterations of Alg. 1, up to N at the last (default ${d.nTrajFinal ?? 'none: n_traj stays fixed'})
  --n-traj-per-iteration LIST
                       n_traj at each iteration of Alg. 1, n_algo values (default ${d.nTrajPerIteration ?? 'none'}); sets --n-traj to its first
  --eval-tasks N       held-out tasks (default ${d.evalTasks})
  --th N               T_h, chunk length (default ${d.horizon})
  --to N               T_o, observation history (default ${d.historyLength})
  --chunk-end hold|trim
                       state actions: also train on chunks that run past a trajectory's end,
                       holding its last state (hold), or only on chunks inside it (trim)
                       (default ${d.holdEnd ? 'hold' : 'trim'})
  --ta N               T_a, actions executed per plan in Alg. 1's rollouts (default ${d.actionsPerPlan})
  --eval-ta LIST       more T_a values for the held-out evaluation (default ${d.evalActionsPerPlan.length ? d.evalActionsPerPlan : 'none'})
  --eval-each-iteration  evaluate after every iteration of Alg. 1 (default ${d.evalEveryIteration ? 'on' : 'off: after the last'})
  --k N                diffusion steps K (default ${d.diffusionSteps})
  --alpha-sob X        weight of the Sobolev terms (default ${d.alphaSob})
  --batch N            diffusion batch size (default ${d.diffusionBatch})
  --max-iterations N   solver cap n_max (default ${d.maxIterations})
  --workers N          worker threads for solves and for training (default: cores)
  --queue redis://HOST:PORT
                       solve on a job queue instead, served by workers on any machine
                       (npx tsx src/experiments/worker.ts --queue URL); training stays here
  --out DIR            output folder (default runs/${spec.name}/<timestamp>); it must be new or empty
  --force              write into a non-empty --out folder, deleting the previous run's files there
  --resume DIR         continue the interrupted run in DIR with its own configuration (--workers
                       and --queue may change): finished trainings are loaded, an interrupted one continues
                       from its last checkpoint, the rest is recomputed; same results as a run
                       that was never interrupted
  --keep-checkpoints last|all|none
                       training checkpoints and policies to keep (default last: the policies,
                       about 1 MB each, without the 4 MB training checkpoints once a training ends)
  --float64            train the policies (diffusion and MLP) in float64 (default float32, as PyTorch)
  --unet-dims LIST     the U-Net's down dims (default 24,24,32,32, the paper's)
  --mlp-hidden LIST    the MLP policies' hidden widths (default 256,256, the consensus paper's)
  --full               the paper's protocol: ${describe(spec.full)}
  --quick              a smoke run: ${describe(spec.quick)}
  --help               this text
`;
}

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

const integers = (s: string, what: string) => list(s, what).map((n) => positiveInteger(String(n), what));

/** The run a command line asks for, or null for --help. Flags given explicitly win over --full and --quick. */
export function parseConfig(spec: ExperimentSpec, argv: string[]): RunRequest | null {
  const { values: f } = parseArgs({
    args: argv,
    options: {
      task: { type: 'string' },
      seeds: { type: 'string' },
      'n-traj': { type: 'string' },
      epochs: { type: 'string' },
      methods: { type: 'string' },
      'n-algo': { type: 'string' },
      'n-traj-final': { type: 'string' },
      'n-traj-per-iteration': { type: 'string' },
      'eval-tasks': { type: 'string' },
      th: { type: 'string' },
      to: { type: 'string' },
      'chunk-end': { type: 'string' },
      ta: { type: 'string' },
      'eval-ta': { type: 'string' },
      'eval-each-iteration': { type: 'boolean', default: false },
      k: { type: 'string' },
      'alpha-sob': { type: 'string' },
      batch: { type: 'string' },
      'max-iterations': { type: 'string' },
      workers: { type: 'string' },
      queue: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      resume: { type: 'string' },
      'keep-checkpoints': { type: 'string' },
      full: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      float64: { type: 'boolean', default: false },
      'unet-dims': { type: 'string' },
      'mlp-hidden': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (f.help) return null;
  const workers = f.workers === undefined ? 0 : positiveInteger(f.workers, 'workers');
  const queue = f.queue ?? null;
  if (queue !== null) parseRedisUrl(queue);
  if (f.resume !== undefined) {
    const others = Object.entries(f).filter(([k, v]) => !['resume', 'workers', 'queue'].includes(k) && v !== undefined && v !== false);
    if (others.length > 0) throw new RangeError(`--resume continues a run with its own configuration: drop --${others.map(([k]) => k).join(', --')}`);
    return { config: { ...readSavedConfig(spec, f.resume), workers, queue, out: f.resume }, mode: 'resume' };
  }
  if (f.full && f.quick) throw new RangeError('--full and --quick: choose one');
  const base: Protocol = { ...spec.defaults, ...(f.full ? spec.full : {}), ...(f.quick ? spec.quick : {}) };
  const p: Protocol = { ...base };
  if (f.seeds !== undefined) p.seeds = list(f.seeds, 'seeds');
  if (f['n-traj'] !== undefined) p.nTraj = integers(f['n-traj'], 'n-traj');
  if (f.epochs !== undefined) p.epochs = integers(f.epochs, 'epochs');
  if (f.methods !== undefined) {
    const methods = f.methods.split(',').map((m) => m.trim());
    for (const m of methods) if (!(METHODS as readonly string[]).includes(m)) throw new RangeError(`--methods: unknown method "${m}" (known: ${METHODS.join(', ')})`);
    p.methods = methods as Method[];
  }
  if (f['n-algo'] !== undefined) p.nAlgo = positiveInteger(f['n-algo'], 'n-algo');
  if (f['n-traj-final'] !== undefined) p.nTrajFinal = positiveInteger(f['n-traj-final'], 'n-traj-final');
  if (f['n-traj-per-iteration'] !== undefined) p.nTrajPerIteration = integers(f['n-traj-per-iteration'], 'n-traj-per-iteration');
  if (p.nTrajPerIteration !== undefined) {
    if (p.nTrajPerIteration.length !== p.nAlgo) throw new RangeError(`--n-traj-per-iteration: ${p.nTrajPerIteration.length} values for n_algo = ${p.nAlgo} iterations`);
    if (p.nTrajFinal !== undefined) throw new RangeError('--n-traj-per-iteration and --n-traj-final: choose one schedule');
    if (f['n-traj'] !== undefined && (p.nTraj.length !== 1 || p.nTraj[0] !== p.nTrajPerIteration[0])) {
      throw new RangeError(`--n-traj ${f['n-traj']}: with --n-traj-per-iteration the run's n_traj is the schedule's first value, ${p.nTrajPerIteration[0]}`);
    }
    p.nTraj = [p.nTrajPerIteration[0]];
  }
  if (f['eval-tasks'] !== undefined) p.evalTasks = positiveInteger(f['eval-tasks'], 'eval-tasks');
  if (f.th !== undefined) p.horizon = positiveInteger(f.th, 'th');
  if (f.to !== undefined) p.historyLength = positiveInteger(f.to, 'to');
  if (f['chunk-end'] !== undefined) {
    if (f['chunk-end'] !== 'hold' && f['chunk-end'] !== 'trim') throw new RangeError(`--chunk-end: expected hold or trim, got "${f['chunk-end']}"`);
    p.holdEnd = f['chunk-end'] === 'hold';
  }
  if (f.ta !== undefined) p.actionsPerPlan = positiveInteger(f.ta, 'ta');
  if (f['eval-ta'] !== undefined) p.evalActionsPerPlan = integers(f['eval-ta'], 'eval-ta');
  if (f['eval-each-iteration']) p.evalEveryIteration = true;
  if (f.k !== undefined) p.diffusionSteps = positiveInteger(f.k, 'k');
  if (f['alpha-sob'] !== undefined) {
    p.alphaSob = Number(f['alpha-sob']);
    if (!(p.alphaSob >= 0)) throw new RangeError(`--alpha-sob: expected a non-negative number, got "${f['alpha-sob']}"`);
  }
  if (f.batch !== undefined) p.diffusionBatch = positiveInteger(f.batch, 'batch');
  if (f['max-iterations'] !== undefined) p.maxIterations = positiveInteger(f['max-iterations'], 'max-iterations');
  const taskName = f.task ?? spec.task;
  if (!TASK_NAMES.includes(taskName)) throw new RangeError(`--task: unknown task "${taskName}" (known: ${TASK_NAMES.join(', ')})`);
  const task = taskByName(taskName);
  const taskHorizon = task.horizon;
  if (p.horizon >= taskHorizon) throw new RangeError(`--th ${p.horizon}: must be shorter than the task horizon ${taskHorizon}`);
  if (p.holdEnd && task.action.kind !== 'state') throw new RangeError(`--chunk-end hold: ${taskName} plans torques; a held final state is a rest, a repeated final torque is not`);
  // The first action executed is chunk entry T_o - 1 for torques, T_o for states (entries 0 .. T_o - 1 are then the history).
  const history = task.action.kind === 'state' ? p.historyLength : p.historyLength - 1;
  for (const [flag, ta] of [['ta', p.actionsPerPlan], ...p.evalActionsPerPlan.map((v) => ['eval-ta', v] as const)] as const) {
    if (history + ta > p.horizon) throw new RangeError(`--${flag} ${ta}: ${history} history entries and T_a must fit T_h = ${p.horizon}`);
  }
  const keep = f['keep-checkpoints'] ?? 'last';
  if (!(KEEP_CHECKPOINTS as readonly string[]).includes(keep)) throw new RangeError(`--keep-checkpoints: expected one of ${KEEP_CHECKPOINTS.join(', ')}, got "${keep}"`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const config: ExperimentConfig = {
    experiment: spec.name,
    task: taskName,
    ...p,
    diffusionLr: 1e-3,
    diffusionDtype: f.float64 ? 'float64' : 'float32',
    mlpDtype: f.float64 ? 'float64' : 'float32',
    mlpHidden: f['mlp-hidden'] === undefined ? [256, 256] : integers(f['mlp-hidden'], 'mlp-hidden'),
    mlpBatch: 256,
    mlpLr: 1e-3,
    ...(f['unet-dims'] === undefined ? {} : { unetDownDims: integers(f['unet-dims'], 'unet-dims') }),
    workers,
    queue,
    out: f.out ?? join('runs', spec.name, stamp),
    keepCheckpoints: keep as KeepCheckpoints,
  };
  return { config, mode: f.force ? 'force' : 'fresh' };
}

/** The configuration an interrupted run saved in its folder, checked against the experiment that resumes it. */
function readSavedConfig(spec: ExperimentSpec, dir: string): ExperimentConfig {
  const path = join(dir, 'config.json');
  let saved: Partial<ExperimentConfig> & { provenance?: unknown };
  try {
    saved = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RangeError(`--resume ${dir}: cannot read ${path} (${error instanceof Error ? error.message : String(error)})`);
  }
  if (saved.experiment !== spec.name) throw new RangeError(`--resume ${dir}: the run there is of experiment "${String(saved.experiment)}", not ${spec.name}`);
  // A merged folder (merge.ts) holds finished seeds from several runs, none of them to continue.
  if ((saved.provenance as { mergedFrom?: unknown } | undefined)?.mergedFrom !== undefined) throw new RangeError(`--resume ${dir}: the folder holds merged runs (merge.ts), not a run to continue; resume each run in its own folder`);
  const required: (keyof ExperimentConfig)[] = [...(Object.keys(spec.defaults) as (keyof Protocol)[]), 'task', 'diffusionLr', 'diffusionDtype', 'mlpDtype', 'mlpHidden', 'mlpBatch', 'mlpLr', 'keepCheckpoints'];
  const missing = required.filter((k) => saved[k] === undefined);
  if (missing.length > 0) throw new RangeError(`--resume ${dir}: config.json lacks ${missing.join(', ')}`);
  const { provenance: _, ...config } = saved;
  return config as ExperimentConfig;
}
