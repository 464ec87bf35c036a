/**
 * Bad input is a typed error that names the model and the shapes, never a silent NaN:
 * wrong state or control length, NaN or infinity, a non-unit quaternion, an unknown model.
 */
import { describe, expect, it } from 'vitest';
import {
  DynamicsShapeError, ModelError, NonFiniteInputError, NonFiniteResultError, QuaternionNormError, createModel, MODEL_NAMES,
} from '../../src/dynamics/index.js';

describe('typed errors for bad input', () => {
  for (const name of MODEL_NAMES) {
    it(`${name}: wrong lengths and NaN`, () => {
      const model = createModel(name);
      const x = model.manifold.neutral();
      const u = new Float64Array(model.nu);
      const out = new Float64Array(model.nx);
      const fx = new Float64Array(model.ndx * model.ndx);
      const fu = new Float64Array(model.ndx * model.nu);
      expect(() => model.step(x.subarray(1), u, out)).toThrow(DynamicsShapeError);
      expect(() => model.step(x.subarray(1), u, out)).toThrow(new RegExp(`${model.name}: state must have length ${model.nx}, got length ${model.nx - 1}`));
      expect(() => model.step(x, new Float64Array(model.nu + 1), out)).toThrow(new RegExp(`${model.name}: control must have length ${model.nu}, got length ${model.nu + 1}`));
      expect(() => model.jacobians(x, u, fx.subarray(1), fu)).toThrow(DynamicsShapeError);
      const bad = Float64Array.from(x);
      bad[bad.length - 1] = NaN;
      expect(() => model.step(bad, u, out)).toThrow(NonFiniteInputError);
      expect(() => model.jacobians(bad, u, fx, fu)).toThrow(new RegExp(`${model.name}: state\\[${model.nx - 1}\\] is NaN`));
      const badU = Float64Array.from(u);
      badU[0] = Infinity;
      expect(() => model.step(x, badU, out)).toThrow(/control\[0\] is Infinity/);
      // Nothing was written by the rejected calls.
      expect(Array.from(out).every((v) => v === 0)).toBe(true);
    });
  }

  it('a non-unit quaternion is rejected, a unit one (to 1e-6) accepted', () => {
    const model = createModel('quadrotor');
    const x = model.manifold.neutral();
    const out = new Float64Array(13);
    const u = new Float64Array(4);
    x[6] = 1.01;
    expect(() => model.step(x, u, out)).toThrow(QuaternionNormError);
    expect(() => model.step(x, u, out)).toThrow(/quadrotor: state\[3\.\.7\] is a quaternion of norm 1\.01/);
    x[6] = 1 + 1e-9;
    expect(() => model.step(x, u, out)).not.toThrow();
    expect(() => model.manifold.check(new Float64Array(13), 'x0')).toThrow(QuaternionNormError);
  });

  it('a step that overflows from finite inputs is a NonFiniteResultError, not a silent NaN', () => {
    const model = createModel('doublePendulum');
    const out = new Float64Array(4);
    expect(() => model.step([0.1, 0.2, 1e200, -1e200], [0, 0], out)).toThrow(NonFiniteResultError);
    expect(() => model.step([0.1, 0.2, 1e200, -1e200], [0, 0], out)).toThrow(/double_pendulum: step\[\d\] is not finite at state/);
  });

  it('an unknown model or a bad option is a ModelError', () => {
    expect(() => createModel('segway' as never)).toThrow(ModelError);
    expect(() => createModel('pendulum', { dt: 0 })).toThrow(/dt must be positive/);
    expect(() => createModel('acrobot', { actuatedJoint: 3 as never })).toThrow(ModelError);
  });
});
