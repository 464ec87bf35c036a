/**
 * GroupNorm's loops (ops/normalization.ts has the primitives and the formulas they compute):
 * per group of n values, its mean and 1 / sigma, xhat = (x - m) / sigma, the Jacobian-vector
 * product P_x(v), and its derivative Q(x, v, u). Float32 arrays go to the WebAssembly
 * kernels (groupnorm-f32.ts) where those apply; Q runs in JavaScript in both dtypes.
 */
import { perDtype } from './compile.js';
import { groupNormalizeF32, groupStatisticsF32, groupTangentF32 } from './groupnorm-f32.js';
import type { DType, Floats } from './types.js';

const dtypeOf = (a: Floats): DType => (a instanceof Float32Array ? 'float32' : 'float64');

// The loops, each self-contained so that `perDtype` can compile one copy per dtype: a loop
// that has seen both array types runs up to 1.8x slower (groupNormalizeTangent on
// [64, 24, 32] float32 after float64 calls: 0.217 ms, against 0.122 ms monomorphic).

function statisticsLoop(x: Floats, count: number, n: number, eps: number, mean: Float64Array, invSigma: Float64Array): void {
  for (let g = 0; g < count; g++) {
    const base = g * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += x[base + i];
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = x[base + i] - m;
      v += c * c;
    }
    mean[g] = m;
    invSigma[g] = 1 / Math.sqrt(v / n + eps);
  }
}

/** out = xhat = (x - m) r per group. */
function normalizeLoop(out: Floats, xd: Floats, mean: Float64Array, invSigma: Float64Array, count: number, n: number): void {
  for (let g = 0; g < count; g++) {
    const m = mean[g];
    const r = invSigma[g];
    for (let i = g * n, end = i + n; i < end; i++) out[i] = (xd[i] - m) * r;
  }
}

/** out = P_x(v) = (v - mean(v) - xhat mean(xhat v)) r per group. */
function tangentLoop(out: Floats, xd: Floats, vd: Floats, mean: Float64Array, invSigma: Float64Array, count: number, n: number): void {
  for (let g = 0; g < count; g++) {
    const base = g * n;
    const m = mean[g];
    const r = invSigma[g];
    let sv = 0;
    let sxv = 0;
    for (let i = base; i < base + n; i++) {
      sv += vd[i];
      sxv += (xd[i] - m) * r * vd[i];
    }
    const meanV = sv / n;
    const meanXhatV = sxv / n;
    for (let i = base; i < base + n; i++) out[i] = (vd[i] - meanV - (xd[i] - m) * r * meanXhatV) * r;
  }
}

/** out = Q(x, v, u) per group (see groupNormalizeCurvatureP in ops/normalization.ts). */
function curvatureLoop(
  out: Floats, xd: Floats, vd: Floats, ud: Floats, mean: Float64Array, invSigma: Float64Array, count: number, n: number,
): void {
  for (let g = 0; g < count; g++) {
    const base = g * n;
    const m = mean[g];
    const r = invSigma[g];
    let sv = 0, su = 0, suv = 0, sxv = 0, sxu = 0;
    for (let i = base; i < base + n; i++) {
      const xh = (xd[i] - m) * r;
      sv += vd[i];
      su += ud[i];
      suv += ud[i] * vd[i];
      sxv += xh * vd[i];
      sxu += xh * ud[i];
    }
    const mv = sv / n, mu = su / n, a = sxu / n, c = sxv / n;
    const k = suv / n - mu * mv - 3 * a * c;
    const r2 = r * r;
    for (let i = base; i < base + n; i++) {
      const xh = (xd[i] - m) * r;
      out[i] = -r2 * (a * (vd[i] - mv) + c * (ud[i] - mu) + xh * k);
    }
  }
}

const LOOPS = {
  statistics: perDtype(statisticsLoop),
  normalize: perDtype(normalizeLoop),
  tangent: perDtype(tangentLoop),
  curvature: perDtype(curvatureLoop),
};

/** mean[g] and invSigma[g] = 1 / sqrt(var + eps) of each of `count` groups of n values of x. */
export function groupStatisticsInto(x: Floats, count: number, n: number, eps: number, mean: Float64Array, invSigma: Float64Array): void {
  if (!(x instanceof Float32Array && groupStatisticsF32(x, count, n, eps, mean, invSigma))) {
    LOOPS.statistics[dtypeOf(x)](x, count, n, eps, mean, invSigma);
  }
}

/** out = xhat = (x - m) r per group. */
export function groupNormalizeInto(out: Floats, x: Floats, mean: Float64Array, invSigma: Float64Array, count: number, n: number): void {
  if (!(x instanceof Float32Array && out instanceof Float32Array && groupNormalizeF32(x, mean, invSigma, count, n, out))) {
    LOOPS.normalize[dtypeOf(out)](out, x, mean, invSigma, count, n);
  }
}

/** out = P_x(v) per group. */
export function groupTangentInto(out: Floats, x: Floats, v: Floats, mean: Float64Array, invSigma: Float64Array, count: number, n: number): void {
  const done = x instanceof Float32Array && v instanceof Float32Array && out instanceof Float32Array &&
    groupTangentF32(x, v, mean, invSigma, count, n, out);
  if (!done) LOOPS.tangent[dtypeOf(out)](out, x, v, mean, invSigma, count, n);
}

/** out = Q(x, v, u) per group. */
export function groupCurvatureInto(
  out: Floats, x: Floats, v: Floats, u: Floats, mean: Float64Array, invSigma: Float64Array, count: number, n: number,
): void {
  LOOPS.curvature[dtypeOf(out)](out, x, v, u, mean, invSigma, count, n);
}
