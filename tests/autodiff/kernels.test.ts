/**
 * Pins every fast kernel backend to the reference loops with seeded fast-check
 * properties, and checks the two adjoint identities of conv1d on the reference.
 * A failure prints the seed; rerun with the same SEED to reproduce it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BackendName, type Conv1dGeometry, type Floats, type KernelName, type MatmulArgs,
  availableBackends, parallelCallCount, windowCallCount, conv1d, conv1dInputAdjoint, conv1dOutLength, conv1dWeightAdjoint, kernelBackend,
  matmul, resetKernelBackends, setKernelBackend,
} from '../../src/autodiff/kernels/index.js';
import { conv1dWeightAdjointTs } from '../../src/autodiff/kernels/conv1d-ts.js';
import { withMicroKernel } from '../../src/autodiff/kernels/gemm-core.js';
import {
  conv1dInputAdjointReference, conv1dReference, conv1dWeightAdjointReference, matmulReference,
} from '../../src/autodiff/kernels/reference.js';
import { randomArray } from './random-arrays.js';

const SEED = 20240611;
const NUM_RUNS = 60;
const params = { seed: SEED, numRuns: NUM_RUNS };

type DType = 'float64' | 'float32';
const KERNELS: KernelName[] = ['matmul', 'conv1d', 'conv1dInputAdjoint', 'conv1dWeightAdjoint'];

function toF64(a: Floats): Float64Array {
  return Float64Array.from(a);
}

/**
 * |got - want| <= tol * scale elementwise, where scale is the sum of |terms| of that
 * output (computed by running the reference on |inputs|), so cancellation cannot hide
 * a wrong answer nor fail a right one.
 */
function expectClose(got: Floats, want: Float64Array, scale: Float64Array, tol: number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= tol * (scale[i]! + 1e-300))) {
      throw new Error(`${what}: element ${i} got ${got[i]} want ${want[i]} (err ${err}, scale ${scale[i]}, seed ${SEED})`);
    }
  }
}

const abs64 = (a: Floats): Float64Array => Float64Array.from(a, Math.abs);

/** Run `fn` with `backend` selected for `kernel`, restoring the defaults afterwards. */
function withBackend<T>(kernel: KernelName, backend: BackendName, fn: () => T): T {
  setKernelBackend(kernel, backend);
  try {
    return fn();
  } finally {
    resetKernelBackends();
  }
}

const fastBackends = availableBackends().filter(b => b !== 'reference');
const cases: [BackendName, DType][] = [];
for (const b of fastBackends) {
  if (b !== 'gpu') cases.push([b, 'float64']);
  cases.push([b, 'float32']);
}
/** float32: ~16x the worst-case rounding bound k * 2^-24 of a k-term float32 sum. */
const tolerance = (dtype: DType, k: number): number => (dtype === 'float64' ? 1e-12 : 1e-6 * (k + 4));

const matmulArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  m: fc.integer({ min: 1, max: 13 }),
  n: fc.integer({ min: 1, max: 13 }),
  k: fc.oneof(fc.integer({ min: 1, max: 17 }), fc.integer({ min: 250, max: 300 })),
  transA: fc.boolean(),
  transB: fc.boolean(),
  broadcastA: fc.boolean(),
  broadcastB: fc.boolean(),
  seed: fc.integer(),
});

const convArb = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    inChannels: fc.integer({ min: 1, max: 7 }),
    outChannels: fc.integer({ min: 1, max: 7 }),
    inLength: fc.integer({ min: 1, max: 19 }),
    kernelSize: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 1, max: 3 }),
    padding: fc.integer({ min: 0, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer(),
  })
  .map(r => ({ ...r, outLength: conv1dOutLength(r.inLength, r.kernelSize, r.stride, r.padding, r.dilation) }))
  .filter(r => r.outLength >= 1);

describe(`kernels match the reference (fast-check seed ${SEED})`, () => {
  it('lists the backends that run here', () => {
    expect(availableBackends()).toEqual(expect.arrayContaining(['reference', 'ts']));
  });

  for (const [backend, dtype] of cases) {
    it(`matmul ${backend} ${dtype}`, () => {
      fc.assert(
        fc.property(matmulArb, r => {
          const { batch, m, n, k, transA, transB } = r;
          const aBatchStride = r.broadcastA ? 0 : m * k;
          const bBatchStride = r.broadcastB ? 0 : k * n;
          const a = randomArray(r.broadcastA ? m * k : batch * m * k, r.seed, dtype);
          const b = randomArray(r.broadcastB ? k * n : batch * k * n, r.seed + 1, dtype);
          const args = (x: Floats, y: Floats, out: Floats): MatmulArgs =>
            ({ a: x, b: y, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride });
          const want = new Float64Array(batch * m * n);
          matmulReference(args(toF64(a), toF64(b), want));
          const scale = new Float64Array(batch * m * n);
          matmulReference(args(abs64(a), abs64(b), scale));
          const got = dtype === 'float64' ? new Float64Array(batch * m * n).fill(NaN) : new Float32Array(batch * m * n).fill(NaN);
          withBackend('matmul', backend, () => matmul(args(a, b, got)));
          expectClose(got, want, scale, tolerance(dtype, k), `matmul ${JSON.stringify(r)}`);
        }),
        params,
      );
    });

    it(`conv1d and both adjoints ${backend} ${dtype}`, () => {
      const windowBefore = windowCallCount();
      fc.assert(
        fc.property(convArb, r => {
          const g: Conv1dGeometry = r;
          const { batch: B, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K } = g;
          const x = randomArray(B * I * L, r.seed, dtype);
          const w = randomArray(O * I * K, r.seed + 1, dtype);
          const dy = randomArray(B * O * T, r.seed + 2, dtype);
          const make = (len: number): Floats => (dtype === 'float64' ? new Float64Array(len) : new Float32Array(len)).fill(NaN);
          const what = `${JSON.stringify(r)}`;

          let want = new Float64Array(B * O * T), scale = new Float64Array(B * O * T);
          conv1dReference(toF64(x), toF64(w), want, g);
          conv1dReference(abs64(x), abs64(w), scale, g);
          let got = make(B * O * T);
          withBackend('conv1d', backend, () => conv1d(x, w, got, g));
          expectClose(got, want, scale, tolerance(dtype, I * K), `conv1d ${what}`);

          want = new Float64Array(B * I * L); scale = new Float64Array(B * I * L);
          conv1dInputAdjointReference(toF64(dy), toF64(w), want, g);
          conv1dInputAdjointReference(abs64(dy), abs64(w), scale, g);
          got = make(B * I * L);
          withBackend('conv1dInputAdjoint', backend, () => conv1dInputAdjoint(dy, w, got, g));
          expectClose(got, want, scale, tolerance(dtype, O * K), `conv1dInputAdjoint ${what}`);

          want = new Float64Array(O * I * K); scale = new Float64Array(O * I * K);
          conv1dWeightAdjointReference(toF64(x), toF64(dy), want, g);
          conv1dWeightAdjointReference(abs64(x), abs64(dy), scale, g);
          got = make(O * I * K);
          withBackend('conv1dWeightAdjoint', backend, () => conv1dWeightAdjoint(x, dy, got, g));
          expectClose(got, want, scale, tolerance(dtype, B * T), `conv1dWeightAdjoint ${what}`);
        }),
        params,
      );
      // wasm runs stride-1 convs and every input adjoint with >= 4 rows on the window kernel
      // (conv1d-window.ts): the draws above must have reached it, or they checked only the fallback.
      if (backend === 'wasm') expect(windowCallCount()).toBeGreaterThan(windowBefore);
    });
  }

  // The threads backend only splits calls with enough work, hence the larger batch for it.
  for (const [backend, B] of [['ts', 3], ['wasm', 3], ['threads', 48]] as const) {
  it(`${backend} conv kernels match the reference on the U-Net shapes (float64, batch ${B})`, () => {
    if (!availableBackends().includes(backend)) return;
    const splitBefore = parallelCallCount();
    const shapes: [number, number, number, number, number, number][] = [
      // [in, out, length, kernel, stride, padding]
      [1, 24, 32, 5, 1, 2], [24, 24, 32, 5, 1, 2], [24, 32, 8, 5, 1, 2], [64, 32, 8, 5, 1, 2],
      [24, 24, 32, 3, 2, 1], [32, 32, 8, 3, 2, 1], [24, 24, 16, 4, 2, 1], [24, 1, 32, 1, 1, 0],
    ];
    for (const [I, O, L, K, stride, padding] of shapes) {
      const g: Conv1dGeometry = {
        batch: B, inChannels: I, outChannels: O, inLength: L, kernelSize: K, stride, padding, dilation: 1,
        outLength: conv1dOutLength(L, K, stride, padding),
      };
      const x = randomArray(B * I * L, I + O, 'float64');
      const w = randomArray(O * I * K, L, 'float64');
      const dy = randomArray(B * O * g.outLength, K, 'float64');
      const pairs: [(o: Float64Array) => void, (o: Float64Array) => void, number, number][] = [
        [o => conv1dReference(x, w, o, g), o => withBackend('conv1d', backend, () => conv1d(x, w, o, g)), B * O * g.outLength, I * K],
        [o => conv1dInputAdjointReference(dy, w, o, g), o => withBackend('conv1dInputAdjoint', backend, () => conv1dInputAdjoint(dy, w, o, g)), B * I * L, O * K],
        [o => conv1dWeightAdjointReference(x, dy, o, g), o => withBackend('conv1dWeightAdjoint', backend, () => conv1dWeightAdjoint(x, dy, o, g)), O * I * K, B * g.outLength],
      ];
      for (const [ref, fast, len, terms] of pairs) {
        const want = new Float64Array(len), got = new Float64Array(len);
        ref(want);
        fast(got);
        // Reassociated float64 sums of `terms` products: error below terms * eps relative to their size.
        for (let i = 0; i < len; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(want[i]!)) * terms);
      }
    }
    // The threads backend must really have split the big calls, or this test checks nothing new.
    if (backend === 'threads') expect(parallelCallCount()).toBeGreaterThan(splitBefore);
  });
  }

  // The window kernels (conv1d-window.ts) sum each output in the packed path's order, so the
  // forward conv and the input adjoint are identical too. The wgrad kernels sum even and odd
  // positions apart, so the weight adjoint is pinned to the reference instead (next test).
  it(`the WebAssembly micro-kernels reproduce the JavaScript ones bit for bit (seed ${SEED})`, () => {
    if (!availableBackends().includes('wasm')) return;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), (batch, I, O, L, stride, K) => {
          const g: Conv1dGeometry = {
            batch, inChannels: I, outChannels: O, inLength: L, kernelSize: K, stride, padding: 1, dilation: 1,
            outLength: conv1dOutLength(L, K, stride, 1),
          };
          if (g.outLength < 1) return;
          const x = randomArray(batch * I * L, I + L, 'float64');
          const w = randomArray(O * I * K, O + K, 'float64');
          const dy = randomArray(batch * O * g.outLength, L + K, 'float64');
          const runs: [KernelName, (o: Float64Array) => void, number][] = [
            ['conv1d', (o) => conv1d(x, w, o, g), batch * O * g.outLength],
            ['conv1dInputAdjoint', (o) => conv1dInputAdjoint(dy, w, o, g), batch * I * L],
          ];
          for (const [kernel, run, len] of runs) {
            const js = new Float64Array(len), simd = new Float64Array(len);
            withBackend(kernel, 'ts', () => run(js));
            withBackend(kernel, 'wasm', () => run(simd));
            expect(Array.from(simd)).toEqual(Array.from(js));
          }
          // The packed path itself with either micro-kernel (the wasm backend's fallback, and
          // what it runs for every weight adjoint the wgrad kernels do not take).
          const js = new Float64Array(O * I * K), simd = new Float64Array(O * I * K);
          withMicroKernel('js', () => conv1dWeightAdjointTs(x, dy, js, g));
          withMicroKernel('wasm', () => conv1dWeightAdjointTs(x, dy, simd, g));
          expect(Array.from(simd)).toEqual(Array.from(js));
        }),
      params,
    );
  });

  it(`wasm weight adjoint on the wgrad kernels (rows >= 16 or 4 in float32, even channels) matches the reference (seed ${SEED})`, () => {
    if (!availableBackends().includes('wasm')) return;
    const before = windowCallCount();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 16, max: 40 }),
        fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 4 }), fc.constantFrom<DType>('float64', 'float32'),
        (batch, I, pairs, L, K, padding, dtype) => {
          const O = 2 * pairs;
          const g: Conv1dGeometry = {
            batch, inChannels: I, outChannels: O, inLength: L, kernelSize: K, stride: 1, padding, dilation: 1,
            outLength: conv1dOutLength(L, K, 1, padding),
          };
          const x = randomArray(batch * I * L, I + L, dtype);
          const dy = randomArray(batch * O * g.outLength, O + K, dtype);
          const want = new Float64Array(O * I * K), scale = new Float64Array(O * I * K);
          conv1dWeightAdjointReference(toF64(x), toF64(dy), want, g);
          conv1dWeightAdjointReference(abs64(x), abs64(dy), scale, g);
          const got = dtype === 'float64' ? new Float64Array(O * I * K) : new Float32Array(O * I * K);
          withBackend('conv1dWeightAdjoint', 'wasm', () => conv1dWeightAdjoint(x, dy, got, g));
          expectClose(got, want, scale, tolerance(dtype, batch * g.outLength), `wgrad ${JSON.stringify(g)}`);
        }),
      params,
    );
    expect(windowCallCount()).toBeGreaterThan(before);
  });

  it('threads matmul matches the reference on a batch big enough to split', () => {
    if (!availableBackends().includes('threads')) return;
    const [batch, m, n, k] = [4, 128, 96, 80];
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const [aStride, bStride] of [[m * k, k * n], [0, k * n], [m * k, 0]] as const) {
        const a = randomArray(aStride === 0 ? m * k : batch * m * k, 1, 'float64');
        const b = randomArray(bStride === 0 ? k * n : batch * k * n, 2, 'float64');
        const args = { a, b, batch, m, n, k, transA, transB, aBatchStride: aStride, bBatchStride: bStride };
        const want = new Float64Array(batch * m * n), got = new Float64Array(batch * m * n);
        matmulReference({ ...args, out: want });
        const splitBefore = parallelCallCount();
        withBackend('matmul', 'threads', () => matmul({ ...args, out: got }));
        expect(parallelCallCount()).toBe(splitBefore + 1);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(want[i]!)) * k);
      }
    }
  });
});

describe(`conv1d adjoint identities on the reference (fast-check seed ${SEED})`, () => {
  it('<dy, conv1d(x, w)> = <conv1dInputAdjoint(dy, w), x> = <conv1dWeightAdjoint(x, dy), w>', () => {
    const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
    fc.assert(
      fc.property(convArb, r => {
        const g: Conv1dGeometry = r;
        const { batch: B, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K } = g;
        const x = randomArray(B * I * L, r.seed, 'float64') as Float64Array;
        const w = randomArray(O * I * K, r.seed + 1, 'float64') as Float64Array;
        const dy = randomArray(B * O * T, r.seed + 2, 'float64') as Float64Array;
        const y = new Float64Array(B * O * T);
        const dx = new Float64Array(B * I * L);
        const dw = new Float64Array(O * I * K);
        conv1dReference(x, w, y, g);
        conv1dInputAdjointReference(dy, w, dx, g);
        conv1dWeightAdjointReference(x, dy, dw, g);
        const lhs = dot(dy, y);
        const tol = 1e-12 * (1 + B * O * T * I * K);
        expect(Math.abs(dot(dx, x) - lhs)).toBeLessThan(tol);
        expect(Math.abs(dot(dw, w) - lhs)).toBeLessThan(tol);
      }),
      params,
    );
  });
});

describe('backend selection', () => {
  it('a float64 call never runs on a float32-only backend', () => {
    for (const kernel of KERNELS) {
      if (availableBackends().includes('gpu')) {
        withBackend(kernel, 'gpu', () => {
          expect(kernelBackend(kernel, 'float32')).toBe('gpu');
          expect(kernelBackend(kernel, 'float64')).not.toBe('gpu');
        });
      }
      expect(kernelBackend(kernel, 'float64')).not.toBe('gpu');
    }
  });

  it('float64 matmul stays exact in float64 even when gpu is selected', () => {
    const a = Float64Array.of(1 + 2 ** -40, 1), b = Float64Array.of(1, 2 ** -40);
    const out = new Float64Array(1);
    const run = () => matmul({ a, b, out, batch: 1, m: 1, n: 1, k: 2, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
    if (availableBackends().includes('gpu')) withBackend('matmul', 'gpu', run);
    else run();
    expect(out[0]).toBe(1 + 2 ** -39);
  });

  it('rejects unknown kernels', () => {
    expect(() => setKernelBackend('nope' as KernelName, 'ts')).toThrow();
  });
});

describe(`cached weight panels of the window kernels (seed ${SEED})`, () => {
  const geometry = (B: number, I: number, O: number, L: number, K: number): Conv1dGeometry => ({
    batch: B, inChannels: I, outChannels: O, inLength: L, outLength: conv1dOutLength(L, K, 1, (K - 1) / 2), kernelSize: K,
    stride: 1, padding: (K - 1) / 2, dilation: 1,
  });
  const check = (x: Floats, w: Floats, g: Conv1dGeometry, dtype: DType, what: string) => {
    const want = new Float64Array(g.batch * g.outChannels * g.outLength), scale = new Float64Array(want.length);
    conv1dReference(toF64(x), toF64(w), want, g);
    conv1dReference(abs64(x), abs64(w), scale, g);
    const got = dtype === 'float32' ? new Float32Array(want.length) : new Float64Array(want.length);
    conv1d(x, w, got, g);
    expectClose(got, want, scale, tolerance(dtype, g.inChannels * g.kernelSize), what);
    const dy = randomArray(want.length, SEED + 9, dtype);
    const wantDx = new Float64Array(g.batch * g.inChannels * g.inLength), scaleDx = new Float64Array(wantDx.length);
    conv1dInputAdjointReference(toF64(dy), toF64(w), wantDx, g);
    conv1dInputAdjointReference(abs64(dy), abs64(w), scaleDx, g);
    const dx = dtype === 'float32' ? new Float32Array(wantDx.length) : new Float64Array(wantDx.length);
    conv1dInputAdjoint(dy, w, dx, g);
    expectClose(dx, wantDx, scaleDx, tolerance(dtype, g.outChannels * g.kernelSize), `${what} (input adjoint)`);
  };

  for (const dtype of ['float64', 'float32'] as DType[]) {
    it(`give the reference results when reused, under another layout of the same array, and after the cache region wraps (${dtype})`, () => {
      const w = randomArray(8 * 6 * 5, SEED, dtype);
      const g = geometry(2, 6, 8, 12, 5);
      const before = windowCallCount();
      check(randomArray(2 * 6 * 12, SEED + 1, dtype), w, g, dtype, 'first use');
      check(randomArray(2 * 6 * 12, SEED + 2, dtype), w, g, dtype, 'cached');
      // The same values read as a 1x1 convolution over 30 channels: another packing of one array.
      check(randomArray(2 * 30 * 12, SEED + 3, dtype), w, geometry(2, 30, 8, 12, 1), dtype, 'other layout');
      expect(windowCallCount()).toBeGreaterThan(before);
      // 40 weights of [64, 64, 5] overflow the 4 MiB region at least once; the first is then packed again.
      const many = Array.from({ length: 40 }, (_, i) => randomArray(64 * 64 * 5, SEED + 10 + i, dtype));
      const gBig = geometry(1, 64, 64, 8, 5);
      const xBig = randomArray(64 * 8, SEED + 4, dtype);
      for (const wi of many) check(xBig, wi, gBig, dtype, 'filling the region');
      check(xBig, many[0], gBig, dtype, 'after the wrap');
      check(randomArray(2 * 6 * 12, SEED + 5, dtype), w, g, dtype, 'first weights again');
    });
  }
});
