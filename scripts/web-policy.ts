/**
 * Trains the pendulum policy the web page ships (web/policy/): Sob+Diff on n_traj solver
 * trajectories of the main job's pendulum task, with the main job's settings (README, "The
 * task"), written as a sealed safetensors policy file, and beside it a JSON note of how it
 * was made and how it does on the main job's 50 held-out tasks of seed 0 (alone and as the
 * solver's warm start, against the solver alone), which the page shows. Deterministic given
 * its flags. `--evaluate` only evaluates the policy file there and rewrites the note.
 *
 *   npx tsx scripts/web-policy.ts [--n-traj 10] [--epochs 1000] [--seed 0] [--out web/policy] [--evaluate]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../src/autodiff/index.js';
import { loadPolicy } from '../src/diffusion/index.js';
import {
  JobPool, type TrainingSettings, collectTrajectories, diffusionEvaluated, evaluatePolicy, evaluateSolverAlone, runTrainingJob, taskSolver,
} from '../src/learning/index.js';
import { atomicWrite } from '../src/experiments/runner/run-folder.js';
import { parameterCount } from '../src/nn/index.js';
import { taskByName } from '../src/tasks/index.js';
import { ROOT } from './build.js';

/** The main job's training settings (src/experiments/pendulum.ts and the runner's defaults). */
export const WEB_POLICY_SETTINGS: TrainingSettings = {
  horizon: 32, historyLength: 1, diffusionSteps: 5, alphaSob: 1, diffusionBatch: 64, diffusionLr: 1e-3,
  diffusionDtype: 'float32', mlpHidden: [256, 256], mlpBatch: 256, mlpLr: 1e-3,
};
/** T_a of the main job's rollouts (the page's too). */
export const WEB_ACTIONS_PER_PLAN = 9;
export const WEB_POLICY_FILE = 'pendulum-sob-diff.safetensors';

export interface WebPolicyOptions {
  nTraj: number;
  epochs: number;
  seed: number;
  out: string;
  /** Down dims of a smaller U-Net (tests); the default is the main job's. */
  unetDownDims?: number[];
  /** Held-out tasks of the evaluation (tests use fewer). */
  heldOutTasks?: number;
}

export async function trainWebPolicy(o: WebPolicyOptions): Promise<{ path: string; bytes: number; note: Record<string, unknown> }> {
  const t0 = performance.now();
  const task = taskByName('pendulum');
  const rng = new Rng(o.seed);
  const pool = new JobPool();
  let trajectories;
  try {
    ({ trajectories } = await collectTrajectories(o.nTraj, taskSolver(task, { maxIterations: 1000 }, pool), { sampleInstance: () => task.sampleInstance(rng) }));
  } finally {
    await pool.close();
  }
  const scratch = mkdtempSync(join(tmpdir(), 'web-policy-'));
  const path = join(o.out, WEB_POLICY_FILE);
  let finalLoss: number;
  try {
    const artifact = runTrainingJob({
      task: task.name, method: 'sob-diff', trajectories, epochs: o.epochs, seed: o.seed,
      settings: { ...WEB_POLICY_SETTINGS, ...(o.unetDownDims ? { unetDownDims: o.unetDownDims } : {}) },
      checkpointPath: join(scratch, 'training.safetensors'), policyPath: path,
    }, () => {});
    finalLoss = artifact.finalLoss;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const policy = loadPolicy(path);
  const bytes = statSync(path).size;
  const note: Record<string, unknown> = {
    task: task.name, method: 'Sob+Diff', nTraj: o.nTraj, epochs: o.epochs, seed: o.seed,
    actionsPerPlan: WEB_ACTIONS_PER_PLAN, settings: WEB_POLICY_SETTINGS, unetDownDims: policy.unet.downDims,
    parameters: parameterCount(policy.params), bytes, finalLoss,
    trainSeconds: Math.round((performance.now() - t0) / 100) / 10,
    made: new Date().toISOString().slice(0, 10),
    command: 'npx tsx scripts/web-policy.ts' + (o.nTraj !== 10 || o.epochs !== 1000 || o.seed !== 0 ? ` --n-traj ${o.nTraj} --epochs ${o.epochs} --seed ${o.seed}` : ''),
  };
  note.heldOut = await evaluateWebPolicy(path, o.heldOutTasks);
  atomicWrite(notePath(o.out), JSON.stringify(note, null, 2) + '\n');
  return { path, bytes, note };
}

const notePath = (out: string) => join(out, WEB_POLICY_FILE.replace(/\.safetensors$/, '.json'));

/** Held-out instances and rollout seed of the main job's seed 0 (experiments/runner: Rng(1_000_003 + seed), Rng(seed * 7919 + 99)). */
const HELD_OUT_SEED = 1_000_003;

/** The policy alone and as a warm start on the main job's held-out tasks, and the solver alone: mean (median) costs, warm and cold iterations. */
export async function evaluateWebPolicy(path: string, tasks = 50) {
  const task = taskByName('pendulum');
  const rng = new Rng(HELD_OUT_SEED);
  const instances = Array.from({ length: tasks }, () => task.sampleInstance(rng));
  const solver = taskSolver(task, { maxIterations: 1000 });
  const evaluated = diffusionEvaluated('Sob+Diff', loadPolicy(path), task, { actionsPerPlan: WEB_ACTIONS_PER_PLAN, rng: new Rng(99) });
  const policy = await evaluatePolicy(evaluated, { task, instances, solver });
  const alone = await evaluateSolverAlone({ task, instances, solver });
  return {
    tasks, policyCost: policy.policyCost, refinedCost: policy.refinedCost, warmIterations: policy.solverIterations.mean,
    toAloneCost: alone.cost, coldIterations: alone.iterations.mean,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      'n-traj': { type: 'string', default: '10' },
      epochs: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '0' },
      out: { type: 'string', default: join(ROOT, 'web', 'policy') },
      evaluate: { type: 'boolean', default: false },
    },
  });
  if (values.evaluate) {
    const path = join(values.out, WEB_POLICY_FILE);
    if (!existsSync(notePath(values.out))) throw new Error(`${notePath(values.out)}: no note to update (train first)`);
    const note = JSON.parse(readFileSync(notePath(values.out), 'utf8')) as Record<string, unknown>;
    note.heldOut = await evaluateWebPolicy(path);
    atomicWrite(notePath(values.out), JSON.stringify(note, null, 2) + '\n');
    console.log(JSON.stringify(note.heldOut));
  } else {
    await train(values);
  }
}

async function train(values: { 'n-traj': string; epochs: string; seed: string; out: string }): Promise<void> {
  const count = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  const { path, bytes, note } = await trainWebPolicy({
    nTraj: count('n-traj', values['n-traj'], 1), epochs: count('epochs', values.epochs, 1), seed: count('seed', values.seed, 0), out: values.out,
  });
  console.log(`${path}: ${(bytes / 1024).toFixed(0)} KiB, ${note.parameters} parameters, trained in ${note.trainSeconds} s, final loss ${note.finalLoss}`);
}
