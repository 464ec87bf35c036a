/**
 * Activations. They have no parameters, so each is just a function Tensor -> Tensor; the
 * core ops already provide relu, tanh, sigmoid, softplus and mish, and are re-exported here so
 * that network code can take everything from `nn`.
 */
import { add, mish, mul, relu, sigmoid, softplus, tanh } from '../autodiff/ops/index.js';
import { type Tensor, tensor } from '../autodiff/tensor.js';

export { mish, relu, sigmoid, softplus, tanh };

export type Activation = (x: Tensor) => Tensor;

export const identity: Activation = (x) => x;

/**
 * Mish (Misra, "Mish: A Self Regularized Non-Monotonic Activation Function", 2019):
 * x tanh(softplus(x)). Smooth everywhere, so second derivatives (needed by the Sobolev loss,
 * which differentiates an input Jacobian) are not zero almost everywhere as with ReLU. The
 * layer form `Mish.apply(params, x)` exists only so it can sit in a list of layers.
 */
export const Mish = {
  init(): Record<string, never> {
    return {};
  },
  apply(_params: unknown, x: Tensor): Tensor {
    return mish(x);
  },
};

/**
 * A tanh squashed into the box [low, high] (per output, or one scalar for all):
 * low + (high - low) (tanh(x) + 1) / 2, i.e. mid + half tanh(x). This is the output layer of the
 * PDDP/PLAL policies ("tanh output scaled to the control bounds"): the policy can never
 * propose an infeasible control, and with symmetric bounds it is simply bound * tanh(x).
 */
export function boundedTanh(low: number | readonly number[], high: number | readonly number[]): Activation {
  const lo = typeof low === 'number' ? [low] : [...low];
  const hi = typeof high === 'number' ? [high] : [...high];
  if (lo.length !== hi.length || lo.some((l, i) => !(hi[i] >= l))) {
    throw new RangeError(`boundedTanh: need low <= high elementwise, got [${lo}] and [${hi}]`);
  }
  const mid = lo.map((l, i) => (l + hi[i]) / 2);
  const half = lo.map((l, i) => (hi[i] - l) / 2);
  return (x) => {
    const m = tensor(mid, [mid.length], x.dtype);
    const h = tensor(half, [half.length], x.dtype);
    return add(m, mul(h, tanh(x)));
  };
}
