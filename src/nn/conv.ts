/**
 * Conv1d and ConvTranspose1d layers over [batch, channels, length], PyTorch semantics and
 * weight layouts, so the U-Net of Chi et al. (diffusion_policy's conditional_unet1d.py) can be
 * written line for line. Conv1d adds its bias inside the fused `conv1dBias` op; ConvTranspose1d
 * broadcasts it as [1, out, 1]. The convolution itself (and its derivatives to any order) is
 * the core `conv1d` / `convTranspose1d` op.
 */
import { type ConvOptions, add, conv1dBias, convTranspose1d, reshape } from '../autodiff/ops/index.js';
import { type Rng } from '../autodiff/rng.js';
import { type DType, type Tensor } from '../autodiff/tensor.js';
import { checkSizes, expectShape, uniformFanIn } from './params.js';

/** A type alias, not an interface, so it is assignable to `PyTree`. */
export type ConvParams = {
  /** Conv1d: [out, in, k]. ConvTranspose1d: [in, out, k]. */
  readonly weight: Tensor;
  /** [out] */
  readonly bias: Tensor;
};

export type { ConvOptions };
export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: number;
}

function checkParams(layer: string, p: ConvParams, outAxis: 0 | 1): void {
  const { weight, bias } = p;
  expectShape(
    weight.ndim === 3 && bias.ndim === 1 && bias.shape[0] === weight.shape[outAxis],
    layer,
    [weight.shape, bias.shape],
    outAxis === 0 ? 'expects weight [out, in, k] and bias [out]' : 'expects weight [in, out, k] and bias [out]',
  );
}

function addChannelBias(y: Tensor, bias: Tensor): Tensor {
  return add(y, reshape(bias, [1, bias.shape[0], 1]));
}

export const Conv1d = {
  /** PyTorch's default: weight and bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = in * k. */
  init(rng: Rng, inChannels: number, outChannels: number, kernelSize: number, dtype: DType = 'float64'): ConvParams {
    checkSizes('Conv1d', { inChannels, outChannels, kernelSize });
    const fanIn = inChannels * kernelSize;
    const weight = uniformFanIn(rng, [outChannels, inChannels, kernelSize], fanIn, dtype);
    const bias = uniformFanIn(rng, [outChannels], fanIn, dtype);
    return { weight, bias };
  },

  /** x [B, in, L] -> [B, out, floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1]. */
  apply(params: ConvParams, x: Tensor, options: ConvOptions = {}): Tensor {
    checkParams('Conv1d', params, 0);
    const w = params.weight;
    expectShape(x.ndim === 3 && x.shape[1] === w.shape[1], 'Conv1d', [x.shape, w.shape], `expects input [B, ${w.shape[1]}, L]`);
    return conv1dBias(x, w, params.bias, options); // = addChannelBias(conv1d(x, w, options), bias), in one pass
  },
};

export const ConvTranspose1d = {
  /**
   * PyTorch's default with PyTorch's fan-in for transposed convs: the weight is stored
   * [in, out, k] and `_calculate_fan_in_and_fan_out` reads fan-in from axis 1, so
   * fanIn = out * k (not in * k). The bias uses the same bound.
   */
  init(rng: Rng, inChannels: number, outChannels: number, kernelSize: number, dtype: DType = 'float64'): ConvParams {
    checkSizes('ConvTranspose1d', { inChannels, outChannels, kernelSize });
    const fanIn = outChannels * kernelSize;
    const weight = uniformFanIn(rng, [inChannels, outChannels, kernelSize], fanIn, dtype);
    const bias = uniformFanIn(rng, [outChannels], fanIn, dtype);
    return { weight, bias };
  },

  /**
   * x [B, in, L] -> [B, out, (L - 1) stride - 2 padding + dilation (k - 1) + outputPadding + 1].
   * With (k, stride, padding) = (4, 2, 1) it exactly doubles L: the U-Net's upsampling.
   */
  apply(params: ConvParams, x: Tensor, options: ConvTransposeOptions = {}): Tensor {
    checkParams('ConvTranspose1d', params, 1);
    const w = params.weight;
    expectShape(x.ndim === 3 && x.shape[1] === w.shape[0], 'ConvTranspose1d', [x.shape, w.shape], `expects input [B, ${w.shape[0]}, L]`);
    return addChannelBias(convTranspose1d(x, w, options), params.bias);
  },
};
