/**
 * `npx tsx bench/memory.ts [steps]`: does a long training run keep its memory flat? A small
 * MLP (4-32-32-2, float64, batch 64) takes `steps` training steps (10,000 by default) of
 * the same shape as the experiments' (a loss and its gradient with valueAndGrad, clipped,
 * Adam, EMA, through nn/optim's applyGradients), and every `every` steps the memory in use
 * after a full garbage collection is recorded: the JavaScript heap plus the ArrayBuffers
 * (every tensor's values live in one; V8 counts them outside the heap). A leak of anything
 * per step (a tape kept alive, a cache keyed by tensors, a closure holding a step's
 * parameters) shows as growth; the first `every` steps are warm-up (compiled kernels,
 * caches, V8's own structures) and are left out.
 *
 * tests/nn/memory.test.ts runs the same loop and asserts the growth loosely.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { pathToFileURL } from 'node:url';
import { Rng, type Tensor, mean, mul, sin, square, sub, sum, valueAndGrad, withStepArena } from '../src/autodiff/index.js';
import { MLP, type MLPParams } from '../src/nn/index.js';
import { adam, applyGradients, ema, initTrainState, type UpdateRule } from '../src/nn/optim/index.js';

/** The V8 `gc` function, exposed at run time (no command-line flag needed); null where that fails. */
export function exposedGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

export interface MemorySample {
  step: number;
  /** Heap used plus ArrayBuffers, bytes, after a full GC. */
  bytes: number;
  heapUsed: number;
  arrayBuffers: number;
}

export interface MemoryRun {
  samples: MemorySample[];
  /** Largest sample after warm-up minus the sample at the end of warm-up, bytes. */
  growth: number;
  /** Least-squares slope of the samples after warm-up, bytes per step. */
  bytesPerStep: number;
  secondsPerStep: number;
  finalLoss: number;
}

/** `steps` training steps of the small MLP, sampling memory every `every` steps (the first sample ends warm-up). */
export function memoryRun(steps: number, every: number, gc: () => void, options: { arena?: boolean; leakInto?: unknown[] } = {}): MemoryRun {
  const rng = new Rng(16);
  const rule: UpdateRule = { optimizer: adam({ lr: 1e-3 }), clipNorm: 1, ema: ema(0.99) };
  let state = initTrainState<MLPParams>(rule, MLP.init(rng, [4, 32, 32, 2]));
  const loss = (x: Tensor, y: Tensor) => (p: MLPParams) => mean(sum(square(sub(MLP.apply(p, x), y)), 1));
  const samples: MemorySample[] = [];
  let finalLoss = Number.NaN;
  const sample = (step: number) => {
    // Twice: ArrayBuffers found dead by one collection may be freed only by the next.
    gc();
    gc();
    const m = process.memoryUsage();
    samples.push({ step, bytes: m.heapUsed + m.arrayBuffers, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers });
  };
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    const x = rng.normal([64, 4]);
    const y = mul(sin(x.concrete()), 0.5).concrete();
    const y2 = sum(y, 1, true); // a smooth target of two outputs: [sin-sum, sin-sum]
    const target = mul(y2, rng.normal([1, 2]).concrete());
    const run = () => valueAndGrad(loss(x, target))(state.params);
    const [value, grads] = options.arena ? withStepArena(run) : run();
    state = applyGradients(rule, state, grads).state;
    options.leakInto?.push(grads); // a deliberate leak, for the test that the measurement sees one
    finalLoss = value.item();
    if (step % every === 0) sample(step);
  }
  const secondsPerStep = (performance.now() - t0) / 1000 / steps;
  const after = samples.slice(0);
  const base = after[0]!.bytes;
  const growth = Math.max(...after.map((s) => s.bytes)) - base;
  const n = after.length;
  const ms = after.reduce((a, s) => a + s.step, 0) / n;
  const mb = after.reduce((a, s) => a + s.bytes, 0) / n;
  const cov = after.reduce((a, s) => a + (s.step - ms) * (s.bytes - mb), 0);
  const varS = after.reduce((a, s) => a + (s.step - ms) ** 2, 0);
  return { samples, growth, bytesPerStep: varS > 0 ? cov / varS : 0, secondsPerStep, finalLoss };
}

function main(): void {
  const steps = Number(process.argv[2] ?? 10_000);
  const gc = exposedGc();
  if (gc === null) {
    console.log('bench/memory: cannot expose the garbage collector (run with node --expose-gc)');
    return;
  }
  for (const arena of [false, true]) {
    const r = memoryRun(steps, Math.max(1, Math.floor(steps / 10)), gc, { arena });
    console.log(`\n${steps} steps of a 4-32-32-2 MLP (batch 64, clip, Adam, EMA)${arena ? ' in withStepArena' : ''}: ${(r.secondsPerStep * 1e3).toFixed(3)} ms per step, final loss ${r.finalLoss.toFixed(4)}`);
    console.log('| step | heap used MB | ArrayBuffers MB | total MB |');
    console.log('|---|---|---|---|');
    for (const s of r.samples) console.log(`| ${s.step} | ${(s.heapUsed / 2 ** 20).toFixed(2)} | ${(s.arrayBuffers / 2 ** 20).toFixed(2)} | ${(s.bytes / 2 ** 20).toFixed(2)} |`);
    console.log(`growth after warm-up ${(r.growth / 2 ** 20).toFixed(2)} MB, slope ${r.bytesPerStep.toFixed(1)} bytes per step`);
    console.log(JSON.stringify({ arena, steps, msPerStep: r.secondsPerStep * 1e3, growthBytes: r.growth, bytesPerStep: r.bytesPerStep }));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
