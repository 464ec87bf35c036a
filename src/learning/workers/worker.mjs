// The one worker entry of the project's WorkerPool (pool.ts): plain JavaScript, so Node can
// start it without a TypeScript loader. It registers tsx's ESM loader, imports the job
// handler (jobs.ts) and runs one job per message, passing its progress reports on.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runJob } = await import('./jobs.ts');

parentPort.on('message', async ({ id, request }) => {
  try {
    const result = await runJob(request, (progress) => parentPort.postMessage({ id, progress }));
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) });
  }
});
parentPort.postMessage({ ready: true });
