/**
 * Ancestral DDPM sampling with a model that predicts tau_0 (Ho et al. 2020, Alg. 2, in the
 * "predict x_0" parameterization Chi et al. use for Diffusion Policy), with inpainting.
 *
 * From tau_{K-1} ~ N(0, I), each step k:
 *   1. inpaint: entries whose values are known (the observed history, a target) are overwritten
 *      with those values, so the network always sees them (Chi et al.'s `condition_mask`);
 *   2. predict tau_0_hat = D_theta(tau_k, k, cond), optionally clipped to [-1, 1] (the data are
 *      normalized to that box, normalize.ts; diffusion_policy's `clip_sample = True`);
 *   3. draw tau_prev ~ N(c0 tau_0_hat + ck tau_k, var I), the posterior of eq. (5), with no
 *      noise on the last step (its variance is 0 anyway: ab_{-1} = 1).
 * The known entries are written once more at the end, so the returned chunk holds them exactly.
 * Inpainting uses the clean values at every step, as Chi et al. do (not a version noised to
 * level k as in RePaint); with T_o = 1 and K = 5 the difference is immaterial.
 */
import { type Rng, type Tensor, add, full, maximum, minimum, mul, where } from '../autodiff/index.js';
import { type DdpmSchedule, inferenceSteps, posteriorCoefficients } from './schedule.js';

/** The model: tau_0 predicted from tau_k at diffusion step k (the same k for the whole batch). */
export type Denoiser = (tauK: Tensor, step: number) => Tensor;

/** Known entries: `mask` is 1 where `values` must be imposed, 0 elsewhere (both broadcast to the sample). */
export interface Inpainting {
  mask: Tensor;
  values: Tensor;
}

export interface SampleOptions {
  /** Denoising steps to take (<= K, see `inferenceSteps`). Default K. */
  kRollout?: number;
  /** Clip each tau_0 prediction to [-1, 1]. Default true. */
  clipSample?: boolean;
  inpaint?: Inpainting;
  /** dtype of the noise and of the chunk. Default float64. */
  dtype?: 'float64' | 'float32';
}

function imposeKnown(x: Tensor, inpaint: Inpainting | undefined): Tensor {
  return inpaint === undefined ? x : where(inpaint.mask, inpaint.values, x);
}

/** Draw chunks of `shape` ([B, T_h, action dim]) from the reverse process, seeded by `rng`. */
export function sampleDdpm(schedule: DdpmSchedule, denoise: Denoiser, shape: readonly number[], rng: Rng, options: SampleOptions = {}): Tensor {
  const { clipSample = true, inpaint, dtype = 'float64' } = options;
  const steps = inferenceSteps(schedule, options.kRollout ?? schedule.K);
  let tau: Tensor = rng.normal(shape, 0, 1, dtype);
  for (let j = 0; j < steps.length; j++) {
    const k = steps[j];
    const prev = j + 1 < steps.length ? steps[j + 1] : -1;
    tau = imposeKnown(tau, inpaint);
    let tau0 = denoise(tau, k);
    if (clipSample) tau0 = minimum(maximum(tau0, full([], -1, tau0.dtype)), full([], 1, tau0.dtype));
    const c = posteriorCoefficients(schedule, k, prev);
    let mean = add(mul(tau0, c.coefTau0), mul(tau, c.coefTauK));
    if (prev >= 0 && c.variance > 0) mean = add(mean, rng.normal(shape, 0, Math.sqrt(c.variance), dtype));
    tau = mean;
  }
  return imposeKnown(tau, inpaint);
}
