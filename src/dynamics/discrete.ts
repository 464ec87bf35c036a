/**
 * `DiscreteDynamics` from one differentiable step function: `stepTensor` is the source of
 * truth; `step` and `jacobians` are that same code staged once with `jit` (compiled lazily on
 * first use, or by `compile()`), so the compiled path cannot drift from the reference.
 *
 * The Jacobians are taken on the tangent spaces (interface.ts):
 *   f_x = d/d(dx) difference(f(x, u), f(x (+) dx, u)) at dx = 0,
 *   f_u = d/d(du) difference(f(x, u), f(x, u + du)) at du = 0,
 * by forward mode (`jacfwd`) traced inside `jit`. Differentiating at the constant dx = 0
 * lets the compiler fold x (+) 0 and every term that is zero there.
 */
import { type Jitted, type Tensor, add, jacfwd, jit, zeros } from '../autodiff/index.js';
import { NonFiniteResultError, checkLength, checkVector } from './errors.js';
import type { ControlBounds, DiscreteDynamics, StateManifold } from './interface.js';

export interface DiscreteSpec {
  name: string;
  manifold: StateManifold;
  nu: number;
  dt: number;
  controlBounds: ControlBounds | null;
  stepTensor: (x: Tensor, u: Tensor) => Tensor;
}

/** Compile times (ms) and scalar operation counts of the compiled step and Jacobians. */
export interface CompileStats {
  stepCompileMs: number;
  jacobiansCompileMs: number;
  stepOperations: number;
  jacobiansOperations: number;
}

export class CompiledDynamics implements DiscreteDynamics {
  readonly name: string;
  readonly manifold: StateManifold;
  readonly nx: number;
  readonly ndx: number;
  readonly nu: number;
  readonly dt: number;
  readonly controlBounds: ControlBounds | null;
  private readonly stepFn: (x: Tensor, u: Tensor) => Tensor;
  private stepJit: Jitted<Tensor> | null = null;
  private jacobiansJit: Jitted<Tensor[]> | null = null;
  private stats: Partial<CompileStats> = {};
  // Reused argument arrays, so that a call allocates nothing.
  private readonly outs: Float64Array[] = [new Float64Array(0)];
  private readonly jacobianOuts: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

  constructor(spec: DiscreteSpec) {
    this.name = spec.name;
    this.manifold = spec.manifold;
    this.nx = spec.manifold.nx;
    this.ndx = spec.manifold.ndx;
    this.nu = spec.nu;
    this.dt = spec.dt;
    this.controlBounds = spec.controlBounds;
    this.stepFn = spec.stepTensor;
  }

  stepTensor(x: Tensor, u: Tensor): Tensor {
    return this.stepFn(x, u);
  }

  /** The tangent-space Jacobians as tensor code (what `jacobians` compiles): [f_x, f_u]. */
  jacobiansTensor(x: Tensor, u: Tensor): [Tensor, Tensor] {
    const M = this.manifold;
    const y = this.stepFn(x, u);
    const fx = jacfwd((dx: Tensor) => M.difference(y, this.stepFn(M.integrate(x, dx), u)))(zeros([this.ndx]));
    const fu = jacfwd((du: Tensor) => M.difference(y, this.stepFn(x, add(u, du))))(zeros([this.nu]));
    return [fx, fu];
  }

  /** Compile the step and the Jacobians now (otherwise done on first use). */
  compile(): CompileStats {
    this.compiledStep();
    this.compiledJacobians();
    return this.stats as CompileStats;
  }

  private compiledStep(): Jitted<Tensor> {
    if (this.stepJit === null) {
      const t0 = performance.now();
      this.stepJit = jit((x: Tensor, u: Tensor) => this.stepFn(x, u), [[this.nx], [this.nu]]);
      this.stats.stepCompileMs = performance.now() - t0;
      this.stats.stepOperations = this.stepJit.operations;
    }
    return this.stepJit;
  }

  private compiledJacobians(): Jitted<Tensor[]> {
    if (this.jacobiansJit === null) {
      const t0 = performance.now();
      this.jacobiansJit = jit((x: Tensor, u: Tensor) => this.jacobiansTensor(x, u), [[this.nx], [this.nu]]);
      this.stats.jacobiansCompileMs = performance.now() - t0;
      this.stats.jacobiansOperations = this.jacobiansJit.operations;
    }
    return this.jacobiansJit;
  }

  /** Throw a typed error for a state or control of the wrong length, a NaN, a non-unit quaternion. */
  checkInputs(x: ArrayLike<number>, u: ArrayLike<number>): void {
    this.manifold.check(x, 'state');
    checkVector(this.name, 'control', u, this.nu);
  }

  /** The compiled step; throws a typed error on bad input, and if the result is not finite. */
  step(x: ArrayLike<number>, u: ArrayLike<number>, out: Float64Array): void {
    this.checkInputs(x, u);
    checkLength(this.name, 'step output', out, this.nx);
    this.outs[0] = out;
    this.compiledStep().run([x, u], this.outs);
    this.checkResult('step', out, x, u);
  }

  /** Finite inputs can still give a non-finite result (a rollout that diverged): say so. */
  private checkResult(what: string, out: Float64Array, x: ArrayLike<number>, u: ArrayLike<number>): void {
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) throw new NonFiniteResultError(this.name, what, i, Array.from(x), Array.from(u));
    }
  }

  jacobians(x: ArrayLike<number>, u: ArrayLike<number>, fx: Float64Array, fu: Float64Array): void {
    this.checkInputs(x, u);
    checkLength(this.name, 'fx output', fx, this.ndx * this.ndx);
    checkLength(this.name, 'fu output', fu, this.ndx * this.nu);
    this.jacobianOuts[0] = fx;
    this.jacobianOuts[1] = fu;
    this.compiledJacobians().run([x, u], this.jacobianOuts);
    this.checkResult('fx', fx, x, u);
    this.checkResult('fu', fu, x, u);
  }
}
