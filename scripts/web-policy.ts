/**
 * Trains a policy the web page ships (web/policy/): Sob+Diff on n_traj solver trajectories
 * of one of the page's swing-ups (web/swing-up-model.ts: the pendulum of the main job, or the
 * double pendulum), with that experiment's settings, written as a sealed safetensors policy
 * file, and beside it a JSON note of how it was made and how it does on the experiment's
 * held-out tasks of seed 0 (alone and as the solver's warm start, against the solver alone),
 * which the page shows. Deterministic given its flags. `--evaluate` only evaluates the
 * policy file there and rewrites the note.
 *
 *   npx tsx scripts/web-policy.ts [--task pendulum|double-pendulum] [--n-traj N] [--epochs N] [--seed 0] [--out web/policy] [--evaluate]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../src/autodiff/index.js';
import { loadPolicy } from '../src/diffusion/index.js';
import {
  JobPool, type TrainingSettings, collectTrajectories, diffusionEvaluated, evaluatePolicy, evaluateSolverAlone, heldOutInstances, runTrainingJob,
  taskSolver,
} from '../src/learning/index.js';
import { atomicWrite } from '../src/experiments/runner/run-folder.js';
import { parameterCount } from '../src/nn/index.js';
import { taskByName } from '../src/tasks/index.js';
import { ROLLOUT_SEED, SWING_UPS, type SwingUp } from '../web/swing-up-model.js';
import { ROOT } from './build.js';

/** The experiments' training settings (the runner's defaults; T_h is the swing-up's). */
export function webPolicySettings(swing: SwingUp): TrainingSettings {
  return {
    horizon: swing.horizon, historyLength: 1, diffusionSteps: 5, alphaSob: 1, diffusionBatch: 64, diffusionLr: 1e-3,
    diffusionDtype: 'float32', mlpDtype: 'float32', mlpHidden: [256, 256], mlpBatch: 256, mlpLr: 1e-3,
  };
}

export interface WebPolicyOptions {
  swing: SwingUp;
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
  const { swing } = o;
  const task = taskByName(swing.task);
  const rng = new Rng(o.seed);
  const pool = new JobPool();
  let trajectories;
  try {
    ({ trajectories } = await collectTrajectories(o.nTraj, taskSolver(task, { maxIterations: 1000 }, pool), { sampleInstance: () => task.sampleInstance(rng) }));
  } finally {
    await pool.close();
  }
  const scratch = mkdtempSync(join(tmpdir(), 'web-policy-'));
  const path = join(o.out, `${swing.file}.safetensors`);
  const settings = webPolicySettings(swing);
  let finalLoss: number;
  try {
    const artifact = runTrainingJob({
      task: task.name, method: 'sob-diff', trajectories, epochs: o.epochs, seed: o.seed,
      settings: { ...settings, ...(o.unetDownDims ? { unetDownDims: o.unetDownDims } : {}) },
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
    actionsPerPlan: swing.actionsPerPlan, settings, unetDownDims: policy.unet.downDims,
    parameters: parameterCount(policy.params), bytes, finalLoss,
    trainSeconds: Math.round((performance.now() - t0) / 100) / 10,
    made: new Date().toISOString().slice(0, 10),
    command: commandLine(o),
  };
  note.heldOut = await evaluateWebPolicy(swing, path, o.heldOutTasks);
  atomicWrite(notePath(o.out, swing), JSON.stringify(note, null, 2) + '\n');
  return { path, bytes, note };
}

/** The command that makes this policy again (defaults left out). */
function commandLine(o: WebPolicyOptions): string {
  const { swing } = o;
  const flags = [
    swing.task === 'pendulum' ? '' : ` --task ${swing.task}`,
    o.nTraj === swing.nTraj ? '' : ` --n-traj ${o.nTraj}`,
    o.epochs === swing.epochs ? '' : ` --epochs ${o.epochs}`,
    o.seed === 0 ? '' : ` --seed ${o.seed}`,
  ];
  return `npx tsx scripts/web-policy.ts${flags.join('')}`;
}

const notePath = (out: string, swing: SwingUp) => join(out, `${swing.file}.json`);

/**
 * The policy alone and as a warm start on the experiment's held-out tasks of seed 0 (its
 * default count), and the solver alone: mean (median) costs, warm and cold iterations.
 */
export async function evaluateWebPolicy(swing: SwingUp, path: string, tasks = swing.evalTasks) {
  const task = taskByName(swing.task);
  const instances = heldOutInstances(task, 0, tasks);
  const solver = taskSolver(task, { maxIterations: 1000 });
  const evaluated = diffusionEvaluated('Sob+Diff', loadPolicy(path), task, { actionsPerPlan: swing.actionsPerPlan, rng: new Rng(ROLLOUT_SEED) });
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
      task: { type: 'string', default: 'pendulum' },
      'n-traj': { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string', default: '0' },
      out: { type: 'string', default: join(ROOT, 'web', 'policy') },
      evaluate: { type: 'boolean', default: false },
    },
  });
  const swing = (SWING_UPS as Record<string, SwingUp>)[values.task];
  if (swing === undefined) throw new RangeError(`--task must be one of ${Object.keys(SWING_UPS).join(', ')}, got ${values.task}`);
  if (values.evaluate) {
    const path = join(values.out, `${swing.file}.safetensors`);
    if (!existsSync(notePath(values.out, swing))) throw new Error(`${notePath(values.out, swing)}: no note to update (train first)`);
    const note = JSON.parse(readFileSync(notePath(values.out, swing), 'utf8')) as Record<string, unknown>;
    note.heldOut = await evaluateWebPolicy(swing, path);
    atomicWrite(notePath(values.out, swing), JSON.stringify(note, null, 2) + '\n');
    console.log(JSON.stringify(note.heldOut));
  } else {
    const count = (name: string, v: string, min: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${v}`);
      return n;
    };
    const { path, bytes, note } = await trainWebPolicy({
      swing,
      nTraj: count('n-traj', values['n-traj'] ?? String(swing.nTraj), 1),
      epochs: count('epochs', values.epochs ?? String(swing.epochs), 1),
      seed: count('seed', values.seed, 0),
      out: values.out,
    });
    console.log(`${path}: ${(bytes / 1024).toFixed(0)} KiB, ${note.parameters} parameters, trained in ${note.trainSeconds} s, final loss ${note.finalLoss}`);
  }
}
