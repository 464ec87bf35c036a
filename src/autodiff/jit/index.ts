/**
 * `jit`: stage a function of small float64 tensors once, lower it to scalar straight-line
 * code, and compile it. Rigid-body dynamics and their Jacobians are thousands of operations
 * on 3- and 6-vectors: eagerly, the per-op overhead dominates; compiled, each knot of a
 * horizon costs what its arithmetic costs.
 *
 *   const step = jit((x, u) => model.step(x, u), [[4], [2]]);
 *   const [xNext] = step.run([x, u]);                 // Float64Arrays in and out
 *   const jac = jit((x, u) => [jacfwd(...)(x), ...], [[4], [2]]);
 *
 * Restrictions: inputs are float64 tensors of fixed shapes; the function must not read
 * values (no `item()`, no data-dependent control flow: use `where`); jit is outermost.
 */
import { type PyTree, unflatten } from '../pytree.js';
import { type Shape, sizeOf } from '../shape.js';
import { ConcreteTensor, type Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { emit } from './emit.js';
import { stage } from './stage.js';
import { scalarize } from './scalarize.js';

export { registerScalarRule, type ScalarRule, type ScalarTensor } from './scalarize.js';
export type { ScalarProgram } from './scalar.js';

export interface Jitted<R extends PyTree> {
  /** Run on flat inputs, writing into `outputs` when given (no allocation), else into new arrays. */
  run(inputs: ArrayLike<number>[], outputs?: Float64Array[]): Float64Array[];
  /** Run on tensors and rebuild the output pytree. */
  call(...inputs: Tensor[]): R;
  readonly inputShapes: readonly Shape[];
  readonly outputShapes: readonly Shape[];
  /** Scalar operations per call, after simplification. */
  readonly operations: number;
  readonly source: string;
}

export function jit<R extends PyTree>(f: (...args: Tensor[]) => R, inputShapes: readonly Shape[]): Jitted<R> {
  const graph = stage(f, inputShapes);
  const { program, outputs } = scalarize(graph);
  const compiled = emit(program, outputs.map((o) => o.ids), inputShapes.length);
  const outputShapes = outputs.map((o) => o.shape);
  const inputSizes = inputShapes.map(sizeOf);
  const run = (inputs: ArrayLike<number>[], out?: Float64Array[]): Float64Array[] => {
    if (inputs.length !== inputSizes.length || inputs.some((x, i) => x.length !== inputSizes[i])) {
      throw new ShapeError('jit', inputs.map((x) => [x.length]), `expects inputs of sizes [${inputSizes.join(', ')}]`);
    }
    const results = out ?? outputShapes.map((s) => new Float64Array(sizeOf(s)));
    compiled.fn(inputs, results);
    return results;
  };
  return {
    run,
    call: (...inputs: Tensor[]) => {
      const results = run(inputs.map((x) => x.concrete().data));
      return unflatten<R>(graph.outputDef, results.map((data, i) => new ConcreteTensor(data, outputShapes[i])));
    },
    inputShapes,
    outputShapes,
    operations: compiled.operations,
    source: compiled.source,
  };
}
