/**
 * gpu.js kernels (float32 only). On this Node install gpu.js finds no GL context and
 * runs its `webasm` backend: each kernel compiles to a WebAssembly module that computes
 * one output cell per thread, four neighbouring cells per f32x4 SIMD step, on the
 * calling thread (its worker-pool threads engage only under the async contract, which
 * our synchronous kernel API cannot use). With a GL context it would pick headless-gl.
 * In a browser build gpu.js is bundled (platform.browser.ts) and runs on the page's WebGL.
 *
 * Kernels bake every size into their code, so one is compiled per geometry and cached.
 * Each cell is a plain gather loop (the GPU shape of the algorithm), and each call
 * copies its inputs into the module's memory and its output back out.
 *
 * If gpu.js cannot be loaded, or a tiny probe kernel does not return the right
 * numbers, the backend reports itself unavailable (`gpuStatus().reason` says why) and
 * the dispatcher in index.ts never selects it.
 */
import { loadGpuJs } from './platform.js';
import type { Conv1dGeometry, MatmulArgs } from './types.js';

/** The slice of gpu.js's API used here (its own typings are looser than `strict` likes). */
interface GpuKernel {
  (...args: unknown[]): unknown;
  destroy?: () => void;
}
interface GpuInstance {
  mode: string;
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
}
interface GpuModule {
  GPU: new (settings?: Record<string, unknown>) => GpuInstance;
}

export interface GpuStatus {
  available: boolean;
  /** gpu.js backend actually running the kernels, e.g. 'webasm' or 'headlessgl' */
  mode: string | null;
  /** why it is unavailable, if it is */
  reason: string | null;
}

let gpu: GpuInstance | null = null;
let status: GpuStatus | null = null;
const cache = new Map<string, GpuKernel>();

/** Loads gpu.js lazily (it is large) and probes it once; later calls are free. */
export function gpuStatus(): GpuStatus {
  if (status !== null) return status;
  try {
    const mod = loadGpuJs() as GpuModule;
    gpu = new mod.GPU();
    const probe = gpu.createKernel('function(a) { return a[this.thread.x] * 2; }', { output: [4] });
    const r = probe(new Float32Array([1, 2, 3, 4])) as ArrayLike<number>;
    if (r[0] !== 2 || r[3] !== 8) throw new Error(`probe kernel returned ${Array.from(r).join(',')}`);
    status = { available: true, mode: gpu.mode, reason: null };
  } catch (e) {
    gpu = null;
    status = { available: false, mode: null, reason: e instanceof Error ? e.message : String(e) };
  }
  return status;
}

function kernelFor(key: string, source: string, cells: number, constants: Record<string, number>): GpuKernel {
  let kernel = cache.get(key);
  if (kernel === undefined) {
    if (!gpuStatus().available || gpu === null) throw new Error(`gpu backend unavailable: ${status?.reason}`);
    kernel = gpu.createKernel(source, { output: [cells], constants, loopMaxIterations: 1 << 30 });
    cache.set(key, kernel);
  }
  return kernel;
}

function copyOut(result: unknown, out: Float32Array): void {
  out.set(result as Float32Array);
}

// Thread x enumerates the output row-major; the index math is recomputed per cell.
const MATMUL_SOURCE = `function(a, b) {
  const x = this.thread.x;
  const item = Math.floor(x / this.constants.mn);
  const rem = x - item * this.constants.mn;
  const r = Math.floor(rem / this.constants.n);
  const c = rem - r * this.constants.n;
  let ai = item * this.constants.aBatch + r * this.constants.aRow;
  let bi = item * this.constants.bBatch + c * this.constants.bCol;
  let sum = 0;
  for (let p = 0; p < this.constants.k; p++) {
    sum += a[ai] * b[bi];
    ai += this.constants.aStep;
    bi += this.constants.bStep;
  }
  return sum;
}`;

export function matmulGpu(args: MatmulArgs): void {
  const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  const cells = batch * m * n;
  if (cells === 0) return;
  const constants = {
    mn: m * n, n, k,
    aBatch: aBatchStride, aRow: transA ? 1 : k, aStep: transA ? m : 1,
    bBatch: bBatchStride, bCol: transB ? k : 1, bStep: transB ? 1 : n,
  };
  const key = `matmul:${batch},${m},${n},${k},${transA},${transB},${aBatchStride},${bBatchStride},${args.a.length},${args.b.length}`;
  copyOut(kernelFor(key, MATMUL_SOURCE, cells, constants)(args.a, args.b), args.out as Float32Array);
}

function geometryKey(name: string, g: Conv1dGeometry): string {
  return `${name}:${g.batch},${g.inChannels},${g.outChannels},${g.inLength},${g.outLength},${g.kernelSize},${g.stride},${g.padding},${g.dilation}`;
}

function geometryConstants(g: Conv1dGeometry): Record<string, number> {
  return {
    I: g.inChannels, O: g.outChannels, L: g.inLength, T: g.outLength, K: g.kernelSize,
    stride: g.stride, padding: g.padding, dilation: g.dilation, B: g.batch,
  };
}

const CONV_SOURCE = `function(x, w) {
  const cell = this.thread.x;
  const t = cell % this.constants.T;
  const bo = Math.floor(cell / this.constants.T);
  const o = bo % this.constants.O;
  const b = Math.floor(bo / this.constants.O);
  let sum = 0;
  for (let i = 0; i < this.constants.I; i++) {
    for (let j = 0; j < this.constants.K; j++) {
      const s = t * this.constants.stride + j * this.constants.dilation - this.constants.padding;
      if (s >= 0 && s < this.constants.L) {
        sum += w[(o * this.constants.I + i) * this.constants.K + j] * x[(b * this.constants.I + i) * this.constants.L + s];
      }
    }
  }
  return sum;
}`;

export function conv1dGpu(x: Float32Array | Float64Array, w: Float32Array | Float64Array, out: Float32Array | Float64Array, g: Conv1dGeometry): void {
  const cells = g.batch * g.outChannels * g.outLength;
  if (cells === 0) return;
  copyOut(kernelFor(geometryKey('conv', g), CONV_SOURCE, cells, geometryConstants(g))(x, w), out as Float32Array);
}

const INPUT_ADJOINT_SOURCE = `function(dy, w) {
  const cell = this.thread.x;
  const s = cell % this.constants.L;
  const bi = Math.floor(cell / this.constants.L);
  const i = bi % this.constants.I;
  const b = Math.floor(bi / this.constants.I);
  let sum = 0;
  for (let o = 0; o < this.constants.O; o++) {
    for (let j = 0; j < this.constants.K; j++) {
      const num = s + this.constants.padding - j * this.constants.dilation;
      if (num >= 0 && num % this.constants.stride == 0) {
        const t = Math.floor(num / this.constants.stride);
        if (t < this.constants.T) {
          sum += dy[(b * this.constants.O + o) * this.constants.T + t] * w[(o * this.constants.I + i) * this.constants.K + j];
        }
      }
    }
  }
  return sum;
}`;

export function conv1dInputAdjointGpu(dy: Float32Array | Float64Array, w: Float32Array | Float64Array, out: Float32Array | Float64Array, g: Conv1dGeometry): void {
  const cells = g.batch * g.inChannels * g.inLength;
  if (cells === 0) return;
  copyOut(kernelFor(geometryKey('convIn', g), INPUT_ADJOINT_SOURCE, cells, geometryConstants(g))(dy, w), out as Float32Array);
}

const WEIGHT_ADJOINT_SOURCE = `function(x, dy) {
  const cell = this.thread.x;
  const j = cell % this.constants.K;
  const oi = Math.floor(cell / this.constants.K);
  const i = oi % this.constants.I;
  const o = Math.floor(oi / this.constants.I);
  let sum = 0;
  for (let b = 0; b < this.constants.B; b++) {
    for (let t = 0; t < this.constants.T; t++) {
      const s = t * this.constants.stride + j * this.constants.dilation - this.constants.padding;
      if (s >= 0 && s < this.constants.L) {
        sum += dy[(b * this.constants.O + o) * this.constants.T + t] * x[(b * this.constants.I + i) * this.constants.L + s];
      }
    }
  }
  return sum;
}`;

export function conv1dWeightAdjointGpu(x: Float32Array | Float64Array, dy: Float32Array | Float64Array, out: Float32Array | Float64Array, g: Conv1dGeometry): void {
  const cells = g.outChannels * g.inChannels * g.kernelSize;
  if (cells === 0) return;
  copyOut(kernelFor(geometryKey('convW', g), WEIGHT_ADJOINT_SOURCE, cells, geometryConstants(g))(x, dy), out as Float32Array);
}
