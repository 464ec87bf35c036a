/**
 * The two policy distributions, written with engine ops so that losses differentiate through them.
 *
 * PPO's diagonal Gaussian N(mu, diag(std^2)) with a state-independent log std (SB3's
 * DiagGaussianDistribution):
 *
 *   log pi(a) = sum_j [ -(a_j - mu_j)^2 / (2 std_j^2) - log std_j - log(2 pi) / 2 ]
 *   H         = sum_j [ log std_j + (1 + log(2 pi)) / 2 ]
 *
 * SAC's tanh-squashed Gaussian (Haarnoja et al., "Soft actor-critic", ICML 2018, appendix C):
 * a = tanh(x), x ~ N(mu, diag(std^2)); by the change of variables
 *
 *   log pi(a) = log N(x; mu, std) - sum_j log(1 - tanh(x_j)^2),
 *
 * and log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x)) exactly, which stays finite where
 * tanh(x) rounds to +-1 (SB3 adds 1e-6 inside the log instead; this form needs no epsilon).
 */
import { type Tensor, add, exp, mul, neg, softplus, square, sub, sum, tanh } from '../../autodiff/index.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log N(a; mu, exp(logStd)) summed over the last axis: a, mu [B, n], logStd [n] or [B, n] -> [B]. */
export function gaussianLogProb(a: Tensor, mu: Tensor, logStd: Tensor): Tensor {
  const z = mul(sub(a, mu), exp(neg(logStd)));
  return neg(sum(add(add(mul(square(z), 0.5), logStd), HALF_LOG_2PI), -1));
}

/** The Gaussian's entropy for a state-independent logStd [n]: a scalar. */
export function gaussianEntropy(logStd: Tensor): Tensor {
  return sum(add(logStd, 0.5 + HALF_LOG_2PI));
}

/** log(1 - tanh(x)^2), elementwise, in the overflow-free form. */
export function logTanhJacobian(x: Tensor): Tensor {
  return mul(sub(sub(Math.LN2, x), softplus(mul(x, -2))), 2);
}

/**
 * A reparameterized draw of the squashed Gaussian and its log-probability: with noise eps [B, n]
 * ~ N(0, I), x = mu + std eps, a = tanh(x). Returns a [B, n] and log pi(a) [B].
 */
export function squashedGaussianSample(mu: Tensor, logStd: Tensor, eps: Tensor): { action: Tensor; logProb: Tensor } {
  const x = add(mu, mul(exp(logStd), eps));
  return { action: tanh(x), logProb: sub(gaussianLogProb(x, mu, logStd), sum(logTanhJacobian(x), -1)) };
}
