/**
 * The five rows of the peer benchmark, defined once so that every engine computes the same
 * thing on the same numbers:
 *
 *   matmul f32 / f64   C = A B, 256 x 256 x 256
 *   mlp                a training step of an MLP 4-256-256-1 (ReLU, linear output) at batch
 *                      256 in float32: L = mean (f(x) - y)^2, its gradient, one Adam update
 *   sobolev            the same with a Sobolev term: L + mean (J_x f(x) v - s)^2, where
 *                      J_x f(x) v is a JVP inside the loss that is differentiated (or,
 *                      where an engine has no forward mode, grad_x of sum f dotted with v)
 *   conv               conv1d forward and both adjoints (dx, dw) for x [64, 32, 16], w [32, 32, 5],
 *                      padding 2 (same length), float32
 *
 * Values come from `filled` (sines, the same in TypeScript and in torch_peers.py), so a
 * loss computed by two engines can be compared.
 */

export const MATMUL_N = 256;
export const MLP_SIZES = [4, 256, 256, 1] as const;
export const MLP_BATCH = 256;
export const ADAM = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8 };
export const CONV = { batch: 64, channels: 32, length: 16, kernel: 5, padding: 2 };

/** scale * sin(seed + 0.7 i): deterministic, of either dtype, and written the same in Python. */
export function filled(length: number, seed: number, scale = 1, f64 = false): Float32Array | Float64Array {
  const out = f64 ? new Float64Array(length) : new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = scale * Math.sin(seed + 0.7 * i);
  return out;
}

/** The MLP's layers: weight [out, in] with scale 1/sqrt(in), bias [out] (seeds 10 + 2l, 11 + 2l). */
export function mlpInit(): { weight: Float32Array; bias: Float32Array; out: number; in: number }[] {
  const layers = [];
  for (let l = 0; l + 1 < MLP_SIZES.length; l++) {
    const fanIn = MLP_SIZES[l];
    const fanOut = MLP_SIZES[l + 1];
    const s = 1 / Math.sqrt(fanIn);
    layers.push({
      weight: filled(fanOut * fanIn, 10 + 2 * l, s) as Float32Array,
      bias: filled(fanOut, 11 + 2 * l, s) as Float32Array,
      out: fanOut,
      in: fanIn,
    });
  }
  return layers;
}

/** x [B, 4], y [B, 1], the JVP direction v [B, 4] and the slope target s [B, 1]. */
export function mlpBatch(): { x: Float32Array; y: Float32Array; v: Float32Array; s: Float32Array } {
  return {
    x: filled(MLP_BATCH * 4, 1) as Float32Array,
    y: filled(MLP_BATCH, 2, 0.5) as Float32Array,
    v: filled(MLP_BATCH * 4, 3) as Float32Array,
    s: filled(MLP_BATCH, 4, 0.5) as Float32Array,
  };
}

export type RowName = 'matmulF32' | 'matmulF64' | 'mlp' | 'sobolev' | 'conv';
export const ROWS: { name: RowName; label: string; unit: 'GFLOP/s' | 'ms' }[] = [
  { name: 'matmulF32', label: 'matmul 256^3 float32', unit: 'GFLOP/s' },
  { name: 'matmulF64', label: 'matmul 256^3 float64', unit: 'GFLOP/s' },
  { name: 'mlp', label: 'MLP 4-256-256-1 training step, batch 256, f32', unit: 'ms' },
  { name: 'sobolev', label: 'the same with a Sobolev term (JVP inside grad)', unit: 'ms' },
  { name: 'conv', label: 'conv1d fwd + both adjoints [64,32,16] k5 f32', unit: 'ms' },
];
export const MATMUL_FLOP = 2 * MATMUL_N ** 3;

/**
 * One engine's side of a row: `step` runs the work once (awaiting it where the engine is
 * asynchronous); `check` is the loss after two training steps from the shared start (MLP
 * rows only), to compare engines' results.
 */
export interface RowRunner {
  step: () => void | Promise<void>;
  check?: () => Promise<number> | number;
}
/** Per row, a runner, or the reason the engine cannot run it. */
export type Engine = { name: string; rows: Partial<Record<RowName, RowRunner | string>> };
