/**
 * Primitives that move values without arithmetic (reshape, broadcast, transpose, slice,
 * concat) and the sum reduction. They are all linear, so each rule applies the primitive's
 * adjoint: broadcast <-> sum, slice <-> embed into zeros, concat <-> slices.
 */
import { type Primitive, bind, primitive } from '../core.js';
import { ShapeError } from '../errors.js';
import { reduceInto } from '../kernels/reduce.js';
import { walk } from '../kernels/walk.js';
import { type Shape, broadcastShapes, broadcastStrides, checkShape, normalizeAxes, normalizeAxis, sameShape, sizeOf, stridesOf } from '../shape.js';
import { ConcreteTensor, Tensor, allocate, promote } from '../tensor.js';

// ---------------------------------------------------------------------------------------
// reshape

export const reshapeP: Primitive<Shape> = primitive({
  name: 'reshape',
  impl: ([x], shape) => new ConcreteTensor(x.data, shape),
  jvp: ([x], [t], shape) => [reshape(x, shape), t === null ? null : reshape(t, shape)],
  vjp: (ct, [x]) => [reshape(ct, x.shape)],
});

/** Same values, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = [...shape];
  const free = resolved.indexOf(-1);
  if (free >= 0) {
    const known = resolved.reduce((p, d, i) => (i === free ? p : p * d), 1);
    resolved[free] = known === 0 ? 0 : x.size / known;
  }
  if (!resolved.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(resolved) !== x.size) {
    throw new ShapeError('reshape', [x.shape, shape], `cannot reshape ${x.size} values`);
  }
  if (sameShape(resolved, x.shape)) return x;
  return bind(reshapeP, [x], resolved);
}

// ---------------------------------------------------------------------------------------
// broadcastTo and its adjoint, sumToShape

export const broadcastToP: Primitive<Shape> = primitive({
  name: 'broadcastTo',
  impl: ([x], shape) => {
    const out = allocate(x.dtype, sizeOf(shape));
    const src = x.data;
    walk(shape, [broadcastStrides(x.shape, shape)], (o, [i], n, [d]) => {
      for (let j = 0; j < n; j++) out[o + j] = src[i + j * d];
    });
    return new ConcreteTensor(out, shape);
  },
  jvp: ([x], [t], shape) => [broadcastTo(x, shape), t === null ? null : broadcastTo(t, shape)],
  vjp: (ct, [x]) => [sumToShape(ct, x.shape)],
});

/** Repeat `x` along new leading axes and along its size-1 axes (NumPy rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkShape('broadcastTo', shape);
  const target = broadcastShapes('broadcastTo', x.shape, shape);
  if (!sameShape(target, shape)) {
    throw new ShapeError('broadcastTo', [x.shape, shape], 'the target must contain the input shape');
  }
  if (sameShape(x.shape, shape)) return x;
  return bind(broadcastToP, [x], [...shape]);
}

/**
 * Sum `x` down to `shape`, undoing a broadcast: the adjoint of `broadcastTo(., x.shape)`.
 * Reverse-mode rules of broadcasting ops use it to give each input a cotangent of its own shape.
 */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = x.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(x, axes), shape);
}

// ---------------------------------------------------------------------------------------
// sum

interface SumParams {
  axes: number[];
  keepdims: boolean;
}

function reducedShape(shape: Shape, axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

export const sumP: Primitive<SumParams> = primitive({
  name: 'sum',
  impl: ([x], { axes, keepdims }) => {
    const kept = reducedShape(x.shape, axes, true);
    // Accumulate in float64 whatever the dtype, then store.
    const acc = new Float64Array(sizeOf(kept));
    reduceInto(acc, x.data, null, x.shape, kept);
    const out = allocate(x.dtype, acc.length);
    out.set(acc);
    return new ConcreteTensor(out, reducedShape(x.shape, axes, keepdims));
  },
  jvp: ([x], [t], p) => [bind(sumP, [x], p), t === null ? null : bind(sumP, [t], p)],
  vjp: (ct, [x], _y, { axes }) => [broadcastTo(reshape(ct, reducedShape(x.shape, axes, true)), x.shape)],
});

/** Sum over `axes` (all by default), dropping them unless `keepdims`. */
export function sum(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const list = normalizeAxes('sum', axes, x.ndim, [x.shape]);
  if (list.length === 0) return x;
  return bind(sumP, [x], { axes: list, keepdims });
}

// ---------------------------------------------------------------------------------------
// transpose

export const transposeP: Primitive<number[]> = primitive({
  name: 'transpose',
  impl: ([x], perm) => {
    const shape = perm.map((p) => x.shape[p]);
    const inStrides = stridesOf(x.shape);
    const out = allocate(x.dtype, x.size);
    const src = x.data;
    walk(shape, [perm.map((p) => inStrides[p])], (o, [i], n, [d]) => {
      for (let j = 0; j < n; j++) out[o + j] = src[i + j * d];
    });
    return new ConcreteTensor(out, shape);
  },
  jvp: ([x], [t], perm) => [transpose(x, perm), t === null ? null : transpose(t, perm)],
  vjp: (ct, _x, _y, perm) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [transpose(ct, inverse)];
  },
});

/** Permute axes; without `perm`, reverse them (NumPy's default). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normalizeAxis('transpose', a, x.ndim, [x.shape])) : x.shape.map((_, i) => x.ndim - 1 - i);
  if (p.length !== x.ndim || new Set(p).size !== p.length) {
    throw new ShapeError('transpose', [x.shape], `invalid permutation [${perm?.join(', ')}]`);
  }
  if (p.every((a, i) => a === i)) return x;
  return bind(transposeP, [x], p);
}

/** Swap the last two axes (the matrix transpose of a batch of matrices). */
export function mT(x: Tensor): Tensor {
  if (x.ndim < 2) throw new ShapeError('mT', [x.shape], 'needs at least two axes');
  const perm = x.shape.map((_, i) => i);
  perm[x.ndim - 2] = x.ndim - 1;
  perm[x.ndim - 1] = x.ndim - 2;
  return transpose(x, perm);
}

// ---------------------------------------------------------------------------------------
// slice and its adjoint, embedSlice

interface SliceParams {
  begin: number[];
  step: number[];
  /** Shape of the slice. */
  shape: number[];
  /** Shape of the full array the slice is cut from. */
  full: number[];
}

function sliceWalk(p: SliceParams, visit: (sliceOffset: number, fullOffset: number, n: number, fullStride: number) => void) {
  const fullStrides = stridesOf(p.full);
  const base = p.begin.reduce((s, b, i) => s + b * fullStrides[i], 0);
  walk(p.shape, [p.step.map((s, i) => s * fullStrides[i])], (o, [i], n, [d]) => visit(o, base + i, n, d));
}

export const sliceP: Primitive<SliceParams> = primitive({
  name: 'slice',
  impl: ([x], p) => {
    const out = allocate(x.dtype, sizeOf(p.shape));
    const src = x.data;
    sliceWalk(p, (o, i, n, d) => {
      for (let j = 0; j < n; j++) out[o + j] = src[i + j * d];
    });
    return new ConcreteTensor(out, p.shape);
  },
  jvp: ([x], [t], p) => [bind(sliceP, [x], p), t === null ? null : bind(sliceP, [t], p)],
  vjp: (ct, _x, _y, p) => [bind(embedSliceP, [ct], p)],
});

export const embedSliceP: Primitive<SliceParams> = primitive({
  name: 'embedSlice',
  impl: ([x], p) => {
    const out = allocate(x.dtype, sizeOf(p.full));
    const src = x.data;
    sliceWalk(p, (o, i, n, d) => {
      for (let j = 0; j < n; j++) out[i + j * d] = src[o + j];
    });
    return new ConcreteTensor(out, p.full);
  },
  jvp: ([x], [t], p) => [bind(embedSliceP, [x], p), t === null ? null : bind(embedSliceP, [t], p)],
  vjp: (ct, _x, _y, p) => [bind(sliceP, [ct], p)],
});

/** One axis of a slice: `[start, stop)` with a positive `step`; negative indices count from the end. */
export interface Range {
  start?: number;
  stop?: number;
  step?: number;
}

/**
 * Cut a box out of `x`: one `Range` (or a single index, which keeps the axis with size 1)
 * per leading axis; omitted axes are taken whole.
 */
export function slice(x: Tensor, ranges: readonly (Range | number)[]): Tensor {
  if (ranges.length > x.ndim) throw new ShapeError('slice', [x.shape], `${ranges.length} ranges for ${x.ndim} axes`);
  const begin: number[] = [];
  const step: number[] = [];
  const shape: number[] = [];
  x.shape.forEach((dim, axis) => {
    const r = ranges[axis] ?? {};
    const range = typeof r === 'number' ? { start: r, stop: (r < 0 ? r + dim : r) + 1 } : r;
    const st = range.step ?? 1;
    if (!Number.isInteger(st) || st < 1) throw new ShapeError('slice', [x.shape], `step ${st} must be a positive integer`);
    const clampIndex = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const start = clampIndex(range.start ?? 0);
    const stop = clampIndex(range.stop ?? dim);
    if (typeof r === 'number' && (r >= dim || r < -dim)) {
      throw new ShapeError('slice', [x.shape], `index ${r} is out of range on axis ${axis}`);
    }
    begin.push(start);
    step.push(st);
    shape.push(Math.max(0, Math.ceil((stop - start) / st)));
  });
  if (sameShape(shape, x.shape)) return x;
  return bind(sliceP, [x], { begin, step, shape, full: [...x.shape] });
}

// ---------------------------------------------------------------------------------------
// concat

export const concatP: Primitive<number> = primitive({
  name: 'concat',
  impl: (xs, axis) => {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    const dtype = xs.map((x) => x.dtype).reduce(promote);
    const out = allocate(dtype, sizeOf(shape));
    const outer = sizeOf(shape.slice(0, axis));
    const rowOut = sizeOf(shape.slice(axis));
    let offset = 0;
    for (const x of xs) {
      const row = sizeOf(x.shape.slice(axis));
      for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * row, (o + 1) * row), o * rowOut + offset);
      offset += row;
    }
    return new ConcreteTensor(out, shape);
  },
  jvp: (xs, ts, axis) => {
    const y = bind(concatP, xs, axis);
    if (ts.every((t) => t === null)) return [y, null];
    const filled = ts.map((t, i) => t ?? zerosLike(xs[i]));
    return [y, bind(concatP, filled, axis)];
  },
  vjp: (ct, xs, _y, axis, needs) => {
    let start = 0;
    return xs.map((x, i) => {
      const stop = start + x.shape[axis];
      const ranges: Range[] = x.shape.map(() => ({}));
      ranges[axis] = { start, stop };
      start = stop;
      return needs[i] ? slice(ct, ranges) : null;
    });
  },
});

/** Join tensors along an existing axis; the other axes must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat', [], 'needs at least one tensor');
  const a = normalizeAxis('concat', axis, xs[0].ndim, xs.map((t) => t.shape));
  for (const x of xs) {
    if (x.ndim !== xs[0].ndim || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new ShapeError('concat', xs.map((t) => t.shape), `shapes differ off axis ${axis}`);
    }
  }
  if (xs.length === 1) return xs[0];
  return bind(concatP, [...xs], a);
}

/** Zeros of the shape and dtype of `x` (a constant: no derivative). */
export function zerosLike(x: Tensor): ConcreteTensor {
  return new ConcreteTensor(allocate(x.dtype, x.size), x.shape);
}
