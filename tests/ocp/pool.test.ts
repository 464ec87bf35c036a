/**
 * The worker pool gives the same results as the serial path (bit for bit: the same code
 * on the same machine), for DDP, FDDP and constrained requests (multipliers included),
 * and a broken request rejects.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type SolveRequest, SolverPool, solveRequest } from '../../src/ocp/index.js';

const factoryModule = fileURLToPath(new URL('./pool-factory.ts', import.meta.url));

describe('SolverPool', () => {
  const pool = new SolverPool(2);
  afterAll(() => pool.close());

  it('solves in parallel with the same results as the serial path', async () => {
    const requests: SolveRequest[] = [2.7, 2.9, 3.1, 3.3, 3.5, 2.8].map((q0, i) => ({
      module: factoryModule,
      factory: 'pendulumTask',
      params: { q0, interpolate: i % 2 === 1 },
      solver: i % 2 === 1 ? 'fddp' : 'ddp',
      options: { history: false },
    }));
    const parallel = await pool.solveAll(requests);
    for (let i = 0; i < requests.length; i++) {
      const serial = await solveRequest(requests[i]!);
      const p = parallel[i]!;
      expect(p.converged).toBe(serial.converged);
      expect(p.iterations).toBe(serial.iterations);
      expect(p.cost).toBe(serial.cost);
      for (const key of ['xs', 'us', 'K', 'k', 'Vx', 'Vxx'] as const) {
        expect(p[key].map((a) => Array.from(a))).toEqual(serial[key].map((a) => Array.from(a)));
      }
    }
  }, 120_000);

  it('constrained requests: the same solutions, multipliers and violations as the serial path', async () => {
    const tasks = [
      [1.0, 0.1, 0.4, 2.0, -0.2, 0.3],
      [1.2, -0.1, 0.35, 2.1, 0.15, 0.3],
      [0.9, 0.0, 0.3, 1.9, -0.05, 0.25],
    ];
    const requests: SolveRequest[] = tasks.map((cylinders) => ({
      module: factoryModule,
      factory: 'obstacleTask',
      params: { cylinders },
      solver: 'constrained',
      options: { history: false, constraintTolerance: 1e-8 },
    }));
    const parallel = await pool.solveAll(requests);
    for (let i = 0; i < requests.length; i++) {
      const serial = await solveRequest(requests[i]!);
      const p = parallel[i]!;
      expect(serial.converged).toBe(true);
      expect(p.converged).toBe(true);
      expect(p.iterations).toBe(serial.iterations);
      expect(p.cost).toBe(serial.cost);
      expect(p.constraintViolation).toBe(serial.constraintViolation);
      for (const key of ['xs', 'us', 'K', 'multipliers'] as const) {
        expect(p[key]!.map((a) => Array.from(a))).toEqual(serial[key]!.map((a) => Array.from(a)));
      }
    }
  }, 120_000);

  it('rejects a request whose factory does not exist', async () => {
    await expect(pool.solve({ module: factoryModule, factory: 'nope', params: {}, solver: 'ddp' })).rejects.toThrow(/no exported function nope/);
  });
});
