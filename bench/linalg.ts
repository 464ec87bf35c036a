/**
 * Benchmark of the solvers' small dense linear algebra (src/linalg), n = 1..12.
 *
 * For each n: nanoseconds per
 *   - chol+solve : copy an SPD matrix into the work array, Cholesky-factor it in place,
 *                  solve one right-hand side (the copy of A and of b is counted: that is
 *                  what a regularization loop or a Riccati step pays);
 *   - matmul     : C = A B, n x n;
 *   - ldlt+solve, lu+solve : the same protocol with the Bunch-Kaufman and LU workspaces;
 *   - projectPsd : eigen-decomposition and PSD projection of a symmetric indefinite matrix.
 * Medians over RUNS timed runs after warm-up, each run sized to take ~TARGET_MS.
 * Allocation check: with the GC exposed, run the Cholesky and matmul loops 200k times and
 * report heap growth per iteration and whether any GC happened (both should be zero).
 *
 * Run directly: `npx tsx bench/linalg.ts` prints the table, then one JSON line.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  choleskyInPlace,
  choleskySolveInPlace,
  EigenWorkspace,
  LdltFactorization,
  LuFactorization,
  Matrix,
  mul,
  projectPsdInto,
} from '../src/linalg/index.js';

const RUNS = 9;
const TARGET_MS = 4;
const TARGET_CHOL6_NS = 300;

/** Deterministic fill (LCG), so the benchmark inputs are the same on every run. */
function filler(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function spd(n: number): Matrix {
  const r = filler(n * 7 + 1);
  const B = new Matrix(n, n);
  for (let i = 0; i < n * n; i++) B.data[i] = r();
  const A = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += B.data[i * n + k]! * B.data[j * n + k]!;
      A.data[i * n + j] = s;
    }
  }
  return A;
}

function general(n: number, seed: number): Matrix {
  const r = filler(seed);
  const A = new Matrix(n, n);
  for (let i = 0; i < n * n; i++) A.data[i] = r();
  for (let i = 0; i < n; i++) A.data[i * n + i] += 2;
  return A;
}

function symmetricIndefinite(n: number): Matrix {
  const A = general(n, n * 13 + 5);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) A.data[j * n + i] = A.data[i * n + j]!;
    A.data[i * n + i] = i % 2 === 0 ? 1 + A.data[i * n + i]! : -1 - A.data[i * n + i]!;
  }
  return A;
}

/** Results are summed here so the JIT cannot drop the work; a typed-array slot, not a `let`, so
 * that storing a double does not box it (which would allocate 16 bytes per iteration). */
const sink = new Float64Array(1);

/** Median ns per call of `body(iters)` (which runs the kernel `iters` times). */
function measure(body: (iters: number) => void): number {
  // Calibrate: grow the iteration count until one run takes ~TARGET_MS (also warms up the JIT).
  let iters = 64;
  for (;;) {
    const t0 = performance.now();
    body(iters);
    const ms = performance.now() - t0;
    if (ms >= TARGET_MS / 4) {
      iters = Math.max(1, Math.round((iters * TARGET_MS) / ms));
      break;
    }
    iters *= 4;
  }
  body(iters); // warm-up at the final size
  const ns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    body(iters);
    ns.push(Number(process.hrtime.bigint() - t0) / iters);
  }
  ns.sort((a, b) => a - b);
  return ns[(RUNS - 1) >> 1]!;
}

interface Kernels {
  chol: (iters: number) => void;
  matmul: (iters: number) => void;
  ldlt: (iters: number) => void;
  lu: (iters: number) => void;
  psd: (iters: number) => void;
}

function kernels(n: number): Kernels {
  const A = spd(n);
  const W = new Matrix(n, n);
  const b = new Float64Array(n).map((_, i) => 1 + i);
  const x = new Float64Array(n);
  const B = general(n, n * 3 + 2);
  const C = new Matrix(n, n);
  const G = general(n, n * 5 + 3);
  const S = symmetricIndefinite(n);
  const ldl = new LdltFactorization(n);
  const lu = new LuFactorization(n);
  const ws = new EigenWorkspace(n);
  const P = new Matrix(n, n);
  return {
    chol: (iters) => {
      for (let it = 0; it < iters; it++) {
        W.data.set(A.data);
        x.set(b);
        choleskyInPlace(W);
        choleskySolveInPlace(W, x);
        sink[0] += x[0]!;
      }
    },
    matmul: (iters) => {
      for (let it = 0; it < iters; it++) {
        mul(C, A, B);
        sink[0] += C.data[0]!;
      }
    },
    ldlt: (iters) => {
      for (let it = 0; it < iters; it++) {
        x.set(b);
        ldl.factor(S).solveInPlace(x);
        sink[0] += x[0]!;
      }
    },
    lu: (iters) => {
      for (let it = 0; it < iters; it++) {
        x.set(b);
        lu.factor(G).solveInPlace(x);
        sink[0] += x[0]!;
      }
    },
    psd: (iters) => {
      for (let it = 0; it < iters; it++) {
        projectPsdInto(P, S, ws);
        sink[0] += P.data[0]!;
      }
    },
  };
}

/** The V8 `gc` function, exposed at run time (no command-line flag needed). */
function getGc(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

interface AllocationCheck {
  iterations: number;
  /** Heap growth per extra iteration between a run of N and one of 4N (fixed costs cancel). */
  marginalBytesPerIteration: number;
  gcDuringLoop: number;
  allocationFree: boolean;
}

/** Heap growth over one run of `iters` iterations, and the number of GCs it triggered. */
async function heapGrowth(body: (iters: number) => void, gc: () => void, iters: number): Promise<[number, number]> {
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  gc();
  await new Promise((r) => setImmediate(r));
  obs.observe({ entryTypes: ['gc'] });
  const h0 = process.memoryUsage().heapUsed;
  body(iters);
  const h1 = process.memoryUsage().heapUsed;
  await new Promise((r) => setImmediate(r));
  obs.disconnect();
  return [h1 - h0, gcs];
}

/**
 * Run the loop N and 4N times with the GC exposed: any per-iteration allocation of even
 * one small object (16 bytes or more) shows as >= 16 bytes per extra iteration, and would
 * trigger scavenges; one-off costs (code tier-up, the observer) cancel in the difference.
 */
async function allocationCheck(body: (iters: number) => void, gc: (() => void) | null): Promise<AllocationCheck | null> {
  if (gc === null) return null;
  const n = 100_000;
  body(50_000); // finish JIT tier-up before measuring
  const [d1, g1] = await heapGrowth(body, gc, n);
  const [d4, g4] = await heapGrowth(body, gc, 4 * n);
  const marginal = (d4 - d1) / (3 * n);
  return { iterations: 5 * n, marginalBytesPerIteration: marginal, gcDuringLoop: g1 + g4, allocationFree: g1 + g4 === 0 && marginal < 1 };
}

export async function benchLinalg(): Promise<Record<string, unknown>> {
  const sizes = Array.from({ length: 12 }, (_, i) => i + 1);
  const cols = ['chol+solve', 'matmul', 'ldlt+solve', 'lu+solve', 'projectPsd'] as const;
  const table: Record<string, Record<string, number>> = {};
  const pad = (s: string, w: number) => s.padStart(w);
  console.log('linalg: ns per call (median of ' + RUNS + ' runs), n x n, float64');
  console.log(pad('n', 3) + cols.map((c) => pad(c, 13)).join(''));
  for (const n of sizes) {
    const k = kernels(n);
    const row: Record<string, number> = {
      'chol+solve': measure(k.chol),
      matmul: measure(k.matmul),
      'ldlt+solve': measure(k.ldlt),
      'lu+solve': measure(k.lu),
      projectPsd: measure(k.psd),
    };
    table[String(n)] = row;
    console.log(pad(String(n), 3) + cols.map((c) => pad(row[c]!.toFixed(0), 13)).join(''));
  }
  const chol6 = table['6']!['chol+solve']!;
  console.log(`target: n = 6 Cholesky + solve <= ${TARGET_CHOL6_NS} ns: ${chol6.toFixed(0)} ns (${chol6 <= TARGET_CHOL6_NS ? 'met' : 'MISSED'})`);

  const gc = getGc();
  const k6 = kernels(6);
  const k12 = kernels(12);
  const allocation = {
    'chol+solve n=6': await allocationCheck(k6.chol, gc),
    'matmul n=6': await allocationCheck(k6.matmul, gc),
    'chol+solve n=12': await allocationCheck(k12.chol, gc),
    'ldlt+solve n=12': await allocationCheck(k12.ldlt, gc),
    'lu+solve n=12': await allocationCheck(k12.lu, gc),
  };
  for (const [name, a] of Object.entries(allocation)) {
    console.log(
      a === null
        ? `allocation check ${name}: gc not available`
        : `allocation check ${name}: ${a.marginalBytesPerIteration.toFixed(3)} bytes per extra iteration, ` +
            `${a.gcDuringLoop} GCs -> ${a.allocationFree ? 'allocation-free' : 'ALLOCATES'}`,
    );
  }
  if (sink[0] === 0.123456789) console.log(''); // keep results observable
  return {
    unit: 'ns per call, median',
    runs: RUNS,
    nsPerCall: table,
    target: { what: 'n = 6 Cholesky + solve', maxNs: TARGET_CHOL6_NS, measuredNs: chol6, met: chol6 <= TARGET_CHOL6_NS },
    allocation,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  const result = await benchLinalg();
  console.log(`\nbench took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(result));
}
