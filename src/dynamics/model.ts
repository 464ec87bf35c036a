/**
 * A kinematic tree in Featherstone's and Pinocchio's style: a constant `Model` (the tree's
 * parents, joints, joint placements, inertias, limits and named frames) kept apart from a
 * `Data` record of what one evaluation computes (placements, velocities, accelerations,
 * forces per body). Algorithms are short pairs of loops over `model.bodies`, which are
 * numbered so that a parent comes before its children (Featherstone's lambda(i) < i).
 *
 * Body i hangs from body `parent` (-1: the fixed world) by its joint; `placement` is the
 * joint frame in the parent body's frame, so the body's placement in its parent is
 * liMi = placement X_J(q_i) (Pinocchio's liMi).
 */
import { type Tensor, slice } from '../autodiff/index.js';
import { ModelError } from './errors.js';
import { type Joint } from './joints.js';
import { type Force, type Inertia, type Motion, type SE3, se3Constant } from './spatial.js';

export interface Body {
  readonly name: string;
  readonly parent: number;
  readonly joint: Joint;
  readonly placement: SE3;
  readonly inertia: Inertia;
  /** Offset of this joint's coordinates in q, and in v. */
  readonly idxQ: number;
  readonly idxV: number;
}

/** A named frame fixed on a body (an end effector, a tool, a sensor). */
export interface Frame {
  readonly name: string;
  readonly body: number;
  /** The frame's placement in the body frame. */
  readonly placement: SE3;
}

/** Per-degree-of-freedom limits, length nv (position limits length nq); absent when unknown. */
export interface Limits {
  readonly effort?: readonly number[];
  readonly velocity?: readonly number[];
  readonly positionLower?: readonly number[];
  readonly positionUpper?: readonly number[];
}

export interface Model {
  readonly name: string;
  readonly bodies: readonly Body[];
  readonly frames: readonly Frame[];
  readonly nq: number;
  readonly nv: number;
  /** Gravity acceleration in the world frame, e.g. (0, 0, -9.81). */
  readonly gravity: readonly number[];
  readonly limits: Limits;
}

/** What one evaluation of an algorithm computes, per body (Pinocchio's Data). */
export interface Data {
  /** Placement of body i in its parent body. */
  liMi: SE3[];
  /** Placement of body i in the world. */
  oMi: SE3[];
  /** Spatial velocity of body i, in its own frame. */
  v: Motion[];
  /** Spatial acceleration of body i, in its own frame. */
  a: Motion[];
  /** Force transmitted to body i through its joint, in its own frame. */
  f: Force[];
}

export function createData(model: Model): Data {
  const n = model.bodies.length;
  return { liMi: new Array(n), oMi: new Array(n), v: new Array(n), a: new Array(n), f: new Array(n) };
}

export interface BodySpec {
  name: string;
  /** Parent body name, or null for the world. */
  parent: string | null;
  joint: Joint;
  /** Joint placement in the parent frame: translation and row-major rotation (identity if absent). */
  placement?: { xyz: readonly number[]; R?: readonly number[] };
  inertia: Inertia;
}

/** Build a model body by body; parents must be added before their children. */
export class ModelBuilder {
  private readonly bodies: Body[] = [];
  private readonly frames: Frame[] = [];
  private nq = 0;
  private nv = 0;

  constructor(
    readonly name: string,
    readonly gravity: readonly number[] = [0, 0, -9.81],
  ) {}

  addBody(spec: BodySpec): this {
    const parent = spec.parent === null ? -1 : this.bodyIndex(spec.parent);
    if (this.bodies.some((b) => b.name === spec.name)) throw new ModelError(`${this.name}: body ${spec.name} is defined twice`);
    this.bodies.push({
      name: spec.name,
      parent,
      joint: spec.joint,
      placement: se3Constant(spec.placement?.xyz ?? [0, 0, 0], spec.placement?.R),
      inertia: spec.inertia,
      idxQ: this.nq,
      idxV: this.nv,
    });
    this.nq += spec.joint.nq;
    this.nv += spec.joint.nv;
    return this;
  }

  /** A frame on `body` at translation xyz and rotation R (row-major, identity if absent). */
  addFrame(name: string, body: string, xyz: readonly number[], R?: readonly number[]): this {
    this.frames.push({ name, body: this.bodyIndex(body), placement: se3Constant(xyz, R) });
    return this;
  }

  build(limits: Limits = {}): Model {
    for (const [key, values] of Object.entries(limits) as [keyof Limits, readonly number[]][]) {
      const n = key === 'positionLower' || key === 'positionUpper' ? this.nq : this.nv;
      if (values.length !== n) throw new ModelError(`${this.name}: ${key} limits have length ${values.length}, expected ${n}`);
    }
    // Every body also gets a frame of its own name, at its origin.
    const bodyFrames = this.bodies.map((b, i): Frame => ({ name: b.name, body: i, placement: se3Constant([0, 0, 0]) }));
    return {
      name: this.name,
      bodies: [...this.bodies],
      frames: [...bodyFrames, ...this.frames],
      nq: this.nq,
      nv: this.nv,
      gravity: [...this.gravity],
      limits,
    };
  }

  private bodyIndex(name: string): number {
    const i = this.bodies.findIndex((b) => b.name === name);
    if (i < 0) throw new ModelError(`${this.name}: no body named ${name}`);
    return i;
  }
}

/** The index of a frame by name. */
export function frameIndex(model: Model, name: string): number {
  const i = model.frames.findIndex((f) => f.name === name);
  if (i < 0) throw new ModelError(`${model.name}: no frame named ${name} (frames: ${model.frames.map((f) => f.name).join(', ')})`);
  return i;
}

/** Body i's slice of a configuration vector. */
export function jointConfiguration(body: Body, q: Tensor): Tensor {
  return slice(q, [{ start: body.idxQ, stop: body.idxQ + body.joint.nq }]);
}

/** Body i's slice of a velocity-sized vector (v, a, tau). */
export function jointVelocity(body: Body, v: Tensor): Tensor {
  return slice(v, [{ start: body.idxV, stop: body.idxV + body.joint.nv }]);
}
