/**
 * Parameter utilities. A network's parameters are a pytree (nested arrays and plain objects
 * with Tensor leaves), so these are small folds over the leaves: how many numbers there are,
 * the same tree in another dtype, the leaves with their paths, and the PyTorch-style uniform
 * initialization every layer shares.
 */
import { ShapeError } from '../autodiff/errors.js';
import { cast } from '../autodiff/ops/index.js';
import { type PyTree, treeLeaves, treeMap } from '../autodiff/pytree.js';
import { type Rng } from '../autodiff/rng.js';
import { type DType, type Tensor } from '../autodiff/tensor.js';

/** The number of scalars in a parameter tree (PyTorch's `sum(p.numel() for p in model.parameters())`). */
export function parameterCount(tree: PyTree): number {
  return treeLeaves(tree).reduce((n, leaf) => n + leaf.size, 0);
}

/**
 * The same tree with every leaf converted to `dtype`. It uses the differentiable `cast`, so a
 * float64 master copy can be cast to float32 inside a traced loss and still receive gradients.
 */
export function castTree<T extends PyTree>(tree: T, dtype: DType): T {
  return treeMap((leaf) => cast(leaf, dtype), tree);
}

/**
 * The leaves with their paths, in the order `flatten` lists them (arrays by index, objects by
 * sorted key), e.g. `[0].weight`. Like PyTorch's `named_parameters`: error messages use the
 * path to say which parameter went wrong.
 */
export function namedLeaves(tree: PyTree, prefix = ''): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const visit = (node: PyTree, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => visit(child, `${path}[${i}]`));
    } else if (node !== null && typeof node === 'object' && Object.getPrototypeOf(node) === Object.prototype) {
      const obj = node as { readonly [key: string]: PyTree };
      for (const key of Object.keys(obj).sort()) visit(obj[key], path === '' ? key : `${path}.${key}`);
    } else {
      out.push([path === '' ? '(root)' : path, node as Tensor]);
    }
  };
  visit(tree, prefix);
  return out;
}

/**
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's default for Linear and Conv layers. Their
 * `reset_parameters` calls `kaiming_uniform_(weight, a=sqrt(5))`, whose bound is
 * gain * sqrt(3 / fanIn) with gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), i.e. exactly
 * 1/sqrt(fanIn); the bias is drawn from the same interval. (He et al., "Delving Deep into
 * Rectifiers", 2015, for the Kaiming family; torch/nn/modules/linear.py and conv.py for the
 * choice of a.) The weight is drawn first, then the bias, from one `Rng`, so a seed fixes both.
 */
export function uniformFanIn(rng: Rng, shape: readonly number[], fanIn: number, dtype: DType = 'float64'): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rng.uniform(shape, -bound, bound, dtype);
}

/** Throw a `ShapeError` naming `layer` unless `ok`. */
export function expectShape(ok: boolean, layer: string, shapes: readonly (readonly number[])[], detail: string): void {
  if (!ok) throw new ShapeError(layer, shapes, detail);
}

/** Sizes given to `init` must be positive integers. */
export function checkSizes(layer: string, sizes: Record<string, number>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${layer}.init: ${name} must be a positive integer, got ${value}`);
    }
  }
}
