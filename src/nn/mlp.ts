/**
 * A multilayer perceptron: Linear layers with an activation between them and an optional
 * one after the last. The PDDP/PLAL policies (consensus papers) are MLP sizes [nx, 256, 256, nu]
 * with ReLU and a tanh output scaled to the control bounds:
 *
 *   const params = MLP.init(rng, [nx, 256, 256, nu]);
 *   const u = MLP.apply(params, x, { activation: relu, outputActivation: boundedTanh(-25, 25) });
 */
import { type Rng } from '../autodiff/rng.js';
import { type DType, type Tensor } from '../autodiff/tensor.js';
import { type Activation, identity, relu } from './activations.js';
import { Linear, type LinearParams } from './linear.js';

export type MLPParams = readonly LinearParams[];

export interface MLPOptions {
  /** Between hidden layers; ReLU by default. */
  activation?: Activation;
  /** After the last layer; none by default. */
  outputActivation?: Activation;
}

export const MLP = {
  /** sizes = [in, hidden..., out]: one Linear per consecutive pair, each with PyTorch's init. */
  init(rng: Rng, sizes: readonly number[], dtype: DType = 'float64'): LinearParams[] {
    if (sizes.length < 2) throw new RangeError(`MLP.init: sizes [${sizes}] needs at least [in, out]`);
    const layers: LinearParams[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) layers.push(Linear.init(rng, sizes[i], sizes[i + 1], dtype));
    return layers;
  },

  /** x [..., in] -> [..., out]. */
  apply(params: MLPParams, x: Tensor, options: MLPOptions = {}): Tensor {
    const { activation = relu, outputActivation = identity } = options;
    let h = x;
    params.forEach((layer, i) => {
      h = Linear.apply(layer, h, `MLP layer ${i} (Linear)`);
      h = i + 1 < params.length ? activation(h) : outputActivation(h);
    });
    return h;
  },
};
