/**
 * Loops for elementwise operations with NumPy broadcasting, on concrete tensors.
 * The fast paths (same shape, scalar operand) cover nearly every call; the general path
 * walks the broadcast output with one stride per operand (0 on broadcast axes).
 */
import { type Shape, broadcastShapes, broadcastStrides, sameShape, sizeOf } from './shape.js';
import { ConcreteTensor, type DType, allocate, promote } from './tensor.js';

export function unaryMap(x: ConcreteTensor, f: (v: number) => number): ConcreteTensor {
  const src = x.data;
  const out = allocate(x.dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return new ConcreteTensor(out, x.shape);
}

export function binaryMap(
  op: string,
  a: ConcreteTensor,
  b: ConcreteTensor,
  f: (x: number, y: number) => number,
  dtype: DType = promote(a.dtype, b.dtype),
): ConcreteTensor {
  const ad = a.data;
  const bd = b.data;
  if (sameShape(a.shape, b.shape)) {
    const out = allocate(dtype, ad.length);
    for (let i = 0; i < ad.length; i++) out[i] = f(ad[i], bd[i]);
    return new ConcreteTensor(out, a.shape);
  }
  if (bd.length === 1 && b.shape.length <= a.shape.length) {
    const y = bd[0];
    const out = allocate(dtype, ad.length);
    for (let i = 0; i < ad.length; i++) out[i] = f(ad[i], y);
    return new ConcreteTensor(out, a.shape);
  }
  if (ad.length === 1 && a.shape.length <= b.shape.length) {
    const x = ad[0];
    const out = allocate(dtype, bd.length);
    for (let i = 0; i < bd.length; i++) out[i] = f(x, bd[i]);
    return new ConcreteTensor(out, b.shape);
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocate(dtype, sizeOf(shape));
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  walk(shape, [sa, sb], (o, [ia, ib], n, [da, db]) => {
    for (let j = 0; j < n; j++) out[o + j] = f(ad[ia + j * da], bd[ib + j * db]);
  });
  return new ConcreteTensor(out, shape);
}

/** `cond ? a : b` elementwise, broadcasting all three. */
export function whereMap(cond: ConcreteTensor, a: ConcreteTensor, b: ConcreteTensor): ConcreteTensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const out = allocate(promote(a.dtype, b.dtype), sizeOf(shape));
  const cd = cond.data;
  const ad = a.data;
  const bd = b.data;
  const strides = [cond, a, b].map((t) => broadcastStrides(t.shape, shape));
  walk(shape, strides, (o, [ic, ia, ib], n, [dc, da, db]) => {
    for (let j = 0; j < n; j++) out[o + j] = cd[ic + j * dc] !== 0 ? ad[ia + j * da] : bd[ib + j * db];
  });
  return new ConcreteTensor(out, shape);
}

/**
 * Visit a row-major output of `shape` one innermost row at a time. `visit` gets the output
 * offset of the row, each operand's offset, the row length and each operand's inner stride.
 */
export function walk(
  shape: Shape,
  strides: number[][],
  visit: (outOffset: number, offsets: number[], rowLength: number, innerStrides: number[]) => void,
): void {
  const rank = shape.length;
  const total = sizeOf(shape);
  if (total === 0) return;
  if (rank === 0) {
    visit(0, strides.map(() => 0), 1, strides.map(() => 0));
    return;
  }
  const inner = shape[rank - 1];
  const innerStrides = strides.map((s) => s[rank - 1]);
  const offsets = strides.map(() => 0);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < total; o += inner) {
    visit(o, offsets, inner, innerStrides);
    for (let ax = rank - 2; ax >= 0; ax--) {
      index[ax]++;
      for (let k = 0; k < strides.length; k++) offsets[k] += strides[k][ax];
      if (index[ax] < shape[ax]) break;
      for (let k = 0; k < strides.length; k++) offsets[k] -= strides[k][ax] * shape[ax];
      index[ax] = 0;
    }
  }
}
