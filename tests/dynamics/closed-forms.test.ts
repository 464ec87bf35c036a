/**
 * Models against closed forms computed by hand: the pendulum's equation of motion and its
 * semi-implicit Euler step, gym's cart-pole equations, UR5 forward kinematics as the product
 * of the URDF's homogeneous transforms, and the quadrotor at hover thrust.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/autodiff/index.js';
import { CARTPOLE, PENDULUM, QUADROTOR, aba, createModel } from '../../src/dynamics/index.js';
import { Rng, SEED, expectAllClose, randomQuaternion } from './helpers.js';

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe(`closed forms (seed ${SEED})`, () => {
  it('pendulum: (m l^2 + I) qdd = u + m g l sin q, and the semi-implicit Euler step', () => {
    const model = createModel('pendulum');
    const { mass: m, length: l, gravity: g, radius: r, dt } = PENDULUM;
    const inertia = m * l * l + 0.4 * m * r * r;
    fc.assert(
      fc.property(seedArb, (seed) => {
        const rng = new Rng(seed);
        const [q, v] = [rng.uniform([1], -Math.PI, Math.PI).item(), rng.normal([1]).item()];
        const u = rng.uniform([1], -25, 25).item();
        const qdd = (u + m * g * l * Math.sin(q)) / inertia;
        const a = aba(model.model, tensor([q]), tensor([v]), tensor([u])).item();
        expect(Math.abs(a - qdd)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(qdd)));
        const out = new Float64Array(2);
        model.step([q, v], [u], out);
        const vNext = v + dt * qdd;
        expectAllClose(out, [q + dt * vNext, vNext], 1e-12, Math.max(1, Math.abs(vNext)), 'pendulum step');
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('cartpole: the tree gives gym\'s equations (with g = 9.81)', () => {
    const model = createModel('cartpole');
    const { cartMass, poleMass: mp, halfLength: l, gravity: g } = CARTPOLE;
    const M = cartMass + mp;
    fc.assert(
      fc.property(seedArb, (seed) => {
        const rng = new Rng(seed);
        const [x, th] = [rng.normal([1]).item(), rng.uniform([1], -Math.PI, Math.PI).item()];
        const [xd, thd] = rng.normal([2]).toArray();
        const F = rng.uniform([1], -10, 10).item();
        // gym classic_control/cartpole.py
        const temp = (F + mp * l * thd * thd * Math.sin(th)) / M;
        const thacc = (g * Math.sin(th) - Math.cos(th) * temp) / (l * (4 / 3 - (mp * Math.cos(th) ** 2) / M));
        const xacc = temp - (mp * l * thacc * Math.cos(th)) / M;
        const a = aba(model.model, tensor([x, th]), tensor([xd, thd]), tensor([F, 0])).toArray();
        expectAllClose(a, [xacc, thacc], 1e-12, Math.max(1, Math.abs(xacc), Math.abs(thacc)), 'cartpole accelerations');
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  describe('UR5 forward kinematics against the URDF transforms', () => {
    type M4 = number[][];
    const mul4 = (A: M4, B: M4): M4 => A.map((row) => B[0].map((_, j) => row.reduce((s, a, k) => s + a * B[k][j], 0)));
    const rpy = (r: number, p: number, y: number): M4 => {
      const [cr, sr, cp, sp, cy, sy] = [Math.cos(r), Math.sin(r), Math.cos(p), Math.sin(p), Math.cos(y), Math.sin(y)];
      // URDF: R = Rz(y) Ry(p) Rx(r)
      return [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, 0],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, 0],
        [-sp, cp * sr, cp * cr, 0],
        [0, 0, 0, 1],
      ];
    };
    const origin = (xyz: number[], r: number[]): M4 => {
      const T = rpy(r[0], r[1], r[2]);
      xyz.forEach((v, i) => (T[i][3] = v));
      return T;
    };
    // Joint origins and axes exactly as the URDF writes them (pi/2 as 1.57079632679).
    const joints: [number[], number[], 'y' | 'z'][] = [
      [[0, 0, 0.089159], [0, 0, 0], 'z'],
      [[0, 0.13585, 0], [0, 1.57079632679, 0], 'y'],
      [[0, -0.1197, 0.425], [0, 0, 0], 'y'],
      [[0, 0, 0.39225], [0, 1.57079632679, 0], 'y'],
      [[0, 0.093, 0], [0, 0, 0], 'z'],
      [[0, 0, 0.09465], [0, 0, 0], 'y'],
    ];
    const tool0 = origin([0, 0.0823, 0], [-1.57079632679, 0, 0]);
    const handFK = (q: number[]): M4 => {
      let T: M4 = origin([0, 0, 0], [0, 0, 0]);
      joints.forEach(([xyz, r, axis], i) => {
        const Rq = axis === 'z' ? rpy(0, 0, q[i]) : rpy(0, q[i], 0);
        T = mul4(mul4(T, origin(xyz, r)), Rq);
      });
      return mul4(T, tool0);
    };
    const model = createModel('ur5');
    // The URDF's 1.57079632679 differs from pi/2 by 4.9e-12 rad; over lever arms below 1 m
    // that moves positions and rotation entries by less than 1e-11.
    const TOL = 1e-10;

    it('at zero, the known tool0 position (0.81725, 0.19145, -0.005491)', () => {
      const p = model.frameTranslation(tensor([0, 0, 0, 0, 0, 0])).toArray();
      // x = 0.425 + 0.39225, y = 0.13585 - 0.1197 + 0.093 + 0.0823, z = 0.089159 - 0.09465
      expectAllClose(p, [0.81725, 0.19145, -0.005491], TOL, 1, 'tool0 at zero');
    });

    it('at random configurations, position and rotation', () => {
      fc.assert(
        fc.property(seedArb, (seed) => {
          const q = new Rng(seed).uniform([6], -Math.PI, Math.PI).toArray();
          const T = handFK(q);
          const M = model.framePlacement(tensor(q));
          expectAllClose(M.p.toArray(), [T[0][3], T[1][3], T[2][3]], TOL, 1, 'tool0 position');
          expectAllClose(M.R.toArray(), [0, 1, 2].flatMap((i) => T[i].slice(0, 3)), TOL, 1, 'tool0 rotation');
        }),
        { seed: SEED, numRuns: 10 },
      );
    });
  });

  it('quadrotor: hover thrust m g / 4 per rotor gives zero acceleration (level, any yaw and position)', () => {
    const model = createModel('quadrotor');
    const hover = (QUADROTOR.mass * QUADROTOR.gravity) / 4;
    expect(hover).toBeCloseTo(3.622, 3); // MODELS.md: hover needs 3.622 N per rotor
    fc.assert(
      fc.property(seedArb, (seed) => {
        const rng = new Rng(seed);
        const yaw = rng.uniform([1], -Math.PI, Math.PI).item();
        const q = [...rng.normal([3]).toArray(), 0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
        const a = model.acceleration(tensor(q), tensor([0, 0, 0, 0, 0, 0]), tensor([hover, hover, hover, hover])).toArray();
        // The terms that cancel are m g = 14.5 N over the mass: accelerations of 9.81, rounded.
        expectAllClose(a, [0, 0, 0, 0, 0, 0], 1e-14, QUADROTOR.gravity, 'hover acceleration');
        // And one compiled step leaves the state where it was.
        const x = [...q, 0, 0, 0, 0, 0, 0];
        const out = new Float64Array(13);
        model.step(x, [hover, hover, hover, hover], out);
        expectAllClose(out, x, 1e-14, 10, 'hover step');
      }),
      { seed: SEED, numRuns: 20 },
    );
    // A tilted quadrotor at hover thrust is pushed sideways: the check has teeth.
    const tilted = randomQuaternion(new Rng(SEED));
    const a = model.acceleration(tensor([0, 0, 0, ...tilted]), tensor([0, 0, 0, 0, 0, 0]), tensor([hover, hover, hover, hover])).toArray();
    expect(Math.hypot(a[0], a[1], a[2])).toBeGreaterThan(0.1);
  });

  it('the unicycle step is Crocoddyl\'s', () => {
    const model = createModel('unicycle');
    const out = new Float64Array(3);
    model.step([0.3, -0.2, 0.7], [1.5, -0.4], out);
    expectAllClose(out, [0.3 + 1.5 * Math.cos(0.7) * 0.1, -0.2 + 1.5 * Math.sin(0.7) * 0.1, 0.7 - 0.04], 1e-15, 1, 'unicycle');
  });
});
