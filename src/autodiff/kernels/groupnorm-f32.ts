/**
 * GroupNorm's loops on float32 arrays through the WebAssembly kernels of wasm/groupnorm.ts:
 * the operands are copied into WebAssembly memory a chunk of whole groups at a time, and the
 * results copied out. Each function returns false, writing nothing, where the kernels do not
 * apply (no WebAssembly, or groups whose size is not a multiple of 4 or exceeds a chunk), and
 * the caller runs its JavaScript loop. The statistics are float64 either way.
 */
import { scratch } from './scratch.js';
import { inArena, wasmGroupNorm } from './wasm/runtime.js';

/** Float32 values per chunk (256 KiB per operand). */
const CHUNK = 1 << 16;

const applies = (n: number): boolean => n % 4 === 0 && n <= CHUNK && wasmGroupNorm() !== null;

/** A float32 work buffer of CHUNK values in WebAssembly memory, or null. */
function floats(name: string): Float32Array | null {
  const buf = scratch(name, CHUNK / 2);
  return inArena(buf) ? new Float32Array(buf.buffer, buf.byteOffset, CHUNK) : null;
}

/** A float64 work buffer of `length` values in WebAssembly memory, or null. */
function doubles(name: string, length: number): Float64Array | null {
  const buf = scratch(name, length);
  return inArena(buf) ? buf.subarray(0, length) : null;
}

/** Calls `run(g0, groups)` over chunks of whole groups. */
function byChunks(count: number, n: number, run: (g0: number, groups: number) => void): void {
  const per = Math.floor(CHUNK / n);
  for (let g0 = 0; g0 < count; g0 += per) run(g0, Math.min(per, count - g0));
}

/** mean[g] and invSigma[g] = 1 / sqrt(var + eps) of each group of n values of x. */
export function groupStatisticsF32(x: Float32Array, count: number, n: number, eps: number, mean: Float64Array, invSigma: Float64Array): boolean {
  if (!applies(n)) return false;
  const xs = floats('groupNorm.x');
  const per = Math.floor(CHUNK / n);
  const ms = doubles('groupNorm.mean', per);
  const rs = doubles('groupNorm.invSigma', per);
  if (xs === null || ms === null || rs === null) return false;
  byChunks(count, n, (g0, groups) => {
    xs.set(x.subarray(g0 * n, (g0 + groups) * n));
    wasmGroupNorm()!.groupStats(xs.byteOffset, groups, 4 * n, eps, ms.byteOffset, rs.byteOffset);
    mean.set(ms.subarray(0, groups), g0);
    invSigma.set(rs.subarray(0, groups), g0);
  });
  return true;
}

/** The group statistics of one chunk into WebAssembly memory. */
function statisticsIn(ms: Float64Array, rs: Float64Array, mean: Float64Array, invSigma: Float64Array, g0: number, groups: number): void {
  ms.set(mean.subarray(g0, g0 + groups));
  rs.set(invSigma.subarray(g0, g0 + groups));
}

/** out = (x - mean) invSigma per group. */
export function groupNormalizeF32(x: Float32Array, mean: Float64Array, invSigma: Float64Array, count: number, n: number, out: Float32Array): boolean {
  if (!applies(n)) return false;
  const xs = floats('groupNorm.x');
  const per = Math.floor(CHUNK / n);
  const ms = doubles('groupNorm.mean', per);
  const rs = doubles('groupNorm.invSigma', per);
  if (xs === null || ms === null || rs === null) return false;
  byChunks(count, n, (g0, groups) => {
    xs.set(x.subarray(g0 * n, (g0 + groups) * n));
    statisticsIn(ms, rs, mean, invSigma, g0, groups);
    wasmGroupNorm()!.groupNormalize(xs.byteOffset, xs.byteOffset, groups, 4 * n, ms.byteOffset, rs.byteOffset);
    out.set(xs.subarray(0, groups * n), g0 * n);
  });
  return true;
}

/** out = P_x(v) = (v - mean(v) - xhat mean(xhat v)) invSigma per group. */
export function groupTangentF32(
  x: Float32Array, v: Float32Array, mean: Float64Array, invSigma: Float64Array, count: number, n: number, out: Float32Array,
): boolean {
  if (!applies(n)) return false;
  const xs = floats('groupNorm.x');
  const vs = floats('groupNorm.v');
  const per = Math.floor(CHUNK / n);
  const ms = doubles('groupNorm.mean', per);
  const rs = doubles('groupNorm.invSigma', per);
  if (xs === null || vs === null || ms === null || rs === null) return false;
  byChunks(count, n, (g0, groups) => {
    xs.set(x.subarray(g0 * n, (g0 + groups) * n));
    vs.set(v.subarray(g0 * n, (g0 + groups) * n));
    statisticsIn(ms, rs, mean, invSigma, g0, groups);
    wasmGroupNorm()!.groupTangent(xs.byteOffset, vs.byteOffset, vs.byteOffset, groups, 4 * n, ms.byteOffset, rs.byteOffset);
    out.set(vs.subarray(0, groups * n), g0 * n);
  });
  return true;
}
