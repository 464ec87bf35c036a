/**
 * Reverse mode. While `f` runs, a `VjpTrace` records each primitive applied to its tracers
 * on a tape (a list of nodes in evaluation order). The pullback walks the tape backwards,
 * feeding each node's output cotangent to the primitive's `vjp` rule and summing what comes
 * out into the cotangents of the node's inputs.
 *
 * The tape holds primal values of the level below, never this level's tracers, so a pullback
 * can run after `f` has returned, and inside any other transformation: when the rules run on
 * values an outer transformation is tracing, the outer one records them in turn. That is
 * reverse-over-reverse, and forward-over-reverse when the cotangent is a forward tracer.
 */
import { type CustomJvpCall, type CustomVjpCall, type MaybeTensor, type Primitive, Trace, PrimalTracer, Tracer, bind, debug } from './core.js';
import { ShapeError, TransformError } from './errors.js';
import { add, cast } from './ops/elementwise.js';
import { zerosLike } from './ops/structural.js';
import { type PyTree, flatten, sameStructure, unflatten } from './pytree.js';
import { sameShape } from './shape.js';
import { ConcreteTensor, type Tensor, allocate, assertFinite } from './tensor.js';

type VjpRule = (cotangent: Tensor, needs: boolean[]) => MaybeTensor[];

interface TapeNode {
  name: string;
  /** Tape index of each input, or -1 for a constant (a value this trace does not follow). */
  parents: number[];
  /** The input shapes, to check what the rule returns. */
  shapes: (readonly number[])[];
  /** Null for the inputs of the traced function. */
  rule: VjpRule | null;
}

export class VjpTracer extends PrimalTracer {
  constructor(
    readonly trace: VjpTrace,
    readonly primal: Tensor,
    readonly node: number,
  ) {
    super();
  }
}

export class VjpTrace extends Trace {
  readonly tape: TapeNode[] = [];

  /** A fresh input of the traced function. */
  input(primal: Tensor): VjpTracer {
    this.tape.push({ name: 'input', parents: [], shapes: [], rule: null });
    return new VjpTracer(this, primal, this.tape.length - 1);
  }

  private unwrap(args: Tensor[]): [Tensor[], number[]] {
    const primals = new Array<Tensor>(args.length);
    const parents = new Array<number>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const own = a instanceof VjpTracer && a.trace === this;
      primals[i] = own ? a.primal : a;
      parents[i] = own ? a.node : -1;
    }
    return [primals, parents];
  }

  private record(name: string, primal: Tensor, primals: Tensor[], parents: number[], rule: VjpRule): VjpTracer {
    this.tape.push({ name, parents, shapes: primals.map((p) => p.shape), rule });
    return new VjpTracer(this, primal, this.tape.length - 1);
  }

  process<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor {
    const [primals, parents] = this.unwrap(args);
    const output = bind(prim, primals, params);
    return this.record(prim.name, output, primals, parents, (ct, needs) => prim.vjp(ct, primals, output, params, needs));
  }

  processCustomVjp(call: CustomVjpCall): Tensor {
    const [primals, parents] = this.unwrap(call.args);
    const [output, residuals] = call.fwd(...primals);
    return this.record(call.name, output, primals, parents, (ct) => call.bwd(residuals, ct));
  }

  processCustomJvp(call: CustomJvpCall): Tensor {
    const [primals, parents] = this.unwrap(call.args);
    const output = call.wrapped(...primals);
    // The tangent map t -> jvp(primals, t) is linear, so its transpose is its own VJP.
    const rule: VjpRule = (ct) => {
      const tangentMap = (...ts: Tensor[]) => call.jvp(primals, ts)[1];
      const [, pullback] = vjp(tangentMap, ...primals.map(zerosLike));
      return pullback(ct) as Tensor[];
    };
    return this.record(call.name, output, primals, parents, rule);
  }

  /** Cotangents of the tape's nodes, given those of some outputs. */
  backward(seeds: [number, Tensor][]): MaybeTensor[] {
    const cts: MaybeTensor[] = new Array(this.tape.length).fill(null);
    for (const [node, ct] of seeds) cts[node] = accumulate(cts[node], ct);
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const ct = cts[i];
      const node = this.tape[i];
      if (ct === null || node.rule === null) continue;
      cts[i] = null; // free intermediate cotangents as soon as they are consumed
      const needs = node.parents.map((p) => p >= 0);
      const grads = node.rule(ct, needs);
      for (let j = 0; j < node.parents.length; j++) {
        const p = node.parents[j];
        const g = grads[j];
        if (p < 0 || g === null) continue;
        if (debug.enabled) checkCotangent(node, j, g);
        cts[p] = accumulate(cts[p], g);
      }
    }
    return cts;
  }
}

function accumulate(total: MaybeTensor, g: Tensor): Tensor {
  return total === null ? g : add(total, g);
}

function checkCotangent(node: TapeNode, j: number, g: Tensor): void {
  if (!sameShape(g.shape, node.shapes[j])) {
    throw new ShapeError(node.name, [node.shapes[j], g.shape], `vjp rule returned a cotangent of the wrong shape for input ${j}`);
  }
  assertFinite(g, `${node.name}: cotangent of input ${j}`);
}

/**
 * Evaluate `f(...primals)` and return it with its pullback: a function from a cotangent of
 * the output (same structure) to the cotangents of every argument, J^T ct.
 */
export function vjp<A extends PyTree[], R extends PyTree>(
  f: (...args: A) => R,
  ...primals: A
): [R, (cotangent: R) => A] {
  const [out, pullback] = vjpOf(f as unknown as (...args: PyTree[]) => R, primals, primals.map(() => true));
  return [out, (ct) => pullback(ct) as A];
}

/**
 * `vjp` restricted to the arguments flagged in `which`; the others are passed through
 * untouched (cheaper, and what `grad(f, argnum)` needs). The pullback returns null for them.
 */
export function vjpOf<R extends PyTree>(
  f: (...args: PyTree[]) => R,
  args: readonly PyTree[],
  which: readonly boolean[],
): [R, (cotangent: R) => (PyTree | null)[]] {
  const trace = new VjpTrace();
  const inputDefs: ReturnType<typeof flatten>[] = [];
  let outLeaves: Tensor[];
  let outDef: ReturnType<typeof flatten>[1];
  let out: R;
  try {
    const traced = args.map((a, i) => {
      if (!which[i]) return a;
      const [leaves, def] = flatten(a, `argument ${i}`);
      const tracers = leaves.map((l) => trace.input(l));
      inputDefs[i] = [tracers, def];
      return unflatten(def, tracers);
    });
    out = f(...traced);
    [outLeaves, outDef] = flatten(out, 'vjp output');
  } finally {
    trace.active = false;
  }
  const primalsOut = outLeaves.map((o) => (o instanceof VjpTracer && o.trace === trace ? o.primal : o));
  const pullback = (cotangent: R): (PyTree | null)[] => {
    const [ctLeaves, ctDef] = flatten(cotangent, 'cotangent');
    if (!sameStructure(outDef, ctDef)) throw new TransformError('vjp: the cotangent does not have the structure of the output');
    const seeds: [number, Tensor][] = [];
    outLeaves.forEach((o, i) => {
      if (!sameShape(o.shape, ctLeaves[i].shape)) {
        throw new ShapeError('vjp', [o.shape, ctLeaves[i].shape], `cotangent ${i} does not match the output`);
      }
      if (debug.enabled && !(ctLeaves[i] instanceof Tracer)) assertFinite(ctLeaves[i], `vjp: cotangent ${i}`);
      if (o instanceof VjpTracer && o.trace === trace) seeds.push([o.node, cast(ctLeaves[i], o.dtype)]);
    });
    const cts = trace.backward(seeds);
    return args.map((_, i) => {
      if (!which[i]) return null;
      const [tracers, def] = inputDefs[i];
      return unflatten(def, tracers.map((t) => cts[(t as VjpTracer).node] ?? zerosLike(t)));
    });
  };
  return [unflatten<R>(outDef, primalsOut), pullback];
}

/** A cotangent of ones for a scalar output; `grad` requires exactly one element. */
export function scalarSeed(op: string, y: Tensor): ConcreteTensor {
  if (y.size !== 1) {
    throw new TransformError(`${op}: the function must return a scalar (one element), got shape [${y.shape.join(', ')}]`);
  }
  const data = allocate(y.dtype, 1);
  data[0] = 1;
  return new ConcreteTensor(data, y.shape);
}
