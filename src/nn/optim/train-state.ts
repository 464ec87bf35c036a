/**
 * The state a training run carries from one step to the next, and the update that turns a
 * step's gradient into the next state. Every training loop here has the same shape:
 *
 *   state = initTrainState(rule, params)
 *   repeat:  batch = sample(...);  grads = gradient of the loss on batch;
 *            state = applyGradients(rule, state, grads).state
 *
 * and differs only in the loss and in the rule: which optimizer (with its learning-rate
 * schedule inside), whether the gradient's global norm is clipped first (clip.ts), and
 * whether an average of the weights is kept for evaluation (ema.ts). Like the optimizers,
 * this is functional: a state is never changed, a new one is returned.
 */
import { type PyTree } from '../../autodiff/index.js';
import { type AdamState, type Optimizer } from './adam.js';
import { clipGradNorm } from './clip.js';
import { type Ema, type EmaState } from './ema.js';

export interface TrainState<T extends PyTree = PyTree> {
  /** Steps taken. */
  readonly step: number;
  readonly params: T;
  readonly opt: AdamState<T>;
  /** The averaged weights, or null when the rule keeps no average. */
  readonly ema: EmaState<T> | null;
}

/** How a gradient updates the state: clip (optional), optimizer step, EMA (optional). */
export interface UpdateRule {
  readonly optimizer: Optimizer;
  /** Scale the gradient down to this global norm when it is longer. Default: no clipping. */
  readonly clipNorm?: number;
  /** Fold every new set of weights into this average. Default: no average. */
  readonly ema?: Ema;
}

/** Step 0: fresh optimizer moments and, when the rule averages, an average equal to `params`. */
export function initTrainState<T extends PyTree>(rule: UpdateRule, params: T): TrainState<T> {
  return { step: 0, params, opt: rule.optimizer.init(params), ema: rule.ema === undefined ? null : rule.ema.init(params) };
}

/**
 * One update with `grads` (the gradient of the loss at `state.params`). Returns the next
 * state and, when the rule clips, the gradient's global norm before clipping (clipping
 * computes it anyway; without clipping nobody pays for it).
 */
export function applyGradients<T extends PyTree>(rule: UpdateRule, state: TrainState<T>, grads: T): { state: TrainState<T>; gradNorm?: number } {
  let gradNorm: number | undefined;
  if (rule.clipNorm !== undefined) [grads, gradNorm] = clipGradNorm(grads, rule.clipNorm);
  const [params, opt] = rule.optimizer.step(state.params, grads, state.opt);
  const ema = rule.ema === undefined || state.ema === null ? null : rule.ema.update(state.ema, params);
  return { state: { step: state.step + 1, params, opt, ema }, gradNorm };
}
