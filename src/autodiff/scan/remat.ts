/**
 * `remat(f)` (JAX's `checkpoint`, or rematerialization): the same function, whose reverse
 * mode keeps only its inputs and recomputes its intermediate values when the backward pass
 * reaches it, instead of keeping them on the tape. It trades one more forward pass of f for
 * the memory of f's tape: wrap the blocks of a deep network, or one step of a long loop.
 *
 * It is a scan of one step whose carry is the arguments (scan/scan.ts): reverse mode stores a
 * one-step scan's checkpoint (the arguments) and, in its backward pass, runs vjp of the step,
 * which recomputes f. Other transformations see f itself.
 */
import { type PyTree, treeMap } from '../pytree.js';
import { reshape } from '../ops/structural.js';
import { scan } from './scan.js';

export function remat<A extends PyTree[], R extends PyTree>(f: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    const [, ys] = scan((carry: A, _x: null) => [carry, f(...carry)] as [A, R], args, null, { length: 1, checkpoint: 1 });
    return treeMap((y) => reshape(y, y.shape.slice(1)), ys);
  };
}
