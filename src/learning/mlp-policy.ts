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
 * Task parameters (Task.condition: the UR5's random target, main paper sec. 4.3) are
 * appended to the state input, pi(x, c), standardized with it; the Sobolev term still
 * differentiates with respect to x only (the solver's gains are du/dx). Without a condition the
 * policy is exactly the plain u = pi(x).
 *
 * Training is a loop of named steps: each epoch shuffles the pairs; each minibatch (with its
 * projections w) goes through `mlpTrainStep`, which takes the gradient of L and applies Adam
 * through nn/optim's update rule (train-state.ts), as the diffusion policy's training does.
 */
import {
  ConcreteTensor, type DType, type Rng, type Tensor, add, cast, concat, div, mean, mul, reshape, square, sub, sum, tensor, valueAndGrad, vjp, withStepArena,
} from '../autodiff/index.js';
import { MLP, type MLPParams, boundedTanh, gatherRows, randomUnitVectors, relu } from '../nn/index.js';
import { type TrainState, type UpdateRule, adam, applyGradients, initTrainState } from '../nn/optim/index.js';

export interface MlpPolicyConfig {
  stateDim: number;
  controlDim: number;
  hidden: readonly number[];
  lower: readonly number[];
  upper: readonly number[];
  /** Task parameters appended to the state input (0 or absent: none). */
  conditionDim?: number;
  /**
   * The weights' and the computation's dtype (absent: float64). float32 is PyTorch's default
   * and what the main paper's runner trains in (twice the SIMD lanes of float64); inputs,
   * targets and the standardization are cast to it, so a step never promotes back to float64.
   */
  dtype?: DType;
}

export interface MlpPolicy {
  config: MlpPolicyConfig;
  params: MLPParams;
  /** Standardization of the input [x, c]: (input - center) / scale. */
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
  /** The task parameters of each pair's instance, conditionDim per pair (absent without a condition). */
  c?: Float64Array;
  conditionDim?: number;
}

/**
 * All (x_t, u_t, K_t) of a set of solved trajectories: |D| T pairs; with `conditions` (one row
 * per trajectory, Task.condition of its instance), each pair also carries its trajectory's row.
 */
export function pairsFromTrajectories(
  trajectories: readonly { xs: Float64Array[]; us: Float64Array[]; K: Float64Array[] }[], conditions?: readonly number[][],
): PairDataset {
  const first = trajectories[0];
  if (first === undefined) throw new RangeError('pairsFromTrajectories: no trajectories');
  const stateDim = first.xs[0].length;
  const controlDim = first.us[0].length;
  const count = trajectories.reduce((n, tr) => n + tr.us.length, 0);
  const x = new Float64Array(count * stateDim);
  const u = new Float64Array(count * controlDim);
  const K = new Float64Array(count * controlDim * stateDim);
  if (conditions !== undefined && conditions.length !== trajectories.length) {
    throw new RangeError(`pairsFromTrajectories: ${conditions.length} conditions for ${trajectories.length} trajectories`);
  }
  const conditionDim = conditions?.[0]?.length ?? 0;
  const c = conditions === undefined ? undefined : new Float64Array(count * conditionDim);
  let i = 0;
  trajectories.forEach((tr, n) => {
    for (let t = 0; t < tr.us.length; t++, i++) {
      x.set(tr.xs[t], i * stateDim);
      u.set(tr.us[t], i * controlDim);
      K.set(tr.K[t], i * controlDim * stateDim);
      if (c !== undefined) {
        if (conditions![n].length !== conditionDim) throw new RangeError(`pairsFromTrajectories: condition ${n} has ${conditions![n].length} entries, not ${conditionDim}`);
        c.set(conditions![n], i * conditionDim);
      }
    }
  });
  return c === undefined ? { count, stateDim, controlDim, x, u, K } : { count, stateDim, controlDim, x, u, K, c, conditionDim };
}

export function initMlpPolicy(rng: Rng, config: MlpPolicyConfig, data: PairDataset): MlpPolicy {
  const { stateDim } = config;
  const nc = config.conditionDim ?? 0;
  if (nc !== (data.conditionDim ?? 0)) throw new RangeError(`initMlpPolicy: the policy takes ${nc} task parameters, the data carry ${data.conditionDim ?? 0}`);
  const nIn = stateDim + nc;
  const input = (i: number, j: number) => (j < stateDim ? data.x[i * stateDim + j] : data.c![i * nc + j - stateDim]);
  const center = new Array<number>(nIn).fill(0);
  const scale = new Array<number>(nIn).fill(0);
  for (let i = 0; i < data.count; i++) for (let j = 0; j < nIn; j++) center[j] += input(i, j) / data.count;
  for (let i = 0; i < data.count; i++) {
    for (let j = 0; j < nIn; j++) scale[j] += (input(i, j) - center[j]) ** 2 / data.count;
  }
  return {
    config,
    params: MLP.init(rng, [nIn, ...config.hidden, config.controlDim], mlpDtype(config)),
    center,
    scale: scale.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)),
  };
}

export const mlpDtype = (config: MlpPolicyConfig): DType => config.dtype ?? 'float64';

/** u = pi(x) for a batch x [B, stateDim], or pi(x, c) with the task parameters c [B, conditionDim] where the policy takes them. */
export function mlpAction(policy: MlpPolicy, params: MLPParams, x: Tensor, c?: Tensor): Tensor {
  const { stateDim, lower, upper } = policy.config;
  const nc = policy.config.conditionDim ?? 0;
  if (nc > 0 && (c === undefined || c.shape[1] !== nc)) throw new RangeError(`mlpAction: the policy needs task parameters [B, ${nc}]`);
  const dtype = mlpDtype(policy.config);
  const input = cast(nc > 0 ? concat([x, c!], 1) : x, dtype); // no op where x is already in dtype
  const nIn = stateDim + nc;
  const standardized = div(sub(input, tensor([...policy.center], [nIn], dtype)), tensor([...policy.scale], [nIn], dtype));
  return MLP.apply(params, standardized, { activation: relu, outputActivation: boundedTanh(lower, upper) });
}

/** The loss of eq. (9) on one batch; alphaSob = 0 gives plain regression (PDDP). */
export function mlpLoss(policy: MlpPolicy, params: MLPParams, x: Tensor, u: Tensor, K: Tensor, w: Tensor, alphaSob: number, c?: Tensor): Tensor {
  // Differentiated with respect to the state only: the task parameters are not an input of the gains.
  const [pred, pullback] = vjp((xx: Tensor) => mlpAction(policy, params, xx, c), x);
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
  /** Task parameters [B, conditionDim], where the policy takes them. */
  readonly c?: Tensor;
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
  const { x, u, K, w, c } = batch;
  // The step's intermediates live in the reusable step arena; the loss and the gradient are copied out.
  const [loss, grads] = withStepArena(() => valueAndGrad((p: MLPParams) => mlpLoss(policy, p, x, u, K, w, alphaSob, c))(state.params));
  return { state: applyGradients(setup.update, state, grads).state, metrics: { loss: loss.item() } };
}

/** The pairs as tensors x [N, nx], u [N, nu], K [N, nu, nx], for cutting batches from. */
type PairTensors = { readonly x: ConcreteTensor; readonly u: ConcreteTensor; readonly K: ConcreteTensor; readonly c?: ConcreteTensor };

/** The pairs at `index`, with one random unit projection per pair drawn from `rng`. */
function samplePairs(pairs: PairTensors, index: readonly number[], rng: Rng): PairBatch {
  const [b, nu] = [index.length, pairs.u.shape[1]];
  const w = randomUnitVectors(rng, b, 1, nu); // [b, 1, nu]: one projection per pair
  const batch = { x: gatherRows(pairs.x, index), u: gatherRows(pairs.u, index), K: gatherRows(pairs.K, index), w: tensor(w.data, [b, nu], pairs.x.dtype) };
  return pairs.c === undefined ? batch : { ...batch, c: gatherRows(pairs.c, index) };
}

/** Adam over shuffled minibatches; one epoch visits every pair once. Returns the trained policy. */
export function trainMlpPolicy(policy: MlpPolicy, data: PairDataset, options: MlpTrainOptions): MlpPolicy {
  const { count, stateDim: nx, controlDim: nu } = data;
  // The pairs in the policy's dtype once, so that no batch is cast again.
  const dtype = mlpDtype(policy.config);
  const pairs: PairTensors = {
    x: tensor(data.x, [count, nx], dtype),
    u: tensor(data.u, [count, nu], dtype),
    K: tensor(data.K, [count, nu, nx], dtype),
    ...(data.c === undefined ? {} : { c: tensor(data.c, [count, data.conditionDim ?? 0], dtype) }),
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
