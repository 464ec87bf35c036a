/**
 * Shared argument types of the compute kernels. Kernels work on raw typed arrays
 * (no Tensor class) so that the autodiff core can call them on its own buffers.
 */

/** Every array of one kernel call has the same dtype; `out`'s dtype is the result dtype. */
export type Floats = Float64Array | Float32Array;

/**
 * Batched matrix product out_i = op(A_i) op(B_i), i < batch, all row-major.
 * `out` is overwritten (never accumulated into) and never aliases `a` or `b`.
 */
export interface MatmulArgs {
  a: Floats;
  b: Floats;
  /** length batch*m*n, row-major m x n per batch item */
  out: Floats;
  batch: number;
  m: number;
  n: number;
  k: number;
  /** false: A_i stored m x k row-major at a[i*aBatchStride ..]; true: stored k x m (use A^T) */
  transA: boolean;
  /** false: B_i stored k x n; true: stored n x k */
  transB: boolean;
  /** 0 broadcasts one matrix over the batch */
  aBatchStride: number;
  bBatchStride: number;
}

/**
 * PyTorch Conv1d geometry, no bias, no groups:
 * x: [batch, inChannels, inLength], w: [outChannels, inChannels, kernelSize],
 * y: [batch, outChannels, outLength].
 */
export interface Conv1dGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  inLength: number;
  outLength: number;
  kernelSize: number;
  stride: number;
  padding: number;
  dilation: number;
}

export type KernelName = 'matmul' | 'conv1d' | 'conv1dInputAdjoint' | 'conv1dWeightAdjoint';
export type BackendName = 'reference' | 'ts' | 'wasm' | 'threads' | 'gpu';
export type DType = 'float64' | 'float32';

/** PyTorch's output length for a Conv1d with this geometry (floor division). */
export function conv1dOutLength(inLength: number, kernelSize: number, stride = 1, padding = 0, dilation = 1): number {
  return Math.floor((inLength + 2 * padding - dilation * (kernelSize - 1) - 1) / stride) + 1;
}
