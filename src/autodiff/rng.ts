/**
 * A seeded random number generator: xoshiro128** (Blackman and Vigna, 2018), seeded through
 * splitmix32. Same seed, same numbers, bit for bit. `split` derives an independent stream,
 * so a component can own its randomness without consuming its parent's sequence.
 */
import { type Shape, checkShape, sizeOf } from './shape.js';
import { ConcreteTensor, type DType, allocate } from './tensor.js';

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The second value of the last Box-Muller pair, or null. */
  private spare: number | null = null;

  constructor(readonly seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    let z = seed >>> 0 ^ Math.floor(seed / 2 ** 32);
    const next = () => {
      z = (z + 0x9e3779b9) | 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal sample (Box-Muller; the pair's second value is kept for the next call). */
  nextNormal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.nextFloat() * n);
  }

  normal(shape: Shape, mean = 0, std = 1, dtype: DType = 'float64'): ConcreteTensor {
    const data = allocate(dtype, sizeOf(checkShape('Rng.normal', shape)));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * this.nextNormal();
    return new ConcreteTensor(data, [...shape]);
  }

  uniform(shape: Shape, lo = 0, hi = 1, dtype: DType = 'float64'): ConcreteTensor {
    if (!(hi >= lo)) throw new RangeError(`Rng.uniform: need lo <= hi, got [${lo}, ${hi}]`);
    const data = allocate(dtype, sizeOf(checkShape('Rng.uniform', shape)));
    for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * this.nextFloat();
    return new ConcreteTensor(data, [...shape]);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }

  /** An independent generator seeded from this one. */
  split(): Rng {
    return new Rng(this.nextUint32() * 4096 + (this.nextUint32() >>> 20));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
