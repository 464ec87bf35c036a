/**
 * The loop of the fused `affine` op (ops/fused.ts): out = x * scale + shift, with scale and
 * shift broadcast to x's shape. Over the trailing axes where both are constant, x falls into
 * contiguous runs that share one scale and one shift; each run is one tight loop, or, in
 * float32, one row of the WebAssembly kernel (binary-f32.ts), bit for bit the same values.
 */
import { affineRowsF32 } from './binary-f32.js';
import { perDtype } from './compile.js';
import { type Shape, broadcastStrides, sizeOf } from './shape.js';
import type { Floats } from './types.js';
import { walk } from './walk.js';

/** out[e] = x[e] * s + b over one run; one compiled copy per dtype (see compile.ts). */
function affineRun(out: Floats, x: Floats, o: number, n: number, s: number, b: number): void {
  for (let e = o, end = o + n; e < end; e++) out[e] = x[e] * s + b;
}
const affineRuns = perDtype(affineRun);

/** out = x * scale + shift, x and out of `shape`, scale and shift broadcast to it. */
export function affineInto(out: Floats, x: Floats, shape: Shape, scale: Floats, scaleShape: Shape, shift: Floats, shiftShape: Shape): void {
  const rank = shape.length;
  const ss = broadcastStrides(scaleShape, shape);
  const bs = broadcastStrides(shiftShape, shape);
  // Trailing axes where both scale and shift are constant form contiguous runs of x.
  let k = rank;
  while (k > 0 && (ss[k - 1] === 0 || shape[k - 1] === 1) && (bs[k - 1] === 0 || shape[k - 1] === 1)) k--;
  const inner = sizeOf(shape.slice(k));
  const prefix = shape.slice(0, k);
  const strides = [ss.slice(0, k), bs.slice(0, k)];
  if (out instanceof Float32Array && x instanceof Float32Array && inner % 4 === 0 && out.length >= 1024) {
    // float32 in WebAssembly: the scale and shift of each run, then one call.
    const runs = out.length / inner;
    const [scales, shifts] = [new Float32Array(runs), new Float32Array(runs)];
    walk(prefix, strides, (o, [is, ib], n, [ds, db]) => {
      for (let j = 0; j < n; j++) {
        scales[o + j] = scale[is + j * ds];
        shifts[o + j] = shift[ib + j * db];
      }
    });
    if (affineRowsF32(x, scales, shifts, out, inner)) return;
  }
  const run = affineRuns[out instanceof Float32Array ? 'float32' : 'float64'];
  walk(prefix, strides, (o, [is, ib], n, [ds, db]) => {
    for (let j = 0; j < n; j++) run(out, x, (o + j) * inner, inner, scale[is + j * ds], shift[ib + j * db]);
  });
}
