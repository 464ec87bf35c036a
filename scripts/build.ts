/**
 * The package build (`npm run build`): the library's TypeScript, every file of src/ but the
 * experiment scripts, compiled one to one into dist/ as ES modules by esbuild (no bundling,
 * so the engine is one module instance however many subpaths a program imports), its
 * declarations by tsc (tsconfig.build.json), and the plain-JavaScript worker entries (.mjs)
 * copied beside their modules, where they find the compiled JavaScript and need no tsx
 * (src/autodiff/kernels/worker-module.mjs).
 *
 * Browser twins: a module that needs Node (`node:*`) has a twin `X.browser.ts` beside
 * `X.ts` with the same exports. package.json's `browser` map names each pair in dist/, so a
 * bundler that builds the package for a browser (esbuild, webpack, Vite) takes the twin;
 * `browserTwinsPlugin` below does the same for bundles built from the sources (the web page).
 * tests/package/ checks that the map lists exactly the twins there are.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Plugin, build } from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
/** Scripts, not library: they stay in the repository. */
const NOT_IN_PACKAGE = [join(SRC, 'experiments')];

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (NOT_IN_PACKAGE.includes(path)) return [];
    if (statSync(path).isDirectory()) return filesUnder(path, pattern);
    return pattern.test(name) ? [path] : [];
  });
}

/** Every `X.browser.ts` of src/ (with its `X.ts`), relative to src/. */
export function browserTwins(): { node: string; browser: string }[] {
  return filesUnder(SRC, /\.browser\.ts$/).map((path) => {
    const browser = relative(SRC, path).split('\\').join('/');
    return { node: browser.replace(/\.browser\.ts$/, '.ts'), browser };
  });
}

/**
 * The esbuild plugin for bundles built from the sources for a browser: an import that
 * resolves to `src/.../X.ts` gets `X.browser.ts` instead where that twin exists.
 */
export function browserTwinsPlugin(): Plugin {
  return {
    name: 'browser-twins',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.pluginData === 'twin' || !args.importer.startsWith(SRC)) return undefined;
        const twin = resolve(args.resolveDir, args.path).replace(/\.js$/, '.browser.ts');
        return existsSync(twin) ? { path: twin } : undefined;
      });
    },
  };
}

/** Compile the library into `out` (default dist/): JavaScript, declarations, worker entries. */
export async function buildPackage(out = join(ROOT, 'dist')): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: filesUnder(SRC, /\.ts$/),
    outdir: out,
    outbase: SRC,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'warning',
  });
  for (const entry of filesUnder(SRC, /\.mjs$/)) copyFileSync(entry, join(out, relative(SRC, entry)));
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'inherit' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  await buildPackage();
  console.log(`built dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
