// The one worker entry of the project's WorkerPool (pool.ts): plain JavaScript, so Node can
// start it without a TypeScript loader. It imports the job handler (jobs.js of the built
// package, or jobs.ts through tsx in development: autodiff/kernels/worker-module.mjs) and
// runs one job per message, passing its progress reports on.
import { parentPort } from 'node:worker_threads';
import { importWorkerModule } from '../../autodiff/kernels/worker-module.mjs';

const { runJob } = await importWorkerModule(import.meta.url, 'jobs');

parentPort.on('message', async ({ id, request }) => {
  try {
    const result = await runJob(request, (progress) => parentPort.postMessage({ id, progress }));
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) });
  }
});
parentPort.postMessage({ ready: true });
