/**
 * Sobolev regression of a value network (value-learning paper, sec. III-B, eq. 7-8): the
 * network's value and its gradient are fitted to the targets, the cost-to-go V and its
 * gradient V_x from the solver's backward pass, with squared (L2) norms:
 *
 *   L = mean_b ((V(x_b) - V_b) / s)^2  +  alpha mean_b (1/nx) ||(V_x(x_b) - V_x,b) * w / s||^2,
 *
 * where s is the network's value scale and w the half-widths of the state region (the
 * gradient with respect to the standardized input), so both terms are of order one and
 * alpha (1 in the paper's sense of "two terms", ours) weighs them. alpha = 0 is the classical
 * regression on V alone. The derivative of the second term with respect to the parameters
 * goes through the VJP that gives V_x: reverse over reverse.
 */
import { ConcreteTensor, type Rng, type Tensor, add, div, mean, mul, square, sub, tensor, valueAndGrad, withStepArena } from '../../autodiff/index.js';
import { type MLPParams, gatherRows } from '../../nn/index.js';
import { adam, applyGradients, initTrainState } from '../../nn/optim/index.js';
import { type ValueNetwork, valueAndGradient } from './network.js';

/** Samples (x, V, V_x), row-major. */
export interface ValueDataset {
  count: number;
  nx: number;
  x: Float64Array;
  v: Float64Array;
  vx: Float64Array;
}

/** The two terms of the loss, each already normalized (the total is value + alpha gradient). */
export interface SobolevTerms {
  value: Tensor;
  gradient: Tensor;
}

export function sobolevTerms(net: ValueNetwork, params: MLPParams, x: Tensor, v: Tensor, vx: Tensor): SobolevTerms {
  const [pred, predX] = valueAndGradient(net, params, x);
  const s = net.valueScale;
  const w = tensor(net.halfWidth.map((h) => h / s), [net.config.nx]);
  return {
    value: mean(square(div(sub(pred, v), s))),
    gradient: mean(square(mul(sub(predX, vx), w))),
  };
}

export function sobolevLoss(net: ValueNetwork, params: MLPParams, x: Tensor, v: Tensor, vx: Tensor, alpha: number): Tensor {
  const t = sobolevTerms(net, params, x, v, vx);
  return alpha === 0 ? t.value : add(t.value, mul(alpha, t.gradient));
}

export interface ValueTrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  /** Weight of the gradient term; 0 for classical regression. */
  alpha: number;
  rng: Rng;
  /** After each epoch: the mean total loss over its batches, and the network's weights then. */
  onEpoch?: (epoch: number, loss: number, params: MLPParams) => void;
}

function checkDataset(net: ValueNetwork, data: ValueDataset): void {
  const { count, nx } = data;
  if (nx !== net.config.nx) throw new RangeError(`value dataset: nx = ${nx}, the network takes ${net.config.nx}`);
  if (!(count > 0)) throw new RangeError('value dataset: no samples');
  if (data.x.length !== count * nx || data.v.length !== count || data.vx.length !== count * nx) {
    throw new RangeError(`value dataset: lengths x ${data.x.length}, v ${data.v.length}, vx ${data.vx.length} for ${count} samples of nx = ${nx}`);
  }
  for (const [name, a] of [['x', data.x], ['v', data.v], ['vx', data.vx]] as const) {
    const i = a.findIndex((e) => !Number.isFinite(e));
    if (i >= 0) throw new RangeError(`value dataset: ${name}[${i}] is ${a[i]}`);
  }
}

/** Adam over shuffled minibatches (one epoch visits every sample once); returns the trained network. */
export function trainValueNetwork(net: ValueNetwork, data: ValueDataset, options: ValueTrainOptions): ValueNetwork {
  checkDataset(net, data);
  const { count, nx } = data;
  if (!(options.alpha >= 0)) throw new RangeError(`trainValueNetwork: alpha must be >= 0, got ${options.alpha}`);
  if (!(Number.isInteger(options.batchSize) && options.batchSize >= 1)) throw new RangeError(`trainValueNetwork: batchSize must be a positive integer, got ${options.batchSize}`);
  const all = { x: new ConcreteTensor(data.x, [count, nx]), v: new ConcreteTensor(data.v, [count]), vx: new ConcreteTensor(data.vx, [count, nx]) };
  const update = { optimizer: adam({ lr: options.lr }) };
  let state = initTrainState(update, net.params);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = options.rng.permutation(count);
    let total = 0;
    for (let start = 0; start < count; start += options.batchSize) {
      const index = order.slice(start, start + options.batchSize);
      const [x, v, vx] = [gatherRows(all.x, index), gatherRows(all.v, index), gatherRows(all.vx, index)];
      const [loss, grads] = withStepArena(() => valueAndGrad((p: MLPParams) => sobolevLoss(net, p, x, v, vx, options.alpha))(state.params));
      state = applyGradients(update, state, grads).state;
      total += loss.item() * index.length;
    }
    options.onEpoch?.(epoch, total / count, state.params);
  }
  return { ...net, params: state.params };
}

/** Mean squared errors of V and of V_x (per component), in the cost's units, on a dataset. */
export function valueErrors(net: ValueNetwork, data: ValueDataset): { value: number; gradient: number } {
  checkDataset(net, data);
  const { count, nx } = data;
  const [pred, predX] = valueAndGradient(net, net.params, new ConcreteTensor(data.x, [count, nx]));
  const p = pred.toArray();
  const px = predX.toArray();
  let ev = 0;
  let eg = 0;
  for (let i = 0; i < count; i++) ev += (p[i]! - data.v[i]!) ** 2 / count;
  for (let i = 0; i < count * nx; i++) eg += (px[i]! - data.vx[i]!) ** 2 / (count * nx);
  return { value: ev, gradient: eg };
}
