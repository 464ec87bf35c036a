/**
 * Merge runs of one experiment that differ only in their seeds (e.g. the paper's --full
 * protocol run one seed per session) into the folder one run with all those seeds would
 * have written. The logic and its checks are runner/merge.ts.
 *
 *   npx tsx src/experiments/merge.ts --out DIR [--force] RUN_DIR RUN_DIR ...
 */
import { parseArgs } from 'node:util';
import { mergeRuns } from './runner/merge.js';

const USAGE = `Usage: npx tsx src/experiments/merge.ts --out DIR [--force] RUN_DIR RUN_DIR ...

Merges complete runs of one experiment and task, with the same configuration but for their
seeds (e.g. pendulum.ts --full --seeds 0, then --seeds 1, ...), into DIR: config.json (with
every run's provenance), results.json, results.md and the figures, as one run with all the
seeds would have written them.

  --out DIR   the merged folder; it must be new or empty
  --force     write into a non-empty DIR, deleting the run files there
  --help      this text
`;

try {
  const { values, positionals } = parseArgs({
    options: { out: { type: 'string' }, force: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
  } else {
    if (values.out === undefined) throw new RangeError('--out DIR: where to write the merged run (see --help)');
    const { results, skippedFigures } = mergeRuns(positionals, values.out, values.force ? 'force' : 'fresh');
    console.log(`${results.summaryTable ?? ''}\n`);
    if (skippedFigures.length > 0) console.log(`not drawn (no rollouts in results.json): ${skippedFigures.join(', ')}`);
    console.log(`merged seeds [${results.config.seeds}] of ${positionals.length} run(s) into ${values.out}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
