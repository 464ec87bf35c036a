/** The pendulum swing-up of DESIGN section 5 on the test pendulum (tests/ocp/systems.ts). */
import { type Tensor, add, mul, slice, square, sub, sum } from '../../src/autodiff/index.js';
import { type OcpProblem, defineProblem, stageCost, terminalCost } from '../../src/ocp/index.js';
import { pendulum, pendulumTip } from './systems.js';

const DT = 0.01;
/** xi = goal of the tip (x, z); upright is (0, 1). */
const tipError = (x: Tensor, xi: Tensor) => sum(square(sub(pendulumTip(x), slice(xi, [{ start: 0, stop: 2 }]))));
export const pendulumStage = (x: Tensor, u: Tensor, xi: Tensor) => mul(DT, add(mul(10, tipError(x, xi)), mul(0.1, sum(square(u)))));
export const pendulumTerminal = (x: Tensor, xi: Tensor) => mul(10, tipError(x, xi));

export function pendulumProblem(q0: number, opts: { T?: number; umax?: number | null; v0?: number } = {}): OcpProblem {
  const dyn = pendulum({ umax: opts.umax, dt: DT });
  return defineProblem({
    dynamics: dyn,
    horizon: opts.T ?? 200,
    x0: [q0, opts.v0 ?? 0],
    xi: [0, 1],
    stageCost: stageCost(dyn.manifold, 1, 2, pendulumStage),
    terminalCost: terminalCost(dyn.manifold, 2, pendulumTerminal),
  });
}
