/**
 * The browser twins (scripts/build.ts): each `X.browser.ts` exports exactly the names of its
 * Node module `X.ts`, so code written against one runs against the other; and the plain
 * TypeScript SHA-256 that seals checkpoints in a browser equals Node's on any bytes, however
 * they are split into parts (fast-check, seeded; a failure prints its seed).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT, browserTwins } from '../../scripts/build.js';
import { sha256 } from '../../src/nn/sha256.js';

const SEED = 2112;

describe('browser twins', () => {
  for (const { node, browser } of browserTwins()) {
    it(`${browser} exports the names of ${node}`, async () => {
      const [a, b] = await Promise.all([import(join(ROOT, 'src', node)), import(join(ROOT, 'src', browser))]);
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      for (const name of Object.keys(a)) expect(typeof b[name], name).toBe(typeof a[name]);
    });
  }
});

describe('sha256', () => {
  it('equals node:crypto on the FIPS 180-4 examples and on the empty message', () => {
    const hex = (text: string) => sha256([new TextEncoder().encode(text)]);
    expect(hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('equals node:crypto on random bytes split into random parts', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (parts) => {
        const node = createHash('sha256');
        for (const p of parts) node.update(p);
        expect(sha256(parts)).toBe(node.digest('hex'));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
