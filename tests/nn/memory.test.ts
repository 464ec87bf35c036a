/**
 * Memory stays flat over a long training run (issue 16): 10,000 steps of a small MLP (loss
 * and gradient, clipping, Adam, EMA; the loop of bench/memory.ts, which prints the numbers)
 * grow the heap plus ArrayBuffers, measured after full garbage collections, by less than a
 * loose bound once warmed up. A control run that keeps every step's gradient (about 10 KB a
 * step) shows that the measurement does see a leak.
 */
import { describe, expect, it } from 'vitest';
import { exposedGc, memoryRun } from '../../bench/memory.js';

const gc = exposedGc();
const MB = 2 ** 20;

describe.skipIf(gc === null)('memory over a long training run', () => {
  it('10,000 training steps keep the heap and ArrayBuffers flat after warm-up', () => {
    const run = memoryRun(10_000, 1_000, gc!);
    const summary = `growth ${(run.growth / MB).toFixed(2)} MB, ${run.bytesPerStep.toFixed(0)} bytes per step, ${(run.secondsPerStep * 1e3).toFixed(2)} ms per step`;
    expect(run.growth, summary).toBeLessThan(16 * MB);
    expect(run.bytesPerStep, summary).toBeLessThan(500); // 4.5 MB over the 9,000 measured steps
    expect(Number.isFinite(run.finalLoss)).toBe(true);
  });

  it('the measurement sees a leak of one gradient per step', () => {
    const kept: unknown[] = [];
    const run = memoryRun(500, 50, gc!, { leakInto: kept });
    expect(kept.length).toBe(500);
    expect(run.bytesPerStep).toBeGreaterThan(5_000);
  });
});
