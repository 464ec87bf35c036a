/**
 * Forward mode. A `JvpTracer` carries a primal value and its tangent (the directional
 * derivative along the input tangents). Every primitive's `jvp` rule maps (primals, tangents)
 * to (output, output tangent); a null tangent is a zero that costs nothing.
 */
import { type CustomJvpCall, type CustomVjpCall, type MaybeTensor, type Primitive, Trace, PrimalTracer, Tracer, debug } from './core.js';
import { ShapeError, TransformError } from './errors.js';
import { zerosLike } from './ops/structural.js';
import { cast } from './ops/elementwise.js';
import { type PyTree, flatten, sameStructure, unflatten } from './pytree.js';
import { vjp } from './reverse.js';
import { type Tensor, assertFinite } from './tensor.js';
import { sameShape } from './shape.js';

export class JvpTracer extends PrimalTracer {
  constructor(
    readonly trace: JvpTrace,
    readonly primal: Tensor,
    readonly tangent: Tensor,
  ) {
    super();
  }
}

export class JvpTrace extends Trace {
  /** Split arguments into this level's primals and tangents; other values are constants. */
  private unwrap(args: Tensor[]): [Tensor[], MaybeTensor[]] {
    const primals = new Array<Tensor>(args.length);
    const tangents = new Array<MaybeTensor>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a instanceof JvpTracer && a.trace === this) {
        primals[i] = a.primal;
        tangents[i] = a.tangent;
      } else {
        primals[i] = a;
        tangents[i] = null;
      }
    }
    return [primals, tangents];
  }

  private wrap(name: string, primal: Tensor, tangent: MaybeTensor): Tensor {
    if (tangent === null) return primal;
    if (debug.enabled) {
      if (!sameShape(primal.shape, tangent.shape)) {
        throw new ShapeError(name, [primal.shape, tangent.shape], 'jvp rule returned a tangent of the wrong shape');
      }
      assertFinite(tangent, `${name}: tangent`);
    }
    return new JvpTracer(this, primal, tangent);
  }

  process<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor {
    const [primals, tangents] = this.unwrap(args);
    const [out, tangent] = prim.jvp(primals, tangents, params);
    return this.wrap(prim.name, out, tangent);
  }

  processCustomVjp(call: CustomVjpCall): Tensor {
    const [primals, tangents] = this.unwrap(call.args);
    // The levels below keep the custom rule: the primal goes through the wrapped function.
    const out = call.wrapped(...primals);
    const residuals = call.fwd(...primals)[1];
    // bwd is linear in the cotangent: J^T. Reverse mode through it transposes it back: J t.
    const transposed = (ct: Tensor) => call.bwd(residuals, ct).map((g, i) => g ?? zerosLike(primals[i]));
    const [, pullback] = vjp(transposed, zerosLike(out));
    const [tangent] = pullback(tangents.map((t, i) => t ?? zerosLike(primals[i])));
    return this.wrap(call.name, out, tangent);
  }

  processCustomJvp(call: CustomJvpCall): Tensor {
    const [primals, tangents] = this.unwrap(call.args);
    const out = call.wrapped(...primals);
    const filled = tangents.map((t, i) => t ?? zerosLike(primals[i]));
    return this.wrap(call.name, out, call.jvp(primals, filled)[1]);
  }
}

/**
 * Evaluate `f(...primals)` and its directional derivative along `tangents`:
 * returns [f(x), J_f(x) t]. Arguments and results may be pytrees.
 */
export function jvp<A extends PyTree[], R extends PyTree>(
  f: (...args: A) => R,
  primals: A,
  tangents: A,
): [R, R] {
  const [pLeaves, pDef] = flatten(primals as PyTree, 'primals');
  const [tLeaves, tDef] = flatten(tangents as PyTree, 'tangents');
  if (!sameStructure(pDef, tDef)) throw new TransformError('jvp: primals and tangents have different structures');
  pLeaves.forEach((p, i) => {
    if (!sameShape(p.shape, tLeaves[i].shape)) {
      throw new ShapeError('jvp', [p.shape, tLeaves[i].shape], `tangent ${i} does not match its primal`);
    }
    if (debug.enabled && !(tLeaves[i] instanceof Tracer)) assertFinite(tLeaves[i], `jvp: tangent ${i}`);
  });
  const trace = new JvpTrace();
  try {
    const inputs = pLeaves.map((p, i) => new JvpTracer(trace, p, cast(tLeaves[i], p.dtype)));
    const out = f(...unflatten<PyTree>(pDef, inputs) as unknown as A);
    const [outLeaves, outDef] = flatten(out, 'jvp output');
    const primalsOut: Tensor[] = [];
    const tangentsOut: Tensor[] = [];
    for (const o of outLeaves) {
      const own = o instanceof JvpTracer && o.trace === trace;
      primalsOut.push(own ? o.primal : o);
      tangentsOut.push(own ? o.tangent : zerosLike(o));
    }
    return [unflatten<R>(outDef, primalsOut), unflatten<R>(outDef, tangentsOut)];
  } finally {
    trace.active = false;
  }
}

