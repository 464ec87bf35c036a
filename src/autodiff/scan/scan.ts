/**
 * `scan(f, init, xs, options)`: a loop over time as one transformable operation, the shape of
 * a rollout. `f(carry, x)` returns `[carry, y]`; scan runs it for t = 0 .. T - 1 over the rows
 * x_t of xs (time on axis 0 of every leaf) and returns the final carry and the ys stacked on a
 * new axis 0:
 *
 *   const [xT, costs] = scan((x, u) => [dynamics(x, u), stageCost(x, u)], x0, us);
 *
 * f is recorded once (graph.ts); what it closes over that a transformation is tracing (a
 * policy's parameters under grad, say) becomes an operand of the loop. Each transformation has
 * its own rule for the whole loop (scan/rules.ts): forward mode runs one loop of (primal,
 * tangent) pairs, vmap one loop of batches, and reverse mode stores only every k-th carry
 * (`checkpoint: k`, default ceil(sqrt(T))) and recomputes each segment of k steps when its
 * cotangents are needed, so the memory of a T-step gradient is about T / k carries plus the
 * tape of k steps instead of the tape of all T. The backward pass is itself made of scans, so
 * a gradient of a gradient is checkpointed too.
 *
 * f must not read values (no item(), no data-dependent branches: use `where`), as under jit.
 */
import { TransformError, ShapeError } from '../errors.js';
import { type PyTree, flatten, unflatten } from '../pytree.js';
import { type Tensor } from '../tensor.js';
import { bindScan, makeScanCall } from './call.js';
import './rules.js';

export interface ScanOptions {
  /** The number of steps; required when xs is null, else it must equal xs's leading axis. */
  length?: number;
  /** Steps per checkpointed segment in reverse mode (1 <= k <= T); default ceil(sqrt(T)). */
  checkpoint?: number;
  /** Run t = T - 1, ..., 0; ys[t] is still the output of step t. */
  reverse?: boolean;
}

export function scan<C extends PyTree, X extends PyTree | null, Y extends PyTree>(
  f: (carry: C, x: X) => [C, Y],
  init: C,
  xs: X,
  options: ScanOptions = {},
): [C, Y] {
  const [initLeaves, carryDef] = flatten(init, 'scan carry');
  const [xLeaves, xDef] = xs === null ? [[], null] : flatten(xs, 'scan xs');
  let length = options.length;
  for (const x of xLeaves) {
    if (x.ndim === 0) throw new ShapeError('scan', [x.shape], 'every leaf of xs needs a leading time axis');
    if (length !== undefined && x.shape[0] !== length) {
      throw new ShapeError('scan', xLeaves.map((l) => l.shape), `xs have ${x.shape[0]} steps, expected ${length}`);
    }
    length = x.shape[0];
  }
  if (length === undefined) throw new TransformError('scan: give options.length when xs is null');
  if (!Number.isInteger(length) || length < 1) throw new TransformError(`scan: the length must be a positive integer, got ${length}`);
  const checkpoint = options.checkpoint ?? Math.ceil(Math.sqrt(length));
  if (!Number.isInteger(checkpoint) || checkpoint < 1) {
    throw new TransformError(`scan: checkpoint must be a positive integer, got ${checkpoint}`);
  }

  let yDef: ReturnType<typeof flatten>[1] | undefined;
  const body = (carry: Tensor[], x: Tensor[]): [Tensor[], Tensor[]] => {
    const out = f(unflatten<C>(carryDef, carry), (xDef === null ? null : unflatten(xDef, x)) as X);
    if (!Array.isArray(out) || out.length !== 2) throw new TransformError('scan: the step must return [carry, y]');
    const [c, y] = out as [C, Y];
    const [cLeaves, cDef] = flatten(c, 'scan carry returned by the step');
    if (JSON.stringify(cDef) !== JSON.stringify(carryDef)) {
      throw new TransformError('scan: the step returned a carry of another structure than init');
    }
    const [yLeaves, def] = flatten(y, 'scan y');
    yDef = def;
    return [cLeaves, yLeaves];
  };
  const [call, consts] = makeScanCall(body, initLeaves, xLeaves, {
    length,
    checkpoint: Math.min(checkpoint, length),
    reverse: options.reverse ?? false,
  });
  const out = bindScan(call, [...initLeaves, ...xLeaves, ...consts]);
  return [unflatten<C>(carryDef, out.slice(0, call.carryCount)), unflatten<Y>(yDef!, out.slice(call.carryCount))];
}
