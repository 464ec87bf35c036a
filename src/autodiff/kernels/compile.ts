/**
 * Loops compiled at run time, one copy per dtype. A loop that has seen both Float64Array and
 * Float32Array goes polymorphic in V8, and the networks train in either dtype in one process
 * (bench/diffusion.ts runs both): measured on a [64, 24, 32] float64 `mul` after float32
 * calls, 0.20 ms with one shared loop against 0.07 ms monomorphic. So every loop here is
 * compiled twice, from a template (`compileLoop`) or from a function's own source (`perDtype`).
 */
import { HELPERS } from './scalar-functions.js';
import type { DType } from './types.js';

/**
 * A function `function (params) { body }` compiled with `new Function`, with the scalar
 * functions of scalar-functions.ts in scope. Each call compiles a new copy.
 */
export function compileLoop<F>(params: string, body: string): F {
  const names = Object.keys(HELPERS).join(', ');
  // Named after the expression, so a CPU profile tells the ops' loops apart.
  const name = `loop_${body.replace(/^.*out\[\w+\] = (.*?); \}.*$/s, '$1').replace(/\W+/g, '_').slice(0, 40)}`;
  return new Function('helpers', `const { ${names} } = helpers; return function ${name}(${params}) {\n${body}\n};`)(HELPERS) as F;
}

/**
 * Two copies of a self-contained function (one that uses only its arguments and globals such
 * as Math), compiled from its own source: one per dtype, so each copy's typed-array accesses
 * stay monomorphic, like the generated loops. For hand-written loops that read better as
 * plain functions than as expression templates (GroupNorm's).
 */
export function perDtype<F extends (...args: never[]) => unknown>(fn: F): Record<DType, F> {
  const source = fn.toString();
  // Source rewritten by a tool to call module-level helpers (coverage counters, esbuild's
  // __name, vite's SSR imports) cannot be recompiled out of its module: share the original.
  if (/\bcov_|__name\(|__vite_ssr_/.test(source)) return { float64: fn, float32: fn };
  const copy = () => new Function(`return (${source});`)() as F;
  return { float64: copy(), float32: copy() };
}
