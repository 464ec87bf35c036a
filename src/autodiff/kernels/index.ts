/**
 * kernels/ is the engine's bottom layer: loops on raw typed arrays, importing nothing from the
 * engine (no tensors, no derivatives). Besides the backends below it holds
 *
 *   shape.ts, walk.ts          shape and stride arithmetic; the general strided row walk
 *   compile.ts                 loops compiled per dtype, with scalar-functions.ts in scope
 *   elementwise.ts, reduce.ts  broadcasting elementwise loops; sums down to a shape
 *   affine.ts, groupnorm.ts    the fused ops' loops: affine; GroupNorm's statistics, xhat, P_x(v), Q
 *   *-f32.ts, wasm/            float32 WebAssembly paths (Mish, GroupNorm, add/sub/mul, sums)
 *   scratch.ts                 reusable work buffers, in WebAssembly memory where possible
 *   step-arena.ts              the step arena's memory, where every op's output comes from
 *
 * This file: compute kernels on raw typed arrays, with a backend chosen per kernel and dtype.
 *
 *   reference  plain loops, the readable definitions (reference.ts)         float64 + float32
 *   ts         packed, register-blocked plain TypeScript (gemm-core.ts)     float64 + float32
 *   wasm       WebAssembly SIMD: the same packing for matmul, windowed       float64 + float32
 *              convolutions without im2col (conv1d-window.ts, wasm/); float32
 *              matmuls on float32 tiles (matmul-f32.ts), and float32 calls with
 *              fused multiply-adds where the engine has relaxed SIMD (wasm/relaxed.ts)
 *   threads    wasm (or ts) with big calls split across worker threads     float64 + float32
 *   gpu        gpu.js kernels, here its WebAssembly backend (gpu.ts)         float32 only
 *
 * Contract for every kernel: `out` is overwritten, never accumulated into; inputs and
 * `out` never alias; all arrays of a call share one dtype, which is the result dtype; and
 * a weight array is never modified once passed (the window convolutions cache its packing
 * per array, as tensors are immutable).
 * A float64 call never runs in float32: if the selected backend is float32-only, it
 * falls back to the default float64 backend, and kernelBackend(kernel, 'float64') says so.
 */
import { conv1dInputAdjointTs, conv1dTs, conv1dWeightAdjointTs } from './conv1d-ts.js';
import { conv1dInputAdjointWindow, conv1dWeightAdjointWindow, conv1dWindow } from './conv1d-window.js';
import { conv1dGpu, conv1dInputAdjointGpu, conv1dWeightAdjointGpu, gpuStatus, matmulGpu } from './gpu.js';
import { matmulF32Tiles } from './matmul-f32.js';
import { matmulTs } from './matmul-ts.js';
import { type MicroKernel, withMicroKernel } from './gemm-core.js';
import { wasmAvailable } from './wasm/runtime.js';
import { conv1dInputAdjointThreads, conv1dThreads, conv1dWeightAdjointThreads, matmulThreads, threadCount } from './threads.js';
import {
  conv1dInputAdjointReference, conv1dReference, conv1dWeightAdjointReference, matmulReference,
} from './reference.js';
import type { BackendName, Conv1dGeometry, DType, Floats, KernelName, MatmulArgs } from './types.js';

export type { BackendName, Conv1dGeometry, DType, Floats, KernelName, MatmulArgs } from './types.js';
export { conv1dOutLength } from './types.js';
export { gpuStatus, type GpuStatus } from './gpu.js';
export { parallelCallCount, threadCount } from './threads.js';
export { windowCallCount } from './conv1d-window.js';
export { fusedMultiplyAdd, setFusedMultiplyAdd } from './wasm/runtime.js';
export { relaxedSimdAvailable } from './wasm/relaxed.js';
export { mishCurvatureF32, mishF32, mishScaleF32 } from './mish-f32.js';
export { groupNormalizeF32, groupStatisticsF32, groupTangentF32 } from './groupnorm-f32.js';
export {
  type BinaryOp, affineRowsF32, binaryColsF32, binaryRowsF32, binaryScalarF32, binarySameF32, reduceColsF32, reduceRowsF32, reluF32,
} from './binary-f32.js';

type ConvFn = (a: Floats, b: Floats, out: Floats, g: Conv1dGeometry) => void;
interface Backend {
  dtypes: readonly DType[];
  matmul: (args: MatmulArgs) => void;
  conv1d: ConvFn;
  conv1dInputAdjoint: ConvFn;
  conv1dWeightAdjoint: ConvFn;
}

const BACKENDS: Record<BackendName, Backend> = {
  reference: {
    dtypes: ['float64', 'float32'],
    matmul: matmulReference,
    conv1d: conv1dReference,
    conv1dInputAdjoint: conv1dInputAdjointReference,
    conv1dWeightAdjoint: conv1dWeightAdjointReference,
  },
  ts: {
    dtypes: ['float64', 'float32'],
    matmul: matmulTs,
    conv1d: conv1dTs,
    conv1dInputAdjoint: conv1dInputAdjointTs,
    conv1dWeightAdjoint: conv1dWeightAdjointTs,
  },
  wasm: {
    dtypes: ['float64', 'float32'],
    matmul: (args) => {
      if (matmulF32Tiles(args)) return;
      withMicroKernel('wasm', () => matmulTs(args));
    },
    conv1d: (x, w, out, g) => {
      if (g.outChannels >= 4 && g.batch * g.outLength * g.inChannels > 0 && conv1dWindow(x, w, out, g)) return;
      withMicroKernel('wasm', () => conv1dTs(x, w, out, g));
    },
    conv1dInputAdjoint: (dy, w, out, g) => {
      if (g.inChannels >= 4 && g.batch * g.inLength * g.outChannels > 0 && conv1dInputAdjointWindow(dy, w, out, g)) return;
      withMicroKernel('wasm', () => conv1dInputAdjointTs(dy, w, out, g));
    },
    conv1dWeightAdjoint: (x, dy, out, g) => {
      if (g.outChannels >= 4 && g.batch * g.outLength * g.inChannels > 0 && conv1dWeightAdjointWindow(x, dy, out, g)) return;
      withMicroKernel('wasm', () => conv1dWeightAdjointTs(x, dy, out, g));
    },
  },
  threads: {
    dtypes: ['float64', 'float32'],
    matmul: matmulThreads,
    conv1d: conv1dThreads,
    conv1dInputAdjoint: conv1dInputAdjointThreads,
    conv1dWeightAdjoint: conv1dWeightAdjointThreads,
  },
  gpu: {
    dtypes: ['float32'],
    matmul: matmulGpu,
    conv1d: conv1dGpu,
    conv1dInputAdjoint: conv1dInputAdjointGpu,
    conv1dWeightAdjoint: conv1dWeightAdjointGpu,
  },
};

/**
 * Defaults, chosen by measurement with bench/kernels.ts and bench/diffusion.ts (2-core AMD
 * EPYC VM, Node 20.20, 2026-11-23; medians after warm-up):
 *
 *   matmul GFLOP/s            reference   ts    wasm   threads   gpu (f32)
 *     64^3                       0.97     4.6   16.1     4.6      2.4
 *     256^3 (all 4 trans)        ~1.0     5.0   24.4     5.0      1.9-2.5
 *     linear 64 x 64..256        ~1.0     4.7   18.3     4.6      1.9
 *
 *   conv ms, 14 U-Net shapes at batch 64, summed (float64; float32 within 5 %)
 *                                reference   ts     wasm   threads   gpu (f32)
 *     conv1d                        80      15.3    4.85    3.84      92
 *     conv1dInputAdjoint           114      15.5    5.51    3.96     126
 *     conv1dWeightAdjoint           79      15.0    5.19    3.86      86
 *
 * The WebAssembly SIMD micro-kernel (wasm) is 3-5x the plain TypeScript one (ts); gpu.js,
 * which here runs its own WebAssembly backend one output cell at a time, is slower than
 * either. Splitting the big convolutions across the second core (threads) gained another 25 %
 * in isolation, but nothing on the whole U-Net (forward 34-40 ms vs 38 ms, L_Diff step
 * 156 vs 148 ms): the two vCPUs here appear to share one core's SIMD units, and the copies
 * to the worker cost the rest. So wasm is the default everywhere; threads stays selectable.
 *
 * Since then wasm runs the convolutions without im2col (conv1d-window.ts: the window and
 * wgrad kernels, f32x4 for float32 calls), and threads, which splits the packed path, no
 * longer wins even in isolation (same machine, 2026-11-23, shared and noisy; ms summed):
 *
 *                                wasm f64   wasm f32   threads f64   threads f32
 *     conv1d                       3.61       2.84        6.34          5.82
 *     conv1dInputAdjoint           3.92       4.08        7.66          5.73
 *     conv1dWeightAdjoint          4.81       3.79        6.11          8.33
 * The float64 entry must be float64-capable: it is also the fallback when a float32-only
 * backend is selected for a float64 call.
 */
const DEFAULTS: Record<KernelName, Record<DType, BackendName>> = {
  matmul: { float64: 'wasm', float32: 'wasm' },
  conv1d: { float64: 'wasm', float32: 'wasm' },
  conv1dInputAdjoint: { float64: 'wasm', float32: 'wasm' },
  conv1dWeightAdjoint: { float64: 'wasm', float32: 'wasm' },
};

const selected = new Map<KernelName, BackendName>();

/** Backends that can run here. `gpu` is listed only if gpu.js loads and passes a probe. */
export function availableBackends(): BackendName[] {
  if (available === null) {
    available = ['reference', 'ts'];
    if (wasmAvailable()) available.push('wasm');
    if (threadCount() > 0) available.push('threads');
    if (gpuStatus().available) available.push('gpu');
  }
  return [...available];
}

/** Probed once: whether a backend runs here does not change during a process. */
let available: BackendName[] | null = null;

function runsHere(backend: BackendName, dtype: DType): boolean {
  if (available === null) availableBackends();
  return BACKENDS[backend].dtypes.includes(dtype) && available!.includes(backend);
}

/** Select the backend for one kernel (both dtypes). Throws for a backend that cannot run here. */
export function setKernelBackend(kernel: KernelName, backend: BackendName): void {
  if (!(kernel in DEFAULTS)) throw new Error(`setKernelBackend: unknown kernel '${kernel}'`);
  if (!availableBackends().includes(backend)) {
    const why = backend === 'gpu' ? `: ${gpuStatus().reason}` : '';
    throw new Error(`setKernelBackend(${kernel}): backend '${backend}' is not available${why}`);
  }
  selected.set(kernel, backend);
}

/** Go back to the measured defaults for every kernel. */
export function resetKernelBackends(): void {
  selected.clear();
}

/** The backend that will actually run `kernel` on arrays of `dtype`. */
export function kernelBackend(kernel: KernelName, dtype: DType): BackendName {
  const choice = selected.get(kernel) ?? DEFAULTS[kernel][dtype];
  if (runsHere(choice, dtype)) return choice;
  // A float32-only backend for a float64 call, or a default that cannot run on this engine.
  const fallback = DEFAULTS[kernel].float64;
  return runsHere(fallback, dtype) ? fallback : 'ts';
}

function backendFor(kernel: KernelName, out: Floats): Backend {
  return BACKENDS[kernelBackend(kernel, out instanceof Float32Array ? 'float32' : 'float64')];
}

/** Batched out_i = op(A_i) op(B_i); see MatmulArgs. */
export function matmul(args: MatmulArgs): void {
  backendFor('matmul', args.out).matmul(args);
}

/**
 * PyTorch conv1d, no bias, no groups. x: [batch, inChannels, inLength],
 * w: [outChannels, inChannels, kernelSize], out: [batch, outChannels, outLength],
 * out[b,o,t] = sum_{i,j} w[o,i,j] * x[b,i, t*stride + j*dilation - padding] (zero outside).
 */
export function conv1d(x: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  backendFor('conv1d', out).conv1d(x, w, out, g);
}

/**
 * The adjoint in x: out[b,i,s] = sum_{o,j,t: t*stride + j*dilation - padding = s} dy[b,o,t] * w[o,i,j].
 * Exactly PyTorch's conv_transpose1d with weight [outChannels (its in), inChannels (its out), K].
 */
export function conv1dInputAdjoint(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  backendFor('conv1dInputAdjoint', out).conv1dInputAdjoint(dy, w, out, g);
}

/** The adjoint in w: out[o,i,j] = sum_{b,t} dy[b,o,t] * x[b,i, t*stride + j*dilation - padding]. */
export function conv1dWeightAdjoint(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): void {
  backendFor('conv1dWeightAdjoint', out).conv1dWeightAdjoint(x, dy, out, g);
}
