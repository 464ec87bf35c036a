/**
 * A solve as data. Closures (compiled costs, dynamics) cannot cross a thread boundary, so
 * a worker rebuilds the problem from a description: the ES module that knows how to build
 * it, the exported factory's name, and structured-cloneable parameters (a model name,
 * options, the task xi, the start state...). The same function runs the request serially
 * and inside a worker, which is why the two paths give identical results.
 *
 * A factory should compile its costs once per model at module level and only vary x0 / xi
 * per call (the compiled code reads xi at run time): then a worker pays the `jit` staging
 * once, not per request.
 */
import { pathToFileURL } from 'node:url';
import { solveConstrained, type ConstrainedGuess, type ConstrainedOptions } from './constrained.js';
import { solveCore } from './core.js';
import type { OcpProblem } from './problem.js';
import type { OcpSolution } from './solution.js';

export interface ProblemFactoryResult {
  problem: OcpProblem;
  /** Default initial guess when the request carries none. */
  init?: ConstrainedGuess;
}

export type ProblemFactory = (params: unknown) => ProblemFactoryResult | Promise<ProblemFactoryResult>;

export interface SolveRequest {
  /** Absolute path or file: URL of an ES module (a .ts module works under tsx and vitest). */
  module: string;
  /** Name of the exported factory in that module. */
  factory: string;
  /** Structured-cloneable parameters for the factory. */
  params: unknown;
  solver: 'ddp' | 'fddp' | 'constrained';
  options?: Partial<ConstrainedOptions>;
  init?: ConstrainedGuess;
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

function moduleUrl(spec: string): string {
  return spec.startsWith('file:') ? spec : pathToFileURL(spec).href;
}

async function loadFactory(req: SolveRequest): Promise<ProblemFactory> {
  const url = moduleUrl(req.module);
  let mod = modules.get(url);
  if (!mod) {
    mod = import(url) as Promise<Record<string, unknown>>;
    modules.set(url, mod);
  }
  const f = (await mod)[req.factory];
  if (typeof f !== 'function') throw new Error(`solve request: ${req.module} has no exported function ${req.factory}`);
  return f as ProblemFactory;
}

/** Build the problem a request describes and solve it. */
export async function solveRequest(req: SolveRequest): Promise<OcpSolution> {
  const factory = await loadFactory(req);
  const { problem, init } = await factory(req.params);
  const guess = req.init ?? init ?? {};
  if (req.solver === 'constrained') return solveConstrained(problem, guess, req.options);
  return solveCore(problem, req.solver, req.options, guess).solution;
}
