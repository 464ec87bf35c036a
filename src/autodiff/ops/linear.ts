/**
 * Matrix multiplication, batched and broadcasting like NumPy's `matmul`. The primitive
 * carries transpose flags so that its reverse-mode rules (ct B^T and A^T ct) run straight on
 * the stored operands instead of materializing transposes.
 */
import { type MaybeTensor, type Primitive, bind, primitive } from '../core.js';
import { ShapeError } from '../errors.js';
import { matmul as matmulKernel } from '../kernels/index.js';
import { allocateOverwritten } from '../kernels/step-arena.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import { ConcreteTensor, type Tensor, allocate, convert, promote } from '../tensor.js';
import { add } from './elementwise.js';
import { broadcastTo, reshape, sumToShape } from './structural.js';

interface MatmulParams {
  transA: boolean;
  transB: boolean;
}

/** (rows, cols) of op(X) for a stored matrix X. */
function opDims(x: Tensor, trans: boolean): [number, number] {
  const r = x.shape[x.ndim - 2];
  const c = x.shape[x.ndim - 1];
  return trans ? [c, r] : [r, c];
}

/** `shown`: the operand shapes as the caller passed them (before 1-D operands became matrices), for errors. */
function outputShape(a: Tensor, b: Tensor, { transA, transB }: MatmulParams, shown = [a.shape, b.shape]): number[] {
  const [m, k] = opDims(a, transA);
  const [k2, n] = opDims(b, transB);
  if (k !== k2) {
    throw new ShapeError('matmul', shown, `inner dimensions ${k} and ${k2} differ`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  for (let i = 1; i <= Math.min(batchA.length, batchB.length); i++) {
    const da = batchA[batchA.length - i];
    const db = batchB[batchB.length - i];
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError('matmul', shown, `batch dimensions ${da} and ${db} do not broadcast`);
    }
  }
  const batch = broadcastShapes('matmul', batchA, batchB);
  return [...batch, m, n];
}

function matmulImpl([a0, b0]: ConcreteTensor[], params: MatmulParams): ConcreteTensor {
  const shape = outputShape(a0, b0, params);
  const batchShape = shape.slice(0, -2);
  const dtype = promote(a0.dtype, b0.dtype);
  // Each operand is either one matrix shared by the whole batch, or a full batch of them.
  const prepare = (x: ConcreteTensor): [ConcreteTensor, number] => {
    const own = sizeOf(x.shape.slice(0, -2));
    const matrix = x.shape[x.ndim - 2] * x.shape[x.ndim - 1];
    let full = convert(x, dtype);
    if (own === 1) return [full, 0];
    if (own !== sizeOf(batchShape)) {
      full = broadcastTo(full, [...batchShape, ...x.shape.slice(-2)]) as ConcreteTensor;
    }
    return [full, matrix];
  };
  const [a, aStride] = prepare(a0);
  const [b, bStride] = prepare(b0);
  const [m, k] = opDims(a0, params.transA);
  const n = shape[shape.length - 1];
  // A kernel overwrites all of `out` (kernels/index.ts); with k = 0 the product is zeros.
  const out = k > 0 ? allocateOverwritten(dtype, sizeOf(shape)) : allocate(dtype, sizeOf(shape));
  matmulKernel({
    a: a.data,
    b: b.data,
    out,
    batch: sizeOf(batchShape),
    m,
    n,
    k,
    transA: params.transA,
    transB: params.transB,
    aBatchStride: aStride,
    bBatchStride: bStride,
  });
  return new ConcreteTensor(out, shape);
}

export const matmulP: Primitive<MatmulParams> = primitive({
  name: 'matmul',
  impl: matmulImpl,
  jvp: ([a, b], [ta, tb], p) => {
    const y = bind(matmulP, [a, b], p);
    const left = ta === null ? null : bind(matmulP, [ta, b], p);
    const right = tb === null ? null : bind(matmulP, [a, tb], p);
    const t: MaybeTensor = left === null ? right : right === null ? left : add(left, right);
    return [y, t];
  },
  vjp: (ct, [a, b], _y, { transA, transB }, needs) => {
    const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean) => bind(matmulP, [x, y], { transA: tx, transB: ty });
    // C = op(A) op(B): dA = ct op(B)^T, dB = op(A)^T ct, transposed back where A or B is stored transposed.
    const da = !needs[0] ? null : transA ? mm(b, ct, transB, true) : mm(ct, b, false, !transB);
    const db = !needs[1] ? null : transB ? mm(ct, a, true, transA) : mm(a, ct, !transA, false);
    return [da === null ? null : sumToShape(da, a.shape), db === null ? null : sumToShape(db, b.shape)];
  },
});

/**
 * NumPy `matmul`: the last two axes are matrices, leading axes broadcast. A 1-D first
 * operand is a row vector and a 1-D second operand a column vector; their axis is dropped.
 * `transA` / `transB` multiply by the transpose of the stored matrix at no extra cost.
 */
export function matmul(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError('matmul', [a.shape, b.shape], 'operands must have an axis');
  const params = { transA: options.transA ?? false, transB: options.transB ?? false };
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
  outputShape(a2, b2, params, [a.shape, b.shape]);
  let y = bind(matmulP, [a2, b2], params);
  if (a.ndim === 1) y = reshape(y, [...y.shape.slice(0, -2), y.shape[y.ndim - 1]]);
  if (b.ndim === 1) y = reshape(y, y.shape.slice(0, -1));
  return y;
}
