/**
 * Shared plumbing of the optimizers: walk a parameter tree and a gradient tree of the same
 * structure leaf by leaf, on concrete values. Optimizer updates are not traced (nobody
 * differentiates through an Adam step here), so they run as plain loops over typed arrays.
 */
import { NonFiniteError, ShapeError, TransformError } from '../../autodiff/errors.js';
import { namedLeaves } from '../params.js';
import { type PyTree, type TreeDef, flatten, sameStructure } from '../../autodiff/pytree.js';
import { ConcreteTensor, type DType, type Floats, allocate } from '../../autodiff/tensor.js';

export interface Leaf {
  path: string;
  shape: readonly number[];
  dtype: DType;
  data: Floats;
}

/** The leaves of `tree` as concrete arrays, with their paths, and the structure to rebuild it. */
export function concreteLeaves(tree: PyTree): [Leaf[], TreeDef] {
  const [, def] = flatten(tree);
  const leaves = namedLeaves(tree).map(([path, t]) => {
    const c = t.concrete();
    return { path, shape: c.shape, dtype: c.dtype, data: c.data };
  });
  return [leaves, def];
}

/**
 * The leaves of `other`, checked against `reference`: same structure, same shapes, and (when
 * `finite`) no NaN or infinity. `op` and `what` name the caller and the tree in messages.
 */
export function matchingLeaves(op: string, what: string, reference: TreeDef, refLeaves: readonly Leaf[], other: PyTree, finite: boolean): Leaf[] {
  const [leaves, def] = concreteLeaves(other);
  if (!sameStructure(reference, def)) throw new TransformError(`${op}: ${what} does not have the structure of the parameters`);
  leaves.forEach((leaf, i) => {
    const ref = refLeaves[i];
    if (leaf.shape.length !== ref.shape.length || leaf.shape.some((d, k) => d !== ref.shape[k])) {
      throw new ShapeError(op, [ref.shape, leaf.shape], `${what} at ${leaf.path} does not match the parameter's shape`);
    }
    if (finite) assertFiniteLeaf(op, what, leaf);
  });
  return leaves;
}

export function assertFiniteLeaf(op: string, what: string, leaf: Leaf): void {
  const d = leaf.data;
  const k = d instanceof Float32Array ? firstNonFinite32(d) : firstNonFinite64(d);
  if (k >= 0) {
    throw new NonFiniteError(`${op}: ${what} at ${leaf.path} (shape [${leaf.shape.join(', ')}]) has ${d[k]} at element ${k}`);
  }
}

/** The index of the first NaN or infinity, or -1; one function per dtype keeps each loop monomorphic. */
function firstNonFinite32(d: Float32Array): number {
  for (let k = 0; k < d.length; k++) if (d[k] * 0 !== 0) return k;
  return -1;
}

function firstNonFinite64(d: Float64Array): number {
  for (let k = 0; k < d.length; k++) if (d[k] * 0 !== 0) return k;
  return -1;
}

/** A fresh array of `leaf`'s dtype and size. */
export function like(leaf: Leaf): Floats {
  return allocate(leaf.dtype, leaf.data.length);
}

export function wrap(data: Floats, shape: readonly number[]): ConcreteTensor {
  return new ConcreteTensor(data, shape);
}
