/**
 * The heart of the engine: primitives, traces and `bind`.
 *
 * A primitive is a named operation with three rules: `impl` computes on concrete arrays,
 * `jvp` pushes tangents forward, `vjp` pulls cotangents back. The rules are written with the
 * engine's own ops, so when a rule runs inside another transformation it is itself traced:
 * that is all nesting takes (the design of JAX's autodidax).
 *
 * Each active transformation owns a `Trace` with a unique, increasing `level`. Its tracers
 * wrap values of lower levels. `bind` sends an operation to the highest-level trace among its
 * arguments; that trace unwraps its own tracers, treats everything else as a constant, and
 * calls `bind` again one level down. Because levels are never shared, a perturbation of one
 * transformation cannot be confused with another's (d/dx [x * d/dy (x + y)] = 1).
 */
import { TransformError } from './errors.js';
import { ConcreteTensor, Tensor } from './tensor.js';

/** A cotangent or tangent that may be a symbolic zero (`null`): zeros cost nothing. */
export type MaybeTensor = Tensor | null;

export interface Primitive<P = unknown> {
  readonly name: string;
  /** Forward computation on concrete values. */
  impl(inputs: ConcreteTensor[], params: P): ConcreteTensor;
  /** Output and its tangent, given primals and tangents (null: zero tangent). */
  jvp(primals: Tensor[], tangents: MaybeTensor[], params: P): [Tensor, MaybeTensor];
  /**
   * Cotangents of the inputs given the output's cotangent. `needs[i]` says whether input i
   * wants one; return null where it does not (or where the cotangent is zero).
   */
  vjp(cotangent: Tensor, primals: Tensor[], output: Tensor, params: P, needs: boolean[]): MaybeTensor[];
}

/** Define a primitive; the identity function, typed, so rules are checked at the definition. */
export function primitive<P>(def: Primitive<P>): Primitive<P> {
  return def;
}

let levelCounter = 0;

/** One active transformation. Subclasses: forward mode (`JvpTrace`) and reverse mode (`VjpTrace`). */
export abstract class Trace {
  readonly level = ++levelCounter;
  /** False once the transformation has returned: its tracers may no longer enter ops. */
  active = true;

  abstract process<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor;

  /** A function with a hand-written VJP (see custom.ts). */
  abstract processCustomVjp(call: CustomVjpCall): Tensor;
  /** A function with a hand-written JVP (see custom.ts). */
  abstract processCustomJvp(call: CustomJvpCall): Tensor;
}

export interface CustomVjpCall {
  name: string;
  args: Tensor[];
  /** The function as the user wrote it. */
  f: (...args: Tensor[]) => Tensor;
  /** The function with its custom rule, for the levels below. */
  wrapped: (...args: Tensor[]) => Tensor;
  fwd: (...args: Tensor[]) => [Tensor, unknown];
  bwd: (residuals: unknown, cotangent: Tensor) => MaybeTensor[];
}

export interface CustomJvpCall {
  name: string;
  args: Tensor[];
  /** The function as the user wrote it. */
  f: (...args: Tensor[]) => Tensor;
  /** The function with its custom rule, for the levels below. */
  wrapped: (...args: Tensor[]) => Tensor;
  jvp: (primals: Tensor[], tangents: Tensor[]) => [Tensor, Tensor];
}

/** A value followed by a transformation. */
export abstract class Tracer extends Tensor {
  abstract readonly trace: Trace;
}

/** A tracer that wraps a value of the level below: `primal` (forward and reverse mode). */
export abstract class PrimalTracer extends Tracer {
  abstract readonly primal: Tensor;

  get shape() {
    return this.primal.shape;
  }

  get dtype() {
    return this.primal.dtype;
  }

  concrete(): ConcreteTensor {
    return this.primal.concrete();
  }
}

/** The highest-level active trace among the arguments, or null when all are concrete. */
export function topTrace(args: readonly Tensor[], op: string): Trace | null {
  let top: Trace | null = null;
  for (const a of args) {
    if (a instanceof Tracer) {
      const t = a.trace;
      if (!t.active) {
        throw new TransformError(
          `${op}: a traced value escaped the transformation that created it ` +
            '(keep tracers inside the function being transformed)',
        );
      }
      if (top === null || t.level > top.level) top = t;
    }
  }
  return top;
}

/** Apply a primitive: directly on concrete values, or through the top trace. */
export function bind<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor {
  const top = topTrace(args, prim.name);
  if (top === null) return prim.impl(args as ConcreteTensor[], params);
  return top.process(prim, args, params);
}

/** Engine-wide debug checks (NaN cotangents and tangents throw, naming the primitive). */
export const debug = { enabled: false };

export function setDebug(enabled: boolean): void {
  debug.enabled = enabled;
}
