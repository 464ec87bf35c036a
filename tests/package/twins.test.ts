/**
 * The browser twins (scripts/build.ts): each `X.browser.ts` exports exactly the names of its
 * Node module `X.ts`, so code written against one runs against the other; and the plain
 * TypeScript SHA-256 that seals checkpoints in a browser equals Node's on any bytes, however
 * they are split into parts (fast-check, seeded; a failure prints its seed). And the
 * package's entries (package.json's exports) reach every module of the library.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

/** Modules of src/ (besides the experiment scripts) that no entry of the package reaches, on purpose. */
const NOT_EXPORTED = new Set(['learning/workers/queue.ts', 'learning/workers/wire.ts', 'autodiff/kernels/threads-worker.ts']);

describe('the package entries', () => {
  it('reach every module of src/ (a new module joins its layer\'s index.ts, or NOT_EXPORTED says why not)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> };
    const entries = Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [] : [e.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')]));
    const seen = new Set<string>();
    const visit = (rel: string) => {
      if (seen.has(rel)) return;
      seen.add(rel);
      const twin = rel.replace(/\.ts$/, '.browser.ts'); // what a browser build reaches instead
      if (existsSync(join(ROOT, 'src', twin))) visit(twin);
      const text = readFileSync(join(ROOT, 'src', rel), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
        const target = relative(join(ROOT, 'src'), resolve(dirname(join(ROOT, 'src', rel)), spec)).split('\\').join('/').replace(/\.js$/, '.ts');
        if (existsSync(join(ROOT, 'src', target))) visit(target);
      }
    };
    entries.forEach(visit);
    const all = sourceFiles(join(ROOT, 'src')).filter((f) => !f.startsWith('experiments/'));
    expect(all.filter((f) => !seen.has(f) && !NOT_EXPORTED.has(f))).toEqual([]);
  });
});

function sourceFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path, base);
    return name.endsWith('.ts') ? [relative(base, path).split('\\').join('/')] : [];
  });
}
