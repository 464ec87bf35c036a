/**
 * Fused primitives for the networks' hottest elementwise patterns. Each replaces a chain of
 * ops that would make several passes (and allocate an intermediate per pass) with one loop,
 * and keeps the same arithmetic, so float64 results do not change (float32 ones round once
 * instead of after each intermediate):
 *
 *   affine(x, scale, shift)     x * scale + shift, scale and shift broadcast to x's shape:
 *                               GroupNorm's per-channel affine and FiLM's per-sample one
 *   mulSumTo(a, b, shape)       sumToShape(a * b, shape): the cotangent of a broadcast scale,
 *                               one pass instead of a product array and a reduction
 *
 * Their rules are written with engine ops (each other, mul, sumToShape), so higher orders,
 * such as the Sobolev loss's gradient of a JVP, differentiate through them like any op.
 * Their loops are kernels/affine.ts and kernels/reduce.ts; Mish's fused derivatives
 * (mishScale, mishCurvature) live with mish in mish.ts.
 */
import { type MaybeTensor, type Primitive, bind, primitive } from '../core.js';
import { ShapeError } from '../errors.js';
import { affineInto } from '../kernels/affine.js';
import { reduceInto } from '../kernels/reduce.js';
import { type Shape, broadcastShapes, sameShape, sizeOf } from '../shape.js';
import { ConcreteTensor, type Tensor, allocate, promote } from '../tensor.js';
import { add, mul } from './elementwise.js';
import { broadcastTo, sumToShape } from './structural.js';

export const affineP: Primitive<null> = primitive({
  name: 'affine',
  impl: ([x, scale, shift]) => {
    const out = allocate(promote(promote(x.dtype, scale.dtype), shift.dtype), x.size);
    affineInto(out, x.data, x.shape, scale.data, scale.shape, shift.data, shift.shape);
    return new ConcreteTensor(out, x.shape);
  },
  jvp: ([x, scale, shift], [tx, ts, tb]) => {
    const y = affine(x, scale, shift);
    let t: MaybeTensor = null;
    if (tx !== null) t = tb !== null ? affine(tx, scale, tb) : mul(tx, scale);
    else if (tb !== null) t = broadcastTo(tb, y.shape);
    if (ts !== null) t = t === null ? mul(x, ts) : add(t, mul(x, ts));
    return [y, t];
  },
  vjp: (ct, [x, scale, shift], _y, _p, needs) => [
    needs[0] ? mul(ct, scale) : null,
    needs[1] ? mulSumTo(ct, x, scale.shape) : null,
    needs[2] ? sumToShape(ct, shift.shape) : null,
  ],
});

/**
 * x * scale + shift in one pass; scale and shift broadcast to x's shape (they may not enlarge
 * it). In float64 equal, bit for bit, to add(mul(x, scale), shift).
 */
export function affine(x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  const shape = broadcastShapes('affine', x.shape, scale.shape, shift.shape);
  if (!sameShape(shape, x.shape)) {
    throw new ShapeError('affine', [x.shape, scale.shape, shift.shape], 'scale and shift must broadcast to the shape of x');
  }
  return bind(affineP, [x, scale, shift], null);
}

export const mulSumToP: Primitive<Shape> = primitive({
  name: 'mulSumTo',
  impl: ([a, b], shape) => {
    const kept = [...new Array<number>(a.ndim - shape.length).fill(1), ...shape];
    const acc = new Float64Array(sizeOf(shape));
    reduceInto(acc, a.data, b.data, a.shape, kept);
    const out = allocate(promote(a.dtype, b.dtype), acc.length);
    out.set(acc);
    return new ConcreteTensor(out, [...shape]);
  },
  jvp: ([a, b], [ta, tb], shape) => {
    const y = bind(mulSumToP, [a, b], shape);
    const fromA = ta === null ? null : mulSumTo(ta, b, shape);
    const fromB = tb === null ? null : mulSumTo(a, tb, shape);
    return [y, fromA === null ? fromB : fromB === null ? fromA : add(fromA, fromB)];
  },
  vjp: (ct, [a, b], _y, _p, needs) => [needs[0] ? mul(ct, b) : null, needs[1] ? mul(a, ct) : null],
});

/**
 * sumToShape(a * b, shape) in one pass, for a and b of one shape; the product is summed in
 * float64. `shape` must broadcast to a's shape (it is the shape of what was broadcast).
 */
export function mulSumTo(a: Tensor, b: Tensor, shape: Shape): Tensor {
  if (!sameShape(a.shape, b.shape) || !sameShape(broadcastShapes('mulSumTo', a.shape, shape), a.shape)) {
    throw new ShapeError('mulSumTo', [a.shape, b.shape, shape], 'expects a and b of one shape, and a target shape that broadcasts to it');
  }
  if (sameShape(shape, a.shape)) return mul(a, b);
  return bind(mulSumToP, [a, b], [...shape]);
}
