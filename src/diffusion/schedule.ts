/**
 * The DDPM noise schedule and its closed forms (Ho, Jain and Abbeel, "Denoising Diffusion
 * Probabilistic Models", NeurIPS 2020; the squared-cosine schedule of Nichol and Dhariwal,
 * "Improved DDPM", ICML 2021), as the main paper uses them with K = 5 steps.
 *
 * Indexing. Steps are numbered k = 0 .. K - 1 in code, as in diffusers' DDPMScheduler which
 * Chi et al.'s diffusion_policy trains with; the paper's step k + 1 is our k. The clean chunk
 * tau_0 sits "before" step 0, so ab_{-1} = 1 (no noise).
 *
 *   alpha_bar(t) = cos^2(((t + s) / (1 + s)) pi / 2),  s = 0.008
 *   beta_k       = min(1 - alpha_bar((k + 1) / K) / alpha_bar(k / K), 0.999)
 *   alpha_k      = 1 - beta_k,  ab_k = prod_{i <= k} alpha_i
 *
 * Forward noising (paper eq. 3; Ho et al. eq. 4):
 *   q(tau_k | tau_0) = N(sqrt(ab_k) tau_0, (1 - ab_k) I)
 * Posterior (paper eq. 4-5; Ho et al. eq. 6-7):
 *   q(tau_{k-1} | tau_k, tau_0) = N(c0_k tau_0 + ck_k tau_k, var_k I),
 *   c0_k = sqrt(ab_{k-1}) beta_k / (1 - ab_k),  ck_k = sqrt(alpha_k) (1 - ab_{k-1}) / (1 - ab_k),
 *   var_k = beta_k (1 - ab_{k-1}) / (1 - ab_k)
 * The model predicts tau_0 (Chi et al.'s `prediction_type = 'sample'`), so a reverse step is
 * simply the posterior with the prediction in place of tau_0.
 */
import { type Tensor, add, mul, reshape, tensor } from '../autodiff/index.js';

/** Every per-step number of the schedule, in float64 (K entries each). */
export interface DdpmSchedule {
  readonly K: number;
  readonly betas: readonly number[];
  readonly alphas: readonly number[];
  /** ab_k = prod_{i <= k} alpha_i. */
  readonly alphaBars: readonly number[];
  /** ab_{k-1}, with ab_{-1} = 1. */
  readonly alphaBarsPrev: readonly number[];
}

/** alpha_bar(t) of the squared-cosine schedule on t in [0, 1] (Nichol and Dhariwal, eq. 17). */
export function squaredCosine(t: number, s = 0.008): number {
  return Math.cos((((t + s) / (1 + s)) * Math.PI) / 2) ** 2;
}

/**
 * The squared-cosine DDPM schedule with K steps (K = 5 by default, DESIGN section 5). The cap
 * 0.999 on beta keeps the last step from being a division by alpha_bar(1) = 0 (with K = 5 the
 * cap is active: beta_4 = 0.999, so tau_4 is almost pure noise, ab_4 = 9.4e-5).
 */
export function squaredCosineSchedule(K = 5, maxBeta = 0.999, s = 0.008): DdpmSchedule {
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`squaredCosineSchedule: K must be a positive integer, got ${K}`);
  const betas: number[] = [];
  for (let k = 0; k < K; k++) betas.push(Math.min(1 - squaredCosine((k + 1) / K, s) / squaredCosine(k / K, s), maxBeta));
  const alphas = betas.map((b) => 1 - b);
  const alphaBars: number[] = [];
  let prod = 1;
  for (const a of alphas) alphaBars.push((prod *= a));
  const alphaBarsPrev = [1, ...alphaBars.slice(0, -1)];
  return { K, betas, alphas, alphaBars, alphaBarsPrev };
}

function checkStep(schedule: DdpmSchedule, k: number, what: string): void {
  if (!Number.isInteger(k) || k < 0 || k >= schedule.K) {
    throw new RangeError(`${what}: step ${k} is outside 0 .. ${schedule.K - 1}`);
  }
}

/** One coefficient per sample, shaped [B, 1, ..., 1] to broadcast against x [B, ...]. */
function perSample(values: readonly number[], like: Tensor): Tensor {
  return reshape(tensor(values, [values.length], like.dtype), [values.length, ...like.shape.slice(1).map(() => 1)]);
}

/**
 * Forward noising, eq. (3): tau_k = sqrt(ab_k) tau_0 + sqrt(1 - ab_k) eps, with one step k per
 * sample (steps[b] for the chunk tau0[b]). `noise` is eps ~ N(0, I) of tau0's shape.
 */
export function addNoise(schedule: DdpmSchedule, tau0: Tensor, noise: Tensor, steps: readonly number[]): Tensor {
  if (steps.length !== tau0.shape[0]) {
    throw new RangeError(`addNoise: ${steps.length} steps for a batch of ${tau0.shape[0]}`);
  }
  steps.forEach((k) => checkStep(schedule, k, 'addNoise'));
  const a = perSample(steps.map((k) => Math.sqrt(schedule.alphaBars[k])), tau0);
  const b = perSample(steps.map((k) => Math.sqrt(1 - schedule.alphaBars[k])), tau0);
  return add(mul(a, tau0), mul(b, noise));
}

/** The Gaussian of a reverse step: mean coefficients on tau_0 and tau_k, and its variance. */
export interface PosteriorCoefficients {
  coefTau0: number;
  coefTauK: number;
  variance: number;
}

/**
 * Coefficients of q(tau_prev | tau_k, tau_0), eq. (5), from step k to an earlier step `prev`
 * (k - 1 by default; -1 means the clean chunk). A jump over several steps (a rollout with
 * fewer denoising steps than training, K_rollout < K) uses the same formula with the
 * effective alpha = ab_k / ab_prev, as diffusers' DDPMScheduler does for strided inference:
 * the forward process from prev to k is again Gaussian, N(sqrt(alpha) tau_prev, (1 - alpha) I).
 */
export function posteriorCoefficients(schedule: DdpmSchedule, k: number, prev = k - 1): PosteriorCoefficients {
  checkStep(schedule, k, 'posterior');
  if (!Number.isInteger(prev) || prev < -1 || prev >= k) throw new RangeError(`posterior: previous step ${prev} must lie in -1 .. ${k - 1}`);
  const ab = schedule.alphaBars[k];
  const abPrev = prev < 0 ? 1 : schedule.alphaBars[prev];
  const alpha = ab / abPrev;
  const beta = 1 - alpha;
  return {
    coefTau0: (Math.sqrt(abPrev) * beta) / (1 - ab),
    coefTauK: (Math.sqrt(alpha) * (1 - abPrev)) / (1 - ab),
    variance: (beta * (1 - abPrev)) / (1 - ab),
  };
}

/** Mean and variance of q(tau_prev | tau_k, tau_0) for tensors tau_0 and tau_k (eq. 5). */
export function posterior(schedule: DdpmSchedule, tau0: Tensor, tauK: Tensor, k: number, prev = k - 1): { mean: Tensor; variance: number } {
  const c = posteriorCoefficients(schedule, k, prev);
  return { mean: add(mul(tau0, c.coefTau0), mul(tauK, c.coefTauK)), variance: c.variance };
}

/**
 * The inference steps of a rollout with `kRollout` denoising steps out of K, noisiest first.
 * With kRollout = K that is K - 1 .. 0. Fewer steps are spread evenly and always start at
 * the pure-noise step K - 1 (the "trailing" spacing of Lin et al., "Common Diffusion Noise
 * Schedules and Sample Steps are Flawed", 2024): k_j = round((j + 1) K / kRollout) - 1.
 */
export function inferenceSteps(schedule: DdpmSchedule, kRollout = schedule.K): number[] {
  if (!Number.isInteger(kRollout) || kRollout < 1 || kRollout > schedule.K) {
    throw new RangeError(`inferenceSteps: kRollout must be an integer in 1 .. ${schedule.K}, got ${kRollout}`);
  }
  const steps: number[] = [];
  for (let j = kRollout - 1; j >= 0; j--) steps.push(Math.round(((j + 1) * schedule.K) / kRollout) - 1);
  return steps;
}
