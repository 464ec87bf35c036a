/**
 * Diffusion policies with Sobolev training (the main paper): the DDPM schedule and sampler,
 * the conditional U-Net 1-D, the L_Diff and L_Sob+Diff losses, normalization, training with
 * checkpoints, and the receding-horizon rollout (Alg. 2).
 */
export * from './schedule.js';
export * from './sampler.js';
export * from './unet.js';
export * from './normalize.js';
export * from './loss.js';
export * from './policy.js';
export * from './checkpoint.js';
export * from './dataset.js';
export * from './train.js';
export * from './rollout.js';
