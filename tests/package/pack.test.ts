/**
 * The library as a package, as a user gets it: `npm pack` (which builds dist/ first), the
 * tarball installed into a temporary consumer project, and there
 *
 *   - plain `node` (no tsx anywhere on the consumer's module path) imports the package by
 *     name and its subpaths: a gradient, a Hessian, a pendulum solve on this thread and on a
 *     worker thread (the pool's worker started from the compiled JavaScript), and a matmul on
 *     the threads kernel (its workers too); the numbers must equal those of the sources;
 *   - tsc type-checks a small TypeScript consumer against the declarations (strict, Node's
 *     own module resolution, with an `@ts-expect-error` that fails if the types were `any`);
 *   - esbuild bundles the package for a browser: the `browser` map must swap every Node-only
 *     module for its twin, so the bundle contains no `node:*` import.
 *
 * And package.json's `browser` map must list exactly the twins src/ has (scripts/build.ts).
 *
 * The install needs gpu.js and its dependencies: from npm's cache when it has them
 * (`--prefer-offline`), else from the registry.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, browserTwins } from '../../scripts/build.js';
import { Rng, type Tensor, grad, hessian, mul, sin, sum, tensor } from '../../src/autodiff/index.js';
import { solveInstance } from '../../src/learning/workers/jobs.js';
import { taskByName } from '../../src/tasks/index.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; browser: Record<string, string> };

/** What the consumer computes with plain node; it prints one JSON line. */
const CHECK_MJS = `
import { Rng, grad, hessian, matmul, mul, setKernelBackend, availableBackends, sin, sum, tensor } from '${pkg.name}';
import { JobPool, solveInstance } from '${pkg.name}/learning';
import { taskByName } from '${pkg.name}/tasks';

const out = {};
out.grad = grad((x) => sum(mul(mul(x, x), x)))(tensor([2])).toArray();
out.hessian = hessian((x) => sum(mul(sin(x), x)))(tensor([0.5, 1])).toArray();
const instance = taskByName('pendulum').sampleInstance(new Rng(7));
const solution = solveInstance({ kind: 'solve', task: 'pendulum', instance });
out.solve = { cost: solution.cost, converged: solution.converged, iterations: solution.iterations };
const pool = new JobPool(1);
out.workerCost = (await pool.solve({ task: 'pendulum', instance })).cost;
await pool.close();
out.threads = availableBackends().includes('threads');
if (out.threads) {
  const rng = new Rng(3);
  const a = rng.normal([4, 128, 128]);
  const b = rng.normal([4, 128, 128]);
  setKernelBackend('matmul', 'reference');
  const reference = matmul(a, b).toArray();
  setKernelBackend('matmul', 'threads');
  const threaded = matmul(a, b).toArray();
  out.threadsMaxError = Math.max(...threaded.map((v, i) => Math.abs(v - reference[i])));
}
console.log(JSON.stringify(out));
`;

/** A TypeScript consumer, type-checked against the declarations. */
const CONSUMER_TS = `
import { type Tensor, grad, mul, sum, tensor } from '${pkg.name}';
import { type Task, taskByName } from '${pkg.name}/tasks';
import { type OcpSolution, solveOcp } from '${pkg.name}/ocp';
import { MLP } from '${pkg.name}/nn';
import { adam } from '${pkg.name}/nn/optim';
import { type DiffusionPolicy, decodePolicy } from '${pkg.name}/diffusion';
import { JobPool } from '${pkg.name}/learning';
import { cholesky } from '${pkg.name}/linalg';
import { createModel } from '${pkg.name}/dynamics';

const square = (x: Tensor): Tensor => sum(mul(x, x));
const g: Tensor = grad(square)(tensor([1, 2]));
const task: Task = taskByName('pendulum');
const problem = task.problem(task.sampleInstance(new (await import('${pkg.name}')).Rng(0)));
const solution: OcpSolution = solveOcp(problem, task.solver, task.coldGuess(problem), task.solverOptions);
const cost: number = solution.cost;
const policy: (bytes: Uint8Array) => DiffusionPolicy = decodePolicy;
export { g, cost, policy, MLP, adam, JobPool, cholesky, createModel };
// @ts-expect-error grad differentiates a function of tensors, not a number (fails if the declarations were any)
grad(42);
`;

let dir = '';
let consumer = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sobolev-to-pack-'));
  execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  consumer = join(dir, 'consumer');
  execFileSync('mkdir', [consumer]);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(dir, tarball)], { cwd: consumer, stdio: ['ignore', 'ignore', 'inherit'] });
}, 120_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('runs under plain node: gradient, Hessian, solves here and on a worker, the threads kernel', () => {
    writeFileSync(join(consumer, 'check.mjs'), CHECK_MJS);
    const out = JSON.parse(execFileSync('node', ['check.mjs'], { cwd: consumer, encoding: 'utf8' })) as {
      grad: number[]; hessian: number[]; solve: { cost: number; converged: boolean; iterations: number }; workerCost: number; threads: boolean; threadsMaxError?: number;
    };
    expect(out.grad).toEqual([12]);
    expect(out.hessian).toEqual(hessian((x: Tensor) => sum(mul(sin(x), x)))(tensor([0.5, 1])).toArray());
    expect(out.grad).toEqual(grad((x: Tensor) => sum(mul(mul(x, x), x)))(tensor([2])).toArray());
    // The same solve from the sources: the compiled package must give the same numbers.
    const instance = taskByName('pendulum').sampleInstance(new Rng(7));
    const expected = solveInstance({ kind: 'solve', task: 'pendulum', instance });
    expect(out.solve.converged).toBe(true);
    expect(out.solve.iterations).toBe(expected.iterations);
    expect(out.solve.cost).toBe(expected.cost);
    expect(out.workerCost).toBe(expected.cost);
    if (out.threads) expect(out.threadsMaxError).toBeLessThan(1e-9);
  }, 60_000);

  it('type-checks a strict TypeScript consumer against its declarations', () => {
    writeFileSync(join(consumer, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, types: [], skipLibCheck: false },
      files: ['consumer.ts'],
    }));
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    let output = '';
    try {
      output = execFileSync(tsc, ['-p', consumer], { cwd: consumer, encoding: 'utf8' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  }, 60_000);

  it('bundles for a browser with no node:* import', async () => {
    writeFileSync(join(consumer, 'browser.mjs'), `
      export * as engine from '${pkg.name}';
      export * as nn from '${pkg.name}/nn';
      export * as diffusion from '${pkg.name}/diffusion';
      export * as learning from '${pkg.name}/learning';
      export * as tasks from '${pkg.name}/tasks';
    `);
    const result = await build({ entryPoints: [join(consumer, 'browser.mjs')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', absWorkingDir: consumer });
    const text = result.outputFiles[0].text;
    expect(text.match(/["']node:[a-z_]+["']/g) ?? []).toEqual([]);
    expect(text).toContain('Node worker threads are not available in a browser'); // the pool's twin is the one bundled
  }, 60_000);
});

describe('package.json', () => {
  it("maps every browser twin of src/ in its `browser` field, and nothing else", () => {
    const twins = Object.fromEntries(browserTwins().map(({ node, browser }) => [`./dist/${node.replace(/\.ts$/, '.js')}`, `./dist/${browser.replace(/\.ts$/, '.js')}`]));
    expect(Object.keys(twins).length).toBeGreaterThan(0);
    expect(pkg.browser).toEqual(twins);
  });
});
