/**
 * Everything a solve touches, allocated once per solver: per-knot derivatives, Q-function
 * blocks, gains and value derivatives, the current and the trial trajectory. The hot loops
 * (derivatives, backward pass, rollouts) then allocate nothing.
 *
 * Knot t (0 <= t < T) holds the stage quantities; knot T holds only the terminal ones
 * (lx, lxx, Vx, Vxx, gap). `gap_t` is the defect of multiple shooting at knot t:
 * gap_0 = x0 (-) x_0 and gap_{t+1} = f(x_t, u_t) (-) x_{t+1}, a tangent vector at x_{t+1}
 * (Mastalli et al. 2020, eq. 7: the "f-bar" of FDDP); a feasible trajectory has no gaps.
 */
import { type Matrix, zeros as matZeros } from '../linalg/index.js';
import { BoxQpWorkspace } from './boxqp.js';
import type { CostDerivatives } from './problem.js';

export class Knot implements CostDerivatives {
  /** Stage (or terminal) cost value at the current iterate. */
  cost = 0;
  readonly fx: Matrix;
  readonly fu: Matrix;
  readonly lx: Float64Array;
  readonly lu: Float64Array;
  readonly lxx: Float64Array;
  readonly lux: Float64Array;
  readonly luu: Float64Array;
  readonly Lxx: Matrix;
  readonly Lux: Matrix;
  readonly Luu: Matrix;
  readonly Qx: Float64Array;
  readonly Qu: Float64Array;
  readonly Qxx: Matrix;
  readonly Qux: Matrix;
  readonly Quu: Matrix;
  readonly k: Float64Array;
  readonly K: Matrix;
  readonly Vx: Float64Array;
  readonly Vxx: Matrix;
  readonly gap: Float64Array;
  /** 1 where the control is free in the box QP, 0 where it is clamped. */
  readonly free: Uint8Array;
  readonly qp: BoxQpWorkspace;

  constructor(ndx: number, nu: number) {
    this.fx = matZeros(ndx, ndx);
    this.fu = matZeros(ndx, nu);
    this.Lxx = matZeros(ndx, ndx);
    this.Lux = matZeros(nu, ndx);
    this.Luu = matZeros(nu, nu);
    this.lxx = this.Lxx.data;
    this.lux = this.Lux.data;
    this.luu = this.Luu.data;
    this.lx = new Float64Array(ndx);
    this.lu = new Float64Array(nu);
    this.Qx = new Float64Array(ndx);
    this.Qu = new Float64Array(nu);
    this.Qxx = matZeros(ndx, ndx);
    this.Qux = matZeros(nu, ndx);
    this.Quu = matZeros(nu, nu);
    this.k = new Float64Array(nu);
    this.K = matZeros(nu, ndx);
    this.Vx = new Float64Array(ndx);
    this.Vxx = matZeros(ndx, ndx);
    this.gap = new Float64Array(ndx);
    this.free = new Uint8Array(nu).fill(1);
    this.qp = new BoxQpWorkspace(nu);
  }
}

/** A state and control trajectory plus f(x_t, u_t) at each knot, in flat per-knot arrays. */
export class Trajectory {
  readonly xs: Float64Array[];
  readonly us: Float64Array[];
  /** xNext[t] = f(x_t, u_t). */
  readonly xNext: Float64Array[];
  cost = 0;

  constructor(T: number, nx: number, nu: number) {
    this.xs = Array.from({ length: T + 1 }, () => new Float64Array(nx));
    this.us = Array.from({ length: T }, () => new Float64Array(nu));
    this.xNext = Array.from({ length: T }, () => new Float64Array(nx));
  }

  copyFrom(o: Trajectory): void {
    for (let t = 0; t < this.xs.length; t++) this.xs[t]!.set(o.xs[t]!);
    for (let t = 0; t < this.us.length; t++) {
      this.us[t]!.set(o.us[t]!);
      this.xNext[t]!.set(o.xNext[t]!);
    }
    this.cost = o.cost;
  }
}

/** Scratch shared by the knots of one sweep. */
export class Scratch {
  readonly vx: Float64Array;
  readonly w: Float64Array;
  readonly dx: Float64Array;
  readonly dx2: Float64Array;
  readonly du: Float64Array;
  readonly VxxFx: Matrix;
  readonly VxxFu: Matrix;
  readonly W: Matrix;
  readonly hxx: Matrix;
  readonly hux: Matrix;
  readonly huu: Matrix;
  readonly quuReg: Matrix;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly packed: Float64Array;

  constructor(ndx: number, nu: number) {
    this.vx = new Float64Array(ndx);
    this.w = new Float64Array(Math.max(nu, ndx));
    this.dx = new Float64Array(ndx);
    this.dx2 = new Float64Array(ndx);
    this.du = new Float64Array(nu);
    this.VxxFx = matZeros(ndx, ndx);
    this.VxxFu = matZeros(ndx, nu);
    this.W = matZeros(nu, ndx);
    this.hxx = matZeros(ndx, ndx);
    this.hux = matZeros(nu, ndx);
    this.huu = matZeros(nu, nu);
    this.quuReg = matZeros(nu, nu);
    this.lower = new Float64Array(nu);
    this.upper = new Float64Array(nu);
    this.packed = new Float64Array(nu);
  }
}

export class Workspace {
  readonly T: number;
  readonly nx: number;
  readonly ndx: number;
  readonly nu: number;
  readonly knots: Knot[];
  current: Trajectory;
  trial: Trajectory;
  readonly scratch: Scratch;

  constructor(T: number, nx: number, ndx: number, nu: number) {
    this.T = T;
    this.nx = nx;
    this.ndx = ndx;
    this.nu = nu;
    this.knots = Array.from({ length: T + 1 }, () => new Knot(ndx, nu));
    this.current = new Trajectory(T, nx, nu);
    this.trial = new Trajectory(T, nx, nu);
    this.scratch = new Scratch(ndx, nu);
  }

  /** Accept the trial: swap the buffers, no copying. */
  acceptTrial(): void {
    const c = this.current;
    this.current = this.trial;
    this.trial = c;
  }
}
