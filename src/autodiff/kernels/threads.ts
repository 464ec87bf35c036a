/**
 * The `threads` backend: the packed kernels (with the WebAssembly micro-kernel where it
 * runs) with the batch split between this thread and
 * worker threads (one per extra core). Our kernel API is synchronous, so the main thread
 * posts each worker its slice, computes its own, then blocks on `Atomics.wait` until the
 * workers raise their flags: worth it only for big calls (a message round trip costs about
 * 25 us), so small calls run on this thread alone.
 *
 * Worker slices travel through one SharedArrayBuffer: the worker's part of the inputs is
 * copied in, its part of the output copied out (a few hundred KiB for a U-Net layer, a
 * small fraction of the arithmetic). The weight adjoint sums over the batch, so each worker
 * returns a partial sum that this thread adds in. The split is fixed by the core count, so
 * results are reproducible on a given machine; the weight adjoint's summation order (and so
 * its last bits) differs from the single-threaded kernel.
 */
import { Worker, availableParallelism } from './platform.js';
import { conv1dInputAdjointTs, conv1dTs, conv1dWeightAdjointTs } from './conv1d-ts.js';
import { matmulTs } from './matmul-ts.js';
import { withMicroKernel } from './gemm-core.js';
import { wasmAvailable } from './wasm/runtime.js';
import type { Conv1dGeometry, Floats, MatmulArgs } from './types.js';
import type { ThreadJob } from './threads-worker.js';

/** Below this many multiply-adds a call stays on one thread. */
const MIN_PARALLEL_WORK = 1_500_000;
/** A worker that has not answered after this long is taken to be dead. */
const TIMEOUT_MS = 60_000;

interface Pool {
  workers: Worker[];
  flags: Int32Array;
  buffer: SharedArrayBuffer;
}

let pool: Pool | null = null;
let splitCalls = 0;

/** How many calls so far were actually split across threads (for tests and benchmarks). */
export function parallelCallCount(): number {
  return splitCalls;
}

const extraThreads = Math.max(0, availableParallelism() - 1);

/** Extra threads this machine offers (0 on one core: the backend is then unavailable). */
export function threadCount(): number {
  return extraThreads;
}

function getPool(bytes: number): Pool {
  if (pool === null) {
    const workers = Array.from({ length: threadCount() }, () => {
      const w = new Worker(new URL('./threads-entry.mjs', import.meta.url));
      w.unref(); // an idle kernel worker must not keep the process alive
      return w;
    });
    pool = { workers, flags: new Int32Array(new SharedArrayBuffer(4 * workers.length)), buffer: new SharedArrayBuffer(0) };
  }
  if (pool.buffer.byteLength < bytes) {
    pool.buffer = new SharedArrayBuffer(Math.max(bytes, 2 * pool.buffer.byteLength));
    for (const w of pool.workers) w.postMessage({ flags: pool.flags, buffer: pool.buffer });
  }
  return pool;
}

/** Shared-buffer layout of one worker's operands: [a | b | out], element offsets. */
interface Slice {
  a: Floats;
  b: Floats;
  outLength: number;
}

/**
 * Run `jobs` (one per worker) while this thread runs `own`; then copy each worker's output
 * out through `collect`.
 */
function runParallel(
  float32: boolean,
  slices: Slice[],
  describe: (i: number) => Omit<ThreadJob, 'a' | 'b' | 'out' | 'slot' | 'float32'>,
  own: () => void,
  collect: (i: number, result: Floats) => void,
): void {
  const total = slices.reduce((sum, s) => sum + s.a.length + s.b.length + s.outLength, 0);
  const p = getPool(total * (float32 ? 4 : 8));
  const shared: Floats = float32 ? new Float32Array(p.buffer, 0, total) : new Float64Array(p.buffer, 0, total);
  let offset = 0;
  const outViews: Floats[] = [];
  slices.forEach((s, i) => {
    const aAt = offset;
    const bAt = aAt + s.a.length;
    const outAt = bAt + s.b.length;
    shared.set(s.a, aAt);
    shared.set(s.b, bAt);
    outViews.push(shared.subarray(outAt, outAt + s.outLength));
    offset = outAt + s.outLength;
    Atomics.store(p.flags, i, 0);
    p.workers[i].postMessage({
      ...describe(i),
      float32,
      a: [aAt, s.a.length],
      b: [bAt, s.b.length],
      out: [outAt, s.outLength],
      slot: i,
    } satisfies ThreadJob);
  });
  own();
  splitCalls++;
  slices.forEach((_, i) => {
    if (Atomics.wait(p.flags, i, 0, TIMEOUT_MS) === 'timed-out' || p.flags[i] !== 1) {
      throw new Error(`threads backend: kernel worker ${i} failed or did not answer (see its error above)`);
    }
    collect(i, outViews[i]);
  });
}

/** Split [0, n) into `parts` contiguous ranges, the first for this thread. */
function ranges(n: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, i) => [Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)]);
}

function splits(batch: number, work: number): [number, number][] | null {
  const threads = threadCount();
  if (threads === 0 || batch < 2 || work < MIN_PARALLEL_WORK) return null;
  return ranges(batch, Math.min(batch, threads + 1));
}

function isFloat32(x: Floats): boolean {
  return x instanceof Float32Array;
}

type ConvKernel = (a: Floats, b: Floats, out: Floats, g: Conv1dGeometry) => void;

/**
 * conv1d and its input adjoint: batch items are independent, so each thread owns a range.
 * `inLen` and `outLen` are the sizes of one batch item of the operand and of the result.
 */
function batchSplitConv(kernel: 'conv1d' | 'conv1dInputAdjoint', run: ConvKernel, inLen: number, outLen: number) {
  return (a: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void => {
    const work = g.batch * g.outChannels * g.inChannels * g.kernelSize * g.outLength;
    const parts = splits(g.batch, work);
    if (parts === null) return run(a, w, out, g);
    const slices = parts.slice(1).map(([b0, b1]) => ({
      a: a.subarray(b0 * inLen, b1 * inLen),
      b: w,
      outLength: (b1 - b0) * outLen,
    }));
    const [[, ownEnd]] = parts;
    runParallel(
      isFloat32(out),
      slices,
      (i) => ({ kernel, geometry: { ...g, batch: parts[i + 1][1] - parts[i + 1][0] } }),
      () => run(a.subarray(0, ownEnd * inLen), w, out.subarray(0, ownEnd * outLen), { ...g, batch: ownEnd }),
      (i, result) => out.set(result, parts[i + 1][0] * outLen),
    );
  };
}

function conv1dThreadsUnwrapped(x: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  batchSplitConv('conv1d', conv1dTs, g.inChannels * g.inLength, g.outChannels * g.outLength)(x, w, out, g);
}

function conv1dInputAdjointThreadsUnwrapped(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  batchSplitConv('conv1dInputAdjoint', conv1dInputAdjointTs, g.outChannels * g.outLength, g.inChannels * g.inLength)(dy, w, out, g);
}

/** The weight adjoint sums over the batch: each thread sums its range, this one adds them up. */
function conv1dWeightAdjointThreadsUnwrapped(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): void {
  const work = g.batch * g.outChannels * g.inChannels * g.kernelSize * g.outLength;
  const parts = splits(g.batch, work);
  if (parts === null) return conv1dWeightAdjointTs(x, dy, out, g);
  const xItem = g.inChannels * g.inLength;
  const dyItem = g.outChannels * g.outLength;
  const slices = parts.slice(1).map(([b0, b1]) => ({
    a: x.subarray(b0 * xItem, b1 * xItem),
    b: dy.subarray(b0 * dyItem, b1 * dyItem),
    outLength: out.length,
  }));
  const [[, ownEnd]] = parts;
  runParallel(
    isFloat32(out),
    slices,
    (i) => ({ kernel: 'conv1dWeightAdjoint', geometry: { ...g, batch: parts[i + 1][1] - parts[i + 1][0] } }),
    () => conv1dWeightAdjointTs(x.subarray(0, ownEnd * xItem), dy.subarray(0, ownEnd * dyItem), out, { ...g, batch: ownEnd }),
    (_i, partial) => {
      for (let k = 0; k < out.length; k++) out[k] += partial[k];
    },
  );
}

/** Batched matmul split over the batch (a single product stays on one thread). */
function matmulThreadsUnwrapped(args: MatmulArgs): void {
  const { batch, m, n, k, aBatchStride, bBatchStride } = args;
  const parts = splits(batch, batch * m * n * k);
  if (parts === null) return matmulTs(args);
  const slice = (x: Floats, stride: number, b0: number, b1: number, size: number) =>
    stride === 0 ? x.subarray(0, size) : x.subarray(b0 * stride, (b1 - 1) * stride + size);
  const aSize = m * k;
  const bSize = k * n;
  const [[, ownEnd]] = parts;
  runParallel(
    isFloat32(args.out),
    parts.slice(1).map(([b0, b1]) => ({
      a: slice(args.a, aBatchStride, b0, b1, aSize),
      b: slice(args.b, bBatchStride, b0, b1, bSize),
      outLength: (b1 - b0) * m * n,
    })),
    (i) => ({
      kernel: 'matmul',
      matmul: { m, n, k, transA: args.transA, transB: args.transB, aBatchStride, bBatchStride, batch: parts[i + 1][1] - parts[i + 1][0] },
    }),
    () => matmulTs({ ...args, batch: ownEnd, out: args.out.subarray(0, ownEnd * m * n) }),
    (i, result) => args.out.set(result, parts[i + 1][0] * m * n),
  );
}

/** The fastest micro-kernel this thread can run, for its own share and for unsplit calls. */
const fastest = <A extends unknown[]>(f: (...args: A) => void) => (...args: A): void =>
  withMicroKernel(wasmAvailable() ? 'wasm' : 'js', () => f(...args));

export const conv1dThreads = fastest(conv1dThreadsUnwrapped);
export const conv1dInputAdjointThreads = fastest(conv1dInputAdjointThreadsUnwrapped);
export const conv1dWeightAdjointThreads = fastest(conv1dWeightAdjointThreadsUnwrapped);
export const matmulThreads = fastest(matmulThreadsUnwrapped);
