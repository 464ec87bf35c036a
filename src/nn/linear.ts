/**
 * Linear (fully connected) layer, y = x W^T + b, with PyTorch's storage: W is [out, in], so
 * a checkpoint's `weight` maps over unchanged. The product uses `matmul`'s transB flag, which
 * reads W transposed in place instead of materializing W^T.
 */
import { add, matmul } from '../autodiff/ops/index.js';
import { type Rng } from '../autodiff/rng.js';
import { type DType, type Tensor } from '../autodiff/tensor.js';
import { checkSizes, expectShape, uniformFanIn } from './params.js';

/** A type alias, not an interface, so it is assignable to `PyTree`. */
export type LinearParams = {
  /** [out, in] */
  readonly weight: Tensor;
  /** [out] */
  readonly bias: Tensor;
};

export const Linear = {
  /** PyTorch's default: weight and bias U(-1/sqrt(in), 1/sqrt(in)) (see `uniformFanIn`). */
  init(rng: Rng, inFeatures: number, outFeatures: number, dtype: DType = 'float64'): LinearParams {
    checkSizes('Linear', { inFeatures, outFeatures });
    const weight = uniformFanIn(rng, [outFeatures, inFeatures], inFeatures, dtype);
    const bias = uniformFanIn(rng, [outFeatures], inFeatures, dtype);
    return { weight, bias };
  },

  /** x [..., in] -> [..., out]. A 1-D x is a single sample. `name` labels shape errors (MLP passes its layer index). */
  apply(params: LinearParams, x: Tensor, name = 'Linear'): Tensor {
    const { weight, bias } = params;
    expectShape(weight.ndim === 2 && bias.ndim === 1 && bias.shape[0] === weight.shape[0], name, [weight.shape, bias.shape], 'expects weight [out, in] and bias [out]');
    expectShape(x.ndim >= 1 && x.shape[x.ndim - 1] === weight.shape[1], name, [x.shape, weight.shape], `expects input [..., ${weight.shape[1]}]`);
    return add(matmul(x, weight, { transB: true }), bias);
  },
};
