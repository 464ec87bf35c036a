/**
 * GroupNorm's loops on float32 arrays through the WebAssembly kernels of wasm/groupnorm.ts:
 * the operands are copied into WebAssembly memory a chunk of whole groups at a time, and the
 * results copied out. Each function returns false, writing nothing, where the kernels do not
 * apply (no WebAssembly, or groups whose size is not a multiple of 4 or exceeds a chunk), and
 * the caller runs its JavaScript loop. The statistics are float64 either way.
 */
import { scratch, scratchF32 } from './scratch.js';
import { inWasmMemory, wasmGroupNorm } from './wasm/runtime.js';

/** Float32 values per chunk (256 KiB per operand). */
const CHUNK = 1 << 16;

/** The WebAssembly work buffers of one call: data chunks, and the statistics of a chunk's groups. */
interface Work {
  xs: Float32Array;
  vs: Float32Array;
  means: Float64Array;
  invSigmas: Float64Array;
  /** groups per chunk */
  per: number;
}

/** The work buffers for groups of n values, or null where the kernels do not apply. */
function workFor(n: number): Work | null {
  if (n % 4 !== 0 || n > CHUNK || wasmGroupNorm() === null) return null;
  const per = Math.floor(CHUNK / n);
  const [xs, vs] = [scratchF32('groupNorm.x', CHUNK), scratchF32('groupNorm.v', CHUNK)];
  const [m, r] = [scratch('groupNorm.mean', per), scratch('groupNorm.invSigma', per)];
  if (xs === null || vs === null || !inWasmMemory(m) || !inWasmMemory(r)) return null;
  return { xs, vs, means: m.subarray(0, per), invSigmas: r.subarray(0, per), per };
}

/** Calls `run(g0, groups)` over chunks of whole groups. */
function byChunks(count: number, per: number, run: (g0: number, groups: number) => void): void {
  for (let g0 = 0; g0 < count; g0 += per) run(g0, Math.min(per, count - g0));
}

/** The statistics of one chunk's groups into WebAssembly memory. */
function statisticsIn(w: Work, mean: Float64Array, invSigma: Float64Array, g0: number, groups: number): void {
  w.means.set(mean.subarray(g0, g0 + groups));
  w.invSigmas.set(invSigma.subarray(g0, g0 + groups));
}

/** mean[g] and invSigma[g] = 1 / sqrt(var + eps) of each group of n values of x. */
export function groupStatisticsF32(x: Float32Array, count: number, n: number, eps: number, mean: Float64Array, invSigma: Float64Array): boolean {
  const w = workFor(n);
  if (w === null) return false;
  byChunks(count, w.per, (g0, groups) => {
    w.xs.set(x.subarray(g0 * n, (g0 + groups) * n));
    wasmGroupNorm()!.groupStats(w.xs.byteOffset, groups, 4 * n, eps, w.means.byteOffset, w.invSigmas.byteOffset);
    mean.set(w.means.subarray(0, groups), g0);
    invSigma.set(w.invSigmas.subarray(0, groups), g0);
  });
  return true;
}

/** out = (x - mean) invSigma per group. */
export function groupNormalizeF32(x: Float32Array, mean: Float64Array, invSigma: Float64Array, count: number, n: number, out: Float32Array): boolean {
  const w = workFor(n);
  if (w === null) return false;
  byChunks(count, w.per, (g0, groups) => {
    w.xs.set(x.subarray(g0 * n, (g0 + groups) * n));
    statisticsIn(w, mean, invSigma, g0, groups);
    wasmGroupNorm()!.groupNormalize(w.xs.byteOffset, w.xs.byteOffset, groups, 4 * n, w.means.byteOffset, w.invSigmas.byteOffset);
    out.set(w.xs.subarray(0, groups * n), g0 * n);
  });
  return true;
}

/** out = P_x(v) = (v - mean(v) - xhat mean(xhat v)) invSigma per group. */
export function groupTangentF32(
  x: Float32Array, v: Float32Array, mean: Float64Array, invSigma: Float64Array, count: number, n: number, out: Float32Array,
): boolean {
  const w = workFor(n);
  if (w === null) return false;
  byChunks(count, w.per, (g0, groups) => {
    w.xs.set(x.subarray(g0 * n, (g0 + groups) * n));
    w.vs.set(v.subarray(g0 * n, (g0 + groups) * n));
    statisticsIn(w, mean, invSigma, g0, groups);
    wasmGroupNorm()!.groupTangent(w.xs.byteOffset, w.vs.byteOffset, w.vs.byteOffset, groups, 4 * n, w.means.byteOffset, w.invSigmas.byteOffset);
    out.set(w.vs.subarray(0, groups * n), g0 * n);
  });
  return true;
}
