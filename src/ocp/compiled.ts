/**
 * Compiled helpers the solvers need beyond what `DiscreteDynamics` offers: the manifold's
 * `integrate` / `difference` on flat arrays (the forward pass moves along tangent vectors
 * at every knot), and the curvature of the dynamics contracted with a covector,
 *
 *   H(p) = d^2/dz^2 [ p . (f(x (+) dx, u + du) (-) f(x, u)) ]  at z = (dx, du) = 0,
 *
 * the second-order term that separates true DDP from iLQR (Tassa, Erez & Todorov 2012,
 * eq. 4: the p . f_xx, p . f_ux, p . f_uu tensor products). Without it the feedback gains
 * are a Gauss-Newton approximation; with it, at a local minimum, K_t is exactly du_t/dx_t.
 *
 * Each is staged once per manifold / dynamics object (a WeakMap cache) with `jit`.
 */
import { type Jitted, type Tensor, add, hessian, jit, mul, slice, sum, zeros } from '../autodiff/index.js';
import type { DiscreteDynamics, StateManifold } from '../dynamics/interface.js';

export interface CompiledManifold {
  readonly nx: number;
  readonly ndx: number;
  /** out = x1 (-) x0 (length ndx). */
  difference(x0: Float64Array, x1: Float64Array, out: Float64Array): void;
  /** out = x (+) dx (length nx); out must not alias x. */
  integrate(x: Float64Array, dx: Float64Array, out: Float64Array): void;
}

const manifolds = new WeakMap<StateManifold, CompiledManifold>();

export function compileManifold(m: StateManifold): CompiledManifold {
  const cached = manifolds.get(m);
  if (cached) return cached;
  const diff = jit((a: Tensor, b: Tensor) => m.difference(a, b), [[m.nx], [m.nx]]);
  const integ = jit((a: Tensor, d: Tensor) => m.integrate(a, d), [[m.nx], [m.ndx]]);
  const ins: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
  const outs: Float64Array[] = [new Float64Array(0)];
  const compiled: CompiledManifold = {
    nx: m.nx,
    ndx: m.ndx,
    difference(x0, x1, out) {
      ins[0] = x0;
      ins[1] = x1;
      outs[0] = out;
      diff.run(ins, outs);
    },
    integrate(x, dx, out) {
      ins[0] = x;
      ins[1] = dx;
      outs[0] = out;
      integ.run(ins, outs);
    },
  };
  manifolds.set(m, compiled);
  return compiled;
}

/** (x, u, p) -> [p.f_xx (ndx x ndx), p.f_ux (nu x ndx), p.f_uu (nu x nu)] on the tangent space. */
export interface DynamicsCurvature {
  run(x: Float64Array, u: Float64Array, p: Float64Array, hxx: Float64Array, hux: Float64Array, huu: Float64Array): void;
}

const curvatures = new WeakMap<DiscreteDynamics, DynamicsCurvature>();

export function compileDynamicsCurvature(dynamics: DiscreteDynamics): DynamicsCurvature {
  const cached = curvatures.get(dynamics);
  if (cached) return cached;
  const { ndx, nu, nx, manifold } = dynamics;
  const f: Jitted<Tensor[]> = jit(
    (x: Tensor, u: Tensor, p: Tensor) => {
      const base = dynamics.stepTensor(x, u);
      const g = (z: Tensor) => {
        const dx = slice(z, [{ start: 0, stop: ndx }]);
        const du = slice(z, [{ start: ndx }]);
        const next = dynamics.stepTensor(manifold.integrate(x, dx), add(u, du));
        return sum(mul(p, manifold.difference(base, next)));
      };
      const H = hessian(g)(zeros([ndx + nu]));
      return [
        slice(H, [{ start: 0, stop: ndx }, { start: 0, stop: ndx }]),
        slice(H, [{ start: ndx }, { start: 0, stop: ndx }]),
        slice(H, [{ start: ndx }, { start: ndx }]),
      ];
    },
    [[nx], [nu], [ndx]],
  );
  const ins: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
  const outs: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
  const compiled: DynamicsCurvature = {
    run(x, u, p, hxx, hux, huu) {
      ins[0] = x;
      ins[1] = u;
      ins[2] = p;
      outs[0] = hxx;
      outs[1] = hux;
      outs[2] = huu;
      f.run(ins, outs);
    },
  };
  curvatures.set(dynamics, compiled);
  return compiled;
}
