/** Test data for the kernels' properties: fast-check draws shapes and a seed, this fills the arrays. */
import type { DType, Floats } from '../../src/autodiff/index.js';

/** Deterministic values in [-1, 1) from a seed (mulberry32). */
export function randomArray(length: number, seed: number, dtype: DType): Floats {
  const out = dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export const randomF32 = (length: number, seed: number): Float32Array => randomArray(length, seed, 'float32') as Float32Array;
