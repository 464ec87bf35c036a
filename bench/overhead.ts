/**
 * Per-op overhead of the engine: a chain of 10,000 tiny (scalar) ops evaluated eagerly, and
 * the same chain under `grad` (recording the tape plus the backward pass, per forward op).
 * Medians over several runs. `npx tsx bench/overhead.ts` prints them and a last JSON line.
 */
import { pathToFileURL } from 'node:url';
import { type Tensor, add, grad, mul, scalar, sin } from '../src/autodiff/index.js';

const CHAIN = 10_000;

/** A chain mixing a binary op with a constant, a scaling and a transcendental. */
function chain(x: Tensor): Tensor {
  let y = x;
  for (let i = 0; i < CHAIN; i++) y = i % 3 === 0 ? add(y, 1) : i % 3 === 1 ? mul(y, 0.999) : sin(y);
  return y;
}

function medianMicrosecondsPerOp(fn: () => void, runs = 15): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return (times[Math.floor(runs / 2)] * 1000) / CHAIN;
}

export function benchOverhead(): { eagerMicrosecondsPerOp: number; gradMicrosecondsPerOp: number } {
  const x = scalar(0.5);
  const eager = medianMicrosecondsPerOp(() => chain(x));
  const traced = medianMicrosecondsPerOp(() => grad(chain)(x));
  console.log(`op overhead, chain of ${CHAIN} scalar ops: eager ${eager.toFixed(3)} us/op (target <= 1), ` +
    `under grad ${traced.toFixed(3)} us/op (target <= 3)`);
  return { eagerMicrosecondsPerOp: eager, gradMicrosecondsPerOp: traced };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(benchOverhead()));
}
