/**
 * Sums of an array (or of an elementwise product) down to a smaller shape: `sum` over axes,
 * the cotangent of a broadcast operand (`sumToShape`), and the fused `mulSumTo`. Always into
 * a float64 accumulator, whatever the arrays' dtype.
 */
import { reduceColsF32, reduceRowsF32 } from './binary-f32.js';
import { type Shape, broadcastStrides, stridesOf } from './shape.js';
import type { DType, Floats } from './types.js';
import { walk } from './walk.js';

/**
 * Sum `a` (or the product a * b, with b of a's shape) of `shape` down to `kept` (the same
 * rank, 1 on each reduced axis), adding into the float64 `acc` of kept's size.
 *
 * Adjacent axes that are both reduced or both kept merge, so the reductions the networks do
 * ([B, C, T] to [C] or [1, C, 1]: a bias or a GroupNorm scale; to [B, C, 1]: FiLM) become one
 * of three plain loop nests over contiguous runs. Measured on the U-Net's L_Diff step: the
 * general row walker spent 1.5 ns per element on [64, 32, 4] -> [32] (rows of 4); see
 * `walk` for the fallback used by any other pattern.
 */
export function reduceInto(acc: Float64Array, a: Floats, b: Floats | null, shape: Shape, kept: Shape): void {
  // Collapse to alternating runs: dims[k] with reduced[k].
  const dims: number[] = [];
  const reduced: boolean[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const r = kept[i] === 1;
    if (dims.length > 0 && reduced[dims.length - 1] === r) dims[dims.length - 1] *= shape[i];
    else {
      dims.push(shape[i]);
      reduced.push(r);
    }
  }
  if (dims.length === 0) {
    acc[0] += b === null ? a[0] : a[0] * b[0];
    return;
  }
  // Pad to the pattern [reduced outer, kept middle, reduced inner] with size-1 runs.
  let outer = 1, middle = 1, inner = 1;
  if (dims.length === 1) {
    if (reduced[0]) inner = dims[0];
    else middle = dims[0];
  } else if (dims.length === 2) {
    if (reduced[0]) [outer, middle] = dims;
    else [middle, inner] = dims;
  } else if (dims.length === 3 && reduced[0]) {
    [outer, middle, inner] = dims;
  } else {
    reduceWalk(acc, a, b, shape, kept);
    return;
  }
  // float32 runs of 4 or more: WebAssembly (binary-f32.ts), when it applies.
  if (inner >= 4 && a instanceof Float32Array && (b === null || b instanceof Float32Array) && reduceRowsF32(acc, a, b, outer, middle, inner)) return;
  // A bias's cotangent, [B, N] to [N]: columns summed row after row.
  if (inner === 1 && b === null && middle >= 4 && a instanceof Float32Array && reduceColsF32(acc, a, outer, middle)) return;
  const loops = REDUCE_LOOPS[a instanceof Float32Array ? 'float32' : 'float64'];
  if (b === null) loops.sum(acc, a, a, outer, middle, inner);
  else loops.product(acc, a, b, outer, middle, inner);
}

type ReduceLoop = (acc: Float64Array, a: Floats, b: Floats, outer: number, middle: number, inner: number) => void;

/**
 * The [outer, middle, inner] loop nest of `reduceInto`: rows of `middle` kept values summed
 * over `outer` when inner is 1, else each contiguous inner run summed first. Compiled per
 * dtype and per term (a, or a * b), so each copy is monomorphic (see compile.ts).
 */
function reduceLoop(term: string): ReduceLoop {
  return new Function(`return function (acc, a, b, outer, middle, inner) {
    if (inner === 1) {
      for (let o = 0, s = 0; o < outer; o++) for (let m = 0; m < middle; m++, s++) acc[m] += ${term};
      return;
    }
    for (let o = 0, s = 0; o < outer; o++) {
      for (let m = 0; m < middle; m++) {
        let total = 0;
        for (const end = s + inner; s < end; s++) total += ${term};
        acc[m] += total;
      }
    }
  };`)() as ReduceLoop;
}

const REDUCE_LOOPS: Record<DType, { sum: ReduceLoop; product: ReduceLoop }> = {
  float64: { sum: reduceLoop('a[s]'), product: reduceLoop('a[s] * b[s]') },
  float32: { sum: reduceLoop('a[s]'), product: reduceLoop('a[s] * b[s]') },
};

function reduceWalk(acc: Float64Array, a: Floats, b: Floats | null, shape: Shape, kept: Shape): void {
  const strides = stridesOf(shape);
  walk(shape, [strides, broadcastStrides(kept, shape)], (_o, [i, k], n, [di, dk]) => {
    for (let j = 0; j < n; j++) acc[k + j * dk] += b === null ? a[i + j * di] : a[i + j * di] * b[i + j * di];
  });
}
