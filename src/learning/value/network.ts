/**
 * Value networks of the value-learning paper (sec. III-C), on standardized inputs
 * z = (x - center) / halfWidth (the task's state region mapped to [-1, 1]^nx):
 *
 *   gauss-residual  V(x) = s ||r(z)||^2, r a tanh MLP [nx, 64, 64, 64, 3] (eq. 9): its
 *                   gradient is V_x = 2 s J_r^T r and its Gauss-Newton Hessian 2 s J_r^T J_r,
 *                   positive semi-definite, what DDP needs of a terminal cost;
 *   feed-forward    V(x) = s f(z), f a tanh MLP [nx, 64, 64, 64, 1] with a linear output,
 *                   the paper's comparison (Fig. 8-9); its Hessian is the exact one.
 *
 * With an `anchor` (the task's goal: a cost-free equilibrium, where V = 0), the last layer's
 * output at the anchor is subtracted, so V(anchor) = 0 exactly (and, for gauss-residual,
 * r(anchor) = 0: the Gauss-Newton Hessian is exact there). Ours: DVP's recursion
 * V_{i+1}(goal) = V_i(goal) has no contraction without discount, so a network's fitting
 * error at the goal is carried to every state and accumulates from iteration to iteration
 * (measured on the pendulum, T = 50: a constant offset of 0.31 after 10 iterations, 99 % of
 * the mean squared error to the ground truth).
 *
 * s (`valueScale`) is fixed when the network is created (the mean target of the first
 * dataset), so that the network's own outputs are of order one whatever the cost's units.
 * The standardization belongs to the network: derivatives with respect to x include it.
 */
import { type Rng, type Tensor, div, mul, ones, reshape, square, sub, sum, tensor, vjp } from '../../autodiff/index.js';
import { MLP, type MLPParams, tanh } from '../../nn/index.js';
import { type DifferentiableFunction, exactFunction, residualFunction } from '../../ocp/index.js';

export type ValueArchitecture = 'gauss-residual' | 'feed-forward';

export interface ValueNetworkConfig {
  architecture: ValueArchitecture;
  nx: number;
  /** Hidden widths; the paper's [64, 64, 64]. */
  hidden: readonly number[];
  /** Units of the residual r (gauss-residual only); the paper's 3. */
  residual: number;
  /** A state where V = 0 by construction (the goal), or none. */
  anchor?: readonly number[];
}

export interface ValueNetwork {
  config: ValueNetworkConfig;
  params: MLPParams;
  /** z = (x - center) / halfWidth. */
  center: readonly number[];
  halfWidth: readonly number[];
  /** s: V = s ||r||^2 or s f. */
  valueScale: number;
}

export const PAPER_VALUE_NETWORK = { hidden: [64, 64, 64], residual: 3 } as const;

export function initValueNetwork(
  rng: Rng, config: ValueNetworkConfig, region: { lower: readonly number[]; upper: readonly number[] }, valueScale: number,
): ValueNetwork {
  const { nx, architecture, hidden, residual } = config;
  if (region.lower.length !== nx || region.upper.length !== nx) throw new RangeError(`initValueNetwork: the region has ${region.lower.length}/${region.upper.length} bounds for nx = ${nx}`);
  if (!(valueScale > 0) || !Number.isFinite(valueScale)) throw new RangeError(`initValueNetwork: valueScale must be positive and finite, got ${valueScale}`);
  if (architecture !== 'gauss-residual' && architecture !== 'feed-forward') throw new RangeError(`initValueNetwork: unknown architecture "${architecture as string}"`);
  if (config.anchor !== undefined && (config.anchor.length !== nx || !config.anchor.every(Number.isFinite))) throw new RangeError(`initValueNetwork: the anchor [${config.anchor}] is not a finite state of length ${nx}`);
  if (architecture === 'gauss-residual' && !(Number.isInteger(residual) && residual >= 1)) throw new RangeError(`initValueNetwork: residual must be a positive integer, got ${residual}`);
  const halfWidth = region.lower.map((lo, i) => (region.upper[i]! - lo) / 2);
  if (!halfWidth.every((w) => w > 0)) throw new RangeError(`initValueNetwork: every region bound needs lower < upper, got [${region.lower}] / [${region.upper}]`);
  const out = architecture === 'gauss-residual' ? residual : 1;
  return {
    config,
    params: MLP.init(rng, [nx, ...hidden, out]),
    center: region.lower.map((lo, i) => (lo + region.upper[i]!) / 2),
    halfWidth,
    valueScale,
  };
}

/** The network's last layer: r(z) [B, residual] for gauss-residual, f(z) [B, 1] for feed-forward. */
export function networkOutput(net: ValueNetwork, params: MLPParams, x: Tensor): Tensor {
  const nx = net.config.nx;
  const mlp = (xx: Tensor) => MLP.apply(params, div(sub(xx, tensor([...net.center], [nx])), tensor([...net.halfWidth], [nx])), { activation: tanh });
  const { anchor } = net.config;
  return anchor === undefined ? mlp(x) : sub(mlp(x), mlp(tensor([...anchor], [1, nx])));
}

/** V(x) for x [B, nx]: [B]. */
export function valuePredict(net: ValueNetwork, params: MLPParams, x: Tensor): Tensor {
  const out = networkOutput(net, params, x);
  const v = net.config.architecture === 'gauss-residual' ? sum(square(out), 1) : reshape(out, [out.shape[0]!]);
  return mul(net.valueScale, v);
}

/**
 * V [B] and V_x [B, nx] of a batch: the samples are independent, so one VJP of sum_b V(x_b)
 * gives every row of V_x at once. Differentiable in `params` (the Sobolev loss).
 */
export function valueAndGradient(net: ValueNetwork, params: MLPParams, x: Tensor): [Tensor, Tensor] {
  const [v, pullback] = vjp((xx: Tensor) => valuePredict(net, params, xx), x);
  const [vx] = pullback(ones([x.shape[0]!]));
  return [v, vx];
}

/**
 * The trained network as a function for `learnedTerminalCost` (src/ocp/learned-costs.ts):
 * gauss-residual with the Gauss-Newton Hessian 2 s J_r^T J_r, feed-forward with its exact one.
 */
export function valueFunction(net: ValueNetwork): DifferentiableFunction {
  const nx = net.config.nx;
  const single = (x: Tensor) => reshape(x, [1, nx]);
  if (net.config.architecture === 'gauss-residual') {
    const rootScale = Math.sqrt(net.valueScale);
    return residualFunction(nx, (x) => mul(rootScale, reshape(networkOutput(net, net.params, single(x)), [-1])));
  }
  return exactFunction(nx, (x) => valuePredict(net, net.params, single(x)));
}
