/**
 * The step arena (src/autodiff/arena.ts): training steps inside it are bit for bit the steps
 * outside it, its memory really is reused from one call to the next, what a call returns
 * survives that reuse, and misuse raises clear errors. A failure prints the seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcreteTensor, Rng, type Tensor, TransformError, grad, jvp, mish, mul, slice, sum, valueAndGrad, withStepArena } from '../../src/autodiff/index.js';
import { adamw } from '../../src/nn/optim/index.js';
import { ARENA_MIN, inStepArena } from '../../src/autodiff/kernels/step-arena.js';
import {
  type LossBatch, type UNetConfig, type UNetParams, applyUNet, diffusionLoss, initUNet, randomUnitVectors, sampleDdpm, sobolevDiffusionLoss, squaredCosineSchedule,
} from '../../src/diffusion/index.js';

const SEED = 20261202;
const UNET: UNetConfig = { actionDim: 1, condDim: 3, stepEmbedDim: 8, downDims: [8, 16], kernelSize: 3, groups: 4 };
const B = 16;
const T = 16;

/** Three AdamW steps of L_Diff or L_Sob+Diff on the small U-Net, each gradient taken through `wrap`. */
function train(seed: number, dtype: 'float64' | 'float32', sobolev: boolean, wrap: <R>(f: () => R) => R): { losses: number[]; params: number[] } {
  const rng = new Rng(seed);
  const schedule = squaredCosineSchedule(5);
  const model = (p: UNetParams, s: Tensor, k: readonly number[], c: Tensor) => applyUNet(p, UNET, s, k, c);
  const optimizer = adamw({ lr: 1e-3, weightDecay: 1e-6 });
  let params = initUNet(new Rng(seed + 1), UNET, dtype);
  let state = optimizer.init(params);
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const batch: LossBatch = {
      tau0: rng.uniform([B, T, 1], -1, 1), cond: rng.uniform([B, 3], -1, 1), noise: rng.normal([B, T, 1]),
      steps: Array.from({ length: B }, () => rng.int(5)),
    };
    const targets = { jacobian: rng.normal([B, T, 2]), condJacobian: rng.normal([B, 3, 2]), projections: randomUnitVectors(rng, B, 1, 2) };
    const loss = (p: UNetParams) => sobolev
      ? sobolevDiffusionLoss(schedule, model, p, batch, targets, { alpha: 1, form: 'jvp' })
      : diffusionLoss(schedule, model, p, batch);
    const [value, g] = wrap(() => valueAndGrad(loss)(params));
    losses.push(value.item());
    [params, state] = optimizer.step(params, g, state);
  }
  const flat = (t: unknown): number[] => (t instanceof ConcreteTensor ? t.toArray() : Object.values(t as object).flatMap(flat));
  return { losses, params: flat(params) };
}

describe(`step arena (seed ${SEED})`, () => {
  it('training steps inside it equal the steps outside it bit for bit (L_Diff and L_Sob+Diff, float64 and float32)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.boolean(), fc.boolean(), (seed, f32, sobolev) => {
      const dtype = f32 ? 'float32' : 'float64';
      const plain = train(seed, dtype, sobolev, (f) => f());
      const arena = train(seed, dtype, sobolev, withStepArena);
      expect(arena.losses).toEqual(plain.losses);
      expect(arena.params).toEqual(plain.params);
    }), { seed: SEED, numRuns: 4 });
  });

  it('DDPM sampling through the U-Net inside it equals sampling outside it bit for bit', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 4 }), (seed, batch) => {
      const params = initUNet(new Rng(seed), UNET, 'float32');
      const cond = new Rng(seed + 1).uniform([batch, 3], -1, 1);
      const sample = () => sampleDdpm(squaredCosineSchedule(5), (tau, k) => applyUNet(params, UNET, tau, k, cond), [batch, T, 1], new Rng(seed + 2), { dtype: 'float32' });
      const outside = sample().toArray();
      withStepArena(sample); // dirties the arena
      expect(withStepArena(sample).toArray()).toEqual(outside);
    }), { seed: SEED, numRuns: 4 });
  });

  it('reuses its memory from the front on every call, and what a call returns survives the next one', () => {
    const x = new Rng(SEED).normal([4 * ARENA_MIN]);
    let inside: Tensor | null = null;
    const first = withStepArena(() => {
      inside = mish(x);
      return { y: mul(inside, 2), note: 'kept' };
    });
    expect(inStepArena((inside as unknown as ConcreteTensor).data)).toBe(true);
    expect(inStepArena((first.y as ConcreteTensor).data)).toBe(false);
    expect(first.note).toBe('kept');
    const before = first.y.toArray();
    const leaked = (inside as unknown as ConcreteTensor).toArray();
    withStepArena(() => mul(x, -3)); // takes the same memory as `inside` did
    expect((inside as unknown as ConcreteTensor).toArray()).not.toEqual(leaked); // the contract: nothing else survives
    expect(first.y.toArray()).toEqual(before);
    // arrays from reused memory start at zero, as ops that scatter into them (a slice's VJP) rely on
    const g = withStepArena(() => grad((v: Tensor) => sum(slice(v, [{ stop: 10 }])))(x)).toArray();
    expect(g.slice(0, 10)).toEqual(new Array(10).fill(1));
    expect(g.slice(10).every((v) => v === 0)).toBe(true);
    // small arrays never come from the arena
    const small = withStepArena(() => {
      const s = mish(new Rng(1).normal([ARENA_MIN - 1]));
      return inStepArena((s as ConcreteTensor).data);
    });
    expect(small).toBe(false);
  });

  it('raises clear errors for nested calls, traced results and class instances, and closes after an exception', () => {
    expect(() => withStepArena(() => withStepArena(() => 1))).toThrow(/do not nest/);
    const x = new Rng(2).normal([3]);
    expect(() => jvp((v: Tensor) => withStepArena(() => mul(v, 2)), [x], [x])).toThrow(TransformError);
    expect(() => withStepArena(() => new Map())).toThrow(/cannot copy a Map/);
    expect(() => withStepArena(() => {
      throw new RangeError('inside');
    })).toThrow('inside');
    expect(withStepArena(() => grad((v: Tensor) => sum(mul(v, v)))(x)).toArray()).toEqual(x.toArray().map((v) => 2 * v));
  });
});
