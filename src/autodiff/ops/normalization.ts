/**
 * Group normalization as fused primitives. Written with elementwise ops it takes about ten
 * passes over the activations forward and twenty-five backward; the U-Net normalizes after
 * every convolution, so it gets one loop per direction here.
 *
 * Per group of n values, with mean m, sigma = sqrt(var + eps) and xhat = (x - m) / sigma,
 * the Jacobian of x -> xhat applied to a vector v is
 *
 *   P_x(v) = (v - mean(v) - xhat mean(xhat v)) / sigma,
 *
 * and it is symmetric, so the same fused map serves forward mode (P_x(t)) and reverse mode
 * (P_x(ct)). P_x(v) is a primitive too: linear in v (its rules in v are P_x again); its
 * derivative in x, needed for second order (the Sobolev term), is a third fused primitive,
 * Q(x, v, u), whose own derivative in x comes from the composite formula `tangentReference`
 * differentiated by the engine itself. The loops are kernels/groupnorm.ts.
 */
import { type MaybeTensor, type Primitive, bind, primitive } from '../core.js';
import { jvp } from '../forward.js';
import { vjp } from '../reverse.js';
import { groupCurvatureInto, groupNormalizeInto, groupStatisticsInto, groupTangentInto } from '../kernels/groupnorm.js';
import { ConcreteTensor, type Tensor, allocate, promote } from '../tensor.js';
import { add, div, mul, sqrt, square, sub } from './elementwise.js';
import { reshape, sum } from './structural.js';

interface NormParams {
  groups: number;
  eps: number;
}

interface Statistics {
  n: number;
  eps: number;
  mean: Float64Array;
  invSigma: Float64Array;
}

/**
 * The statistics of the last few arrays normalized, by array. One GroupNorm's x meets all three
 * primitives (the forward pass, P_x in the first-order pass, Q in the second), and each needs
 * its group means and 1 / sigma: computing them costs two of a rule's four passes over x.
 * Tensors are immutable, so an array's statistics never change; a WeakMap lets them go with it.
 */
const statisticsCache = new WeakMap<Float64Array | Float32Array, Statistics>();

/** Mean and 1 / sigma of each group of `x` (viewed as [groups total, n]), cached per array. */
function groupStatistics(x: Float64Array | Float32Array, count: number, n: number, eps: number): Statistics {
  const cached = statisticsCache.get(x);
  if (cached !== undefined && cached.n === n && cached.eps === eps) return cached;
  const stats = computeStatistics(x, count, n, eps);
  statisticsCache.set(x, stats);
  return stats;
}

function computeStatistics(x: Float64Array | Float32Array, count: number, n: number, eps: number): Statistics {
  const mean = new Float64Array(count);
  const invSigma = new Float64Array(count);
  groupStatisticsInto(x, count, n, eps, mean, invSigma);
  return { n, eps, mean, invSigma };
}

function layout(x: ConcreteTensor, groups: number): { count: number; n: number } {
  const count = x.shape[0] * groups;
  return { count, n: x.size / count };
}

export const groupNormalizeP: Primitive<NormParams> = primitive({
  name: 'groupNormalize',
  impl: ([x], { groups, eps }) => {
    const { count, n } = layout(x, groups);
    const { mean, invSigma } = groupStatistics(x.data, count, n, eps);
    const out = allocate(x.dtype, x.size);
    groupNormalizeInto(out, x.data, mean, invSigma, count, n);
    return new ConcreteTensor(out, x.shape);
  },
  jvp: ([x], [t], p) => [bind(groupNormalizeP, [x], p), t === null ? null : bind(groupNormalizeTangentP, [x, t], p)],
  vjp: (ct, [x], _y, p) => [bind(groupNormalizeTangentP, [x, ct], p)],
});

export const groupNormalizeTangentP: Primitive<NormParams> = primitive({
  name: 'groupNormalizeTangent',
  impl: ([x, v], { groups, eps }) => {
    const { count, n } = layout(x, groups);
    const { mean, invSigma } = groupStatistics(x.data, count, n, eps);
    const out = allocate(v.dtype, v.size);
    groupTangentInto(out, x.data, v.data, mean, invSigma, count, n);
    return new ConcreteTensor(out, v.shape);
  },
  jvp: ([x, v], [tx, tv], p) => {
    const y = bind(groupNormalizeTangentP, [x, v], p);
    const inV: MaybeTensor = tv === null ? null : bind(groupNormalizeTangentP, [x, tv], p);
    const inX: MaybeTensor = tx === null ? null : bind(groupNormalizeCurvatureP, [x, v, tx], p);
    return [y, inV === null ? inX : inX === null ? inV : add(inV, inX)];
  },
  // The derivative in x is Q(x, v, .), and Q is symmetric in its last two arguments and
  // self-adjoint in them (see groupNormalizeCurvatureP), so the VJP in x is Q(x, v, ct).
  vjp: (ct, [x, v], _y, p, needs) => [
    needs[0] ? bind(groupNormalizeCurvatureP, [x, v, ct], p) : null,
    needs[1] ? bind(groupNormalizeTangentP, [x, ct], p) : null,
  ],
});

/**
 * Q(x, v, u) = d/dx P_x(v) [u], the second derivative of x -> xhat, fused. Per group, with
 * r = 1 / sigma, means over the group, a = mean(xhat u), c = mean(xhat v):
 *
 *   Q = -r^2 ( a (v - mean(v)) + c (u - mean(u)) + xhat (mean(u v) - mean(u) mean(v) - 3 a c) ).
 *
 * It is symmetric in v and u, and <w, Q(x, v, u)> is symmetric in all of v, u, w (it is the
 * third derivative of a scalar up to the normalization's symmetric structure), so one loop
 * gives both rules of P in x: the JVP Q(x, v, tx) and the VJP Q(x, v, ct). The Sobolev loss
 * differentiates P (the network's JVP or VJP) once more in training, where the composite
 * formula it replaces recorded about 25 ops per GroupNorm on the tape. Q's own derivative in x
 * (third order, never needed in training) comes from the composite `curvatureReference`.
 */
export const groupNormalizeCurvatureP: Primitive<NormParams> = primitive({
  name: 'groupNormalizeCurvature',
  impl: ([x, v, u], { groups, eps }) => {
    const { count, n } = layout(x, groups);
    const { mean, invSigma } = groupStatistics(x.data, count, n, eps);
    const out = allocate(promote(v.dtype, u.dtype), v.size);
    groupCurvatureInto(out, x.data, v.data, u.data, mean, invSigma, count, n);
    return new ConcreteTensor(out, v.shape);
  },
  jvp: ([x, v, u], [tx, tv, tu], p) => {
    const y = bind(groupNormalizeCurvatureP, [x, v, u], p);
    const terms: Tensor[] = [];
    if (tv !== null) terms.push(bind(groupNormalizeCurvatureP, [x, tv, u], p));
    if (tu !== null) terms.push(bind(groupNormalizeCurvatureP, [x, v, tu], p));
    if (tx !== null) terms.push(jvp((xx: Tensor) => curvatureReference(xx, v, u, p), [x], [tx])[1]);
    return [y, terms.length === 0 ? null : terms.reduce((s, t) => add(s, t))];
  },
  vjp: (ct, [x, v, u], _y, p, needs) => [
    needs[0] ? vjp((xx: Tensor) => curvatureReference(xx, v, u, p), x)[1](ct)[0] : null,
    needs[1] ? bind(groupNormalizeCurvatureP, [x, u, ct], p) : null,
    needs[2] ? bind(groupNormalizeCurvatureP, [x, v, ct], p) : null,
  ],
});

/** Q(x, v, u) by definition: forward mode through the composite P_x(v), in direction u. */
export function curvatureReference(x: Tensor, v: Tensor, u: Tensor, p: NormParams): Tensor {
  return jvp((xx: Tensor) => tangentReference(xx, v, p), [x], [u])[1];
}

/** P_x(v) written with ops: the definition the fused loop implements, differentiable in x. */
export function tangentReference(x: Tensor, v: Tensor, { groups, eps }: NormParams): Tensor {
  const shape = [x.shape[0], groups, -1];
  const xs = reshape(x, shape);
  const vs = reshape(v, shape);
  const n = xs.shape[2];
  const centered = sub(xs, div(sum(xs, 2, true), n));
  const sigma = sqrt(add(div(sum(square(centered), 2, true), n), eps));
  const xhat = div(centered, sigma);
  const meanV = div(sum(vs, 2, true), n);
  const meanXhatV = div(sum(mul(xhat, vs), 2, true), n);
  return reshape(div(sub(sub(vs, meanV), mul(xhat, meanXhatV)), sigma), x.shape);
}

/**
 * Normalize x [batch, channels, ...] over groups of channels (no scale or shift). An empty x
 * (no positions, channels or batch) has nothing to normalize and is returned as is, as an
 * empty result (the loops are not entered: the float32 kernel sizes its scratch by the group
 * size and cannot take a group of 0 values).
 */
export function groupNormalize(x: Tensor, groups: number, eps: number): Tensor {
  if (x.size === 0) return x;
  return bind(groupNormalizeP, [x], { groups, eps });
}
