/**
 * The harness of the experiments that are not the main paper's Alg. 1 (value learning, the
 * consensus algorithms, the RL baselines): a *study* declares its parameters with their
 * defaults, what --full (the paper's protocol) and --quick (a smoke run) change, and a `run`
 * that returns tables and figures. The harness does the rest, the same way for every study:
 *
 *   - the command line: every parameter is a flag, `--kebab-case` of its name, parsed by the
 *     type of its default (number, string, boolean, or a comma-separated list of numbers or
 *     strings); plus --help, --out DIR, --force, --full, --quick. Unknown flags and values
 *     that do not parse are errors, never ignored;
 *   - the run folder (run-folder.ts): new or empty, or cleared with --force; config.json
 *     (the parameters and the code's provenance) is written before the run starts, then
 *     results.json, results.md and the figures, each atomically;
 *   - Ctrl-C: the first stops the run at its next `checkInterrupted()` (exit status 130),
 *     a second quits at once (progress.ts).
 *
 * The main paper's experiments keep their own runner (runner.ts): they share a protocol
 * (methods, n_traj, epochs, T_h, T_a) and resume trainings, which a study need not.
 *
 *   export const SPEC: StudySpec<{ iterations: number; horizons: number[] }> = { ... };
 *   runStudyIfMain(SPEC, import.meta.url);
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { INTERRUPTED_EXIT_CODE, Interrupted, MultiProgress, checkInterrupted, installInterruptHandler } from './progress.js';
import { atomicWrite, codeProvenance, prepareFolder } from './run-folder.js';

/** A parameter's value: its default's type is the flag's type. */
export type StudyParam = number | string | boolean | number[] | string[];
export type StudyParams = Record<string, StudyParam>;

export interface StudySpec<P extends StudyParams> {
  /** The script is src/experiments/<name>.ts; runs go to runs/<name>/<timestamp>/. */
  name: string;
  /** One paragraph for --help: what the study reproduces. */
  about: string;
  /** Every parameter with its default; each is a flag --kebab-case-name. */
  defaults: P;
  /** The paper's protocol (--full). */
  full: Partial<P>;
  /** A smoke run (--quick), what the end-to-end test runs. */
  quick: Partial<P>;
  /** One line of --help per parameter. */
  describe: { [K in keyof P]: string };
  /** Throw a RangeError for an invalid combination of parameters (before anything runs). */
  check?(params: P): void;
  run(params: P, study: StudyContext): Promise<StudyReport>;
}

export interface StudyContext {
  /** The run folder: it exists, and is empty unless --force kept files the run does not write. */
  readonly out: string;
  /** A progress line (stderr, so that the tables on stdout stay clean). */
  log(line: string): void;
  /** Status lines for long loops. */
  readonly progress: MultiProgress;
  /** Write a file into the run folder, atomically. */
  save(file: string, content: string | Uint8Array): void;
  /** Throws `Interrupted` once Ctrl-C was pressed: call it between units of work. */
  checkInterrupted(): void;
}

export interface StudyReport {
  /** JSON-serializable; written to results.json beside the parameters. */
  results: unknown;
  /** The tables (markdown), written to results.md and printed. */
  markdown: string;
  /** File name -> SVG text. */
  figures?: Record<string, string>;
}

export const kebabCase = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const HARNESS_FLAGS = ['help', 'out', 'force', 'full', 'quick'];

/** A flag's text as the type of the parameter's default; a value that does not parse is a RangeError naming the flag. */
function parseValue(flag: string, text: string, template: StudyParam): StudyParam {
  const number = (s: string) => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(v)) throw new RangeError(`--${flag}: expected a number, got "${s}"`);
    return v;
  };
  if (typeof template === 'number') return number(text);
  if (typeof template === 'string') return text;
  if (Array.isArray(template)) {
    const items = text.split(',');
    // An empty default list gives no element type: numbers if every item parses as one.
    const numeric = template.length > 0 ? typeof template[0] === 'number' : items.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
    return numeric ? items.map(number) : items.map((s) => s.trim());
  }
  throw new RangeError(`--${flag}: boolean flags take no value`);
}

/** The parameters and the folder a command line asks for, or null for --help. Explicit flags win over --full and --quick. */
export function parseStudyArgs<P extends StudyParams>(spec: StudySpec<P>, argv: string[]): { params: P; out: string; force: boolean } | null {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    help: { type: 'boolean' }, out: { type: 'string' }, force: { type: 'boolean' }, full: { type: 'boolean' }, quick: { type: 'boolean' },
  };
  const flagOf = new Map<string, keyof P & string>();
  for (const [name, value] of Object.entries(spec.defaults)) {
    const flag = kebabCase(name);
    if (HARNESS_FLAGS.includes(flag)) throw new Error(`study ${spec.name}: parameter "${name}" clashes with the harness's --${flag}`);
    flagOf.set(flag, name);
    options[flag] = { type: typeof value === 'boolean' ? 'boolean' : 'string' };
  }
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) return null;
  if (values.full && values.quick) throw new RangeError('--full and --quick: choose one');
  const params: P = { ...spec.defaults, ...(values.full ? spec.full : {}), ...(values.quick ? spec.quick : {}) };
  for (const [flag, name] of flagOf) {
    const given = values[flag];
    if (given === undefined) continue;
    (params as StudyParams)[name] = typeof given === 'boolean' ? given : parseValue(flag, given, spec.defaults[name]!);
  }
  spec.check?.(params);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return { params, out: typeof values.out === 'string' ? values.out : join('runs', spec.name, stamp), force: values.force === true };
}

export function studyHelp<P extends StudyParams>(spec: StudySpec<P>): string {
  const show = (v: StudyParam | undefined) => (Array.isArray(v) ? v.join(',') : String(v));
  const rows = Object.keys(spec.defaults).map((name) => {
    const full = spec.full[name] === undefined ? '' : `; --full ${show(spec.full[name])}`;
    return `  --${kebabCase(name)} (${show(spec.defaults[name])}${full})  ${spec.describe[name]}`;
  });
  return [
    `npx tsx src/experiments/${spec.name}.ts [--full | --quick] [--out DIR] [--force] [flags]`,
    '',
    spec.about,
    '',
    ...rows,
    '  --out DIR      the run folder (default runs/<name>/<timestamp>)',
    '  --force        replace the run files in a non-empty --out',
    '  --full         the paper\'s protocol',
    '  --quick        a smoke run of a minute or two',
  ].join('\n');
}

/** Run a study from a command line: the folder, config.json, the run, results and figures. Null for --help. */
export async function runStudy<P extends StudyParams>(spec: StudySpec<P>, argv: string[]): Promise<StudyReport | null> {
  const request = parseStudyArgs(spec, argv);
  if (request === null) return null;
  const { params, out, force } = request;
  prepareFolder(out, force ? 'force' : 'fresh');
  const save = (file: string, content: string | Uint8Array) => atomicWrite(join(out, file), content);
  save('config.json', `${JSON.stringify({ study: spec.name, params, provenance: codeProvenance() }, null, 2)}\n`);
  const context: StudyContext = {
    out,
    log: (line) => process.stderr.write(`${line}\n`),
    progress: new MultiProgress(),
    save,
    checkInterrupted,
  };
  const report = await spec.run(params, context);
  save('results.json', `${JSON.stringify({ study: spec.name, params, results: report.results }, null, 2)}\n`);
  save('results.md', report.markdown.endsWith('\n') ? report.markdown : `${report.markdown}\n`);
  for (const [file, svg] of Object.entries(report.figures ?? {})) save(file, svg);
  return report;
}

/** Whether the module at `moduleUrl` (an experiment script named `name`) is the program, not a module a test imports. */
export function isProgram(name: string, moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && (moduleUrl === `file://${script}` || (moduleUrl.endsWith(`/${name}.ts`) && script.endsWith(`${name}.ts`)));
}

/** A study script's whole body, when it is the program. */
export function runStudyIfMain<P extends StudyParams>(spec: StudySpec<P>, moduleUrl: string): void {
  if (!isProgram(spec.name, moduleUrl)) return;
  installInterruptHandler(() => console.error('\nCtrl-C: stopping at the next checkpoint of the run (press again to quit at once)'));
  const t0 = performance.now();
  runStudy(spec, process.argv.slice(2)).then(
    (report) => {
      if (report === null) {
        console.log(studyHelp(spec));
        return;
      }
      console.log(`\n${report.markdown}`);
      console.log(`done in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
    },
    (error: unknown) => {
      if (error instanceof Interrupted) {
        console.error(`interrupted after ${((performance.now() - t0) / 60000).toFixed(1)} min`);
        process.exit(INTERRUPTED_EXIT_CODE);
      }
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
