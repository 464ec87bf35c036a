/**
 * `linearize` and `linearTranspose`, the JAX pair.
 *
 * `linearize(f, ...x)` returns f(x) and the linear map t -> J_f(x) t, evaluated once at x and
 * reusable for any number of tangents. It runs `jvp(f, x, t)` once with `t` a recorded input
 * (graph.ts): the primal half of every JVP rule runs now, on numbers, and the tangent half is
 * recorded as a graph whose constants are the primal values it needs (the residuals). Each
 * call of the linear map replays only that tangent half: no primal op runs again. Replayed
 * ops are the JVP rules' own ops on the same values, so the linear map gives `jvp`'s tangent
 * bit for bit.
 *
 * `linearTranspose(g, ...example)` returns the transpose of a linear function g: ct -> J_g^T ct.
 * A linear map's VJP is its transpose at every point, so this is reverse mode through g at
 * zero inputs. The engine does not transpose JVP rules the way JAX does: each primitive
 * states its VJP rule directly (docs/autodiff.md, section 2, and the section on linearize),
 * so the transpose of a linear function comes from those rules.
 */
import { ShapeError, TransformError } from './errors.js';
import { jvp } from './forward.js';
import { record, replay } from './graph.js';
import { cast } from './ops/elementwise.js';
import { zerosLike } from './ops/structural.js';
import { type PyTree, flatten, sameStructure, unflatten } from './pytree.js';
import { vjp } from './reverse.js';
import { sameShape } from './shape.js';
import { ConcreteTensor, type Tensor } from './tensor.js';

/** Check that `given` has the structure and leaf shapes of `like`; returns its leaves. */
function leavesLike(op: string, what: string, given: PyTree, like: PyTree): Tensor[] {
  const [gLeaves, gDef] = flatten(given, what);
  const [lLeaves, lDef] = flatten(like, what);
  if (!sameStructure(gDef, lDef)) throw new TransformError(`${op}: the ${what} do not have the structure of the primals`);
  gLeaves.forEach((g, i) => {
    if (!sameShape(g.shape, lLeaves[i].shape)) {
      throw new ShapeError(op, [lLeaves[i].shape, g.shape], `${what.replace(/s$/, '')} ${i} does not match its primal`);
    }
  });
  return gLeaves;
}

/**
 * f(...primals) and the linear map `(...tangents) => J t` at that point (tangents with the
 * primals' structure and shapes). Equal to `jvp(f, primals, tangents)`, without recomputing
 * the primal for every tangent.
 */
export function linearize<A extends PyTree[], R extends PyTree>(
  f: (...args: A) => R,
  ...primals: A
): [R, (...tangents: A) => R] {
  const [pLeaves, pDef] = flatten(primals as PyTree, 'primals');
  let primalOut: R | undefined;
  const graph = record((...tangentLeaves: Tensor[]) => {
    const [y, t] = jvp(f, primals, unflatten<PyTree>(pDef, tangentLeaves) as A);
    primalOut = y;
    return t;
  }, pLeaves.map(zerosLike));
  const linear = (...tangents: A): R => {
    const leaves = leavesLike('linearize', 'tangents', tangents as PyTree, primals as PyTree);
    // Each tangent in its primal's dtype, as jvp casts it.
    return unflatten<R>(graph.outputDef, replay(graph, leaves.map((t, i) => cast(t, pLeaves[i].dtype))));
  };
  return [primalOut as R, linear];
}

/**
 * The transpose of a linear function `g` of arguments shaped like `example` (only their shapes
 * and dtypes matter): the map from a cotangent of g's output to one cotangent per argument,
 * J^T ct. g must be linear; that g(0) = 0 is checked (a TransformError otherwise).
 */
export function linearTranspose<A extends PyTree[], R extends PyTree>(
  g: (...args: A) => R,
  ...example: A
): (cotangent: R) => A {
  const zeros = example.map((e) => unflatten(flatten(e, 'example')[1], flatten(e)[0].map(zerosLike))) as A;
  const [atZero, pullback] = vjp(g, ...zeros);
  for (const leaf of flatten(atZero, 'linearTranspose output')[0]) {
    // Checked where the value is known (an outer transformation's value may have none to read).
    if (leaf instanceof ConcreteTensor && leaf.data.some((v) => v !== 0)) {
      throw new TransformError('linearTranspose: the function is not linear (it does not map zero to zero)');
    }
  }
  return pullback;
}
