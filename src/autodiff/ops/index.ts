/**
 * The ops, as the engine's index exports them. The elementwise primitives are listed by name,
 * because ops/elementwise.ts also exports the builders that ops/mish.ts shares with it
 * (unaryPrimitive, fitTangent, addTangents), which are not part of the public API.
 */
export {
  type Operand,
  neg, exp, log, sin, cos, tanh, sigmoid, softplus, relu, sqrt, square, abs, reciprocal,
  negP, expP, logP, sinP, cosP, tanhP, sigmoidP, softplusP, reluP, sqrtP, squareP, absP,
  greater, greaterEqual, less, lessEqual, equal, sign,
  greaterP, greaterEqualP, lessP, lessEqualP, equalP, signP,
  add, sub, mul, div, pow, addP, subP, mulP, divP, powP,
  where, whereP, cast, castP, stopGradient, stopGradientP,
} from './elementwise.js';
export * from './mish.js';
export * from './structural.js';
export * from './linear.js';
export * from './conv.js';
export * from './composite.js';
export * from './normalization.js';
export * from './fused.js';
