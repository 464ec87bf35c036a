/**
 * Corruption fuzzing of the checkpoint format (nn/checkpoint.ts), seeded fast-check; a
 * failure prints the seed and the counterexample, rerun with them.
 *
 * - every truncation and every run of random byte flips anywhere in the file (header length,
 *   JSON header, metadata, data) raises a CheckpointError: never another error type, never
 *   a silent load;
 * - headers edited and then re-sealed by hand (what a determined editor, or another program,
 *   could produce) still raise nothing but CheckpointError, however the table is broken;
 * - random trees of float64 and float32 leaves (empty and scalar ones included, NaN payloads
 *   and -0 too) round-trip bit for bit.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcreteTensor, type PyTree, Rng, flatten } from '../../src/autodiff/index.js';
import { CheckpointError, type CheckpointContents, decodeCheckpoint, encodeCheckpoint } from '../../src/nn/index.js';

const SEED = 20261202;

/** A small file with every feature: nested trees, both dtypes, an empty and a scalar leaf, non-ASCII meta. */
function sample(): Uint8Array {
  const rng = new Rng(7);
  const contents: CheckpointContents = {
    meta: { policy: { normalizer: { scale: [22.709, 1e-300] } }, train: { step: 3 }, note: 'Sobolev–DDPM ✓' },
    trees: {
      params: { layers: [{ w: rng.normal([3, 2]), b: rng.normal([2], 0, 1, 'float32') }, { w: rng.normal([2, 1]) }], empty: rng.normal([0, 4]) },
      ema: { scalar: new ConcreteTensor(new Float64Array([Math.PI]), []) },
    },
  };
  return encodeCheckpoint(contents);
}

/** What decoding `bytes` does: 'checkpoint-error', 'loaded', or the name of another error. */
function outcome(bytes: Uint8Array): string {
  try {
    decodeCheckpoint(bytes);
    return 'loaded';
  } catch (e) {
    return e instanceof CheckpointError ? 'checkpoint-error' : `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const headerLength = (bytes: Uint8Array) => Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

/** Seal a hand-edited header as the format says (SHA-256 of the file with the 64 digits read as '0'). */
function reseal(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const meta = header.__metadata__ as Record<string, unknown> | undefined;
  if (meta !== undefined && typeof meta === 'object' && meta !== null) meta.sha256 = '0'.repeat(64);
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  const digits = createHash('sha256').update(out).digest('hex');
  const at = Buffer.from(out).lastIndexOf('"sha256":"' + '0'.repeat(64));
  if (at >= 0) out.set(new TextEncoder().encode(digits), at + 10);
  return out;
}

describe(`checkpoint corruption fuzzing (seed ${SEED})`, () => {
  const bytes = sample();
  const n = headerLength(bytes);

  it('the sample file loads, so the properties below test corruption and not a broken sample', () => {
    expect(outcome(bytes)).toBe('loaded');
    expect(outcome(reseal(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), bytes.subarray(8 + n)))).toBe('loaded');
  });

  it('every truncation raises a CheckpointError (all lengths), and so do appended bytes', () => {
    for (let len = 0; len < bytes.length; len++) {
      const got = outcome(bytes.subarray(0, len));
      if (got !== 'checkpoint-error') throw new Error(`truncation to ${len} of ${bytes.length} bytes: ${got}`);
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (extra) => {
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        expect(outcome(longer)).toBe('checkpoint-error');
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('every single-bit flip in the header raises a CheckpointError (all of them)', () => {
    // The case: 300 random header bit flips gave 13 raw TypeErrors and 1 silent load.
    for (let i = 0; i < 8 + n; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Uint8Array.from(bytes);
        flipped[i] ^= 1 << bit;
        const got = outcome(flipped);
        if (got !== 'checkpoint-error') throw new Error(`bit ${bit} of byte ${i}: ${got}`);
      }
    }
  });

  it('random byte flips anywhere (one to eight bytes, header-heavy) raise a CheckpointError', () => {
    const position = fc.oneof(fc.integer({ min: 0, max: 8 + n - 1 }), fc.integer({ min: 0, max: bytes.length - 1 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(position, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const flipped = Uint8Array.from(bytes);
        for (const [i, mask] of flips) flipped[i] ^= mask;
        if (flipped.every((b, i) => b === bytes[i])) return; // flips that cancel out leave the file intact
        expect(outcome(flipped)).toBe('checkpoint-error');
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('a truncation combined with flips, or a file of random bytes, raises a CheckpointError', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (cut, mask, at) => {
        const len = cut % bytes.length;
        const damaged = Uint8Array.from(bytes.subarray(0, len));
        if (len > 0) damaged[at % len] ^= mask;
        expect(outcome(damaged)).toBe('checkpoint-error');
      }),
      { seed: SEED, numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 300 }), (noise, length) => {
        const file = new Uint8Array(8 + noise.length);
        new DataView(file.buffer).setBigUint64(0, BigInt(length), true);
        file.set(noise, 8);
        expect(outcome(noise)).toBe('checkpoint-error');
        expect(outcome(file)).toBe('checkpoint-error');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('re-sealed header edits raise nothing but CheckpointError (or load a consistent file)', () => {
    const original = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    const data = bytes.subarray(8 + n);
    const names = Object.keys(original);
    const fields = ['dtype', 'shape', 'data_offsets', 'extra'];
    const metaKeys = ['format', 'version', 'trees', 'meta', 'sha256', 'other'];
    const weird = fc.oneof(
      fc.constantFrom(null, true, -1, 0, 1.5, 1e300, NaN, '', 'F64', 'F16', '{}', '[', '{"kind":"leaf"}', '{"params":{"kind":"array"}}'),
      fc.array(fc.oneof(fc.integer({ min: -2, max: 200 }), fc.constant(1.5), fc.constant('x')), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('kind', 'children', 'keys', 'dtype'), fc.constantFrom('leaf', 'object', 'array', [], ['a'], 3)),
    );
    const edit = fc.record({
      where: fc.constantFrom('tensor', 'metadata', 'top', 'trees', 'delete'),
      name: fc.nat(),
      key: fc.nat(),
      value: weird,
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const header = structuredClone(original) as Record<string, Record<string, unknown>>;
        const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
        for (const { where, name, key, value } of edits) {
          const target = names[name % names.length];
          if (where === 'delete') delete header[target];
          else if (where === 'top') header[target] = value as Record<string, unknown>;
          else if (where === 'metadata' && isObj(header.__metadata__)) header.__metadata__[metaKeys[key % metaKeys.length]] = value;
          else if (where === 'trees' && header.__metadata__) {
            const trees = JSON.parse(String(original.__metadata__ && (original.__metadata__ as Record<string, string>).trees));
            const treeNames = Object.keys(trees);
            trees[treeNames[key % treeNames.length]] = value;
            header.__metadata__.trees = JSON.stringify(trees);
          } else if (where === 'tensor' && target !== '__metadata__' && isObj(header[target])) header[target][fields[key % fields.length]] = value;
        }
        const got = outcome(reseal(header, data));
        expect(['checkpoint-error', 'loaded']).toContain(got);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });
});

describe(`checkpoint round trips (seed ${SEED})`, () => {
  const leaf = fc
    .record({
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      dtype: fc.constantFrom('float64' as const, 'float32' as const),
      bits: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 24, maxLength: 24 }),
    })
    .map(({ shape, dtype, bits }) => {
      const size = shape.reduce((p, d) => p * d, 1);
      // raw bit patterns: NaNs with payloads, -0, subnormals and infinities all appear
      const words = new Uint32Array(Array.from({ length: size * (dtype === 'float64' ? 2 : 1) }, (_, i) => bits[i % bits.length] ^ i));
      const data = dtype === 'float64' ? new Float64Array(words.buffer) : new Float32Array(words.buffer);
      return new ConcreteTensor(data, shape);
    });
  const tree: fc.Arbitrary<PyTree> = fc.letrec<{ node: PyTree }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/), tie('node'), { maxKeys: 3, noNullPrototype: true }),
    ),
  })).node;

  it('random trees and meta come back bit for bit', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), tree, { minKeys: 1, maxKeys: 3, noNullPrototype: true }), fc.jsonValue(), (trees, meta) => {
        const back = decodeCheckpoint(encodeCheckpoint({ meta: meta as never, trees }));
        expect(back.meta).toEqual(JSON.parse(JSON.stringify(meta)));
        expect(Object.keys(back.trees).sort()).toEqual(Object.keys(trees).sort());
        for (const name of Object.keys(trees)) {
          const [a, defA] = flatten(trees[name]);
          const [b, defB] = flatten(back.trees[name]);
          expect(defB).toEqual(defA);
          a.forEach((t, i) => {
            const x = t.concrete().data;
            const y = b[i].concrete().data;
            expect(b[i].dtype).toBe(t.dtype);
            expect(b[i].shape).toEqual(t.shape);
            expect(Buffer.from(y.buffer, y.byteOffset, y.byteLength).equals(Buffer.from(x.buffer, x.byteOffset, x.byteLength))).toBe(true);
          });
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
