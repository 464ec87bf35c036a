/**
 * The kernels on gpu.js in this browser: which backend gpu.js picked (WebGL where the page
 * has a GL context, else its CPU fallback), and matmul and conv1d run through the engine
 * with the `gpu` kernels against the plain reference kernels, with their timings beside the
 * WebAssembly kernels the engine uses by default. Each case selects its backends, runs and
 * restores the defaults in one synchronous block, so no other code of the page ever runs on
 * a backend chosen here.
 */
import { type KernelName, Rng, type Tensor, availableBackends, conv1d, convert, matmul, setKernelBackend } from '../src/autodiff/index.js';
import { type BackendName, gpuStatus, resetKernelBackends } from '../src/autodiff/kernels/index.js';
import { GPU } from 'gpu.js';

interface Case {
  kernel: KernelName;
  shape: string;
  run: () => Tensor;
}

function cases(): Case[] {
  const rng = new Rng(2026);
  const f32 = (shape: number[]) => convert(rng.normal(shape), 'float32');
  const [a, b] = [f32([256, 256]), f32([256, 256])];
  const [x, w] = [f32([8, 32, 64]), f32([32, 32, 5])];
  return [
    { kernel: 'matmul', shape: '[256, 256] x [256, 256]', run: () => matmul(a, b) },
    { kernel: 'conv1d', shape: 'x [8, 32, 64], w [32, 32, 5], padding 2', run: () => conv1d(x, w, { padding: 2 }) },
  ];
}

/** Median milliseconds of `rounds` calls after one warm-up (which also compiles a gpu.js kernel). */
function time(run: () => Tensor, rounds = 5): { ms: number; result: number[] } {
  const result = run().toArray();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    run().toArray();
    ms.push(performance.now() - t0);
  }
  ms.sort((p, q) => p - q);
  return { ms: ms[rounds >> 1], result };
}

function on(kernel: KernelName, backend: BackendName, run: () => Tensor) {
  setKernelBackend(kernel, backend);
  try {
    return time(run);
  } finally {
    resetKernelBackends();
  }
}

export interface KernelRow {
  kernel: KernelName;
  relativeError: number | null;
  ms: Partial<Record<BackendName, number>>;
}

export async function runKernelPanel(): Promise<KernelRow[]> {
  const status = gpuStatus();
  const mode = document.getElementById('gpu-mode')!;
  mode.textContent = status.available ? String(status.mode) : 'unavailable';
  mode.dataset.mode = status.mode ?? 'unavailable';
  // gpu.js's mode 'gpu' means a WebGL kernel (WebGL2 where the browser has it); 'cpu' its JavaScript fallback.
  const gl = GPU.isWebGL2Supported ? 'WebGL2' : GPU.isWebGLSupported ? 'WebGL' : 'no WebGL';
  document.getElementById('gpu-reason')!.textContent = `(${gl} in this browser)${status.reason ? `: ${status.reason}` : ''}`;
  const table = document.getElementById('kernel-table') as HTMLTableElement;
  const rows: KernelRow[] = [];
  const backends = availableBackends();
  for (const c of cases()) {
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page paint between cases
    const reference = on(c.kernel, 'reference', c.run);
    const wasm = backends.includes('wasm') ? on(c.kernel, 'wasm', c.run) : null;
    const gpu = backends.includes('gpu') ? on(c.kernel, 'gpu', c.run) : null;
    const scale = Math.max(...reference.result.map(Math.abs));
    const relativeError = gpu === null ? null : Math.max(...gpu.result.map((v, i) => Math.abs(v - reference.result[i]))) / scale;
    const row: KernelRow = { kernel: c.kernel, relativeError, ms: { reference: reference.ms, ...(wasm ? { wasm: wasm.ms } : {}), ...(gpu ? { gpu: gpu.ms } : {}) } };
    rows.push(row);
    const tr = table.insertRow();
    tr.dataset.kernel = c.kernel;
    tr.dataset.relativeError = String(relativeError);
    const ms = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(2));
    for (const text of [c.kernel, c.shape, relativeError === null ? 'n/a' : relativeError.toExponential(2), ms(row.ms.reference), ms(row.ms.wasm), ms(row.ms.gpu)]) {
      tr.insertCell().textContent = text;
    }
  }
  const done = document.getElementById('kernel-status')!;
  done.dataset.state = 'done';
  done.textContent = 'Timings: median of 5 calls after a warm-up, in this browser on this machine.';
  return rows;
}
