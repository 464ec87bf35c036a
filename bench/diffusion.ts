/**
 * Diffusion-policy benchmark (issue 6): the U-Net of DESIGN section 5 (d = 64, action dim 1,
 * condition dim 4, T_h = 32) at batch 64: forward, one L_Diff training step, one L_Sob+Diff
 * step (n_proj = 1, both estimator forms), each in float64 and float32; and a T = 200,
 * T_a = 9, K = 5 batch-1 rollout (23 plans x 5 = 115 forwards). A training step is the loss,
 * its gradient and the AdamW update. Medians of several runs after warm-up; the machine is
 * shared, so figures are noisy. Prints a table with the issue's targets and PyTorch 1.13
 * CPU's figures beside, and a last line with one JSON object.
 *
 *   npx tsx bench/diffusion.ts
 */
import { pathToFileURL } from 'node:url';
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
}

export async function benchDiffusion(runs = 7): Promise<DiffusionBenchResult> {
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
  return { parameters, ms, targets, pytorch };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDiffusion();
  console.log(JSON.stringify(result));
}
