/**
 * The wire format of the job queue (queue.ts): solve jobs and solutions as JSON in which every
 * array of numbers travels as its raw float64 bytes (base64), so what a worker on another
 * machine returns is the same solution, bit for bit, as a local solve, and a 200-knot
 * double-pendulum solution costs about 1.3x its raw size instead of the 2-3x of decimal text.
 *
 *   Float64Array                  -> { "$typed": "Float64Array", "bytes": base64 }
 *   other typed arrays (masks)    -> { "$typed": "Uint8Array", "bytes": base64 }, ...
 *   number[] of >= 8 numbers      -> { "$typed": "Float64Array", "bytes": base64, "array": true }  (decoded as number[])
 *   NaN, +-Infinity, -0           -> { "$num": "NaN" | "Infinity" | "-Infinity" | "-0" }
 *   other numbers, strings, booleans, null, arrays, plain objects: as themselves
 *
 * JSON writes a finite double in its shortest round-trip form, so the remaining scalars are
 * exact too. Keys starting with "$" are reserved for these tags.
 */

/** Plain arrays of numbers at least this long travel as bytes (shorter ones read better as text). */
const BINARY_ARRAY_MIN = 8;

type Wire = null | boolean | number | string | Wire[] | { [key: string]: Wire };

/** The typed arrays that can travel, by name. */
const TYPED = { Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array } as const;
type TypedName = keyof typeof TYPED;

function bytesOf(data: ArrayBufferView): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function typedOf(name: string, base64: string): InstanceType<(typeof TYPED)[TypedName]> {
  const Type = TYPED[name as TypedName];
  if (Type === undefined) throw new WireFormatError(`unknown typed array "${name}"`);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.byteLength % Type.BYTES_PER_ELEMENT !== 0) throw new WireFormatError(`a ${name} payload of ${bytes.byteLength} bytes is not a whole number of elements`);
  // Copy into a fresh, aligned buffer (a Buffer's offset need not be a multiple of 8).
  const out = new Type(bytes.byteLength / Type.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** A message that is not in the wire format (a corrupt or foreign job or result). */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(`queue wire format: ${message}`);
    this.name = 'WireFormatError';
  }
}

const isNumberArray = (v: unknown[]): v is number[] => v.length >= BINARY_ARRAY_MIN && v.every((x) => typeof x === 'number');

/** A value (job, solution) as JSON-compatible data; see the table at the top. */
export function encodeWire(value: unknown): Wire {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { $num: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (!(name in TYPED)) throw new WireFormatError(`${name} is not supported`);
    return { $typed: name, bytes: bytesOf(value) };
  }
  if (Array.isArray(value)) return isNumberArray(value) ? { $typed: 'Float64Array', bytes: bytesOf(Float64Array.from(value)), array: true } : value.map(encodeWire);
  if (typeof value === 'object') {
    const out: { [key: string]: Wire } = {};
    for (const [key, v] of Object.entries(value)) {
      if (key.startsWith('$')) throw new WireFormatError(`key "${key}" is reserved`);
      if (v !== undefined) out[key] = encodeWire(v);
    }
    return out;
  }
  throw new WireFormatError(`a ${typeof value} cannot travel`);
}

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, '-0': -0 };

/** The value `encodeWire` encoded. */
export function decodeWire(wire: unknown): unknown {
  if (wire === null || typeof wire !== 'object') return wire;
  if (Array.isArray(wire)) return wire.map(decodeWire);
  const tagged = wire as { $typed?: unknown; bytes?: unknown; $num?: unknown; array?: unknown };
  if (tagged.$typed !== undefined) {
    if (typeof tagged.$typed !== 'string' || typeof tagged.bytes !== 'string') throw new WireFormatError('a $typed entry needs a name and its bytes');
    const values = typedOf(tagged.$typed, tagged.bytes);
    return tagged.array === true ? Array.from(values) : values;
  }
  if (tagged.$num !== undefined) {
    const v = typeof tagged.$num === 'string' ? SPECIAL[tagged.$num] : undefined;
    if (v === undefined) throw new WireFormatError(`unknown $num ${JSON.stringify(tagged.$num)}`);
    return v;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(wire)) out[key] = decodeWire(v);
  return out;
}
