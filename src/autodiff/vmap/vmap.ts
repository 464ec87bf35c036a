/**
 * `vmap(f, inAxes, outAxes)`: f applied to every example of a batch at once. f is written for
 * one example; the returned function takes arguments with an extra batch axis (at `inAxes`)
 * and returns outputs with one (at `outAxes`). Inside, each batched argument is a
 * `BatchTracer` (vmap/trace.ts) and each primitive runs once on the whole batch through its
 * batching rule (vmap/rules.ts).
 *
 *   vmap(grad(loss))(params, xs)              with inAxes [null, 0]: per-example gradients
 *   vmap(jacfwd(f))(xs)                       a Jacobian per example
 *   jvp(vmap(f), [xs], [ts]), grad(x => sum(vmap(f)(x)))   and any other nesting
 */
import { ShapeError, TransformError } from '../errors.js';
import { broadcastTo, transpose } from '../ops/structural.js';
import { type PyTree, flatten, unflatten } from '../pytree.js';
import { type Tensor } from '../tensor.js';
import './rules.js';
import { BatchTrace, BatchTracer } from './trace.js';

/** Where each argument's batch axis is: one axis for all, or one per argument; null: not batched. */
export type InAxes = number | null | readonly (number | null)[];

/** Move axis `from` of x to position `to`. */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

function normalizeBatchAxis(axis: number, rank: number, shape: readonly number[], what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError('vmap', [shape], `${what} ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/**
 * Vectorize `f` over a batch axis. `inAxes` gives each argument's batch axis (null for an
 * argument shared by every example; a number applies to every leaf of that argument's pytree).
 * Every batched leaf must have the same batch size. Outputs have their batch axis at `outAxes`;
 * an output that does not depend on a batched argument is broadcast along it.
 */
export function vmap<A extends PyTree[], R extends PyTree>(
  f: (...args: A) => R,
  inAxes: InAxes = 0,
  outAxes = 0,
): (...args: A) => R {
  return (...args: A): R => {
    const axes = Array.isArray(inAxes) ? inAxes : args.map(() => inAxes as number | null);
    if (axes.length !== args.length) {
      throw new TransformError(`vmap: inAxes has ${axes.length} entries for ${args.length} arguments`);
    }
    // Move every batch axis to the front and find the batch size.
    let size = -1;
    const shapes: (readonly number[])[] = [];
    const moved = args.map((arg, i) => {
      const axis = axes[i];
      const [leaves, def] = flatten(arg, `argument ${i}`);
      if (axis === null) return { def, leaves, batched: false };
      const fronted = leaves.map((leaf) => {
        const a = normalizeBatchAxis(axis, leaf.ndim, leaf.shape, `inAxes ${i}:`);
        if (size >= 0 && leaf.shape[a] !== size) {
          throw new ShapeError('vmap', [...shapes, leaf.shape], `batch sizes differ: ${size} and ${leaf.shape[a]} (argument ${i})`);
        }
        size = leaf.shape[a];
        shapes.push(leaf.shape);
        return moveAxis(leaf, a, 0);
      });
      return { def, leaves: fronted, batched: true };
    });
    if (size < 0) throw new TransformError('vmap: no argument is batched (every inAxes entry is null)');
    if (size === 0) throw new TransformError('vmap: the batch is empty (batch size 0)');

    const trace = new BatchTrace(size);
    try {
      const inputs = moved.map(({ def, leaves, batched }) =>
        unflatten(def, batched ? leaves.map((v) => new BatchTracer(trace, v)) : leaves));
      const [outLeaves, outDef] = flatten(f(...(inputs as A)), 'vmap output');
      const results = outLeaves.map((o) => {
        const value = o instanceof BatchTracer && o.trace === trace ? o.value : broadcastTo(o, [size, ...o.shape]);
        return moveAxis(value, 0, normalizeBatchAxis(outAxes, value.ndim, value.shape, 'outAxes'));
      });
      return unflatten<R>(outDef, results);
    } finally {
      trace.active = false;
    }
  };
}
