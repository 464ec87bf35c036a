/**
 * Ops built from primitives. They need no rules of their own: their derivatives, to any
 * order, follow from the primitives they are made of.
 */
import { ShapeError } from '../errors.js';
import { broadcastShapes, normalizeAxes, normalizeAxis } from '../shape.js';
import { type Tensor } from '../tensor.js';
import { type Operand, add, div, greaterEqual, lessEqual, mul, square, sub, where } from './elementwise.js';
import { affine } from './fused.js';
import { groupNormalize } from './normalization.js';
import { concat, reshape, sum } from './structural.js';

/**
 * Mean over `axes` (all by default). Averaging over no elements (an axis of size 0, e.g.
 * the mean of an empty tensor) is a ShapeError rather than NumPy's NaN with a warning: the
 * mean of nothing is undefined, and a NaN would only surface later, far from its cause.
 * A result with no elements (another axis of size 0) has nothing to average and is returned.
 */
export function mean(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const list = normalizeAxes('mean', axes, x.ndim, [x.shape]);
  return div(sum(x, list, keepdims), averagedCount('mean', x, list));
}

/** Population variance (divides by n) over `axes`; over no elements a ShapeError, as `mean`. */
export function variance(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  averagedCount('variance', x, normalizeAxes('variance', axes, x.ndim, [x.shape]));
  const centered = sub(x, mean(x, axes, true));
  return mean(square(centered), axes, keepdims);
}

/** How many elements each entry of a mean over `axes` averages; a ShapeError if none (see `mean`). */
function averagedCount(op: string, x: Tensor, axes: readonly number[]): number {
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const results = x.shape.reduce((n, d, i) => (axes.includes(i) ? n : n * d), 1);
  if (count === 0 && results > 0) {
    throw new ShapeError(op, [x.shape], `averages over 0 elements (axes [${axes.join(', ')}] have a size 0); the mean of nothing is undefined`);
  }
  return count;
}

/** Elementwise maximum; at ties the derivative goes to `a`. */
export function maximum(a: Operand, b: Operand): Tensor {
  checkBroadcast('maximum', a, b);
  return where(greaterEqual(a, b), a, b);
}

/** Elementwise minimum; at ties the derivative goes to `a`. */
export function minimum(a: Operand, b: Operand): Tensor {
  checkBroadcast('minimum', a, b);
  return where(lessEqual(a, b), a, b);
}

/** Shape errors name the op the caller used, not the primitives it is made of. */
function checkBroadcast(op: string, a: Operand, b: Operand): void {
  broadcastShapes(op, typeof a === 'number' ? [] : a.shape, typeof b === 'number' ? [] : b.shape);
}

/** Insert an axis of size 1 at `axis`. */
export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('expandDims', axis, x.ndim + 1, [x.shape]);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Join tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('stack', [], 'needs at least one tensor');
  const a = normalizeAxis('stack', axis, xs[0].ndim + 1, xs.map((t) => t.shape));
  return concat(xs.map((x) => expandDims(x, a)), a);
}

/**
 * Group normalization (Wu and He, 2018) over x [batch, channels, ...]: the channels are split
 * into `groups`, each group normalized to zero mean and unit variance over its channels and
 * positions, then scaled by `weight` and shifted by `bias` (per channel) when given.
 */
export function groupNorm(x: Tensor, groups: number, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  const channels = x.shape[1];
  if (x.ndim < 2 || !Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new ShapeError('groupNorm', [x.shape], `${channels} channels cannot be split into ${groups} groups`);
  }
  for (const p of [weight, bias]) {
    if (p !== undefined && (p.ndim !== 1 || p.shape[0] !== channels)) {
      throw new ShapeError('groupNorm', [x.shape, p.shape], `weight and bias must have shape [${channels}]`);
    }
  }
  const normalized = groupNormalize(x, groups, eps);
  const perChannel = [channels, ...x.shape.slice(2).map(() => 1)];
  if (weight !== undefined && bias !== undefined) {
    return affine(normalized, reshape(weight, perChannel), reshape(bias, perChannel)); // one pass
  }
  let y = normalized;
  if (weight !== undefined) y = mul(y, reshape(weight, perChannel));
  if (bias !== undefined) y = add(y, reshape(bias, perChannel));
  return y;
}
