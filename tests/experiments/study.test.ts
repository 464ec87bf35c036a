/**
 * The study harness (src/experiments/runner/study.ts): flags parsed by their default's type,
 * --full / --quick / explicit flags in that order of precedence, bad input refused before
 * anything runs, and a run folder holding config.json, results and figures.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type StudySpec, parseStudyArgs, runStudy, studyHelp } from '../../src/experiments/runner/study.js';

type ToyParams = { iterations: number; horizons: number[]; solver: string; tasks: string[]; noisy: boolean };

const TOY: StudySpec<ToyParams> = {
  name: 'toy',
  about: 'A study that adds its parameters up.',
  defaults: { iterations: 3, horizons: [20, 40], solver: 'ddp', tasks: ['a'], noisy: false },
  full: { iterations: 10, horizons: [20, 40, 60, 80, 100] },
  quick: { iterations: 1 },
  describe: { iterations: 'DVP iterations', horizons: 'horizons T', solver: 'solver name', tasks: 'task names', noisy: 'a noisy first dataset' },
  check(p) {
    if (!Number.isInteger(p.iterations) || p.iterations < 1) throw new RangeError(`--iterations: expected a positive integer, got ${p.iterations}`);
  },
  async run(p, study) {
    study.checkInterrupted();
    const total = p.iterations + p.horizons.reduce((a, b) => a + b, 0);
    return { results: { total }, markdown: `| total |\n|---|\n| ${total} |`, figures: { 'toy.svg': '<svg/>' } };
  },
};

const parse = (argv: string[]) => parseStudyArgs(TOY, [...argv, '--out', 'unused'])!.params;

describe('study harness', () => {
  it('parses each flag by the type of its default', () => {
    expect(parse(['--iterations', '7', '--horizons', '30,50', '--solver', 'fddp', '--tasks', 'a, b', '--noisy'])).toEqual({
      iterations: 7, horizons: [30, 50], solver: 'fddp', tasks: ['a', 'b'], noisy: true,
    });
  });

  it('applies --full or --quick, and explicit flags over both', () => {
    expect(parse([]).iterations).toBe(3);
    expect(parse(['--full']).horizons).toEqual([20, 40, 60, 80, 100]);
    expect(parse(['--quick']).iterations).toBe(1);
    expect(parse(['--full', '--iterations', '4'])).toMatchObject({ iterations: 4, horizons: [20, 40, 60, 80, 100] });
    expect(() => parse(['--full', '--quick'])).toThrow(/choose one/);
  });

  it('refuses unknown flags, values that do not parse and invalid combinations', () => {
    expect(() => parse(['--iteration', '2'])).toThrow(/iteration/);
    expect(() => parse(['--iterations', 'ten'])).toThrow(/--iterations: expected a number, got "ten"/);
    expect(() => parse(['--horizons', '20,,40'])).toThrow(/--horizons: expected a number/);
    expect(() => parse(['--iterations', '1.5'])).toThrow(/positive integer/);
  });

  it('returns null for --help, whose text lists every parameter', async () => {
    expect(await runStudy(TOY, ['--help'])).toBeNull();
    const help = studyHelp(TOY);
    for (const flag of ['--iterations (3; --full 10)', '--horizons (20,40; --full 20,40,60,80,100)', '--solver', '--tasks', '--noisy']) expect(help).toContain(flag);
  });

  it('writes config.json, results and figures, and will not overwrite a run without --force', async () => {
    const out = mkdtempSync(join(tmpdir(), 'study-'));
    const report = await runStudy(TOY, ['--quick', '--out', out]);
    expect(report?.results).toEqual({ total: 61 });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'results.json', 'results.md', 'toy.svg']);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ study: 'toy', params: { iterations: 1, horizons: [20, 40] } });
    expect(config.provenance.node).toBe(process.version);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).results).toEqual({ total: 61 });
    await expect(runStudy(TOY, ['--out', out])).rejects.toThrow(/not empty/);
    writeFileSync(join(out, 'notes.txt'), 'kept');
    await runStudy(TOY, ['--out', out, '--force', '--iterations', '2']);
    expect(readdirSync(out)).toContain('notes.txt');
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).results).toEqual({ total: 62 });
  });
});
