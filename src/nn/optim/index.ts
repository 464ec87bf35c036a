/**
 * Optimizers, functional: an optimizer is `{ init(params) -> state, step(params, grads,
 * state) -> [params, state] }` over parameter pytrees, like optax. Updates run on concrete
 * values (they are not differentiated), with PyTorch's formulas so results can be compared.
 */
export { type AdamOptions, type AdamState, type Optimizer, adam, adamw } from './adam.js';
export { clipGradNorm, globalNorm } from './clip.js';
export { type Ema, type EmaState, type EmaWarmup, ema } from './ema.js';
export { type CosineWarmupOptions, type Schedule, constantSchedule, cosineWithWarmup } from './schedule.js';
export { type TrainState, type UpdateRule, applyGradients, initTrainState } from './train-state.js';
