/**
 * The batching trace. A `BatchTracer` stands for one example of a batch: its `shape` is an
 * example's shape, and `value` holds the whole batch, batch axis first. `BatchTrace.process`
 * unwraps its own tracers and hands the batch values to the primitive's batching rule
 * (vmap/rules.ts); values it does not own (constants, tracers of other transformations) are
 * shared by every example. A primitive with no rule, and a custom function, are applied to
 * each example in turn and the results stacked: slow, but right at any depth of nesting.
 *
 * Nothing here is specific to derivatives: vmap is a trace like jvp's, with the same levels
 * (core.ts), so vmap(grad(f)), grad(vmap(f)) and vmap inside vmap need no extra code.
 */
import { type CustomJvpCall, type CustomVjpCall, type Primitive, Trace, Tracer, bind, debug } from '../core.js';
import { ShapeError, TransformError } from '../errors.js';
import { concat, reshape, slice } from '../ops/structural.js';
import { type Shape } from '../shape.js';
import { type ConcreteTensor, type Tensor } from '../tensor.js';
import { batchRuleOf } from './registry.js';

export class BatchTracer extends Tracer {
  readonly shape: Shape;

  constructor(
    readonly trace: BatchTrace,
    /** The whole batch, batch axis first: [size, ...shape]. */
    readonly value: Tensor,
  ) {
    super();
    this.shape = value.shape.slice(1);
  }

  get dtype() {
    return this.value.dtype;
  }

  concrete(): ConcreteTensor {
    throw new TransformError('vmap: a batched value has no single concrete value (read the numbers outside vmap)');
  }
}

/** Example `i` of a batch value (batch axis first), without the batch axis. */
export function exampleOf(value: Tensor, i: number): Tensor {
  return reshape(slice(value, [i]), value.shape.slice(1));
}

/** Stack examples into a batch value, batch axis first. */
export function stackExamples(examples: Tensor[]): Tensor {
  return concat(examples.map((e) => reshape(e, [1, ...e.shape])), 0);
}

/** The fallback batching rule: apply `apply` to each example and stack the results. */
export function loopOverBatch(apply: (args: Tensor[]) => Tensor, args: Tensor[], batched: boolean[], size: number): Tensor {
  const outputs: Tensor[] = [];
  for (let i = 0; i < size; i++) outputs.push(apply(args.map((a, j) => (batched[j] ? exampleOf(a, i) : a))));
  return stackExamples(outputs);
}

export class BatchTrace extends Trace {
  constructor(readonly size: number) {
    super();
  }

  /** The batch values of this trace's tracers; everything else is shared by the batch. */
  unwrap(args: readonly Tensor[]): [Tensor[], boolean[]] {
    const values = new Array<Tensor>(args.length);
    const batched = new Array<boolean>(args.length);
    args.forEach((a, i) => {
      const own = a instanceof BatchTracer && a.trace === this;
      values[i] = own ? a.value : a;
      batched[i] = own;
    });
    return [values, batched];
  }

  wrap(name: string, value: Tensor): BatchTracer {
    if (debug.enabled && value.shape[0] !== this.size) {
      throw new ShapeError(name, [value.shape], `batching rule returned a batch of ${value.shape[0]}, expected ${this.size}`);
    }
    return new BatchTracer(this, value);
  }

  process<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor {
    const [values, batched] = this.unwrap(args);
    const rule = batchRuleOf(prim);
    const out = rule !== undefined
      ? rule(values, batched, params, this.size)
      : loopOverBatch((xs) => bind(prim, xs, params), values, batched, this.size);
    return this.wrap(prim.name, out);
  }

  // A custom function keeps its rule only if each example goes through it whole.
  processCustomVjp(call: CustomVjpCall): Tensor {
    const [values, batched] = this.unwrap(call.args);
    return this.wrap(call.name, loopOverBatch((xs) => call.wrapped(...xs), values, batched, this.size));
  }

  processCustomJvp(call: CustomJvpCall): Tensor {
    const [values, batched] = this.unwrap(call.args);
    return this.wrap(call.name, loopOverBatch((xs) => call.wrapped(...xs), values, batched, this.size));
  }
}
