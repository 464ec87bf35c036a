/**
 * Executes the examples of docs/autodiff.md, so the tour cannot go stale.
 *
 * Every ```ts block is a self-contained program that asserts its own claims. Each is written
 * to docs/.tour-<pid>-<n>.ts (inside docs/, so its `../src/...` imports resolve exactly as
 * they read in the markdown; the leading dot keeps the files out of the project's own
 * `tsc` run), type-checked together in one `tsc` call, and imported in its own test, named
 * after its section. Importing it runs it: a failed assertion fails the test. The files
 * are deleted in `afterAll`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = join(ROOT, 'docs');
const MARKDOWN = join(DOCS, 'autodiff.md');

/**
 * How many examples the tour was written with. Extraction must find at least this many,
 * so that a formatting slip (a misspelled fence, say) cannot silently drop one.
 */
const EXAMPLES_WRITTEN = 20;

interface Example {
  heading: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
  code: string;
}

/** The ```ts blocks of a markdown text, each with the nearest heading above it. */
function extractExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  let heading = '(no heading)';
  let open: Example | null = null;
  let body: string[] = [];
  markdown.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (open !== null) {
      if (/^```\s*$/.test(line)) {
        examples.push({ ...open, code: body.join('\n') + '\n' });
        open = null;
      } else {
        body.push(line);
      }
      return;
    }
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = h[1].trim();
    if (/^```(ts|typescript)\s*$/.test(line)) {
      open = { heading, line: i + 1, code: '' };
      body = [];
    }
  });
  if (open !== null) throw new Error(`docs/autodiff.md: the code block opened at line ${(open as Example).line} is never closed`);
  return examples;
}

/** Lines that look like the start of a TypeScript block, however they are spelled. */
function countFenceLikeLines(markdown: string): number {
  return markdown.split('\n').filter((l) => /^\s*(```|~~~)\s*(ts|typescript|tsx)\b/i.test(l)).length;
}

/** Remove tour files left by a run that crashed (their process no longer exists). */
function removeStaleFiles(): void {
  for (const name of readdirSync(DOCS)) {
    const m = /^\.tour-(\d+)-/.exec(name);
    if (m === null || Number(m[1]) === process.pid) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) rmSync(join(DOCS, name), { force: true });
  }
}

const markdown = readFileSync(MARKDOWN, 'utf8');
const examples = extractExamples(markdown);
const files = examples.map((_, i) => join(DOCS, `.tour-${process.pid}-${i + 1}.ts`));
const tsconfig = join(DOCS, `.tour-${process.pid}-tsconfig.json`);

beforeAll(() => {
  removeStaleFiles();
  examples.forEach((ex, i) => writeFileSync(files[i], ex.code));
});

afterAll(() => {
  for (const f of [...files, tsconfig]) rmSync(f, { force: true });
});

describe('docs/autodiff.md', () => {
  it(`has every example the tour was written with (at least ${EXAMPLES_WRITTEN}), all extracted`, () => {
    expect(examples.length).toBeGreaterThanOrEqual(EXAMPLES_WRITTEN);
    expect(examples.length).toBe(countFenceLikeLines(markdown));
    for (const ex of examples) expect(ex.code, `example at line ${ex.line}`).toMatch(/from '\.\.\/src\/autodiff\/index\.js'/);
  });

  it('type-checks every example', () => {
    // Explicit `files` include the dot-files that the project's `include` globs skip.
    writeFileSync(
      tsconfig,
      JSON.stringify({ extends: '../tsconfig.json', include: [], files: files.map((f) => `./${f.slice(DOCS.length + 1)}`) }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', tsconfig], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const out = (e as { stdout?: string }).stdout ?? String(e);
      // Map each temporary file's (line, column) back to docs/autodiff.md.
      const mapped = files.reduce((text, f, i) => {
        const name = f.slice(ROOT.length + 1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        return text.replace(new RegExp(`${name}\\((\\d+),(\\d+)\\)`, 'g'), (_m, l: string, c: string) =>
          `docs/autodiff.md:${examples[i].line + Number(l)}:${c}`);
      }, out);
      throw new Error(`the tour's examples do not type-check:\n${mapped}`);
    }
  });

  const seen = new Map<string, number>();
  examples.forEach((ex, i) => {
    const n = (seen.get(ex.heading) ?? 0) + 1;
    seen.set(ex.heading, n);
    it(`${ex.heading} (example ${n}, line ${ex.line})`, async () => {
      await import(pathToFileURL(files[i]).href);
    });
  });
});
