/**
 * Tensors. A `Tensor` is anything with a shape and a dtype that the ops accept: either a
 * `ConcreteTensor`, which owns a flat row-major typed array, or a tracer, which a
 * transformation (forward or reverse mode) wraps around a value to follow its derivative.
 * User code never needs to tell the two apart: every op takes and returns `Tensor`.
 */
import { NonFiniteError, ShapeError } from './errors.js';
import { type DType, type Floats } from './kernels/types.js';
import { allocate } from './kernels/step-arena.js';
import { type Shape, checkShape, sizeOf } from './shape.js';

export type { DType, Floats } from './kernels/types.js';
/** Every op's output storage comes from here: a fresh array, or a view into the step arena (kernels/step-arena.ts). */
export { allocate } from './kernels/step-arena.js';

/** The result dtype of an op on mixed inputs: float64 wins, as in NumPy. */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}

export abstract class Tensor {
  abstract readonly shape: Shape;
  abstract readonly dtype: DType;

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /**
   * The underlying value with every derivative stripped. Reading numbers out of a traced
   * value is allowed (for logging, say); it simply does not carry a derivative.
   */
  abstract concrete(): ConcreteTensor;

  /** Flat, row-major copy of the values. */
  toArray(): number[] {
    return Array.from(this.concrete().data);
  }

  /** The single value of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError('item', [this.shape], 'needs a tensor with exactly one element');
    return this.concrete().data[0];
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}]: ${this.toArray().slice(0, 8).join(', ')}${this.size > 8 ? ', ...' : ''})`;
  }
}

/** A tensor with its values in memory. Immutable by convention: ops never write into inputs. */
export class ConcreteTensor extends Tensor {
  readonly dtype: DType;

  constructor(
    readonly data: Floats,
    readonly shape: Shape,
  ) {
    super();
    this.dtype = data instanceof Float64Array ? 'float64' : 'float32';
    checkShape('tensor', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', [shape], `${data.length} values do not fill the shape`);
    }
  }

  override get size(): number {
    return this.data.length;
  }

  concrete(): ConcreteTensor {
    return this;
  }
}

type Nested = number | readonly Nested[];

/**
 * Build a tensor from a number, a (nested) array or a typed array. With a flat array, `shape`
 * says how to read it; with nested arrays the shape is inferred.
 */
export function tensor(values: Nested | Floats, shape?: Shape, dtype?: DType): ConcreteTensor {
  if (values instanceof Float64Array || values instanceof Float32Array) {
    const dt = dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
    const data = allocate(dt, values.length);
    data.set(values);
    return new ConcreteTensor(data, shape ?? [values.length]);
  }
  const inferred: number[] = [];
  let probe: Nested = values;
  while (Array.isArray(probe)) {
    inferred.push(probe.length);
    probe = probe[0];
  }
  const flat: number[] = Array.isArray(values) ? (values as Nested[]).flat(Infinity as 1) as number[] : [values as number];
  for (const v of flat) {
    if (typeof v !== 'number') throw new ShapeError('tensor', [inferred], 'ragged or non-numeric nested array');
  }
  const finalShape = shape ?? inferred;
  checkShape('tensor', finalShape);
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError('tensor', [finalShape, inferred], `${flat.length} values do not fill the shape`);
  }
  const data = allocate(dtype ?? 'float64', flat.length);
  data.set(flat);
  return new ConcreteTensor(data, [...finalShape]);
}

/** A tensor of `shape` filled with `value`; `op` names the constructor in errors. */
function filled(op: string, shape: Shape, value: number, dtype: DType): ConcreteTensor {
  checkShape(op, shape);
  const data = allocate(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new ConcreteTensor(data, [...shape]);
}

export function full(shape: Shape, value: number, dtype: DType = 'float64'): ConcreteTensor {
  return filled('full', shape, value, dtype);
}

export function zeros(shape: Shape, dtype: DType = 'float64'): ConcreteTensor {
  return filled('zeros', shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float64'): ConcreteTensor {
  return filled('ones', shape, 1, dtype);
}

export function scalar(value: number, dtype: DType = 'float64'): ConcreteTensor {
  return full([], value, dtype);
}

/** 0, 1, ..., n - 1. */
export function arange(n: number, dtype: DType = 'float64'): ConcreteTensor {
  checkShape('arange', [n]);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new ConcreteTensor(data, [n]);
}

/** The n x n identity. */
export function eye(n: number, dtype: DType = 'float64'): ConcreteTensor {
  checkShape('eye', [n, n]);
  const data = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return new ConcreteTensor(data, [n, n]);
}

/** A copy of `x` in another dtype (float64 <-> float32). Not differentiable: use `cast` in ops. */
export function convert(x: ConcreteTensor, dtype: DType): ConcreteTensor {
  if (x.dtype === dtype) return x;
  const data = allocate(dtype, x.size);
  data.set(x.data);
  return new ConcreteTensor(data, x.shape);
}

/** Throw if any value is NaN or infinite; `what` names the value in the message. */
export function assertFinite(x: Tensor, what: string): void {
  const data = x.concrete().data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new NonFiniteError(`${what}: element ${i} of a tensor of shape [${x.shape.join(', ')}] is ${data[i]}`);
    }
  }
}
