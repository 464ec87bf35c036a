/**
 * Sinusoidal position embedding of a diffusion step (Vaswani et al., "Attention Is All You
 * Need", 2017, section 3.5; used for the timestep by Ho et al.'s DDPM and by Chi et al.'s
 * diffusion_policy as `SinusoidalPosEmb`). For dim = 2 h:
 *
 *   freq_i = exp(-log(10000) i / (h - 1)),   i = 0 .. h - 1
 *   emb(t) = [sin(t freq_0) .. sin(t freq_{h-1}), cos(t freq_0) .. cos(t freq_{h-1})]
 *
 * (sines first, then cosines, as diffusion_policy concatenates them). The frequencies run
 * geometrically from 1 to 1/10000, so neighbouring steps differ in the fast components and
 * distant ones in the slow components. It is differentiable in t, though nothing needs that.
 */
import { concat, cos, mul, reshape, sin } from '../autodiff/ops/index.js';
import { type Tensor, allocate, ConcreteTensor } from '../autodiff/tensor.js';
import { expectShape } from './params.js';

/** The h frequencies of an embedding of size dim = 2 h. */
export function sinusoidalFrequencies(dim: number, dtype: Tensor['dtype'] = 'float64'): Tensor {
  const half = dim / 2;
  const data = allocate(dtype, half);
  const scale = Math.log(10000) / (half - 1);
  for (let i = 0; i < half; i++) data[i] = Math.exp(-scale * i);
  return new ConcreteTensor(data, [half]);
}

export const SinusoidalPosEmb = {
  /** No parameters: `{}`. */
  init(): Record<string, never> {
    return {};
  },

  /** steps [B] -> [B, dim]. `dim` must be even and at least 4 (h - 1 > 0). */
  apply(_params: unknown, steps: Tensor, dim: number): Tensor {
    expectShape(steps.ndim === 1, 'SinusoidalPosEmb', [steps.shape], 'expects a [batch] tensor of steps');
    expectShape(Number.isInteger(dim) && dim >= 4 && dim % 2 === 0, 'SinusoidalPosEmb', [steps.shape], `dim ${dim} must be an even integer >= 4`);
    const args = mul(reshape(steps, [steps.shape[0], 1]), reshape(sinusoidalFrequencies(dim, steps.dtype), [1, dim / 2]));
    return concat([sin(args), cos(args)], 1);
  },
};

/** `SinusoidalPosEmb.apply({}, steps, dim)`. */
export function sinusoidalPosEmb(steps: Tensor, dim: number): Tensor {
  return SinusoidalPosEmb.apply({}, steps, dim);
}
