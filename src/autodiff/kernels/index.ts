/**
 * Compute kernels on raw typed arrays, with a backend chosen per kernel and dtype.
 *
 *   reference  plain loops, the readable definitions (reference.ts)         float64 + float32
 *   ts         packed, register-blocked plain TypeScript (gemm-core.ts)     float64 + float32
 *   gpu        gpu.js kernels, here its WebAssembly backend (gpu.ts)         float32 only
 *
 * Contract for every kernel: `out` is overwritten, never accumulated into; inputs and
 * `out` never alias; all arrays of a call share one dtype, which is the result dtype.
 * A float64 call never runs in float32: if the selected backend is float32-only, it
 * falls back to the default float64 backend, and kernelBackend(kernel, 'float64') says so.
 */
import { conv1dInputAdjointTs, conv1dTs, conv1dWeightAdjointTs } from './conv1d-ts.js';
import { conv1dGpu, conv1dInputAdjointGpu, conv1dWeightAdjointGpu, gpuStatus, matmulGpu } from './gpu.js';
import { matmulTs } from './matmul-ts.js';
import { conv1dInputAdjointThreads, conv1dThreads, conv1dWeightAdjointThreads, matmulThreads, threadCount } from './threads.js';
import {
  conv1dInputAdjointReference, conv1dReference, conv1dWeightAdjointReference, matmulReference,
} from './reference.js';
import type { BackendName, Conv1dGeometry, DType, Floats, KernelName, MatmulArgs } from './types.js';

export type { BackendName, Conv1dGeometry, DType, Floats, KernelName, MatmulArgs } from './types.js';
export { conv1dOutLength } from './types.js';
export { gpuStatus, type GpuStatus } from './gpu.js';
export { parallelCallCount, threadCount } from './threads.js';

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
 * Defaults, chosen by measurement with `npx tsx bench/kernels.ts` (2026-11-23, 2-core
 * AMD EPYC VM, Node 20.20, no GL so gpu.js runs `webasm`; medians, single thread):
 *
 *   matmul GFLOP/s        reference f64   ts f64   ts f32   gpu f32
 *     64^3                     0.97        4.69     4.59     2.38
 *     256^3 (all 4 trans)      ~1.0        5.1      5.1      2.0-2.5
 *     linear 64 x 64..256      ~1.0        4.7-4.9  4.6-4.8  1.8-2.3
 *
 *   conv ms, 14 U-Net shapes at batch 64, summed   reference f64   ts f64   ts f32   gpu f32
 *     conv1d                                              81           14.9     15.7    100
 *     conv1dInputAdjoint                                 114           15.5     15.8    128
 *     conv1dWeightAdjoint                                 95           15.2     15.4     89
 *   e.g. 24->24 L32 k5 forward: reference 14.9, ts 2.6, gpu 16.8 ms; up 24 L32 (ConvTranspose
 *   forward = input adjoint): reference 10.9, ts 1.18, gpu 15.7 ms.
 *
 * `ts` is fastest for every kernel, dtype and shape measured (gpu.js's webasm runs one
 * gather loop per output cell and pays a copy in and out per call), so it is the
 * default everywhere. The float64 entry must be float64-capable: it is also the
 * fallback when a float32-only backend is selected for a float64 call.
 */
const DEFAULTS: Record<KernelName, Record<DType, BackendName>> = {
  matmul: { float64: 'ts', float32: 'ts' },
  conv1d: { float64: 'ts', float32: 'ts' },
  conv1dInputAdjoint: { float64: 'ts', float32: 'ts' },
  conv1dWeightAdjoint: { float64: 'ts', float32: 'ts' },
};

const selected = new Map<KernelName, BackendName>();

/** Backends that can run here. `gpu` is listed only if gpu.js loads and passes a probe. */
export function availableBackends(): BackendName[] {
  const names: BackendName[] = ['reference', 'ts'];
  if (threadCount() > 0) names.push('threads');
  if (gpuStatus().available) names.push('gpu');
  return names;
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
  if (BACKENDS[choice].dtypes.includes(dtype) && availableBackends().includes(choice)) return choice;
  return DEFAULTS[kernel].float64;
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
