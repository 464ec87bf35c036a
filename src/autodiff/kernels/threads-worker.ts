/**
 * The worker side of the `threads` backend: wait for a job naming a kernel, a geometry and
 * where its operands lie in the shared buffer, run the `ts` kernel on that slice, and
 * raise the job's flag. Loaded by threads-entry.mjs (which teaches the worker TypeScript).
 */
import { parentPort } from 'node:worker_threads';
import { conv1dInputAdjointTs, conv1dTs, conv1dWeightAdjointTs } from './conv1d-ts.js';
import { matmulTs } from './matmul-ts.js';
import { withMicroKernel } from './gemm-core.js';
import { wasmAvailable } from './wasm/runtime.js';
import type { Conv1dGeometry, MatmulArgs } from './types.js';

export interface ThreadJob {
  kernel: 'matmul' | 'conv1d' | 'conv1dInputAdjoint' | 'conv1dWeightAdjoint';
  float32: boolean;
  /** Element offsets and lengths of the three operands (a, b, out) in the shared buffer. */
  a: [number, number];
  b: [number, number];
  out: [number, number];
  geometry?: Conv1dGeometry;
  matmul?: Omit<MatmulArgs, 'a' | 'b' | 'out'>;
  /** Which flag to raise: 1 when done, 2 on failure. */
  slot: number;
}

export interface ThreadInit {
  flags: Int32Array;
  buffer: SharedArrayBuffer;
}

export function serve(): void {
  let flags: Int32Array | null = null;
  let buffer: SharedArrayBuffer | null = null;
  parentPort!.on('message', (message: ThreadInit | ThreadJob) => {
    if ('buffer' in message) {
      ({ flags, buffer } = message);
      return;
    }
    const job = message;
    try {
      const view = ([offset, length]: [number, number]): Float32Array | Float64Array =>
        job.float32 ? new Float32Array(buffer!, offset * 4, length) : new Float64Array(buffer!, offset * 8, length);
      const [a, b, out] = [view(job.a), view(job.b), view(job.out)];
      withMicroKernel(wasmAvailable() ? 'wasm' : 'js', () => {
        if (job.kernel === 'matmul') matmulTs({ ...job.matmul!, a, b, out });
        else if (job.kernel === 'conv1d') conv1dTs(a, b, out, job.geometry!);
        else if (job.kernel === 'conv1dInputAdjoint') conv1dInputAdjointTs(a, b, out, job.geometry!);
        else conv1dWeightAdjointTs(a, b, out, job.geometry!);
      });
      Atomics.store(flags!, job.slot, 1);
    } catch (error) {
      console.error('kernel worker:', error);
      Atomics.store(flags!, job.slot, 2);
    }
    Atomics.notify(flags!, job.slot);
  });
}
