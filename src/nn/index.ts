/**
 * Neural-network layers, functional style (as in JAX's stax or Flax's `init`/`apply`): the
 * parameters are a pytree created by `Layer.init(rng, ...sizes, dtype?)`, and a layer is a pure
 * function `Layer.apply(params, x, options?)`. Nothing is hidden in objects, so `grad` of a loss
 * with respect to the parameter tree is just `grad(loss)(params)`, and an optimizer maps trees
 * to trees. Initializations and layouts follow PyTorch, so numbers can be compared with it.
 * Optimizers, schedules and EMA live in ./optim; checkpoints (parameter trees on disk) here.
 */
export { Linear, type LinearParams } from './linear.js';
export { Conv1d, ConvTranspose1d, type ConvParams, type ConvOptions, type ConvTransposeOptions } from './conv.js';
export { GroupNorm, type GroupNormParams, type GroupNormOptions } from './norm.js';
export { type Activation, Mish, boundedTanh, identity, mish, relu, sigmoid, softplus, tanh } from './activations.js';
export { SinusoidalPosEmb, sinusoidalFrequencies, sinusoidalPosEmb } from './embedding.js';
export { MLP, type MLPOptions, type MLPParams } from './mlp.js';
export { castTree, namedLeaves, parameterCount, uniformFanIn } from './params.js';
export { gatherRows, randomUnitVectors } from './batch.js';
export {
  CheckpointError, type CheckpointContents, type Json, decodeCheckpoint, encodeCheckpoint, expectTreeLike, loadCheckpoint, saveCheckpoint,
} from './checkpoint.js';
