/**
 * GroupNorm (Wu and He, "Group Normalization", ECCV 2018): normalizes each sample over groups
 * of channels, so, unlike BatchNorm, it behaves the same at batch 1 (a policy rollout) as in
 * training, and it has no running statistics to carry. The U-Net of Chi et al. uses 8 groups.
 */
import { groupNorm } from '../autodiff/ops/index.js';
import { type Rng } from '../autodiff/rng.js';
import { type DType, type Tensor, ones, zeros } from '../autodiff/tensor.js';
import { checkSizes, expectShape } from './params.js';

/** A type alias, not an interface, so it is assignable to `PyTree`. */
export type GroupNormParams = {
  /** [channels], initialized to ones (PyTorch's affine=True default). */
  readonly weight: Tensor;
  /** [channels], initialized to zeros. */
  readonly bias: Tensor;
};

export interface GroupNormOptions {
  groups: number;
  /** Added to the variance before the square root; PyTorch's default 1e-5. */
  eps?: number;
}

export const GroupNorm = {
  /** `rng` is unused (the init is deterministic); it is taken so every layer's init reads alike. */
  init(_rng: Rng | null, channels: number, dtype: DType = 'float64'): GroupNormParams {
    checkSizes('GroupNorm', { channels });
    return { weight: ones([channels], dtype), bias: zeros([channels], dtype) };
  },

  /** x [B, C, ...] -> the same shape; C must be a multiple of `groups`. */
  apply(params: GroupNormParams, x: Tensor, options: GroupNormOptions): Tensor {
    const { weight, bias } = params;
    const { groups, eps = 1e-5 } = options;
    const c = weight.shape[0];
    expectShape(weight.ndim === 1 && bias.ndim === 1 && bias.shape[0] === c, 'GroupNorm', [weight.shape, bias.shape], 'expects weight and bias [channels]');
    expectShape(x.ndim >= 2 && x.shape[1] === c, 'GroupNorm', [x.shape, weight.shape], `expects input [B, ${c}, ...]`);
    expectShape(Number.isInteger(groups) && groups >= 1 && c % groups === 0, 'GroupNorm', [x.shape], `${c} channels cannot be split into ${groups} groups`);
    return groupNorm(x, groups, weight, bias, eps);
  },
};
