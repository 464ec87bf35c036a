/**
 * The layers of DESIGN section 2 (docs/architecture.md draws them), checked on the imports
 * of every source file: a folder imports only from the folders below it, and no group of
 * modules imports itself round in a cycle. `import type` lines are left out: they vanish
 * when the code runs, and a type may be shared between neighbours that call each other.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

/** Each layer, lowest first, with the layers it may import from (its own folder is always allowed). */
const LAYERS: Record<string, string[]> = {
  'autodiff/kernels': [],
  autodiff: ['autodiff/kernels'],
  nn: ['autodiff'],
  linalg: ['autodiff'],
  dynamics: ['autodiff', 'linalg'],
  diffusion: ['nn', 'autodiff'],
  ocp: ['autodiff', 'linalg', 'dynamics'],
  tasks: ['ocp', 'dynamics', 'linalg', 'autodiff'],
  learning: ['tasks', 'ocp', 'diffusion', 'dynamics', 'linalg', 'nn', 'autodiff'],
  experiments: ['learning', 'tasks', 'ocp', 'diffusion', 'dynamics', 'linalg', 'nn', 'autodiff'],
};

/** A layer's allowed targets include everything those layers contain (autodiff includes its kernels). */
function layerOf(file: string): string {
  const rel = relative(src, file).split('\\').join('/');
  const match = Object.keys(LAYERS).filter((l) => rel === l || rel.startsWith(`${l}/`)).sort((a, b) => b.length - a.length)[0];
  if (match === undefined) throw new Error(`${rel}: in no layer of tests/architecture/layers.test.ts (add its folder there and to docs/architecture.md)`);
  return match;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

/**
 * The project files a module loads at run time: its imports (relative specifiers, `import
 * type` left out), and the worker scripts it starts (`new URL('./x.mjs', import.meta.url)`),
 * which the layer rule covers but the cycle check does not (a worker is a new thread with
 * its own module graph, so a worker entry importing its pool's module is no cycle).
 */
function runtimeImports(file: string): { imports: string[]; workers: string[] } {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm)].map((m) => m[1]);
  const dynamic = [...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  const workers = [...text.matchAll(/new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)].map((m) => m[1]);
  const inProject = (specs: string[]) => specs.map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts')).filter((t) => t.startsWith(src));
  return { imports: inProject([...specs, ...dynamic]), workers: inProject(workers) };
}

const files = sourceFiles(src);
const loads = new Map(files.map((f) => [f, runtimeImports(f)]));
const graph = new Map([...loads].map(([f, l]) => [f, [...l.imports, ...l.workers]]));
const importGraph = new Map([...loads].map(([f, l]) => [f, l.imports]));

describe('architecture', () => {
  it('every import points to the same layer or one below it', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        const allowed = to === from || LAYERS[from].some((l) => to === l || to.startsWith(`${l}/`)) || (from === 'autodiff' && to === 'autodiff/kernels');
        if (!allowed) violations.push(`${relative(src, file)} (${from}) imports ${relative(src, target)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((t) => !files.includes(t) && !files.includes(t.replace(/\.ts$/, '.mjs'))).map((t) => `${relative(src, file)} -> ${relative(src, t)}`));
    expect(missing).toEqual([]);
  });

  it('no module imports itself through a cycle', () => {
    // Tarjan's strongly connected components: any component of more than one module is a cycle.
    let index = 0;
    const indices = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      indices.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of importGraph.get(v) ?? []) {
        if (!importGraph.has(w)) continue;
        if (!indices.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
      if (low.get(v) === indices.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(relative(src, w));
        } while (w !== v);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const f of files) if (!indices.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
