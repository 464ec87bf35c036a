/**
 * Typed errors of the dynamics layer. Each names the model (or manifold) and the shapes or
 * values involved, so that a bad state handed to a solver deep inside a rollout says where it
 * came from instead of turning into a silent NaN (DESIGN section 4).
 */

/** Base class: every error the dynamics layer throws on purpose. */
export class DynamicsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A state, configuration or control of the wrong length. */
export class DynamicsShapeError extends DynamicsError {
  constructor(
    readonly model: string,
    readonly what: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${model}: ${what} must have length ${expected}, got length ${actual}`);
  }
}

/** A NaN or an infinity in an input. */
export class NonFiniteInputError extends DynamicsError {
  constructor(
    readonly model: string,
    readonly what: string,
    readonly index: number,
    readonly value: number,
  ) {
    super(`${model}: ${what}[${index}] is ${value}; inputs must be finite`);
  }
}

/** A step or Jacobian that came out NaN or infinite from finite inputs (a diverging rollout). */
export class NonFiniteResultError extends DynamicsError {
  constructor(
    readonly model: string,
    readonly what: string,
    readonly index: number,
    readonly state: readonly number[],
    readonly control: readonly number[],
  ) {
    super(`${model}: ${what}[${index}] is not finite at state [${state.join(', ')}], control [${control.join(', ')}]`);
  }
}

/** A free-flyer quaternion whose norm is not 1 (within the tolerance of `check`). */
export class QuaternionNormError extends DynamicsError {
  constructor(
    readonly model: string,
    readonly what: string,
    readonly offset: number,
    readonly norm: number,
  ) {
    super(`${model}: ${what}[${offset}..${offset + 4}] is a quaternion of norm ${norm}; it must be a unit quaternion`);
  }
}

/** A model description that cannot be built (unknown model name, bad tree, bad option). */
export class ModelError extends DynamicsError {}

/** Throw if `x` does not have length `n` or holds a non-finite number. */
export function checkVector(model: string, what: string, x: ArrayLike<number>, n: number): void {
  if (x.length !== n) throw new DynamicsShapeError(model, what, n, x.length);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new NonFiniteInputError(model, what, i, x[i]);
  }
}

/** Throw if an output buffer `x` does not have length `n`. */
export function checkLength(model: string, what: string, x: ArrayLike<number>, n: number): void {
  if (x.length !== n) throw new DynamicsShapeError(model, what, n, x.length);
}
