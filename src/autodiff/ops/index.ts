export * from './elementwise.js';
export * from './structural.js';
export * from './linear.js';
export * from './conv.js';
export * from './composite.js';
export * from './normalization.js';
export * from './fused.js';
