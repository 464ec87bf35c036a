/**
 * Kernel benchmark: GFLOP/s of matmul and milliseconds per U-Net conv shape (batch 64)
 * for every available backend and dtype. Medians over several timed runs after warm-up.
 * `npx tsx bench/kernels.ts` prints tables and, as its last line, one JSON object.
 * The defaults in src/autodiff/kernels/index.ts were chosen from this output.
 */
import { pathToFileURL } from 'node:url';
import {
  type BackendName, type Conv1dGeometry, type DType, type Floats, type KernelName,
  availableBackends, conv1d, conv1dInputAdjoint, conv1dOutLength, conv1dWeightAdjoint, kernelBackend,
  matmul, resetKernelBackends, setKernelBackend,
} from '../src/autodiff/kernels/index.js';

const BATCH = 64;

function filled(len: number, dtype: DType, seed: number): Floats {
  const a = dtype === 'float64' ? new Float64Array(len) : new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = Math.sin(seed + i * 0.7);
  return a;
}

/** Median ms of `fn` over at least `minRuns` runs (and ~`budgetMs` of timing), after warm-up. */
function timeMs(fn: () => void, budgetMs = 120, minRuns = 5): number {
  // Warm-up: at least 2 calls and ~20 ms, so the JIT has optimized the hot loops.
  const t0 = performance.now();
  let calls = 0;
  while (calls < 2 || performance.now() - t0 < 20) {
    fn();
    calls++;
  }
  const once = Math.max((performance.now() - t0) / calls, 1e-3);
  const runs = Math.max(minRuns, Math.min(200, Math.round(budgetMs / once)));
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)]!;
}

/** Run with `backend` forced for `kernel`; returns null when it would not actually run there. */
function forced(kernel: KernelName, backend: BackendName, dtype: DType, fn: () => number): number | null {
  setKernelBackend(kernel, backend);
  try {
    return kernelBackend(kernel, dtype) === backend ? fn() : null;
  } finally {
    resetKernelBackends();
  }
}

interface Case { backend: BackendName; dtype: DType }
function cases(): Case[] {
  const out: Case[] = [];
  for (const backend of availableBackends()) {
    for (const dtype of ['float64', 'float32'] as const) {
      if (backend === 'gpu' && dtype === 'float64') continue;
      out.push({ backend, dtype });
    }
  }
  return out;
}
const label = (c: Case): string => `${c.backend}/${c.dtype === 'float64' ? 'f64' : 'f32'}`;

interface MatmulShape { name: string; m: number; n: number; k: number; transA: boolean; transB: boolean; batch: number }
const MATMULS: MatmulShape[] = [
  { name: '64^3', m: 64, n: 64, k: 64, transA: false, transB: false, batch: 1 },
  { name: '256^3', m: 256, n: 256, k: 256, transA: false, transB: false, batch: 1 },
  { name: '256^3 A B^T', m: 256, n: 256, k: 256, transA: false, transB: true, batch: 1 },
  { name: '256^3 A^T B', m: 256, n: 256, k: 256, transA: true, transB: false, batch: 1 },
  { name: '256^3 A^T B^T', m: 256, n: 256, k: 256, transA: true, transB: true, batch: 1 },
  { name: 'linear 64x64->256', m: 64, n: 256, k: 64, transA: false, transB: true, batch: 1 },
  { name: 'linear 64x256->64', m: 64, n: 64, k: 256, transA: false, transB: true, batch: 1 },
  { name: 'linear dW 256x64 (A^T B)', m: 256, n: 64, k: 64, transA: true, transB: false, batch: 1 },
];

function benchMatmul(shape: MatmulShape, c: Case): number | null {
  const { m, n, k, batch, transA, transB } = shape;
  const a = filled(batch * m * k, c.dtype, 1);
  const b = filled(batch * k * n, c.dtype, 2);
  const out = c.dtype === 'float64' ? new Float64Array(batch * m * n) : new Float32Array(batch * m * n);
  const args = { a, b, out, batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n };
  const ms = forced('matmul', c.backend, c.dtype, () =>
    timeMs(() => matmul(args), c.backend === 'reference' ? 60 : 120, c.backend === 'reference' ? 3 : 5));
  return ms === null ? null : (2 * batch * m * n * k) / (ms * 1e6);
}

interface ConvShape { name: string; g: Conv1dGeometry }
function conv(I: number, O: number, L: number, K: number, stride: number, padding: number, tag = ''): ConvShape {
  const g: Conv1dGeometry = {
    batch: BATCH, inChannels: I, outChannels: O, inLength: L, kernelSize: K, stride, padding, dilation: 1,
    outLength: conv1dOutLength(L, K, stride, padding),
  };
  return { name: `${tag}${I}->${O} L${L} k${K}${stride > 1 ? ' s' + stride : ''}`, g };
}
/** DESIGN.md section 5 U-Net: down dims [24, 24, 32, 32], kernel 5, T_h = 32, action dim 1. */
const CONVS: ConvShape[] = [
  conv(1, 24, 32, 5, 1, 2), conv(24, 24, 32, 5, 1, 2), conv(24, 24, 16, 5, 1, 2), conv(24, 32, 8, 5, 1, 2),
  conv(32, 32, 8, 5, 1, 2), conv(32, 32, 4, 5, 1, 2), conv(64, 32, 8, 5, 1, 2), conv(48, 24, 16, 5, 1, 2),
  conv(24, 1, 32, 5, 1, 2), conv(24, 1, 32, 1, 1, 0),
  conv(24, 24, 32, 3, 2, 1, 'down '), conv(32, 32, 8, 3, 2, 1, 'down '),
  // ConvTranspose1d(C, C, 4, 2, 1) from length L to 2L is conv1dInputAdjoint of this geometry.
  conv(32, 32, 8, 4, 2, 1, 'up '), conv(24, 24, 32, 4, 2, 1, 'up '),
];
const CONV_KERNELS = ['conv1d', 'conv1dInputAdjoint', 'conv1dWeightAdjoint'] as const;

function benchConv(shape: ConvShape, kernel: (typeof CONV_KERNELS)[number], c: Case): number | null {
  const { g } = shape;
  const x = filled(g.batch * g.inChannels * g.inLength, c.dtype, 1);
  const w = filled(g.outChannels * g.inChannels * g.kernelSize, c.dtype, 2);
  const dy = filled(g.batch * g.outChannels * g.outLength, c.dtype, 3);
  const make = (len: number): Floats => (c.dtype === 'float64' ? new Float64Array(len) : new Float32Array(len));
  const run =
    kernel === 'conv1d' ? ((o: Floats) => () => conv1d(x, w, o, g))(make(dy.length))
    : kernel === 'conv1dInputAdjoint' ? ((o: Floats) => () => conv1dInputAdjoint(dy, w, o, g))(make(x.length))
    : ((o: Floats) => () => conv1dWeightAdjoint(x, dy, o, g))(make(w.length));
  const ref = c.backend === 'reference';
  return forced(kernel, c.backend, c.dtype, () => timeMs(run, ref ? 30 : 80, ref ? 3 : 5));
}

const fmt = (v: number | null, digits: number): string => (v === null ? '-' : v.toFixed(digits));
const pad = (s: string, n: number): string => s.padEnd(n);

export async function benchKernels(): Promise<Record<string, unknown>> {
  const cs = cases();
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    backends: availableBackends(),
  };

  const matmulGflops: Record<string, Record<string, number | null>> = {};
  console.log(`\nmatmul GFLOP/s (single call, batch 1)\n${pad('shape', 26)}${cs.map(c => pad(label(c), 14)).join('')}`);
  for (const shape of MATMULS) {
    const row: Record<string, number | null> = {};
    for (const c of cs) row[label(c)] = benchMatmul(shape, c);
    matmulGflops[shape.name] = row;
    console.log(pad(shape.name, 26) + cs.map(c => pad(fmt(row[label(c)]!, 2), 14)).join(''));
  }
  result.matmulGflops = matmulGflops;

  const convMs: Record<string, Record<string, Record<string, number | null>>> = {};
  const totals: Record<string, Record<string, number>> = {};
  for (const kernel of CONV_KERNELS) {
    convMs[kernel] = {};
    totals[kernel] = {};
    console.log(`\n${kernel} ms at batch ${BATCH}\n${pad('shape', 26)}${cs.map(c => pad(label(c), 14)).join('')}`);
    for (const shape of CONVS) {
      const row: Record<string, number | null> = {};
      for (const c of cs) {
        const ms = benchConv(shape, kernel, c);
        row[label(c)] = ms;
        if (ms !== null) totals[kernel]![label(c)] = (totals[kernel]![label(c)] ?? 0) + ms;
      }
      convMs[kernel]![shape.name] = row;
      console.log(pad(shape.name, 26) + cs.map(c => pad(fmt(row[label(c)]!, 3), 14)).join(''));
    }
    console.log(pad('total', 26) + cs.map(c => pad(fmt(totals[kernel]![label(c)] ?? null, 2), 14)).join(''));
  }
  result.convMs = convMs;
  result.convTotalMs = totals;
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  const result = await benchKernels();
  console.log(`\nbench took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(result));
}
