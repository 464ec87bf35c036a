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
 */
import {
  ConcreteTensor, type Rng, type Tensor, add, div, mean, mul, reshape, square, sub, sum, tensor, valueAndGrad, vjp, withStepArena,
} from '../autodiff/index.js';
import * as nn from '../nn/index.js';
import type { MLPParams } from '../nn/index.js';
import * as optim from '../nn/optim/index.js';

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
    params: nn.MLP.init(rng, [stateDim, ...config.hidden, config.controlDim]),
    center,
    scale: scale.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)),
  };
}

/** u = pi(x) for a batch x [B, stateDim]. */
export function mlpAction(policy: MlpPolicy, params: MLPParams, x: Tensor): Tensor {
  const { stateDim, lower, upper } = policy.config;
  const standardized = div(sub(x, tensor([...policy.center], [stateDim])), tensor([...policy.scale], [stateDim]));
  return nn.MLP.apply(params, standardized, { activation: nn.relu, outputActivation: nn.boundedTanh(lower, upper) });
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
  rng: Rng;
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Random unit vectors in R^n, one per row. */
function unitRows(rng: Rng, rows: number, n: number): ConcreteTensor {
  const w = rng.normal([rows, n]);
  const d = w.data;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += d[r * n + j] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < n; j++) d[r * n + j] *= inv;
  }
  return w;
}

/** Adam over shuffled minibatches; one epoch visits every pair once. Returns the trained policy. */
export function trainMlpPolicy(policy: MlpPolicy, data: PairDataset, options: MlpTrainOptions): MlpPolicy {
  const { stateDim: nx, controlDim: nu } = data;
  const optimizer = optim.adam({ lr: options.lr });
  let params = policy.params;
  let state = optimizer.init(params);
  const step = valueAndGrad((p: MLPParams, x: Tensor, u: Tensor, K: Tensor, w: Tensor) => mlpLoss(policy, p, x, u, K, w, options.alphaSob));
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = options.rng.permutation(data.count);
    let total = 0;
    for (let start = 0; start < data.count; start += options.batchSize) {
      const index = order.slice(start, start + options.batchSize);
      const b = index.length;
      const x = new Float64Array(b * nx);
      const u = new Float64Array(b * nu);
      const K = new Float64Array(b * nu * nx);
      index.forEach((i, r) => {
        x.set(data.x.subarray(i * nx, (i + 1) * nx), r * nx);
        u.set(data.u.subarray(i * nu, (i + 1) * nu), r * nu);
        K.set(data.K.subarray(i * nu * nx, (i + 1) * nu * nx), r * nu * nx);
      });
      const [loss, grads] = withStepArena(() => step(
        params,
        new ConcreteTensor(x, [b, nx]),
        new ConcreteTensor(u, [b, nu]),
        new ConcreteTensor(K, [b, nu, nx]),
        unitRows(options.rng, b, nu),
      ));
      [params, state] = optimizer.step(params, grads, state);
      total += loss.item() * b;
    }
    options.onEpoch?.(epoch, total / data.count);
  }
  return { ...policy, params };
}
