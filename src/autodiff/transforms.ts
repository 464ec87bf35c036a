/**
 * The user-facing transformations built on `jvp` and `vjp`: gradients of scalar functions,
 * full Jacobians by either mode, and Hessians as forward-over-reverse.
 */
import { TransformError } from './errors.js';
import { jvp } from './forward.js';
import { concat, reshape, transpose } from './ops/index.js';
import { type PyTree } from './pytree.js';
import { scalarSeed, vjpOf } from './reverse.js';
import { ConcreteTensor, Tensor, allocate } from './tensor.js';

/**
 * `valueAndGrad(f, argnum)(...args)` returns [f(...args), df/d args[argnum]] for a scalar `f`;
 * the gradient has the pytree structure of that argument.
 */
export function valueAndGrad<A extends PyTree[], N extends number = 0>(
  f: (...args: A) => Tensor,
  argnum?: N,
): (...args: A) => [Tensor, A[N]] {
  const index = argnum ?? 0;
  return (...args: A) => {
    if (!Number.isInteger(index) || index < 0 || index >= args.length) {
      throw new TransformError(`grad: argnum ${index} is out of range for ${args.length} arguments`);
    }
    const which = args.map((_, i) => i === index);
    const [y, pullback] = vjpOf(f as unknown as (...args: PyTree[]) => Tensor, args, which);
    if (!(y instanceof Tensor)) throw new TransformError('grad: the function must return a Tensor');
    const g = pullback(scalarSeed('grad', y))[index];
    return [y, g as A[N]];
  };
}

/** The gradient of a scalar function with respect to argument `argnum` (default 0). */
export function grad<A extends PyTree[], N extends number = 0>(f: (...args: A) => Tensor, argnum?: N): (...args: A) => A[N] {
  const vg = valueAndGrad(f, argnum);
  return (...args: A) => vg(...args)[1];
}

function basis(like: Tensor, i: number): ConcreteTensor {
  const data = allocate(like.dtype, like.size);
  data[i] = 1;
  return new ConcreteTensor(data, like.shape);
}

function checkTensorArgs(op: string, x: unknown, y?: unknown): void {
  if (!(x instanceof Tensor) || (y !== undefined && !(y instanceof Tensor))) {
    throw new TransformError(`${op}: works on functions from one Tensor to one Tensor`);
  }
}

/** Flatten each piece into a row: [pieces.length, pieceSize]. */
function rows(pieces: Tensor[]): Tensor {
  return concat(pieces.map((p) => reshape(p, [1, p.size])), 0);
}

/** The Jacobian by forward mode: one JVP per input element. Shape [...out, ...in]. */
export function jacfwd(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return (x: Tensor) => {
    checkTensorArgs('jacfwd', x);
    const columns: Tensor[] = [];
    let outShape: readonly number[] = [];
    for (let i = 0; i < x.size; i++) {
      const [y, t] = jvp(f, [x], [basis(x, i)]);
      checkTensorArgs('jacfwd', y);
      outShape = y.shape;
      columns.push(t);
    }
    if (x.size === 0) throw new TransformError('jacfwd: the input has no elements');
    return reshape(transpose(rows(columns)), [...outShape, ...x.shape]);
  };
}

/** The Jacobian by reverse mode: one pullback per output element. Shape [...out, ...in]. */
export function jacrev(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return (x: Tensor) => {
    checkTensorArgs('jacrev', x);
    const [y, pullback] = vjpOf(f as (...args: PyTree[]) => Tensor, [x], [true]);
    checkTensorArgs('jacrev', y);
    const gradients: Tensor[] = [];
    for (let i = 0; i < y.size; i++) gradients.push(pullback(basis(y, i))[0] as Tensor);
    if (y.size === 0) throw new TransformError('jacrev: the output has no elements');
    return reshape(rows(gradients), [...y.shape, ...x.shape]);
  };
}

/** The Hessian of a scalar function, forward over reverse. Shape [...in, ...in]. */
export function hessian(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return jacfwd(grad(f));
}
