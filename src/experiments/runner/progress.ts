/**
 * Progress for long phases: a status line redrawn in place on a terminal, plain lines (every
 * 10 %) otherwise, so logs stay readable. And a clean Ctrl-C: the first SIGINT sets a flag
 * that long loops check (they stop by throwing `Interrupted`, so the caller can write what it
 * has) and runs the caller's handler (which aborts the training workers); a second one, a
 * second keypress, exits at once.
 *
 * One keypress can arrive twice: the terminal sends SIGINT to the whole process group, and
 * a launcher in that group (`npx tsx` is one) forwards its own copy some tens of
 * milliseconds later. A second SIGINT within `SAME_KEYPRESS_MS` of the first is therefore
 * taken as the same keypress.
 */
export class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C)');
    this.name = 'Interrupted';
  }
}

/** SIGINTs closer together than this are one keypress (tsx forwarded one ~70 ms after the terminal's). */
const SAME_KEYPRESS_MS = 500;

/** The exit status of a run stopped by Ctrl-C (128 + SIGINT), so that scripts do not read it as success. */
export const INTERRUPTED_EXIT_CODE = 130;

let interruptedAt: number | null = null;

export function installInterruptHandler(onFirst: () => void): void {
  process.on('SIGINT', () => {
    const now = performance.now();
    if (interruptedAt !== null) {
      if (now - interruptedAt < SAME_KEYPRESS_MS) return;
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    interruptedAt = now;
    onFirst();
  });
}

/** Throw `Interrupted` if Ctrl-C was pressed. */
export function checkInterrupted(): void {
  if (interruptedAt !== null) throw new Interrupted();
}

/**
 * Jobs progressing at once (the trainings on worker threads): one status line on a
 * terminal, redrawn in place; plain lines every 10 % of each job otherwise.
 */
export class MultiProgress {
  private readonly jobs = new Map<string, { fraction: number; detail: string; decile: number }>();
  private readonly tty = process.stdout.isTTY === true;
  private readonly started = performance.now();

  update(label: string, done: number, total: number, detail = ''): void {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const job = this.jobs.get(label) ?? { fraction: 0, detail: '', decile: -1 };
    job.fraction = fraction;
    job.detail = detail;
    this.jobs.set(label, job);
    const elapsed = ((performance.now() - this.started) / 1000).toFixed(0);
    if (this.tty) {
      // One line, cut to the terminal's width: a line that wraps cannot be redrawn in place.
      const parts = [...this.jobs.entries()].map(([l, j]) => `${l} ${(100 * j.fraction).toFixed(0)}%`);
      const width = Math.max(20, (process.stdout.columns ?? 80) - 1);
      process.stdout.write(`\r${`  ${elapsed}s  ${parts.join(' | ')}`.slice(0, width).padEnd(width)}`);
      if ([...this.jobs.values()].every((j) => j.fraction >= 1)) process.stdout.write('\n');
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile > job.decile) {
      job.decile = decile;
      console.log(`  ${label}: ${(100 * fraction).toFixed(0)}% (${elapsed} s) ${detail}`);
    }
  }
}
