/**
 * Elementwise kernels (kernels/elementwise.ts) applied to concrete tensors: the result's
 * shape and dtype, its storage, then the kernel's loops on the raw arrays. Used by the
 * primitives' `impl`s; not part of the public API.
 */
import { type BinaryKernel, type UnaryKernel, binaryInto, unaryInto, whereInto } from '../kernels/elementwise.js';
import { type Shape, broadcastShapes, sameShape, sizeOf } from '../shape.js';
import { allocateOverwritten } from '../kernels/step-arena.js';
import { ConcreteTensor, promote } from '../tensor.js';

export function unaryMap(x: ConcreteTensor, kernel: UnaryKernel): ConcreteTensor {
  // Every loop writes all of `out` (unaryInto, binaryInto, whereInto): no zeroing needed.
  const out = allocateOverwritten(x.dtype, x.data.length);
  unaryInto(kernel, out, x.data);
  return new ConcreteTensor(out, x.shape);
}

/** f(a, b) with NumPy broadcasting, in the promoted dtype; `op` names the op in a ShapeError. */
export function binaryMap(op: string, a: ConcreteTensor, b: ConcreteTensor, kernel: BinaryKernel): ConcreteTensor {
  const shape = binaryShape(op, a, b);
  const out = allocateOverwritten(promote(a.dtype, b.dtype), sizeOf(shape));
  binaryInto(kernel, out, a.data, a.shape, b.data, b.shape, shape);
  return new ConcreteTensor(out, shape);
}

/**
 * The broadcast shape of a and b. Nearly every call has operands of one shape or a single
 * value on one side: then it is an operand's own shape, without the general rule's arrays.
 */
function binaryShape(op: string, a: ConcreteTensor, b: ConcreteTensor): Shape {
  if (sameShape(a.shape, b.shape) || (b.size === 1 && b.ndim <= a.ndim)) return a.shape;
  if (a.size === 1 && a.ndim <= b.ndim) return b.shape;
  return broadcastShapes(op, a.shape, b.shape);
}

/** `cond ? a : b` elementwise, broadcasting all three. */
export function whereMap(cond: ConcreteTensor, a: ConcreteTensor, b: ConcreteTensor): ConcreteTensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const out = allocateOverwritten(promote(a.dtype, b.dtype), sizeOf(shape));
  whereInto(out, shape, cond.data, cond.shape, a.data, a.shape, b.data, b.shape);
  return new ConcreteTensor(out, shape);
}
