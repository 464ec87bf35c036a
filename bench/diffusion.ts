/**
 * Diffusion-policy benchmark (issue 6): the U-Net of DESIGN section 5 (d = 64, action dim 1,
 * condition dim 4, T_h = 32) at batch 64: forward, one L_Diff training step, one L_Sob+Diff
 * step (n_proj = 1, both estimator forms), each in float64 and float32; and a T = 200,
 * T_a = 9, K = 5 batch-1 rollout (23 plans x 5 = 115 forwards). A training step is the loss,
 * its gradient and the AdamW update. Medians of several runs after warm-up; the machine is
 * shared, so figures are noisy. Prints a table with the issue's targets and PyTorch 1.13
 * CPU's figures beside (DESIGN section 5's, measured on another machine of this kind), and a
 * last line with one JSON object.
 *
 * With --pytorch it also runs bench/pytorch/unet_reference.py (the same U-Net and steps in
 * PyTorch, float32, 2 threads) right after, on the same machine, and prints each ratio to
 * it: the figure that does not depend on how fast this particular machine is. It needs a
 * Python with torch (Debian: apt-get install python3-torch), `python3` or $PYTHON.
 *
 *   npx tsx bench/diffusion.ts [--pytorch]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type DType, Rng, type Tensor, add, mul, valueAndGrad } from '../src/autodiff/index.js';
import { adamw } from '../src/autodiff/optim/index.js';
import {
  type DiffusionPolicy, type LossBatch, type UNetParams, applyUNet, describeUNet, diffusionLoss, fitRange, initUNet, randomUnitVectors,
  rollout, sobolevDiffusionLoss, squaredCosineSchedule,
} from '../src/diffusion/index.js';

const CONFIG = { actionDim: 1, condDim: 4 };
const B = 64;
const TH = 32;

function median(fn: () => void, runs: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

export interface DiffusionBenchResult {
  parameters: number;
  ms: Record<string, number>;
  targets: Record<string, number>;
  pytorch: Record<string, number>;
  /** PyTorch measured in this run (--pytorch), and our best dtype's time over it. */
  pytorchHere?: { torch: string; parameters: number; ms: Record<string, number>; ratio: Record<string, number> };
}

interface PytorchReference {
  torch: string;
  threads: number;
  parameters: number;
  ms: Record<string, number>;
}

/** Runs bench/pytorch/unet_reference.py and returns its JSON line; throws with its output when it fails. */
function runPytorchReference(runs: number): PytorchReference {
  const python = process.env.PYTHON ?? 'python3';
  const script = fileURLToPath(new URL('./pytorch/unet_reference.py', import.meta.url));
  const result = spawnSync(python, [script, String(runs)], { encoding: 'utf8' });
  const last = (result.stdout ?? '').trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !last.startsWith('{')) {
    const why = result.error?.message ?? (result.stderr || result.stdout).trim().split('\n').slice(-3).join('\n');
    throw new Error(`bench:diffusion --pytorch: '${python} ${script}' failed (a Python with torch is needed; set PYTHON):\n${why}`);
  }
  return JSON.parse(last) as PytorchReference;
}

export async function benchDiffusion(runs = 7, withPytorch = false): Promise<DiffusionBenchResult> {
  const schedule = squaredCosineSchedule(5);
  const rng = new Rng(1);
  const batch: LossBatch = {
    tau0: rng.uniform([B, TH, 1], -1, 1),
    cond: rng.uniform([B, 4], -1, 1),
    noise: rng.normal([B, TH, 1]),
    steps: Array.from({ length: B }, () => rng.int(5)),
  };
  const nIn = 2; // T_o = 1, nx = 2 (pendulum)
  const jacobian = rng.normal([B, TH, nIn]);
  const condJacobian = rng.normal([B, 4, nIn]);
  const model = (p: UNetParams, s: Tensor, k: readonly number[], c: Tensor) => applyUNet(p, CONFIG, s, k, c);
  const params64 = initUNet(new Rng(0), CONFIG);
  const { parameters, summary } = describeUNet(params64, CONFIG);
  console.log(summary);

  const ms: Record<string, number> = {};
  const optimizer = adamw({ lr: 1e-4, weightDecay: 1e-6 });
  for (const dtype of ['float64', 'float32'] as DType[]) {
    const params = initUNet(new Rng(0), CONFIG, dtype);
    let state = optimizer.init(params);
    let p = params;
    const step = (loss: (q: UNetParams) => Tensor) => () => {
      const [, g] = valueAndGrad(loss)(p);
      [p, state] = optimizer.step(p, g, state);
    };
    ms[`forward ${dtype}`] = median(() => model(params, batch.tau0, batch.steps, batch.cond), runs);
    ms[`diff step ${dtype}`] = median(step((q) => diffusionLoss(schedule, model, q, batch)), runs);
    for (const form of ['jvp', 'vjp'] as const) {
      const targets = { jacobian, condJacobian, projections: randomUnitVectors(rng, B, 1, form === 'jvp' ? nIn : TH) };
      ms[`sob step ${form} ${dtype}`] = median(step((q) => sobolevDiffusionLoss(schedule, model, q, batch, targets, { alpha: 1, form })), runs);
    }
  }

  // Rollout: pendulum-like double integrator, torque actions, T = 200, T_a = 9, K = 5, batch 1.
  for (const dtype of ['float64', 'float32'] as DType[]) {
    const policy: DiffusionPolicy = {
      unet: { ...CONFIG, stepEmbedDim: 64, downDims: [24, 24, 32, 32], kernelSize: 5, groups: 8 },
      params: initUNet(new Rng(0), CONFIG, dtype),
      normalizer: {
        action: fitRange(rng.uniform([10, 1], -25, 25)),
        cond: fitRange(rng.uniform([10, 4], -5, 5)),
        state: fitRange(rng.uniform([10, 2], -5, 5)),
      },
      schedule,
      geometry: { horizon: TH, historyLength: 1, taskDim: 2, stateDim: 2 },
    };
    const system = { step: (x: Tensor, u: Tensor) => add(x, mul(0.01, add(x, u))) };
    const x0 = rng.uniform([1, 2], -1, 1);
    const task = rng.uniform([1, 2], -1, 1);
    ms[`rollout ${dtype}`] = median(() => rollout(policy, system, x0, task, new Rng(5), { T: 200, actionsPerPlan: 9, actionKind: 'torque' }), Math.max(3, runs - 2), 1);
  }

  const best = (prefix: string) => Math.min(ms[`${prefix} float64`], ms[`${prefix} float32`]);
  const targets = { 'forward': NaN, 'diff step': 72, 'sob step jvp': 186, 'sob step vjp': 186, 'rollout': 180 };
  const pytorch = { 'forward': 10.7, 'diff step': 35.9, 'sob step jvp': 93, 'sob step vjp': 93, 'rollout': 180 };
  console.log(`\nU-Net of DESIGN section 5 at batch ${B}, T_h = ${TH} (ms, median of ${runs}; shared machine, noisy)`);
  console.log('  what                    float64    float32     target   PyTorch 1.13 CPU');
  for (const name of Object.keys(targets) as (keyof typeof targets)[]) {
    const t = targets[name];
    const ok = Number.isNaN(t) ? '' : best(name) <= t ? '  ok' : `  x${(best(name) / t).toFixed(1)} over`;
    console.log(
      `  ${name.padEnd(20)} ${ms[`${name} float64`].toFixed(1).padStart(10)} ${ms[`${name} float32`].toFixed(1).padStart(10)}` +
      ` ${Number.isNaN(t) ? '         -' : t.toFixed(0).padStart(10)} ${pytorch[name].toFixed(1).padStart(18)}${ok}`,
    );
  }
  console.log('  (rollout: T = 200, T_a = 9, K = 5, batch 1: 115 forwards; sob steps: n_proj = 1)');
  if (!withPytorch) return { parameters, ms, targets, pytorch };

  const reference = runPytorchReference(runs);
  if (reference.parameters !== parameters) throw new Error(`bench:diffusion: the PyTorch U-Net has ${reference.parameters} parameters, ours ${parameters}`);
  const ratio: Record<string, number> = {};
  console.log(`\nPyTorch ${reference.torch} on this machine, same run (float32, ${reference.threads} threads; ms, median of ${runs})`);
  console.log('  what                   ours (best)    PyTorch    ours / PyTorch');
  for (const name of Object.keys(targets) as (keyof typeof targets)[]) {
    const theirs = reference.ms[name === 'sob step jvp' ? 'sob step vjp' : name];
    ratio[name] = best(name) / theirs;
    const note = name === 'sob step jvp' ? '  (against its VJP step)' : '';
    console.log(`  ${name.padEnd(20)} ${best(name).toFixed(1).padStart(12)} ${theirs.toFixed(1).padStart(10)} ${ratio[name].toFixed(2).padStart(14)}${note}`);
  }
  return { parameters, ms, targets, pytorch, pytorchHere: { torch: reference.torch, parameters: reference.parameters, ms: reference.ms, ratio } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDiffusion(7, process.argv.includes('--pytorch'));
  console.log(JSON.stringify(result));
}
