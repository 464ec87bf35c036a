/**
 * The step arena's memory: chunks handed out front to back while the arena is open, and
 * reused from the front each time it opens again. `withStepArena` (../arena.ts) says why a
 * training step runs inside it, and copies what the step returns out of it; this module only
 * carves typed arrays, so every op's output goes through `allocate` below.
 */
import type { DType, Floats } from './types.js';

/**
 * Smaller arrays stay ordinary (V8 allocates tiny ones on its heap, cheaply). At 256, a
 * batch-1 rollout's activations (512 to 768 elements) come from the arena too: 118 -> 101 ms
 * for the T = 200 rollout of bench/diffusion.ts; training steps measured the same at 64 and 1,024.
 */
export const ARENA_MIN = 256;
/** Bytes per chunk; an array larger than this is allocated normally. */
const ARENA_CHUNK = 8 << 20;

const stepArena = { open: false, chunks: [] as ArrayBuffer[], chunk: 0, offset: 0 };

/**
 * Zeroed storage for an op's output: a fresh array, or, while the step arena is open, for
 * arrays of ARENA_MIN elements or more, a zeroed view into it.
 */
export function allocate(dtype: DType, size: number): Floats {
  if (stepArena.open && size >= ARENA_MIN) {
    const view = takeFromStepArena(dtype, size, true);
    if (view !== null) return view;
  }
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

/**
 * Storage for an output that the caller overwrites in full before anyone reads it (a
 * kernel's `out`, see kernels/index.ts): like `allocate`, but a view into the step arena keeps
 * the last step's values instead of being zeroed first (zeroing was 5 % of an MLP step).
 */
export function allocateOverwritten(dtype: DType, size: number): Floats {
  if (stepArena.open && size >= ARENA_MIN) {
    const view = takeFromStepArena(dtype, size, false);
    if (view !== null) return view;
  }
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

function takeFromStepArena(dtype: DType, size: number, zeroed: boolean): Floats | null {
  const bytes = (size * (dtype === 'float64' ? 8 : 4) + 15) & ~15; // 16-byte aligned views
  if (bytes > ARENA_CHUNK) return null;
  if (stepArena.offset + bytes > ARENA_CHUNK) {
    stepArena.chunk++;
    stepArena.offset = 0;
  }
  if (stepArena.chunk === stepArena.chunks.length) stepArena.chunks.push(new ArrayBuffer(ARENA_CHUNK));
  const buffer = stepArena.chunks[stepArena.chunk];
  const view = dtype === 'float64' ? new Float64Array(buffer, stepArena.offset, size) : new Float32Array(buffer, stepArena.offset, size);
  stepArena.offset += bytes;
  if (zeroed) view.fill(0); // reused memory holds the last step's values
  return view;
}

/** Opens the step arena from its first byte: every array handed out before is reused from now on. */
export function openStepArena(): void {
  if (stepArena.open) throw new Error('withStepArena: already inside a step arena (they do not nest)');
  stepArena.open = true;
  stepArena.chunk = 0;
  stepArena.offset = 0;
}

export function closeStepArena(): void {
  stepArena.open = false;
}

/** Whether `data` lives in the step arena's memory. */
export function inStepArena(data: Floats): boolean {
  return stepArena.chunks.includes(data.buffer as ArrayBuffer);
}
