/**
 * Relaxed SIMD: WebAssembly's proposal of instructions whose result may depend on the
 * hardware, among them f32x4.relaxed_madd (a * b + c, fused into one FMA instruction with one
 * rounding where the CPU has it). Node 20's V8 implements it behind the flag
 * --experimental-wasm-relaxed-simd. V8 reads that flag when it validates and compiles a
 * module, so setting it at run time through `v8.setFlagsFromString` (before our module is
 * compiled) turns it on; V8's flags are per process, so worker threads see it too. Where
 * `process` or `node:v8` is missing (a browser) nothing is set, and the probe below tells
 * whether the engine has relaxed SIMD anyway (Chrome ships it).
 */

/** (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd) */
const PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // its body
]);

interface V8Flags { setFlagsFromString(flags: string): void }
interface NodeProcess { getBuiltinModule?: (name: string) => unknown }

let available: boolean | undefined;

/** Whether this engine compiles relaxed SIMD, after turning V8's flag on where we can. */
export function relaxedSimdAvailable(): boolean {
  if (available !== undefined) return available;
  const wasm = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  if (wasm === undefined) return (available = false);
  if (!wasm.validate(PROBE)) {
    try {
      const proc = (globalThis as { process?: NodeProcess }).process;
      const v8 = proc?.getBuiltinModule?.('v8') as V8Flags | undefined;
      v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Not Node, or a V8 that refuses: the plain kernels run.
    }
  }
  return (available = wasm.validate(PROBE));
}
