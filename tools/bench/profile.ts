/**
 * Where a bench's processes spent their CPU: summarizes the V8 CPU profiles that benches write when
 * `CREST_CPU_PROF_DIR` is set (every app they start, see `cpuProfileFlags`), or any `.cpuprofile`.
 *   CREST_CPU_PROF_DIR=bench-results/profiles npm run bench:serving
 *   npm run bench:profile -- bench-results/profiles [--from 20] [--to 80] [--top 25]
 * `--from`/`--to` (seconds since the process started) pick the load window out of the start-up; the
 * per-5-second busy line printed first shows where it is.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { type CpuProfile, formatSummary, summarizeCpuProfile } from './cpu-profile';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    top: { type: 'string', default: '25' },
  },
});
const seconds = (flag: string | undefined, name: string) => {
  if (flag === undefined) return undefined;
  const value = Number(flag);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be seconds ≥ 0, got "${flag}"`);
  return value * 1000;
};

const targets = positionals.length > 0 ? positionals : [process.env['CREST_CPU_PROF_DIR'] ?? ''];
const files = targets.flatMap((target) => {
  if (!target) throw new Error('name a .cpuprofile or a directory of them (or set CREST_CPU_PROF_DIR)');
  return statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((name) => name.endsWith('.cpuprofile'))
        .sort()
        .map((name) => join(target, name))
    : [target];
});
if (files.length === 0) throw new Error(`no .cpuprofile in ${targets.join(', ')}`);
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const summary = summarizeCpuProfile(profile, {
    fromMs: seconds(values.from, 'from'),
    toMs: seconds(values.to, 'to'),
    top: Number(values.top),
  });
  console.log(`${formatSummary(file, summary)}\n`);
}
