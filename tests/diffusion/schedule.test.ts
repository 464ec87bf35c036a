/**
 * The DDPM schedule (DESIGN section 5 values), forward noising, the posterior of eq. (5)
 * against a direct Gaussian computation, and the sampler's inpainting and last step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, type Tensor, full, tensor } from '../../src/autodiff/index.js';
import {
  addNoise, inferenceSteps, posterior, posteriorCoefficients, sampleDdpm, squaredCosineSchedule,
} from '../../src/diffusion/index.js';

const SEED = 20_260_601;
const NUM_RUNS = 50;

describe('squared-cosine schedule', () => {
  it('has the values of DESIGN section 5 for K = 5 (to 1e-6)', () => {
    const s = squaredCosineSchedule(5);
    const betas = [0.101294, 0.279544, 0.473635, 0.724052, 0.999];
    const alphaBars = [0.898706, 0.647478, 0.34081, 0.094046, 9.4044e-5];
    s.betas.forEach((b, i) => expect(Math.abs(b - betas[i])).toBeLessThan(1e-6));
    s.alphaBars.forEach((a, i) => expect(Math.abs(a - alphaBars[i])).toBeLessThan(1e-6));
    expect(s.alphaBarsPrev[0]).toBe(1);
  });

  it('spreads fewer rollout steps from the pure-noise step down to 0', () => {
    const s = squaredCosineSchedule(5);
    expect(inferenceSteps(s)).toEqual([4, 3, 2, 1, 0]);
    expect(inferenceSteps(s, 1)).toEqual([4]);
    expect(inferenceSteps(s, 2)).toEqual([4, 2]);
    expect(() => inferenceSteps(s, 6)).toThrow(RangeError);
  });

  it('noises each sample at its own step by eq. (3)', () => {
    const s = squaredCosineSchedule(5);
    const tau0 = tensor([[[0.5], [-1]], [[2], [0.25]]]);
    const eps = tensor([[[1], [2]], [[-1], [0.5]]]);
    const y = addNoise(s, tau0, eps, [0, 4]).toArray();
    const expected = [
      Math.sqrt(s.alphaBars[0]) * 0.5 + Math.sqrt(1 - s.alphaBars[0]) * 1,
      Math.sqrt(s.alphaBars[0]) * -1 + Math.sqrt(1 - s.alphaBars[0]) * 2,
      Math.sqrt(s.alphaBars[4]) * 2 + Math.sqrt(1 - s.alphaBars[4]) * -1,
      Math.sqrt(s.alphaBars[4]) * 0.25 + Math.sqrt(1 - s.alphaBars[4]) * 0.5,
    ];
    y.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 14));
  });
});

describe(`posterior q(tau_prev | tau_k, tau_0), eq. (5) (fast-check seed ${SEED}, ${NUM_RUNS} runs)`, () => {
  it('equals Bayes rule on the two Gaussians of the forward process', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        (K, u, v, x0, xk) => {
          const s = squaredCosineSchedule(K);
          const k = Math.min(K - 1, Math.floor(u * K));
          const prev = Math.min(k - 1, Math.floor(v * (k + 1)) - 1); // any earlier step, or -1
          const abPrev = prev < 0 ? 1 : s.alphaBars[prev];
          const alpha = s.alphaBars[k] / abPrev; // forward prev -> k: N(sqrt(alpha) x_prev, 1 - alpha)
          // Prior on x_prev given x0: N(sqrt(abPrev) x0, 1 - abPrev); likelihood of x_k given x_prev.
          const priorVar = 1 - abPrev;
          const likVar = 1 - alpha;
          let mean: number;
          let variance: number;
          if (priorVar === 0) {
            mean = x0;
            variance = 0;
          } else {
            const precision = 1 / priorVar + alpha / likVar;
            variance = 1 / precision;
            mean = variance * ((Math.sqrt(abPrev) * x0) / priorVar + (Math.sqrt(alpha) * xk) / likVar);
          }
          const c = posteriorCoefficients(s, k, prev);
          expect(Math.abs(c.variance - variance)).toBeLessThan(1e-12);
          expect(Math.abs(c.coefTau0 * x0 + c.coefTauK * xk - mean)).toBeLessThan(1e-10 * (1 + Math.abs(mean)));
          const p = posterior(s, tensor([x0]), tensor([xk]), k, prev);
          expect(Math.abs(p.mean.item() - mean)).toBeLessThan(1e-10 * (1 + Math.abs(mean)));
        },
      ),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});

describe('sampler', () => {
  const s = squaredCosineSchedule(5);
  it('returns exactly the prediction when the model always predicts the same clean chunk', () => {
    const target = new Rng(1).uniform([3, 8, 2], -0.9, 0.9);
    const out = sampleDdpm(s, () => target, [3, 8, 2], new Rng(2));
    out.toArray().forEach((v, i) => expect(Math.abs(v - target.toArray()[i])).toBeLessThan(1e-12));
  });

  it('clips predictions to [-1, 1] and imposes the known entries exactly at every step', () => {
    const shape = [2, 4, 1];
    const mask = tensor([[[1], [0], [0], [1]], [[1], [0], [0], [0]]]);
    const values = tensor([[[0.3], [0], [0], [-0.7]], [[-0.2], [0], [0], [0]]]);
    const seen: Tensor[] = [];
    const out = sampleDdpm(s, (tauK) => {
      seen.push(tauK);
      return full(shape, 5);
    }, shape, new Rng(3), { inpaint: { mask, values } });
    expect(seen.length).toBe(5);
    for (const t of seen) {
      const a = t.toArray();
      expect([a[0], a[3], a[4]]).toEqual([0.3, -0.7, -0.2]);
    }
    expect(out.toArray()).toEqual([0.3, 1, 1, -0.7, -0.2, 1, 1, 1]);
  });

  it('is deterministic under a seed', () => {
    const model = (tauK: Tensor) => tauK;
    const a = sampleDdpm(s, model, [2, 8, 1], new Rng(9)).toArray();
    const b = sampleDdpm(s, model, [2, 8, 1], new Rng(9)).toArray();
    expect(a).toEqual(b);
  });
});
