/**
 * Normalization and its chain rule, training (seeded, resumable bit for bit from a
 * checkpoint, refusing mismatched checkpoints), the rollout of Alg. 2, and the 1-D
 * regression where Sobolev training provably helps. The checkpoint file format itself is
 * tested in tests/nn/checkpoint.test.ts.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Rng, type Tensor, add, concat, cos, flatten, jacfwd, jvp, mean, mul, reshape, sin, square, stack, sub, sum, tanh, tensor,
  valueAndGrad,
} from '../../src/autodiff/index.js';
import { CheckpointError } from '../../src/nn/index.js';
import { adam, adamw, cosineWithWarmup, initTrainState } from '../../src/nn/optim/index.js';
import {
  type ChunkDataset, type DiffusionStepSetup, applyUNet, chunkGeometry, conditionJacobian, denormalize, diffusionTrainStep, fitNormalizer,
  fullConfig, initUNet, loadPolicy, mixSeed, normalize, normalizeChunks, normalizeJacobian, rawCondition, rollout, sampleBatch, savePolicy,
  squaredCosineSchedule, trainDiffusion,
} from '../../src/diffusion/index.js';

const SEED = 4_2026;
const tmp = () => mkdtempSync(join(tmpdir(), 'diffusion-test-'));

/** A smooth map from a state history [B, 1, 2] to a chunk [B, 8, 1], and an observation (cos q, sin q, v). */
const chunkOf = (x: Tensor): Tensor => {
  const B = x.shape[0];
  const q = reshape(x, [B, 2]);
  const times = tensor([0, 1, 2, 3, 4, 5, 6, 7].map((t) => t / 7), [1, 8]);
  const q0 = reshape(mul(q, tensor([1, 0])), [B, 2]);
  const a = sum(q0, 1, true); // q
  const v = sum(mul(q, tensor([0, 1])), 1, true); // v
  return reshape(add(mul(tanh(a), 3), mul(sin(mul(v, times)), 2)), [B, 8, 1]);
};
const observe = (x: Tensor): Tensor => {
  const [B, To] = x.shape;
  const q = mul(x, tensor([1, 0], [1, 1, 2]));
  const qs = sum(q, 2, true);
  const v = sum(mul(x, tensor([0, 1], [1, 1, 2])), 2, true);
  return reshape(concat([cos(qs), sin(qs), v], 2), [B, To, 3]);
};

function dataset(n: number, seed: number, withJacobian = true): ChunkDataset {
  const rng = new Rng(seed);
  const xHist = rng.uniform([n, 1, 2], -2, 2);
  const tau0 = chunkOf(xHist);
  const task = rng.uniform([n, 1], 0, 5);
  const base = { tau0: tau0.concrete(), xHist, oHist: observe(xHist).concrete(), task };
  if (!withJacobian) return base;
  // d tau_0 / d x_hist per sample: [n, 8, 1, 1, 2] from the full jacobian's diagonal blocks.
  const J = jacfwd(chunkOf)(xHist).toArray(); // [n, 8, 1, n, 1, 2]
  const out = new Float64Array(n * 8 * 2);
  for (let b = 0; b < n; b++) for (let t = 0; t < 8; t++) for (let i = 0; i < 2; i++) out[(b * 8 + t) * 2 + i] = J[((b * 8 + t) * n + b) * 2 + i];
  return { ...base, dTau0dXHist: tensor(out, [n, 8, 1, 1, 2]) };
}

describe('normalization', () => {
  it('maps every feature onto [-1, 1] and back', () => {
    const d = dataset(20, SEED, false);
    const n = fitNormalizer(d);
    const a = normalize(n.action, d.tau0).toArray();
    expect(Math.min(...a)).toBeCloseTo(-1, 12);
    expect(Math.max(...a)).toBeCloseTo(1, 12);
    const back = denormalize(n.action, normalize(n.action, d.tau0)).toArray();
    back.forEach((v, i) => expect(v).toBeCloseTo(d.tau0.toArray()[i], 12));
  });

  it('rescales the derivative targets by the chain rule (against jacfwd in normalized coordinates)', () => {
    const d = dataset(5, SEED + 1);
    const n = fitNormalizer(d);
    const target = normalizeJacobian(n, d.dTau0dXHist as Tensor).toArray(); // [5, 8, 2]
    // The same map written in normalized coordinates, differentiated directly.
    const normalizedMap = (xn: Tensor) => normalize(n.action, chunkOf(denormalize(n.state, xn)));
    const xn = normalize(n.state, d.xHist);
    const direct = jacfwd(normalizedMap)(xn).toArray(); // [5, 8, 1, 5, 1, 2]
    for (let b = 0; b < 5; b++) for (let t = 0; t < 8; t++) for (let i = 0; i < 2; i++) {
      expect(target[(b * 8 + t) * 2 + i]).toBeCloseTo(direct[((b * 8 + t) * 5 + b) * 2 + i], 10);
    }
    // The condition Jacobian M = d cond_n / d x_n, through the observation.
    const M = conditionJacobian(n, d.xHist, 1, observe).toArray(); // [5, 4, 2]
    const condMap = (x: Tensor) => normalize(n.cond, rawCondition(d.task, observe(denormalize(n.state, x))));
    const directM = jacfwd(condMap)(xn).toArray(); // [5, 4, 5, 1, 2]
    for (let b = 0; b < 5; b++) for (let c = 0; c < 4; c++) for (let i = 0; i < 2; i++) {
      expect(M[(b * 4 + c) * 2 + i]).toBeCloseTo(directM[((b * 4 + c) * 5 + b) * 2 + i], 10);
    }
  });
});

describe(`training (seed ${SEED})`, () => {
  const base = { batchSize: 8, seed: SEED, observe, unet: { stepEmbedDim: 8, downDims: [8, 8], kernelSize: 3, groups: 4 }, lr: 3e-3 };

  it('lowers the loss, reports progress and resumes bit for bit from a checkpoint', () => {
    const data = dataset(32, SEED + 2);
    const dir = tmp();
    const reports: number[] = [];
    const full = trainDiffusion(data, { ...base, steps: 6, loss: 'sob', logEvery: 2, onProgress: (p) => reports.push(p.step) });
    expect(reports).toEqual([2, 4, 6]);
    expect(full.history.every((p) => Number.isFinite(p.loss) && p.sob > 0)).toBe(true);

    const path = join(dir, 'run.ckpt');
    trainDiffusion(data, { ...base, steps: 6, loss: 'sob', stopAfter: 3, checkpointPath: path });
    const resumed = trainDiffusion(data, { ...base, steps: 6, loss: 'sob', resumeFrom: path, checkpointPath: path });
    expect(resumed.state.step).toBe(6);
    const [a] = flatten(full.state.params);
    const [b] = flatten(resumed.state.params);
    a.forEach((t, i) => expect(b[i].toArray()).toEqual(t.toArray()));
    const [ea] = flatten(full.policy.params);
    const [eb] = flatten(loadPolicy(path).params);
    ea.forEach((t, i) => expect(eb[i].toArray()).toEqual(t.toArray()));

    const longer = trainDiffusion(data, { ...base, steps: 60, loss: 'diff', logEvery: 20, onProgress: () => {} });
    expect(longer.history[2].loss).toBeLessThan(longer.history[0].loss);
  });

  it('is a loop of pure steps: sampleBatch then diffusionTrainStep, by hand, gives the same weights', () => {
    const data = dataset(16, SEED + 5);
    const run = trainDiffusion(data, { ...base, steps: 3, emaDecay: false, warmupSteps: 0 });
    const geometry = chunkGeometry(data);
    const unet = fullConfig({ ...base.unet, actionDim: 1, condDim: 4 });
    const chunks = normalizeChunks(data, fitNormalizer(data), geometry, observe);
    const learningRate = cosineWithWarmup({ lr: base.lr, warmupSteps: 0, totalSteps: 3 });
    const setup: DiffusionStepSetup = {
      schedule: squaredCosineSchedule(5),
      model: (p, sample, k, cond) => applyUNet(p, unet, sample, k, cond),
      update: { optimizer: adamw({ lr: learningRate, weightDecay: 1e-6 }) },
      learningRate,
    };
    const spec = { seed: SEED, batchSize: base.batchSize, K: 5 };
    const start = initTrainState(setup.update, initUNet(new Rng(mixSeed(SEED, 0, 0)), unet));
    const batch = sampleBatch(chunks, spec, 0);
    const once = diffusionTrainStep(setup, start, batch);
    const again = diffusionTrainStep(setup, start, batch);
    expect(once.state.step).toBe(1);
    expect(start.step).toBe(0); // the input state is left as it was
    expect(flatten(again.state.params)[0].map((t) => t.toArray())).toEqual(flatten(once.state.params)[0].map((t) => t.toArray()));
    expect(again.metrics.loss).toBe(once.metrics.loss);
    expect(once.metrics.gradNorm).toBeGreaterThan(0);
    let state = once.state;
    for (let s = 1; s < 3; s++) state = diffusionTrainStep(setup, state, sampleBatch(chunks, spec, s)).state;
    expect(flatten(state.params)[0].map((t) => t.toArray())).toEqual(flatten(run.state.params)[0].map((t) => t.toArray()));
    expect(() => diffusionTrainStep({ ...setup, sobolev: { alpha: 1, form: 'jvp' } }, start, batch)).toThrow(/Sobolev targets/);
  });

  it('saves a policy and loads it back bit for bit', () => {
    const { policy } = trainDiffusion(dataset(8, SEED + 6), { ...base, steps: 1, dtype: 'float32' });
    const path = join(tmp(), 'policy.ckpt');
    savePolicy(path, policy);
    const back = loadPolicy(path);
    expect(back.unet).toEqual(policy.unet);
    expect(back.normalizer).toEqual(policy.normalizer);
    expect(back.schedule.K).toBe(policy.schedule.K);
    expect(flatten(back.params)[0].map((t) => [t.dtype, t.toArray()])).toEqual(flatten(policy.params)[0].map((t) => [t.dtype, t.toArray()]));
  });

  it('refuses to resume into a different model or data geometry', () => {
    const data = dataset(16, SEED + 3);
    const dir = tmp();
    const path = join(dir, 'run.ckpt');
    trainDiffusion(data, { ...base, steps: 1, checkpointPath: path });
    expect(() => trainDiffusion(data, { ...base, unet: { ...base.unet, downDims: [8, 16] }, steps: 2, resumeFrom: path })).toThrow(/U-Net/);
    expect(() => trainDiffusion(data, { ...base, seed: 1, steps: 2, resumeFrom: path })).toThrow(/seed/);
    const other = { ...data, task: undefined };
    expect(() => trainDiffusion(other, { ...base, steps: 2, resumeFrom: path })).toThrow(CheckpointError);
    expect(existsSync(path)).toBe(true);
  });
});

describe('rollout (Alg. 2)', () => {
  const data = dataset(16, SEED + 4);
  const { policy } = trainDiffusion(data, {
    batchSize: 4, seed: SEED, steps: 2, observe, unet: { stepEmbedDim: 8, downDims: [8, 8], kernelSize: 3, groups: 4 },
  });
  const task = tensor([[1], [2], [3]]);
  const x0 = tensor([[0.1, 0.2], [-0.3, 0.5], [1, -1]]);

  it('torque actions: applies T_a actions per plan, ceil(T / T_a) plans of K steps each', () => {
    const system = { step: (x: Tensor, u: Tensor) => add(x, mul(0.01, concat([u, u], 1))), observe };
    const r = rollout(policy, system, x0, task, new Rng(1), { T: 10, actionsPerPlan: 3, actionKind: 'torque' });
    expect(r.xs.shape).toEqual([3, 11, 2]);
    expect(r.us.shape).toEqual([3, 10, 1]);
    expect(r.plans.length).toBe(4);
    expect(r.denoiserCalls).toBe(20);
    // the first control of the second plan is entry T_o - 1 = 0 of that plan
    expect(r.us.toArray()[3]).toBe(r.plans[1].toArray()[0]);
  });

  it('state actions: inpaints the history and a target, and turns states into controls with the inverse step', () => {
    const stateData = { ...data, dTau0dXHist: undefined, tau0: stack([0, 1, 2, 3, 4, 5, 6, 7].map(() => reshape(data.xHist, [16, 2])), 1) };
    const { policy: statePolicy } = trainDiffusion(stateData, {
      batchSize: 4, seed: SEED, steps: 2, knownPrefix: 1, observe, unet: { stepEmbedDim: 8, downDims: [8, 8], kernelSize: 3, groups: 4 },
    });
    const system = { step: (_x: Tensor, u: Tensor) => u, inverse: (_x: Tensor, next: Tensor) => next, observe };
    const goal = tensor([[0, 0], [0.5, 0.5], [-1, 1]]);
    const r = rollout(statePolicy, system, x0, task, new Rng(2), { T: 6, actionsPerPlan: 3, actionKind: 'state', target: { time: 5, values: goal } });
    // Plan 0 starts at t = 0: entry 0 is x_0 (inpainted), entry 5 is the target at time 5.
    const plan0 = r.plans[0].toArray();
    for (let b = 0; b < 3; b++) {
      expect(plan0[b * 16]).toBeCloseTo(x0.toArray()[2 * b], 10);
      expect(plan0[b * 16 + 1]).toBeCloseTo(x0.toArray()[2 * b + 1], 10);
      expect(plan0[b * 16 + 10]).toBeCloseTo(goal.toArray()[2 * b], 10);
    }
    // With u = next state and x+ = u, the trajectory is the plans' entries 1..3.
    expect(r.xs.toArray().slice(2, 4)).toEqual(plan0.slice(2, 4));
    expect(() => rollout(statePolicy, { step: system.step }, x0, task, new Rng(2), { T: 6, actionsPerPlan: 3, actionKind: 'state' })).toThrow(/inverse/);
  });
});

describe(`Sobolev training helps a 1-D regression from 3 points (seed ${SEED})`, () => {
  /**
   * f(x) = sin(2x) + x/2 from its values and slopes at x = -1, 0, 1, with a degree-5
   * polynomial. The 6 conditions determine it uniquely (Hermite interpolation), with error
   * at most max|f^(6)| / 6! max |x^2 (x^2 - 1)^2| = 64/720 * 4/27 < 0.014 on [-1, 1]; values
   * alone leave a 3-dimensional family of interpolants, and gradient descent from zero picks one
   * that ignores the slopes. The Sobolev term is computed as in the diffusion loss: the JVP of
   * the model with respect to its input inside `valueAndGrad` over the parameters.
   */
  const f = (x: number) => Math.sin(2 * x) + x / 2;
  const df = (x: number) => 2 * Math.cos(2 * x) + 0.5;
  const xs = tensor([-1, 0, 1]);
  const ys = tensor([-1, 0, 1].map(f));
  const dys = tensor([-1, 0, 1].map(df));
  /** sum_j theta_j x^j, with the monomials built by products (pow's rules involve log x). */
  const poly = (theta: Tensor, x: Tensor) => {
    const col = reshape(x, [x.size, 1]);
    const monomials: Tensor[] = [tensor(new Array<number>(x.size).fill(1), [x.size, 1])];
    for (let j = 1; j < 6; j++) monomials.push(mul(monomials[j - 1], col));
    return sum(mul(theta, concat(monomials, 1)), 1);
  };
  const grid = Array.from({ length: 41 }, (_, i) => -1 + i / 20);
  const heldOut = (theta: Tensor) => {
    const p = poly(theta, tensor(grid)).toArray();
    return Math.max(...grid.map((x, i) => Math.abs(p[i] - f(x))));
  };
  const fit = (sobolev: boolean) => {
    const loss = (theta: Tensor) => {
      const [pred, slope] = jvp((x: Tensor) => poly(theta, x), [xs], [tensor([1, 1, 1])]);
      const plain = mean(square(sub(pred, ys)));
      return sobolev ? add(plain, mean(square(sub(slope, dys)))) : plain;
    };
    const opt = adam({ lr: 0.02 });
    let theta: Tensor = tensor([0, 0, 0, 0, 0, 0]);
    let state = opt.init(theta);
    for (let i = 0; i < 4000; i++) {
      const [, g] = valueAndGrad(loss)(theta);
      [theta, state] = opt.step(theta, g, state);
    }
    return { train: loss(theta).item(), heldOut: heldOut(theta) };
  };

  it('reaches a lower held-out error than the plain loss', () => {
    const plain = fit(false);
    const sob = fit(true);
    expect(plain.train).toBeLessThan(1e-6);
    expect(sob.train).toBeLessThan(1e-6);
    expect(sob.heldOut).toBeLessThan(0.014);
    expect(sob.heldOut).toBeLessThan(plain.heldOut / 3);
  });
});
