/**
 * Staging: run a function once on abstract values and record the primitives it applies.
 *
 * A `StagingTrace` is the outermost trace of a `jit`. Its tracers carry only a shape and a
 * dtype; applying a primitive to them appends an equation to a graph instead of computing.
 * Transformations inside the staged function (jvp, grad, jacfwd, ...) run as usual on top
 * of it, so the graph of `jacfwd(f)` holds the Jacobian computation itself, in primitives.
 * That is how the dynamics get Jacobians from the same forward mode as everything else, at
 * the speed of straight-line code (see scalarize.ts and emit.ts).
 */
import { type CustomJvpCall, type CustomVjpCall, type Primitive, Trace, Tracer } from '../core.js';
import { TransformError } from '../errors.js';
import { type PyTree, type TreeDef, flatten } from '../pytree.js';
import { type Shape } from '../shape.js';
import { ConcreteTensor, type DType, type Tensor, allocate } from '../tensor.js';

/** An equation operand: a graph variable, or a constant captured while staging. */
export type Atom = { kind: 'var'; id: number } | { kind: 'const'; value: ConcreteTensor };

export interface Equation {
  prim: Primitive<unknown>;
  inputs: Atom[];
  params: unknown;
  /** The variable this equation defines. */
  output: number;
}

export interface Graph {
  /** Shape and dtype of every variable, by id; the first `inputs.length` ids are the inputs. */
  shapes: Shape[];
  dtypes: DType[];
  inputCount: number;
  equations: Equation[];
  outputs: Atom[];
  outputDef: TreeDef;
}

class StagedTracer extends Tracer {
  constructor(
    readonly trace: StagingTrace,
    readonly id: number,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {
    super();
  }

  concrete(): ConcreteTensor {
    throw new TransformError('jit: a staged value has no concrete value (values cannot be read inside jit)');
  }
}

/** A stand-in with the right shape and dtype, used to find a primitive's output shape. */
function placeholder(shape: Shape, dtype: DType): ConcreteTensor {
  const data = allocate(dtype, shape.reduce((n, d) => n * d, 1));
  data.fill(0.5);
  return new ConcreteTensor(data, shape);
}

class StagingTrace extends Trace {
  readonly shapes: Shape[] = [];
  readonly dtypes: DType[] = [];
  readonly equations: Equation[] = [];

  fresh(shape: Shape, dtype: DType): StagedTracer {
    this.shapes.push(shape);
    this.dtypes.push(dtype);
    return new StagedTracer(this, this.shapes.length - 1, shape, dtype);
  }

  private atom(x: Tensor, op: string): Atom {
    if (x instanceof StagedTracer && x.trace === this) return { kind: 'var', id: x.id };
    if (x instanceof ConcreteTensor) return { kind: 'const', value: x };
    throw new TransformError(`jit: ${op} received a value traced by an outer transformation; jit must be outermost`);
  }

  process<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor {
    const inputs = args.map((a) => this.atom(a, prim.name));
    // Shapes never depend on values here, so evaluating on placeholders gives the output shape.
    const probe = prim.impl(
      inputs.map((a) => (a.kind === 'const' ? a.value : placeholder(this.shapes[a.id], this.dtypes[a.id]))),
      params,
    );
    const out = this.fresh(probe.shape, probe.dtype);
    this.equations.push({ prim: prim as Primitive<unknown>, inputs, params, output: out.id });
    return out;
  }

  processCustomVjp(call: CustomVjpCall): Tensor {
    return call.f(...call.args);
  }

  processCustomJvp(call: CustomJvpCall): Tensor {
    return call.f(...call.args);
  }
}

/** Stage `f` on inputs of the given shapes (float64) and return its graph. */
export function stage(f: (...args: Tensor[]) => PyTree, inputShapes: readonly Shape[]): Graph {
  const trace = new StagingTrace();
  try {
    const inputs = inputShapes.map((s) => trace.fresh([...s], 'float64'));
    const out = f(...inputs);
    const [leaves, outputDef] = flatten(out, 'jit output');
    const outputs = leaves.map((l) => {
      if (l instanceof StagedTracer && l.trace === trace) return { kind: 'var', id: l.id } as Atom;
      if (l instanceof ConcreteTensor) return { kind: 'const', value: l } as Atom;
      throw new TransformError('jit: the output holds a value of another transformation');
    });
    return {
      shapes: trace.shapes,
      dtypes: trace.dtypes,
      inputCount: inputShapes.length,
      equations: trace.equations,
      outputs,
      outputDef,
    };
  } finally {
    trace.active = false;
  }
}

