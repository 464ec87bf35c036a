/** The page: the playground at once, then the swing-up's policy, then the gpu.js kernels. */
import { runKernelPanel } from './kernels-panel.js';
import { startPlayground } from './playground.js';
import { startSwingUp } from './swing-up.js';

startPlayground();
try {
  await startSwingUp();
} catch (e) {
  document.getElementById('swing-status')!.dataset.state = 'error';
  document.getElementById('swing-status')!.textContent = `error: ${(e as Error).message}`;
  console.error(e);
}
await runKernelPanel();
