/**
 * Batching rules, by primitive. A batching rule says how to apply a primitive to a batch of
 * arguments at once: it receives the arguments with the batch axis in front (those flagged
 * in `batched`; the others are shared by every example) and returns the batch of outputs, its
 * batch axis in front. Like a JVP or VJP rule it is written with the engine's ops, so it runs
 * inside any other transformation.
 *
 * Why a registry and not a fourth field on `Primitive`: the rules are written once per
 * primitive, like its JVP and VJP rules, but they only matter to vmap, and most follow a
 * handful of patterns (elementwise, broadcasting, "fold the batch into an existing batch
 * axis"). Kept in vmap/rules.ts, grouped by those patterns, they read as one table instead of
 * being spread through the op modules, the primitive type stays what it was, and a primitive
 * defined outside the engine (src/linalg) can register its own rule, as jit's
 * `registerScalarRule` does for scalar code. A primitive with no rule is still batched
 * correctly, by a loop over the batch (vmap/trace.ts); a rule only makes it fast.
 */
import { type Primitive } from '../core.js';
import { type Tensor } from '../tensor.js';

/**
 * Apply a primitive to a batch. `args[i]` has a leading batch axis of length `size` where
 * `batched[i]`; the result must have one too.
 */
export type BatchRule<P> = (args: Tensor[], batched: boolean[], params: P, size: number) => Tensor;

const rules = new Map<Primitive<never>, BatchRule<never>>();

/** Register (or replace) the batching rule of a primitive. */
export function registerBatchRule<P>(prim: Primitive<P>, rule: BatchRule<P>): void {
  rules.set(prim as Primitive<never>, rule as BatchRule<never>);
}

/** The primitive's batching rule, or undefined when it has none (vmap then loops over the batch). */
export function batchRuleOf<P>(prim: Primitive<P>): BatchRule<P> | undefined {
  return rules.get(prim as Primitive<never>) as BatchRule<P> | undefined;
}
