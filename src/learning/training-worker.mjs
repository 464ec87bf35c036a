// Worker entry of the training pool (training-pool.ts). Plain JavaScript, so Node can start
// it without a TypeScript loader: it registers tsx's ESM loader, then imports the TypeScript
// training code and runs one job per message, reporting progress as it goes.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runTrainingJob } = await import('./train-methods.ts');

parentPort.on('message', (msg) => {
  try {
    let last = 0;
    const artifact = runTrainingJob(msg.job, (done, total, loss) => {
      const now = Date.now();
      if (now - last > 250 || done === total) {
        last = now;
        parentPort.postMessage({ id: msg.id, progress: { done, total, loss } });
      }
    });
    parentPort.postMessage({ id: msg.id, artifact });
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) });
  }
});
parentPort.postMessage({ ready: true });
