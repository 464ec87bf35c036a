/**
 * Small systems built on the DiscreteDynamics interface for the solver tests, written as
 * tensor code and compiled with jit (the way src/dynamics builds its models).
 */
import {
  type Tensor, add, concat, cos, jacfwd, jit, matmul, mul, reshape, sin, slice, sub, tensor,
} from '../../src/autodiff/index.js';
import type { ControlBounds, DiscreteDynamics, StateManifold } from '../../src/dynamics/interface.js';

export function vectorSpace(n: number): StateManifold {
  return {
    nx: n,
    ndx: n,
    integrate: (x, dx) => add(x, dx),
    difference: (x0, x1) => sub(x1, x0),
    neutral: () => new Float64Array(n),
    check(x, what) {
      if (x.length !== n) throw new Error(`${what}: length ${x.length}, expected ${n}`);
    },
  };
}

/** Compile step and tangent Jacobians of a tensor step function (vector-space states). */
export function fromStepTensor(
  name: string,
  nx: number,
  nu: number,
  dt: number,
  bounds: ControlBounds | null,
  stepTensor: (x: Tensor, u: Tensor) => Tensor,
): DiscreteDynamics {
  const manifold = vectorSpace(nx);
  const stepJ = jit((x, u) => stepTensor(x, u), [[nx], [nu]]);
  const jacJ = jit(
    (x, u) => [jacfwd((y: Tensor) => stepTensor(y, u))(x), jacfwd((v: Tensor) => stepTensor(x, v))(u)],
    [[nx], [nu]],
  );
  const ins: ArrayLike<number>[] = [[], []];
  const o1: Float64Array[] = [new Float64Array(0)];
  const o2: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
  return {
    name, manifold, nx, ndx: nx, nu, dt, controlBounds: bounds, stepTensor,
    step(x, u, out) {
      ins[0] = x;
      ins[1] = u;
      o1[0] = out;
      stepJ.run(ins, o1);
    },
    jacobians(x, u, fx, fu) {
      ins[0] = x;
      ins[1] = u;
      o2[0] = fx;
      o2[1] = fu;
      jacJ.run(ins, o2);
    },
  };
}

/** x+ = A x + B u. */
export function linearSystem(A: number[][], B: number[][], bounds: ControlBounds | null = null): DiscreteDynamics {
  const nx = A.length;
  const nu = B[0]!.length;
  const At = tensor(A.flat(), [nx, nx]);
  const Bt = tensor(B.flat(), [nx, nu]);
  return fromStepTensor('linear', nx, nu, 1, bounds, (x, u) =>
    add(reshape(matmul(At, reshape(x, [nx, 1])), [nx]), reshape(matmul(Bt, reshape(u, [nu, 1])), [nx])),
  );
}

/**
 * Pendulum of DESIGN section 5: point mass m at length l, q = 0 upright, torque u,
 * semi-implicit Euler: v+ = v + dt (g/l sin q + u/(m l^2)), q+ = q + dt v+.
 */
export function pendulum(opts: { dt?: number; umax?: number | null } = {}): DiscreteDynamics {
  const dt = opts.dt ?? 0.01;
  const m = 1;
  const l = 1;
  const g = 9.81;
  const umax = opts.umax === undefined ? 25 : opts.umax;
  const bounds = umax === null ? null : { lower: Float64Array.of(-umax), upper: Float64Array.of(umax) };
  return fromStepTensor('pendulum', 2, 1, dt, bounds, (x, u) => {
    const q = slice(x, [{ start: 0, stop: 1 }]);
    const v = slice(x, [{ start: 1, stop: 2 }]);
    const a = add(mul(g / l, sin(q)), mul(1 / (m * l * l), u));
    const v1 = add(v, mul(dt, a));
    return concat([add(q, mul(dt, v1)), v1]);
  });
}

/** End-effector position of the pendulum (x, z) with q = 0 upright: (l sin q, l cos q). */
export function pendulumTip(x: Tensor): Tensor {
  const q = slice(x, [{ start: 0, stop: 1 }]);
  return concat([sin(q), cos(q)]);
}
