/**
 * The scalar functions that elementwise loops call by name (compile.ts passes them into every
 * generated loop; the jit's generated code gets them too): numerically safe sigmoid and
 * softplus, and Mish with its first two derivatives on a fast exponential.
 */

/** 2^(j/64), j < 64, and 2^m, m in [-1022, 1023], for `expFast`. */
const EXP2_FRACTION = Float64Array.from({ length: 64 }, (_, j) => Math.pow(2, j / 64));
const EXP2_INTEGER = Float64Array.from({ length: 2046 }, (_, i) => Math.pow(2, i - 1022));
/** 64 / ln 2, and ln 2 / 64 in two parts (fdlibm's split: k * hi is exact for |k| < 2^20). */
const EXP_SCALE = 64 / Math.LN2;
const LN2_64_HI = 6.9314718036912381649e-1 / 64;
const LN2_64_LO = 1.9082149292705877e-10 / 64;
/** 1.5 * 2^52: adding and subtracting it rounds a double of magnitude below 2^51 to an integer. */
const ROUND = 6755399441055744;

/**
 * e^x to within about 2 ulp of Math.exp (checked in tests/autodiff/mish.test.ts), in 2.9 ns
 * instead of 7.2 here: x = (64 m + j) ln2/64 + r with |r| <= ln2/128, so e^x = 2^m 2^(j/64) e^r,
 * two table lookups and a degree-5 polynomial (its truncation error r^6/720 < 4e-17). Mish and
 * its derivatives spend most of their time in the exponential, and they run on every
 * activation of the U-Net (forward, backward, and the Sobolev loss's second-order pass).
 * Outside (-708, 709), where e^x overflows or is subnormal, and for NaN, it is Math.exp.
 */
export function expFast(x: number): number {
  if (!(x > -708 && x < 709)) return Math.exp(x);
  const kf = x * EXP_SCALE + ROUND - ROUND;
  const k = kf | 0;
  const r = x - kf * LN2_64_HI - kf * LN2_64_LO;
  const r2 = r * r;
  const p = 1 + r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120)));
  return EXP2_FRACTION[k & 63] * p * EXP2_INTEGER[(k >> 6) + 1022];
}

/** Scalar functions an op's expression may call, passed into the generated code (the jit uses them too). */
export const HELPERS = {
  sigmoid: (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  softplus: (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
  /**
   * Mish with one exponential: tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2).
   * Past x = 20 the ratio is 1 to double precision (and n would overflow).
   */
  mish: (v: number) => {
    if (v > 20) return v;
    const e = expFast(v);
    const n = e * (e + 2);
    return (v * n) / (n + 2);
  },
  /**
   * d mish / dx = t + x sigmoid(x) (1 - t^2), with t = n / d, d = n + 2, 1 - t^2 = 4 (n + 1) / d^2
   * and sigmoid(x) = e / (1 + e) = e (1 + e) / (n + 1) (as (1 + e)^2 = n + 1): over one
   * denominator, (n d + 4 x e (1 + e)) / d^2, one division instead of three.
   */
  mishGrad: (v: number) => {
    if (v > 20) return 1;
    const e = expFast(v);
    const n = e * (e + 2);
    const d = n + 2;
    return (n * d + 4 * v * e * (1 + e)) / (d * d);
  },
  /**
   * d^2 mish / dx^2 = S (2 + x (1 - s - 2 t s)), S = (1 - t^2) s = 4 e (1 + e) / d^2, s = sigmoid(x),
   * and 1 - s - 2 t s = (d - 2 n e) / (d (1 + e)); over one denominator,
   * (8 e (1 + e) d + 4 e x (d - 2 n e)) / d^3. 0 to double precision past 20.
   */
  mishGrad2: (v: number) => {
    if (v > 20) return 0;
    const e = expFast(v);
    const n = e * (e + 2);
    const d = n + 2;
    return (8 * e * (1 + e) * d + 4 * e * v * (d - 2 * n * e)) / (d * d * d);
  },
};
