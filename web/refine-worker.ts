/**
 * The page's Web Worker: runs a solve job (data in, data out) with the same `runJob` the
 * experiments' worker threads run, so the page's thread stays free to animate.
 */
import { type Job, runJob } from '../src/learning/index.js';
import type { OcpSolution } from '../src/ocp/index.js';

export interface RefineReply {
  xs?: Float64Array[];
  us?: Float64Array[];
  cost?: number;
  iterations?: number;
  converged?: boolean;
  solver?: string;
  ms?: number;
  error?: string;
}

self.onmessage = (event: MessageEvent<Job>) => {
  const t0 = performance.now();
  let reply: RefineReply;
  try {
    const s = runJob(event.data) as OcpSolution;
    reply = { xs: s.xs, us: s.us, cost: s.cost, iterations: s.iterations, converged: s.converged, ms: performance.now() - t0 };
  } catch (e) {
    reply = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  self.postMessage(reply);
};
