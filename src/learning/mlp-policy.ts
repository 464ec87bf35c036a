/**
 * MLP policies trained on solver trajectories (the consensus paper's PDDP, and the main
 * paper's MLP and Sob+MLP baselines): u = pi_theta(x), two hidden layers of 256 with ReLU,
 * a tanh output scaled to the control bounds.
 *
 * Plain training (PDDP) regresses the solver's controls. Sobolev training (PDDP+S) also
 * matches the policy's input Jacobian to the solver's gains K_t = du/dx (DESIGN section 3),
 * stochastically as in eq. (9): for a random unit vector w in control space,
 *
 *   L = mean_b |pi(x_b) - u_b|^2 + alpha_Sob mean_b |w^T d pi/dx (x_b) - w^T K_b|^2.
 *
 * w^T d pi/dx is one VJP of the policy with respect to its input; because the samples of a
 * batch are independent, one VJP of sum_b <w_b, pi(x_b)> gives every row at once. With
 * nu = 1 the projection is exact (w = +-1). The loss is differentiated with respect to the
 * parameters through that VJP: reverse over reverse.
 *
 * Inputs are standardized inside the policy (mean and scale fitted on the training states),
 * so the Jacobian with respect to the raw state includes the scaling by construction.
 *
 * Training is a loop of named steps: each epoch shuffles the pairs; each minibatch (with its
 * projections w) goes through `mlpTrainStep`, which takes the gradient of L and applies Adam
 * through nn/optim's update rule (train-state.ts), as the diffusion policy's training does.
 */
import {
  ConcreteTensor, type Rng, type Tensor, add, div, mean, mul, reshape, square, sub, sum, tensor, valueAndGrad, vjp, withStepArena,
} from '../autodiff/index.js';
import { MLP, type MLPParams, boundedTanh, gatherRows, randomUnitVectors, relu } from '../nn/index.js';
import { type TrainState, type UpdateRule, adam, applyGradients, initTrainState } from '../nn/optim/index.js';

export interface MlpPolicyConfig {
  stateDim: number;
  controlDim: number;
  hidden: readonly number[];
  lower: readonly number[];
  upper: readonly number[];
}

export interface MlpPolicy {
  config: MlpPolicyConfig;
  params: MLPParams;
  /** Standardization of the input: x_n = (x - center) / scale. */
  center: readonly number[];
  scale: readonly number[];
}

/** Training pairs: states, controls and gains, row-major. */
export interface PairDataset {
  count: number;
  stateDim: number;
  controlDim: number;
  x: Float64Array;
  u: Float64Array;
  /** K_t per pair, controlDim x stateDim (tangent = state space for vector-space models). */
  K: Float64Array;
}

/** All (x_t, u_t, K_t) of a set of solved trajectories: |D| T pairs. */
export function pairsFromTrajectories(trajectories: readonly { xs: Float64Array[]; us: Float64Array[]; K: Float64Array[] }[]): PairDataset {
  const first = trajectories[0];
  if (first === undefined) throw new RangeError('pairsFromTrajectories: no trajectories');
  const stateDim = first.xs[0].length;
  const controlDim = first.us[0].length;
  const count = trajectories.reduce((n, tr) => n + tr.us.length, 0);
  const x = new Float64Array(count * stateDim);
  const u = new Float64Array(count * controlDim);
  const K = new Float64Array(count * controlDim * stateDim);
  let i = 0;
  for (const tr of trajectories) {
    for (let t = 0; t < tr.us.length; t++, i++) {
      x.set(tr.xs[t], i * stateDim);
      u.set(tr.us[t], i * controlDim);
      K.set(tr.K[t], i * controlDim * stateDim);
    }
  }
  return { count, stateDim, controlDim, x, u, K };
}

export function initMlpPolicy(rng: Rng, config: MlpPolicyConfig, data: PairDataset): MlpPolicy {
  const { stateDim } = config;
  const center = new Array<number>(stateDim).fill(0);
  const scale = new Array<number>(stateDim).fill(0);
  for (let i = 0; i < data.count; i++) for (let j = 0; j < stateDim; j++) center[j] += data.x[i * stateDim + j] / data.count;
  for (let i = 0; i < data.count; i++) {
    for (let j = 0; j < stateDim; j++) scale[j] += (data.x[i * stateDim + j] - center[j]) ** 2 / data.count;
  }
  return {
    config,
    params: MLP.init(rng, [stateDim, ...config.hidden, config.controlDim]),
    center,
    scale: scale.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)),
  };
}

/** u = pi(x) for a batch x [B, stateDim]. */
export function mlpAction(policy: MlpPolicy, params: MLPParams, x: Tensor): Tensor {
  const { stateDim, lower, upper } = policy.config;
  const standardized = div(sub(x, tensor([...policy.center], [stateDim])), tensor([...policy.scale], [stateDim]));
  return MLP.apply(params, standardized, { activation: relu, outputActivation: boundedTanh(lower, upper) });
}

/** The loss of eq. (9) on one batch; alphaSob = 0 gives plain regression (PDDP). */
export function mlpLoss(policy: MlpPolicy, params: MLPParams, x: Tensor, u: Tensor, K: Tensor, w: Tensor, alphaSob: number): Tensor {
  const [pred, pullback] = vjp((xx: Tensor) => mlpAction(policy, params, xx), x);
  const valueTerm = mean(sum(square(sub(pred, u)), 1));
  if (alphaSob === 0) return valueTerm;
  // w^T d pi/dx for every sample at once, against w^T K.
  const [projected] = pullback(w);
  const target = reshape(sum(mul(reshape(w, [w.shape[0], w.shape[1], 1]), K), 1), projected.shape);
  return add(valueTerm, mul(mean(sum(square(sub(projected, target)), 1)), alphaSob));
}

export interface MlpTrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  alphaSob: number;
  /** Shuffles the pairs and draws the projections w; advanced by training. */
  rng: Rng;
  onEpoch?: (epoch: number, loss: number) => void;
}

/** One minibatch: x [B, nx], u [B, nu], K [B, nu, nx] and the projections w [B, nu] of eq. (9). */
export interface PairBatch {
  readonly x: Tensor;
  readonly u: Tensor;
  readonly K: Tensor;
  readonly w: Tensor;
}

/** What stays fixed from step to step. */
export interface MlpStepSetup {
  readonly policy: MlpPolicy;
  /** alpha_Sob; 0 for plain regression (PDDP). */
  readonly alphaSob: number;
  readonly update: UpdateRule;
}

/** One training step: the loss of eq. (9) and its gradient on `batch`, then one update of `state`. */
export function mlpTrainStep(
  setup: MlpStepSetup,
  state: TrainState<MLPParams>,
  batch: PairBatch,
): { state: TrainState<MLPParams>; metrics: { loss: number } } {
  const { policy, alphaSob } = setup;
  const { x, u, K, w } = batch;
  // The step's intermediates live in the reusable step arena; the loss and the gradient are copied out.
  const [loss, grads] = withStepArena(() => valueAndGrad((p: MLPParams) => mlpLoss(policy, p, x, u, K, w, alphaSob))(state.params));
  return { state: applyGradients(setup.update, state, grads).state, metrics: { loss: loss.item() } };
}

/** The pairs as tensors x [N, nx], u [N, nu], K [N, nu, nx], for cutting batches from. */
type PairTensors = { readonly x: ConcreteTensor; readonly u: ConcreteTensor; readonly K: ConcreteTensor };

/** The pairs at `index`, with one random unit projection per pair drawn from `rng`. */
function samplePairs(pairs: PairTensors, index: readonly number[], rng: Rng): PairBatch {
  const [b, nu] = [index.length, pairs.u.shape[1]];
  const w = randomUnitVectors(rng, b, 1, nu); // [b, 1, nu]: one projection per pair
  return { x: gatherRows(pairs.x, index), u: gatherRows(pairs.u, index), K: gatherRows(pairs.K, index), w: new ConcreteTensor(w.data, [b, nu]) };
}

/** Adam over shuffled minibatches; one epoch visits every pair once. Returns the trained policy. */
export function trainMlpPolicy(policy: MlpPolicy, data: PairDataset, options: MlpTrainOptions): MlpPolicy {
  const { count, stateDim: nx, controlDim: nu } = data;
  const pairs: PairTensors = {
    x: new ConcreteTensor(data.x, [count, nx]),
    u: new ConcreteTensor(data.u, [count, nu]),
    K: new ConcreteTensor(data.K, [count, nu, nx]),
  };
  const setup: MlpStepSetup = { policy, alphaSob: options.alphaSob, update: { optimizer: adam({ lr: options.lr }) } };
  let state = initTrainState(setup.update, policy.params);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = options.rng.permutation(count);
    let total = 0;
    for (let start = 0; start < count; start += options.batchSize) {
      const index = order.slice(start, start + options.batchSize);
      const step = mlpTrainStep(setup, state, samplePairs(pairs, index, options.rng));
      state = step.state;
      total += step.metrics.loss * index.length;
    }
    options.onEpoch?.(epoch, total / count);
  }
  return { ...policy, params: state.params };
}
