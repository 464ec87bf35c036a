/**
 * Recording a function as a graph, and replaying it. This is the engine's small version of
 * JAX's jaxpr: `linearize` records the tangent half of a JVP once and replays it for many
 * tangents, and `scan` records its step function once to learn what the step closes over.
 *
 * `record(f, examples)` runs `f` once on `RecordTracer`s, tracers of a `RecordTrace` that
 * carry an example value (so a primitive's `impl` gives the output's shape, and its value).
 * Every primitive applied to one of them appends an equation. Anything else an equation
 * reads is a *constant* of the graph: a concrete tensor, or a tracer of another (outer)
 * transformation that `f` closes over. Ops that touch no `RecordTracer` are not recorded
 * at all: they run now, once, through whatever trace owns their arguments (so a closure's
 * loop-invariant part is computed once, and is differentiated by the outer transformation
 * like any other op).
 *
 * `replay(graph, inputs, consts)` applies the equations again with `bind`, to new inputs and,
 * optionally, new constants. Replaying inside a transformation transforms the replay: the
 * graph is just a list of ops, and every op goes through `bind`.
 *
 * Restriction (as in JAX and `jit`): `f` must not read the values of its inputs (`item()`,
 * `toArray()`, data-dependent branches); a recorded graph has no branches.
 */
import { type CustomJvpCall, type CustomVjpCall, type Primitive, Trace, Tracer, bind } from './core.js';
import { TransformError } from './errors.js';
import { type PyTree, type TreeDef, flatten, unflatten } from './pytree.js';
import { ConcreteTensor, type DType, type Tensor, allocate } from './tensor.js';

/** An operand of an equation: a variable of the graph (inputs first), or a constant by index. */
export type Atom = { kind: 'var'; id: number } | { kind: 'const'; index: number };

export interface Equation {
  /** The primitive's name, or the custom function's. */
  name: string;
  /** Applies the operation to new operands (bind, or the custom function with its rule). */
  apply: (args: Tensor[]) => Tensor;
  args: Atom[];
  /** The variable this equation defines. */
  out: number;
}

export interface Graph {
  /** Variables 0 .. inputCount - 1 are the inputs. */
  inputCount: number;
  equations: Equation[];
  outputs: Atom[];
  outputDef: TreeDef;
  /** The constants the equations read: concrete tensors, or tracers of outer transformations. */
  consts: Tensor[];
}

export class RecordTracer extends Tracer {
  constructor(
    readonly trace: RecordTrace,
    readonly id: number,
    /** The value on the example inputs: it gives shapes, and keeps impls on real numbers. */
    readonly example: ConcreteTensor,
  ) {
    super();
  }

  get shape() {
    return this.example.shape;
  }

  get dtype() {
    return this.example.dtype;
  }

  concrete(): ConcreteTensor {
    throw new TransformError('record: a recorded value has no concrete value (a recorded function cannot read its inputs)');
  }
}

/** A stand-in of the right shape and dtype for a value whose numbers are not available. */
function placeholder(shape: readonly number[], dtype: DType): ConcreteTensor {
  const data = allocate(dtype, shape.reduce((n, d) => n * d, 1));
  data.fill(0.5);
  return new ConcreteTensor(data, shape);
}

export class RecordTrace extends Trace {
  readonly equations: Equation[] = [];
  readonly consts: Tensor[] = [];
  private readonly constIndex = new Map<Tensor, number>();
  private variables = 0;

  fresh(example: ConcreteTensor): RecordTracer {
    return new RecordTracer(this, this.variables++, example);
  }

  atom(x: Tensor): Atom {
    if (x instanceof RecordTracer && x.trace === this) return { kind: 'var', id: x.id };
    let index = this.constIndex.get(x);
    if (index === undefined) {
      index = this.consts.length;
      this.consts.push(x);
      this.constIndex.set(x, index);
    }
    return { kind: 'const', index };
  }

  /** The numbers to compute an example output with. */
  private example(x: Tensor): ConcreteTensor {
    if (x instanceof RecordTracer && x.trace === this) return x.example;
    if (x instanceof ConcreteTensor) return x;
    try {
      return x.concrete();
    } catch {
      return placeholder(x.shape, x.dtype); // a value with no numbers of its own (a staged or batched one)
    }
  }

  private push(name: string, apply: (args: Tensor[]) => Tensor, args: Tensor[], example: ConcreteTensor): Tensor {
    const out = this.fresh(example);
    this.equations.push({ name, apply, args: args.map((a) => this.atom(a)), out: out.id });
    return out;
  }

  process<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor {
    const example = prim.impl(args.map((a) => this.example(a)), params);
    return this.push(prim.name, (xs) => bind(prim, xs, params), args, example);
  }

  // A custom function is recorded whole, so that replaying it applies its custom rule again.
  processCustomVjp(call: CustomVjpCall): Tensor {
    const example = call.f(...call.args.map((a) => this.example(a))).concrete();
    return this.push(call.name, (xs) => call.wrapped(...xs), call.args, example);
  }

  processCustomJvp(call: CustomJvpCall): Tensor {
    const example = call.f(...call.args.map((a) => this.example(a))).concrete();
    return this.push(call.name, (xs) => call.wrapped(...xs), call.args, example);
  }
}

/**
 * Record `f` on inputs with the given example values (which fix the shapes and dtypes).
 * The graph's outputs are the leaves of f's result, in `flatten` order.
 */
export function record(f: (...inputs: Tensor[]) => PyTree, examples: readonly ConcreteTensor[]): Graph {
  const trace = new RecordTrace();
  try {
    const inputs = examples.map((e) => trace.fresh(e));
    const [leaves, outputDef] = flatten(f(...inputs), 'recorded output');
    const outputs = leaves.map((l) => trace.atom(l));
    return { inputCount: inputs.length, equations: live(trace.equations, outputs), outputs, outputDef, consts: trace.consts };
  } finally {
    trace.active = false;
  }
}

/**
 * The equations some output depends on, in order. Ops are pure, so the others can go: a step
 * recorded for its carry alone (scan's recomputation) then skips the work of its other outputs.
 */
function live(equations: Equation[], outputs: Atom[]): Equation[] {
  const needed = new Set<number>();
  for (const a of outputs) if (a.kind === 'var') needed.add(a.id);
  const kept: Equation[] = [];
  for (let i = equations.length - 1; i >= 0; i--) {
    const eq = equations[i];
    if (!needed.has(eq.out)) continue;
    kept.push(eq);
    for (const a of eq.args) if (a.kind === 'var') needed.add(a.id);
  }
  return kept.reverse();
}

/** Apply the graph's equations to new inputs (and optionally new constants); returns the output leaves. */
export function replay(graph: Graph, inputs: readonly Tensor[], consts: readonly Tensor[] = graph.consts): Tensor[] {
  if (inputs.length !== graph.inputCount) {
    throw new TransformError(`replay: the graph takes ${graph.inputCount} inputs, got ${inputs.length}`);
  }
  const env: Tensor[] = [...inputs];
  const read = (a: Atom) => (a.kind === 'var' ? env[a.id] : consts[a.index]);
  for (const eq of graph.equations) env[eq.out] = eq.apply(eq.args.map(read));
  return graph.outputs.map(read);
}

/** `replay`, with the outputs rebuilt into the recorded function's pytree. */
export function replayTree<R extends PyTree>(graph: Graph, inputs: readonly Tensor[], consts?: readonly Tensor[]): R {
  return unflatten<R>(graph.outputDef, replay(graph, inputs, consts));
}
