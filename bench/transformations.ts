/**
 * The transformations of issue 17 against what they replace (`npm run bench:transformations`,
 * and part of `npm run bench`):
 *
 * 1. Per-example gradients of the MLP policy (4-256-256-2, ReLU, bounded tanh, float32) at
 *    batch 256: vmap(grad(loss)) against the manual batched form (the forward pass on the
 *    batch, then backpropagation written by hand with per-example outer products), and against
 *    a loop of grad over the examples. The three must agree (checked) before being timed.
 * 2. The gradient of a T = 200 double-pendulum rollout cost (the multibody model's
 *    differentiable step, ABA in engine ops) in the controls and the start state: through scan
 *    (checkpoint every ceil(sqrt T) = 15 steps, and every step) against the unrolled tape of a
 *    plain loop. Time, memory the pullback keeps alive after the forward pass (measured with
 *    forced garbage collections), and the peak resident memory of a fresh process running the
 *    gradient once (`maxRSS` above the process's peak before the gradient).
 * 3. The same memory figures for T = 1000 with a checkpoint every 32 steps.
 *
 * Medians of alternating rounds. The memory kept after the forward pass needs forced garbage
 * collections: run under `node --expose-gc --import tsx` (the npm script does); without it
 * that column reads NaN.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Rng, type Tensor, add, grad, greater, matmul, mul, reshape, scan, slice, square, sub, sum, tanh, tensor, vjp, vmap,
} from '../src/autodiff/index.js';
import { createDoublePendulum } from '../src/dynamics/index.js';
import { MLP, type MLPParams, boundedTanh, relu } from '../src/nn/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median milliseconds of each variant over `rounds` alternating rounds, after one warm-up each. */
function alternate(variants: Record<string, () => unknown>, rounds: number): Record<string, number> {
  const times: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(variants)) {
    fn();
    times[name] = [];
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = performance.now();
      fn();
      times[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

function maxDiff(a: Tensor, b: Tensor): number {
  const x = a.concrete().data;
  const y = b.concrete().data;
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

// ---------------------------------------------------------------------------------------
// 1. Per-example gradients

const SIZES = [4, 256, 256, 2];
const BATCH = 256;
const LIMIT = 25;
const act = boundedTanh(-LIMIT, LIMIT);

function perExampleLoss(params: MLPParams, x: Tensor, y: Tensor): Tensor {
  return sum(square(sub(MLP.apply(params, x, { activation: relu, outputActivation: act }), y)));
}

/** Backpropagation by hand on the batch: per-example weight gradients as outer products. */
function manualPerExample(params: MLPParams, xs: Tensor, ys: Tensor): { weight: Tensor; bias: Tensor }[] {
  // Per-example outer products delta_b h_b^T as one batched matmul [B, out, 1] x [B, 1, in].
  const outer = (a: Tensor, b: Tensor) => matmul(reshape(a, [a.shape[0], a.shape[1], 1]), reshape(b, [b.shape[0], 1, b.shape[1]]));
  const pre: Tensor[] = [];
  const inputs: Tensor[] = [];
  let h = xs;
  params.forEach((layer, i) => {
    inputs.push(h);
    const z = add(matmul(h, layer.weight, { transB: true }), layer.bias);
    pre.push(z);
    h = i + 1 < params.length ? relu(z) : act(z);
  });
  // d loss / d z of the last layer: 2 (u - y) * LIMIT (1 - tanh(z)^2) (bounded tanh is LIMIT tanh z here).
  const t = tanh(pre[pre.length - 1]);
  let delta = mul(mul(sub(h, ys), 2), mul(LIMIT, sub(1, square(t))));
  const grads: { weight: Tensor; bias: Tensor }[] = new Array(params.length);
  for (let i = params.length - 1; i >= 0; i--) {
    grads[i] = { weight: outer(delta, inputs[i]), bias: delta };
    if (i > 0) delta = mul(matmul(delta, params[i].weight), greater(pre[i - 1], 0)); // relu' as a mask in float32
  }
  return grads;
}

export function benchPerExampleGradients(rounds = 15): Record<string, number> {
  const rng = new Rng(0);
  const params = MLP.init(rng, SIZES, 'float32');
  const xs = rng.normal([BATCH, 4], 0, 1, 'float32');
  const ys = rng.normal([BATCH, 2], 0, 1, 'float32');
  const viaVmap = () => vmap(grad(perExampleLoss), [null, 0, 0])(params, xs, ys);
  const viaManual = () => manualPerExample(params, xs, ys);
  const viaLoop = () => {
    const out: MLPParams[] = [];
    for (let b = 0; b < BATCH; b++) {
      out.push(grad(perExampleLoss)(params, tensorRow(xs, b), tensorRow(ys, b)));
    }
    return out;
  };
  // The three agree before they are timed (float32: sums of 256 terms, tolerance 1e-3 of unit-scale values).
  const v = viaVmap();
  const m = viaManual();
  const l = viaLoop();
  let worst = 0;
  v.forEach((layer, i) => {
    worst = Math.max(worst, maxDiff(layer.weight, m[i].weight), maxDiff(layer.bias, m[i].bias));
    worst = Math.max(worst, maxDiff(reshape(tensorRowOf(layer.weight, 7), layer.weight.shape.slice(1)), l[7][i].weight));
  });
  if (!(worst < 1e-3)) throw new Error(`per-example gradients disagree: max |diff| ${worst}`);
  const ms = alternate({ vmapGrad: viaVmap, manual: viaManual, loopOfGrad: viaLoop }, rounds);
  console.log(`per-example gradients, MLP ${SIZES.join('-')} float32, batch ${BATCH} (max |diff| ${worst.toExponential(1)}):`);
  console.log(`  vmap(grad)        ${ms.vmapGrad.toFixed(1)} ms`);
  console.log(`  manual batched    ${ms.manual.toFixed(1)} ms   (vmap / manual = ${(ms.vmapGrad / ms.manual).toFixed(2)})`);
  console.log(`  loop of grad      ${ms.loopOfGrad.toFixed(1)} ms   (loop / vmap = ${(ms.loopOfGrad / ms.vmapGrad).toFixed(1)})`);
  return ms;
}

function tensorRow(x: Tensor, b: number): Tensor {
  const n = x.shape[1];
  return tensor(x.concrete().data.subarray(b * n, (b + 1) * n), [n]);
}

function tensorRowOf(x: Tensor, b: number): Tensor {
  const n = x.size / x.shape[0];
  return tensor(x.concrete().data.subarray(b * n, (b + 1) * n), [1, ...x.shape.slice(1)]);
}

// ---------------------------------------------------------------------------------------
// 2, 3. A rollout gradient through scan and through the unrolled tape

type Variant = 'unrolled' | 'scan' | 'scanEveryStep' | 'none';

/** The rollout cost as a function of (start state, controls), through scan or a plain loop, and its point. */
function rollout(variant: Variant, T: number, checkpoint: number) {
  const model = createDoublePendulum();
  const stepCost = (x: Tensor, u: Tensor): [Tensor, Tensor] => {
    const next = model.stepTensor(x, u);
    return [next, add(sum(square(next)), mul(1e-3, sum(square(u))))];
  };
  const cost = (x: Tensor, u: Tensor): Tensor => {
    if (variant === 'unrolled') {
      let state = x;
      let total: Tensor = tensor(0);
      for (let t = 0; t < T; t++) {
        const [next, c] = stepCost(state, row(u, t));
        state = next;
        total = add(total, c);
      }
      return add(total, sum(square(state)));
    }
    const [xT, costs] = scan(stepCost, x, u, { checkpoint: variant === 'scan' ? checkpoint : 1 });
    return add(sum(costs), sum(square(xT)));
  };
  return { cost, x0: tensor([0.4, -0.3, 0.1, 0]), us: new Rng(1).normal([T, 2], 0, 0.5) };
}

function rolloutGradient(variant: Variant, T: number, checkpoint: number): () => [Tensor, Tensor] {
  const { cost, x0, us } = rollout(variant, T, checkpoint);
  return () => {
    const [, pullback] = vjp(cost, x0, us);
    return pullback(tensor(1)) as [Tensor, Tensor];
  };
}

/** Row t of the controls (differentiable: the unrolled tape records the slice). */
function row(u: Tensor, t: number): Tensor {
  return reshape(slice(u, [t]), [u.shape[1]]);
}

/** Bytes the pullback keeps alive after the forward pass (the tape, or the checkpoints). */
function retainedBytes(variant: Variant, T: number, checkpoint: number): number {
  if (gc === undefined) return NaN;
  const { cost, x0, us } = rollout(variant, T, checkpoint);
  const usage = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = usage();
  const [, pullback] = vjp(cost, x0, us);
  const after = usage();
  pullback(tensor(1)); // keeps the pullback (and what it holds) alive until here
  return after - before;
}

/**
 * The peak resident memory (KiB) of a fresh process that runs the gradient once ('none': the
 * same process without the gradient, the baseline of loading the code and a 3-step warm-up).
 */
function peakRssKiB(variant: Variant, T: number, checkpoint: number): number {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', variant, String(T), String(checkpoint)], {
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n').pop());
}

function childMain(variant: Variant, T: number, checkpoint: number): void {
  rolloutGradient(variant === 'none' ? 'scan' : variant, 3, 1)(); // compile the code paths on a short rollout first
  if (variant !== 'none') rolloutGradient(variant, T, checkpoint)();
  console.log(process.resourceUsage().maxRSS);
}

export function benchRollouts(rounds = 5): Record<string, number> {
  const T = 200;
  const k = Math.ceil(Math.sqrt(T));
  const runs = { unrolled: rolloutGradient('unrolled', T, k), scan: rolloutGradient('scan', T, k), scanEveryStep: rolloutGradient('scanEveryStep', T, k) };
  const [gu, gs, g1] = [runs.unrolled(), runs.scan(), runs.scanEveryStep()];
  const worst = Math.max(maxDiff(gu[1], gs[1]), maxDiff(gu[1], g1[1]), maxDiff(gu[0], gs[0]));
  if (!(worst < 1e-9)) throw new Error(`rollout gradients disagree: max |diff| ${worst}`);
  const ms = alternate(runs, rounds);
  const results: Record<string, number> = {};
  console.log(`gradient of a T = ${T} double-pendulum rollout (controls and start state; max |diff| ${worst.toExponential(1)}):`);
  const baseline = peakRssKiB('none', T, k);
  console.log(`  variant                 time       kept after forward   peak RSS (process; baseline ${(baseline / 1024).toFixed(0)} MiB)`);
  for (const variant of ['unrolled', 'scan', 'scanEveryStep'] as const) {
    const kept = retainedBytes(variant, T, k);
    const peak = peakRssKiB(variant, T, k);
    const label = variant === 'unrolled' ? 'unrolled tape' : variant === 'scan' ? `scan, k = ${k}` : 'scan, k = 1';
    console.log(`  ${label.padEnd(22)} ${ms[variant].toFixed(0).padStart(5)} ms   ${(kept / 2 ** 20).toFixed(2).padStart(8)} MiB        ${(peak / 1024).toFixed(1).padStart(7)} MiB`);
    results[`${variant}Ms`] = ms[variant];
    results[`${variant}KeptMiB`] = kept / 2 ** 20;
    results[`${variant}PeakMiB`] = peak / 1024;
  }
  results.baselinePeakMiB = baseline / 1024;
  const long = 1000;
  const keptLongUnrolled = retainedBytes('unrolled', long, 32);
  const keptLongScan = retainedBytes('scan', long, 32);
  const peakLongUnrolled = peakRssKiB('unrolled', long, 32);
  const peakLongScan = peakRssKiB('scan', long, 32);
  console.log(`T = ${long}: kept after forward ${(keptLongUnrolled / 2 ** 20).toFixed(1)} MiB unrolled vs ${(keptLongScan / 2 ** 20).toFixed(2)} MiB ` +
    `scan (k = 32); peak RSS ${(peakLongUnrolled / 1024).toFixed(1)} vs ${(peakLongScan / 1024).toFixed(1)} MiB`);
  Object.assign(results, {
    long1000UnrolledKeptMiB: keptLongUnrolled / 2 ** 20, long1000ScanKeptMiB: keptLongScan / 2 ** 20,
    long1000UnrolledPeakMiB: peakLongUnrolled / 1024, long1000ScanPeakMiB: peakLongScan / 1024,
  });
  return results;
}

export function benchTransformations(): { perExample: Record<string, number>; rollout: Record<string, number> } {
  const perExample = benchPerExampleGradients();
  console.log();
  const rollout = benchRollouts();
  return { perExample, rollout };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    childMain(args[1] as Variant, Number(args[2]), Number(args[3]));
  } else {
    console.log(JSON.stringify(benchTransformations()));
  }
}
