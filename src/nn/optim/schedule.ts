/**
 * Learning-rate schedules: functions from the number of updates already taken (0 for the
 * first update) to a learning rate. An optimizer accepts one wherever it accepts a number.
 */

export type Schedule = (count: number) => number;

/** The same rate at every step. */
export function constantSchedule(lr: number): Schedule {
  return () => lr;
}

export interface CosineWarmupOptions {
  /** The peak rate, reached at the end of the warm-up. */
  lr: number;
  /** Steps of linear warm-up from 0 to `lr` (diffusion_policy uses 500). */
  warmupSteps: number;
  /** Total number of steps; after it the rate stays at `minLr`. */
  totalSteps: number;
  /** The floor of the cosine; 0 by default, as in diffusers. */
  minLr?: number;
}

/**
 * Linear warm-up, then a half cosine down to `minLr` (Loshchilov and Hutter, "SGDR:
 * Stochastic Gradient Descent with Warm Restarts", ICLR 2017, without the restarts). This is
 * diffusers' `get_cosine_schedule_with_warmup`, which diffusion_policy trains with:
 *
 *   count < warmup:  lr count / warmup
 *   otherwise:       minLr + (lr - minLr) (1 + cos(pi p)) / 2,  p = (count - warmup) / (total - warmup)
 *
 * The first update (count 0) therefore uses rate 0, exactly as PyTorch's LambdaLR does.
 * Warm-up matters for Adam: its first steps have poorly estimated second moments, and
 * small rates keep them from throwing the weights far (Liu et al., "On the Variance of the
 * Adaptive Learning Rate and Beyond", ICLR 2020).
 */
export function cosineWithWarmup(options: CosineWarmupOptions): Schedule {
  const { lr, warmupSteps, totalSteps, minLr = 0 } = options;
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && Number.isInteger(totalSteps) && totalSteps >= warmupSteps)) {
    throw new RangeError(`cosineWithWarmup: need integers 0 <= warmupSteps <= totalSteps, got ${warmupSteps} and ${totalSteps}`);
  }
  return (count) => {
    if (count < warmupSteps) return (lr * count) / warmupSteps;
    const progress = Math.min(1, (count - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}
