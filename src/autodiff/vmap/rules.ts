/**
 * The batching rules of the engine's primitives, grouped by pattern. Each receives the
 * arguments with the batch axis in front where `batched` says so (see registry.ts) and returns
 * the batch of outputs, batch axis in front. Most rules call the primitive itself once on the
 * whole batch, after moving the batch axis where the primitive treats it like any other axis:
 *
 * - elementwise: the batch axis is just another axis;
 * - broadcasting (add, mul, where, ...): each batched operand gets size-1 axes after its batch
 *   axis up to the rank of the largest example, so that per-example broadcasting (aligned on
 *   the right) still lines up and the batch axis lines up with the batch axis; a shared operand
 *   broadcasts over the batch by itself;
 * - axes (sum, transpose, reshape, slice, concat): the same op with every axis shifted by one;
 * - folding (matmul with a shared matrix, conv1d with shared weights, group normalization):
 *   the batch axis is merged into an axis the primitive already loops over, [B, N, ...] ->
 *   [B * N, ...], a free reshape, so a batch of small calls becomes one large call.
 *
 * Where folding does not apply (both convolution operands batched, the weight adjoint), the
 * rule applies the primitive example by example (`loopOverBatch`). Rules are checked against
 * a loop over the batch in tests/autodiff/vmap-rules.test.ts.
 */
import { bind } from '../core.js';
import {
  absP, castP, cosP, divP, equalP, expP, greaterEqualP, greaterP, lessEqualP, lessP, logP, mulP, negP, powP, reluP,
  sigmoidP, signP, sinP, softplusP, sqrtP, squareP, stopGradientP, subP, tanhP, whereP, addP,
} from '../ops/elementwise.js';
import {
  broadcastTo, broadcastToP, concatP, embedSliceP, reshape, reshapeP, sliceP, sumP, transpose, transposeP,
} from '../ops/structural.js';
import { matmulP } from '../ops/linear.js';
import { conv1dBiasP, conv1dInputAdjointP, conv1dP, conv1dWeightAdjointP } from '../ops/conv.js';
import { mishCurvatureP, mishGrad2P, mishGradP, mishP, mishScaleP } from '../ops/mish.js';
import { groupNormalizeCurvatureP, groupNormalizeP, groupNormalizeTangentP } from '../ops/normalization.js';
import { affineP, mulSumToP } from '../ops/fused.js';
import { type Tensor } from '../tensor.js';
import { type Primitive } from '../core.js';
import { type BatchRule, registerBatchRule } from './registry.js';
import { loopOverBatch } from './trace.js';

// ---------------------------------------------------------------------------------------
// Helpers

/** The rank of one example of argument i. */
const exampleRank = (x: Tensor, batched: boolean) => x.ndim - (batched ? 1 : 0);

/** A batched value [B, ...s] as [B, 1, ..., 1, ...s] with `rank` axes after the batch axis. */
function padAfterBatch(x: Tensor, rank: number): Tensor {
  const own = x.ndim - 1;
  if (own >= rank) return x;
  return reshape(x, [x.shape[0], ...new Array<number>(rank - own).fill(1), ...x.shape.slice(1)]);
}

/** Give a shared value its own copy per example: [...s] -> [B, ...s]. */
function batchOf(x: Tensor, batched: boolean, size: number): Tensor {
  return batched ? x : broadcastTo(x, [size, ...x.shape]);
}

/** [B, N, ...rest] -> [B * N, ...rest]. */
const fold = (x: Tensor) => reshape(x, [x.shape[0] * x.shape[1], ...x.shape.slice(2)]);
/** [B * N, ...rest] -> [B, N, ...rest]. */
const unfold = (x: Tensor, size: number) => reshape(x, [size, x.shape[0] / size, ...x.shape.slice(1)]);

// ---------------------------------------------------------------------------------------
// Patterns

/** Elementwise with one operand (or operands of one shape): the batch axis is any axis. */
function elementwise<P>(prim: Primitive<P>): BatchRule<P> {
  return (args, _batched, params) => bind(prim, args, params);
}

/** NumPy broadcasting operands: pad each batched operand to the largest example's rank. */
function broadcasting<P>(prim: Primitive<P>): BatchRule<P> {
  return (args, batched, params) => {
    const rank = Math.max(...args.map((a, i) => exampleRank(a, batched[i])));
    return bind(prim, args.map((a, i) => (batched[i] ? padAfterBatch(a, rank) : a)), params);
  };
}

/** Operands that must have one shape (mishCurvature, the GroupNorm maps): batch them all. */
function sameShape<P>(prim: Primitive<P>): BatchRule<P> {
  return (args, batched, params, size) => bind(prim, args.map((a, i) => batchOf(a, batched[i], size)), params);
}

/** Operands of one shape [N, ...] whose first axis is a batch of the primitive's own: fold. */
function foldAll<P>(prim: Primitive<P>): BatchRule<P> {
  return (args, batched, params, size) =>
    unfold(bind(prim, args.map((a, i) => fold(batchOf(a, batched[i], size))), params), size);
}

const shift = (axes: readonly number[]) => axes.map((a) => a + 1);

// ---------------------------------------------------------------------------------------
// Elementwise and broadcasting

for (const prim of [negP, expP, logP, sinP, cosP, tanhP, sigmoidP, softplusP, reluP, sqrtP, squareP, absP, signP, mishP, mishGradP, mishGrad2P]) {
  registerBatchRule(prim, elementwise(prim));
}
registerBatchRule(castP, elementwise(castP));
registerBatchRule(stopGradientP, elementwise(stopGradientP));
for (const prim of [addP, subP, mulP, divP, powP, greaterP, greaterEqualP, lessP, lessEqualP, equalP, whereP, mishScaleP]) {
  registerBatchRule(prim, broadcasting(prim));
}
registerBatchRule(mishCurvatureP, sameShape(mishCurvatureP));

/** affine(x, scale, shift): x has the output's shape, so it must carry the batch. */
registerBatchRule(affineP, (args, batched, params, size) => {
  const x = batchOf(args[0], batched[0], size);
  const rank = x.ndim - 1;
  return bind(affineP, [x, ...args.slice(1).map((a, i) => (batched[i + 1] ? padAfterBatch(a, rank) : a))], params);
});

/** mulSumTo(a, b, shape): a and b of one shape, summed down to [B, ...shape] (padded to a's rank). */
registerBatchRule(mulSumToP, (args, batched, shape, size) => {
  const [a, b] = args.map((x, i) => batchOf(x, batched[i], size));
  const target = [size, ...new Array<number>(a.ndim - 1 - shape.length).fill(1), ...shape];
  return reshape(bind(mulSumToP, [a, b], target), [size, ...shape]);
});

// ---------------------------------------------------------------------------------------
// Axes

registerBatchRule(reshapeP, ([x], _b, shape, size) => bind(reshapeP, [x], [size, ...shape]));
registerBatchRule(broadcastToP, ([x], _b, shape, size) => bind(broadcastToP, [padAfterBatch(x, shape.length)], [size, ...shape]));
registerBatchRule(sumP, ([x], _b, { axes, keepdims }) => bind(sumP, [x], { axes: shift(axes), keepdims }));
registerBatchRule(transposeP, ([x], _b, perm) => bind(transposeP, [x], [0, ...shift(perm)]));
for (const prim of [sliceP, embedSliceP]) {
  registerBatchRule(prim, ([x], _b, p, size) =>
    bind(prim, [x], { begin: [0, ...p.begin], step: [1, ...p.step], shape: [size, ...p.shape], full: [size, ...p.full] }));
}
registerBatchRule(concatP, (args, batched, axis, size) => bind(concatP, args.map((a, i) => batchOf(a, batched[i], size)), axis + 1));

// ---------------------------------------------------------------------------------------
// Matrix products: fold the batch into the rows of a matrix where one operand is shared

registerBatchRule(matmulP, ([a, b], [batchedA, batchedB], params, size) => {
  const { transA, transB } = params;
  // A batch of matrices [B, m, k] times one shared matrix: one [B m, k] product.
  if (batchedA && !batchedB && a.ndim === 3 && b.ndim === 2 && !transA) {
    return unfold(bind(matmulP, [fold(a), b], params), size);
  }
  // One shared matrix times a batch whose columns are rows in memory (B^T stored, or one column):
  // (op(A) X)^T = X^T op(A)^T as one [B n, k] product, transposed back.
  if (batchedB && !batchedA && a.ndim === 2 && b.ndim === 3 && (transB || b.shape[2] === 1)) {
    const n = transB ? b.shape[1] : 1;
    const rows = reshape(b, [size * n, -1]);
    const product = unfold(bind(matmulP, [rows, a], { transA: false, transB: !transA }), size); // [B, n, m]
    return n === 1 ? reshape(product, [size, product.shape[2], 1]) : transpose(product, [0, 2, 1]);
  }
  return broadcasting(matmulP)([a, b], [batchedA, batchedB], params, size);
});

// ---------------------------------------------------------------------------------------
// Convolutions: fold the batch into the convolution's own batch when the weights are shared

function foldFirst<P>(prim: Primitive<P>): BatchRule<P> {
  return (args, batched, params, size) => {
    if (batched.slice(1).some((b) => b)) return loopOverBatch((xs) => bind(prim, xs, params), args, batched, size);
    return unfold(bind(prim, [fold(args[0]), ...args.slice(1)], params), size);
  };
}
registerBatchRule(conv1dP, foldFirst(conv1dP));
registerBatchRule(conv1dBiasP, foldFirst(conv1dBiasP));
registerBatchRule(conv1dInputAdjointP, foldFirst(conv1dInputAdjointP));
// The weight adjoint sums over the convolution's batch, so a batch of them cannot be folded.
registerBatchRule(conv1dWeightAdjointP, (args, batched, params, size) =>
  loopOverBatch((xs) => bind(conv1dWeightAdjointP, xs, params), args, batched, size));

// ---------------------------------------------------------------------------------------
// Group normalization: each sample is normalized on its own, so the batch folds into samples

registerBatchRule(groupNormalizeP, foldAll(groupNormalizeP));
registerBatchRule(groupNormalizeTangentP, foldAll(groupNormalizeTangentP));
registerBatchRule(groupNormalizeCurvatureP, foldAll(groupNormalizeCurvatureP));
