// Entry of a kernel worker thread: load the worker side of the threads backend (compiled or
// TypeScript, see worker-module.mjs) and serve jobs.
import { importWorkerModule } from './worker-module.mjs';

const { serve } = await importWorkerModule(import.meta.url, 'threads-worker');
serve();
