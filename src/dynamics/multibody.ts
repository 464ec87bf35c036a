/**
 * A rigid-body model as `DiscreteDynamics`: the vector field [v; ABA(q, v, B u)] on the
 * state manifold of the model, discretized by one of the integrators, plus what costs need
 * (frame placements as tensor code, energy) and the model's control bounds.
 *
 * The actuation matrix B (nv x nu) maps controls to generalized forces: the identity for a
 * fully actuated arm, a selection for the acrobot and the cartpole, the thrust allocation of
 * the quadrotor. It is a constant, so B u costs only its nonzeros once compiled.
 */
import { type Tensor, concat, matmul, slice, tensor } from '../autodiff/index.js';
import { aba } from './aba.js';
import { CompiledDynamics } from './discrete.js';
import { totalEnergy } from './energy.js';
import { ModelError } from './errors.js';
import type { ControlBounds } from './interface.js';
import { type IntegratorName, discretize } from './integrators.js';
import { type ReferenceFrame, forwardKinematics, frameJacobian, framePlacement } from './kinematics.js';
import { MultibodyState } from './manifolds.js';
import { type Model, frameIndex } from './model.js';
import type { SE3 } from './spatial.js';

export interface MultibodyOptions {
  /** Time step in seconds. */
  dt?: number;
  integrator?: IntegratorName;
}

export interface MultibodySpec {
  name?: string;
  model: Model;
  /** B, nv x nu row-major. */
  actuation: readonly number[];
  nu: number;
  controlBounds: ControlBounds | null;
  /** The frame that costs use by default (end effector, tool, body). */
  endEffector: string;
  dt: number;
  integrator: IntegratorName;
}

export class MultibodyDynamics extends CompiledDynamics {
  readonly model: Model;
  readonly actuation: Tensor;
  readonly integrator: IntegratorName;
  readonly endEffector: string;
  readonly endEffectorIndex: number;
  declare readonly manifold: MultibodyState;

  constructor(spec: MultibodySpec) {
    const { model, nu } = spec;
    if (spec.actuation.length !== model.nv * nu) {
      throw new ModelError(`${model.name}: the actuation matrix has ${spec.actuation.length} entries, expected nv x nu = ${model.nv} x ${nu}`);
    }
    if (!(spec.dt > 0)) throw new ModelError(`${model.name}: dt must be positive, got ${spec.dt}`);
    const manifold = new MultibodyState(model, spec.name ?? model.name);
    const B = tensor([...spec.actuation], [model.nv, nu]);
    const field = (x: Tensor, u: Tensor): Tensor => {
      const q = slice(x, [{ start: 0, stop: model.nq }]);
      const v = slice(x, [{ start: model.nq, stop: model.nq + model.nv }]);
      return concat([v, aba(model, q, v, matmul(B, u))], 0);
    };
    super({
      name: spec.name ?? model.name,
      manifold,
      nu,
      dt: spec.dt,
      controlBounds: spec.controlBounds,
      stepTensor: discretize(manifold, field, spec.dt, spec.integrator, model.nv),
    });
    this.model = model;
    this.actuation = B;
    this.integrator = spec.integrator;
    this.endEffector = spec.endEffector;
    this.endEffectorIndex = frameIndex(model, spec.endEffector);
  }

  /** The configuration part q of a state. */
  configuration(x: Tensor): Tensor {
    return slice(x, [{ start: 0, stop: this.model.nq }]);
  }

  /** The velocity part v of a state. */
  velocity(x: Tensor): Tensor {
    return slice(x, [{ start: this.model.nq, stop: this.nx }]);
  }

  /** Generalized accelerations ABA(q, v, B u). */
  acceleration(q: Tensor, v: Tensor, u: Tensor): Tensor {
    return aba(this.model, q, v, matmul(this.actuation, u));
  }

  /** World placement of a frame (default: the end effector) as a function of q. */
  framePlacement(q: Tensor, frame: string = this.endEffector): SE3 {
    return framePlacement(this.model, forwardKinematics(this.model, q), frameIndex(this.model, frame));
  }

  /** World position of a frame (default: the end effector) as a function of q, for costs. */
  frameTranslation(q: Tensor, frame: string = this.endEffector): Tensor {
    return this.framePlacement(q, frame).p;
  }

  /** The frame's 6 x nv Jacobian. */
  frameJacobian(q: Tensor, frame: string = this.endEffector, reference: ReferenceFrame = 'localWorldAligned'): Tensor {
    return frameJacobian(this.model, q, frameIndex(this.model, frame), reference);
  }

  /** Kinetic plus potential energy of a state. */
  energy(x: Tensor): Tensor {
    return totalEnergy(this.model, this.configuration(x), this.velocity(x));
  }
}
