/**
 * The constrained LQR of the consensus paper (sec. V-A, Fig. 3): linear dynamics, a quadratic
 * cost with a stable target at the origin, and box bounds on the controls. The paper gives
 * neither dimensions nor horizon; ours (all *ours*):
 *
 *   model   the planar double integrator (a point mass in the plane), x = (p, v) in R^4,
 *           u in R^2, exact zero-order hold with dt = 0.1:
 *             p+ = p + dt v + dt^2/2 u,   v+ = v + dt u;     |u_i| <= 1
 *   cost    l = 1/2 ||p||^2_Wp + 1/2 ||u||^2_Wu + 1/2 ||x||^2_Wx (the paper's form, p_bar = 0),
 *           Wp = I, Wu = 0.1 I, Wx = 0.1 on the velocities; T = 50 (5 s)
 *   final   1/2 x^T P x with P the stabilizing solution of the discrete algebraic Riccati
 *           equation: without bounds the optimal policy is then the stationary u = -K x at
 *           every knot, a linear state feedback known in closed form that a policy pi(x)
 *           can represent exactly (the tests of the consensus algorithms rely on this)
 *   tasks   p0 ~ U(-2, 2)^2, v0 ~ U(-1, 1)^2: from most starts the unconstrained optimum
 *           asks for more than |u| = 1 at first, so the bounds are active
 *   guess   zero controls; the solver is box-DDP (single shooting)
 *
 * `createLqrTask(options)` builds other sizes (the tests use a one-dimensional double
 * integrator whose bounds never bind); the registered `lqr` is the default above.
 */
import { type Tensor, add, matmul, mul, reshape, slice, square, sum, tensor } from '../autodiff/index.js';
import { CompiledDynamics, VectorSpace } from '../dynamics/index.js';
import { Matrix, choleskySolveMatrixInPlace, choleskyInPlace, mul as matMul, mulAtB, normMax } from '../linalg/index.js';
import { defineProblem, interpolationGuess, stageCost, terminalCost, withTask } from '../ocp/index.js';
import type { Task } from './task.js';

export interface LqrTaskOptions {
  /** Spatial dimensions of the double integrator: nx = 2 d, nu = d. */
  dims: number;
  dt: number;
  horizon: number;
  /** |u_i| <= bound; null for no bounds. */
  bound: number | null;
  positionWeight: number;
  controlWeight: number;
  velocityWeight: number;
  /** p0 ~ U(-positionSpread, positionSpread)^d, v0 ~ U(-velocitySpread, velocitySpread)^d. */
  positionSpread: number;
  velocitySpread: number;
  name: string;
}

export const LQR_TASK: LqrTaskOptions = {
  dims: 2,
  dt: 0.1,
  horizon: 50,
  bound: 1,
  positionWeight: 1,
  controlWeight: 0.1,
  velocityWeight: 0.1,
  positionSpread: 2,
  velocitySpread: 1,
  name: 'lqr',
};

/** The matrices of x+ = A x + B u and l = 1/2 x^T Q x + 1/2 u^T R u, row-major. */
export interface LqrMatrices {
  nx: number;
  nu: number;
  A: Matrix;
  B: Matrix;
  Q: Matrix;
  R: Matrix;
}

export function lqrMatrices(o: Pick<LqrTaskOptions, 'dims' | 'dt' | 'positionWeight' | 'controlWeight' | 'velocityWeight'>): LqrMatrices {
  const d = o.dims;
  const nx = 2 * d;
  const A = new Matrix(nx, nx);
  const B = new Matrix(nx, d);
  const Q = new Matrix(nx, nx);
  const R = new Matrix(d, d);
  for (let i = 0; i < d; i++) {
    A.data[i * nx + i] = 1;
    A.data[i * nx + d + i] = o.dt;
    A.data[(d + i) * nx + d + i] = 1;
    B.data[i * d + i] = (o.dt * o.dt) / 2;
    B.data[(d + i) * d + i] = o.dt;
    Q.data[i * nx + i] = o.positionWeight;
    Q.data[(d + i) * nx + d + i] = o.velocityWeight;
    R.data[i * d + i] = o.controlWeight;
  }
  return { nx, nu: d, A, B, Q, R };
}

/** (R + B^T P B)^{-1} B^T P A: the gain of one Riccati step (u = -K x). */
function riccatiGain(m: LqrMatrices, P: Matrix): Matrix {
  const PB = matMul(new Matrix(m.nx, m.nu), P, m.B);
  const PA = matMul(new Matrix(m.nx, m.nx), P, m.A);
  const S = mulAtB(new Matrix(m.nu, m.nu), m.B, PB);
  for (let i = 0; i < m.nu; i++) for (let j = 0; j < m.nu; j++) S.data[i * m.nu + j] += m.R.data[i * m.nu + j]!;
  const K = mulAtB(new Matrix(m.nu, m.nx), m.B, PA);
  return choleskySolveMatrixInPlace(choleskyInPlace(S), K);
}

/**
 * The stabilizing solution of the discrete algebraic Riccati equation
 *   P = Q + A^T P A - A^T P B (R + B^T P B)^{-1} B^T P A,
 * by iterating the finite-horizon recursion from P = Q until it stops moving, and the
 * stationary optimal gain K (u = -K x). Throws when it does not converge (an unstabilizable pair).
 */
export function discreteRiccati(m: LqrMatrices, maxIterations = 100_000): { P: Matrix; K: Matrix } {
  let P = new Matrix(m.nx, m.nx, m.Q.data.slice());
  for (let it = 0; it < maxIterations; it++) {
    const K = riccatiGain(m, P);
    // P' = Q + A^T P (A - B K)
    const closed = matMul(new Matrix(m.nx, m.nx), m.B, K);
    for (let i = 0; i < closed.data.length; i++) closed.data[i] = m.A.data[i]! - closed.data[i]!;
    const Pc = matMul(new Matrix(m.nx, m.nx), P, closed);
    const next = mulAtB(new Matrix(m.nx, m.nx), m.A, Pc);
    for (let i = 0; i < m.nx; i++) {
      for (let j = 0; j < m.nx; j++) next.data[i * m.nx + j] += m.Q.data[i * m.nx + j]!;
    }
    for (let i = 0; i < m.nx; i++) {
      for (let j = 0; j < i; j++) {
        const s = 0.5 * (next.data[i * m.nx + j]! + next.data[j * m.nx + i]!);
        next.data[i * m.nx + j] = s;
        next.data[j * m.nx + i] = s;
      }
    }
    const diff = new Matrix(m.nx, m.nx, next.data.map((v, i) => v - P.data[i]!));
    P = next;
    if (normMax(diff) <= 1e-13 * (1 + normMax(P))) return { P, K: riccatiGain(m, P) };
  }
  throw new RangeError(`discreteRiccati: no convergence in ${maxIterations} iterations (is (A, B) stabilizable?)`);
}

/** 1/2 v^T W v for a constant symmetric W. */
function halfQuadratic(W: Matrix): (v: Tensor) => Tensor {
  const n = W.rows;
  const Wt = tensor(Array.from(W.data), [n, n]);
  return (v) => mul(0.5, sum(mul(v, reshape(matmul(Wt, reshape(v, [n, 1])), [n]))));
}

export function createLqrTask(overrides: Partial<LqrTaskOptions> = {}): Task {
  const o = { ...LQR_TASK, ...overrides };
  if (!Number.isInteger(o.dims) || o.dims < 1) throw new RangeError(`createLqrTask: dims must be a positive integer, got ${o.dims}`);
  if (o.bound !== null && !(o.bound > 0)) throw new RangeError(`createLqrTask: bound must be positive or null, got ${o.bound}`);
  const m = lqrMatrices(o);
  const { nx, nu } = m;
  const d = o.dims;
  const manifold = new VectorSpace(nx, o.name);
  const At = tensor(Array.from(m.A.data), [nx, nx]);
  const Bt = tensor(Array.from(m.B.data), [nx, nu]);
  const dynamics = new CompiledDynamics({
    name: o.name,
    manifold,
    nu,
    dt: o.dt,
    controlBounds: o.bound === null ? null : { lower: new Float64Array(nu).fill(-o.bound), upper: new Float64Array(nu).fill(o.bound) },
    stepTensor: (x, u) => add(reshape(matmul(At, reshape(x, [nx, 1])), [nx]), reshape(matmul(Bt, reshape(u, [nu, 1])), [nx])),
  });
  const { P } = discreteRiccati(m);
  const terminal = halfQuadratic(P);
  const base = defineProblem({
    dynamics,
    horizon: o.horizon,
    x0: new Float64Array(nx),
    // l = 1/2 ||p||^2_Wp + 1/2 ||u||^2_Wu + 1/2 ||v||^2_Wx (consensus paper, sec. V)
    stageCost: stageCost(manifold, nu, 1, (x, u) =>
      mul(0.5, add(add(mul(o.positionWeight, sum(square(slice(x, [{ start: 0, stop: d }])))), mul(o.controlWeight, sum(square(u)))),
        mul(o.velocityWeight, sum(square(slice(x, [{ start: d }])))))),
    ),
    terminalCost: terminalCost(manifold, 1, (x) => terminal(x)),
  });
  return {
    name: o.name,
    title: o.bound === null ? `LQR (${nx} states)` : `Constrained LQR (${nx} states, |u| <= ${o.bound})`,
    dynamics,
    horizon: o.horizon,
    solver: 'ddp',
    solverOptions: {},
    problem: (instance) => withTask(base, { x0: instance.x0 }),
    // Box-DDP rolls the zero controls out from x0; the states (the line to the target) are read by FDDP only.
    coldGuess: (problem) => interpolationGuess(problem, new Array(nx).fill(0)),
    sampleInstance(rng) {
      const p = Array.from({ length: d }, () => o.positionSpread * (2 * rng.nextFloat() - 1));
      const v = Array.from({ length: d }, () => o.velocitySpread * (2 * rng.nextFloat() - 1));
      return { x0: [...p, ...v] };
    },
    action: { kind: 'torque' },
    plot: { state: { index: 0, label: 'p1' }, control: { index: 0, label: 'u1' } },
  };
}
