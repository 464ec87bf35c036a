// Entry of a kernel worker thread: register tsx's loader so the worker can import the
// TypeScript kernels directly (the project runs its sources through tsx), then serve jobs.
import { register } from 'tsx/esm/api';

register();
const { serve } = await import('./threads-worker.ts');
serve();
