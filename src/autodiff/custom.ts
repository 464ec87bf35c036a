/**
 * Functions whose derivative is given by hand. The solvers need this: the derivative of a
 * converged optimization is known in closed form (implicit function theorem) and would be
 * wrong or wasteful to obtain by differentiating every iteration.
 */
import { type MaybeTensor, topTrace } from './core.js';
import { type Tensor } from './tensor.js';

/**
 * Give `f` a hand-written VJP. `fwd` returns the output and residuals saved for `bwd`,
 * which maps an output cotangent to one cotangent (or null) per argument, written with the
 * engine's ops. Reverse mode uses the rule directly; forward mode transposes it (`bwd` is
 * linear in the cotangent, so running reverse mode through it gives J t).
 */
export function customVjp<A extends Tensor[], R>(
  name: string,
  f: (...args: A) => Tensor,
  fwd: (...args: A) => [Tensor, R],
  bwd: (residuals: R, cotangent: Tensor) => MaybeTensor[],
): (...args: A) => Tensor {
  const wrapped = (...args: A): Tensor => {
    const top = topTrace(args, name);
    if (top === null) return f(...args);
    return top.processCustomVjp({
      name,
      args,
      f: f as (...args: Tensor[]) => Tensor,
      wrapped: wrapped as (...args: Tensor[]) => Tensor,
      fwd: fwd as (...args: Tensor[]) => [Tensor, unknown],
      bwd: bwd as (residuals: unknown, cotangent: Tensor) => MaybeTensor[],
    });
  };
  return wrapped;
}

/**
 * Give `f` a hand-written JVP: `jvp(primals, tangents)` returns [output, output tangent] and
 * must be linear in the tangents. Reverse mode needs no separate rule: it transposes this
 * linear map by running reverse mode through it.
 */
export function customJvp<A extends Tensor[]>(
  name: string,
  f: (...args: A) => Tensor,
  jvp: (primals: A, tangents: A) => [Tensor, Tensor],
): (...args: A) => Tensor {
  const wrapped = (...args: A): Tensor => {
    const top = topTrace(args, name);
    if (top === null) return f(...args);
    return top.processCustomJvp({
      name,
      args,
      f: f as (...args: Tensor[]) => Tensor,
      // Lower levels see the custom rule too: the primal is computed by this same function.
      wrapped: wrapped as (...args: Tensor[]) => Tensor,
      jvp: jvp as (primals: Tensor[], tangents: Tensor[]) => [Tensor, Tensor],
    });
  };
  return wrapped;
}
