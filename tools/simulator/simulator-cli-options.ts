import { parseArgs } from 'node:util';

export interface SimulatorCliOptions {
  seed: number;
  rate: number;
  durationMs: number;
  realtime: boolean;
  malformedRate: number;
  sellers: number;
  users: number;
  liveStreams: number;
  output: 'jsonl' | 'in-process-bus';
}

export const SIMULATOR_CLI_USAGE = `Usage: npx tsx tools/simulator/cli.ts [options]

Generates a seeded marketplace event stream (see libs/testing/README.md).
  --seed N              seed (default 42); the same seed and options give the same stream
  --rate N              events per second of simulated time, 1 to 50000 (default 1000)
  --duration D          simulated time: 500ms, 10s, 2m, 1h (default 10s); with --realtime, wall-clock time
  --realtime            run at wall-clock speed from now, instead of as fast as possible from 2026-01-01
  --malformed-rate R    share of malformed items, 0 to 1 (default 0)
  --sellers N           sellers (default 500)
  --users N             users (default 20000)
  --live-streams N      streams kept live at once (default 200; fewer at very low rates)
  --output O            jsonl (default): one line per item on stdout,
                          {"topic","key","value"} with the event JSON as value, or for a malformed item
                          {"topic","key","valueBase64","defect","expectedCode"};
                        in-process-bus: publish to an in-process bus, consume it as the ingest edge does
                          (decode, dead-letter the bad), and print the counts
  --help                this text`;

const FLAGS = {
  seed: { type: 'string', default: '42' },
  rate: { type: 'string', default: '1000' },
  duration: { type: 'string', default: '10s' },
  realtime: { type: 'boolean', default: false },
  'malformed-rate': { type: 'string', default: '0' },
  sellers: { type: 'string', default: '500' },
  users: { type: 'string', default: '20000' },
  'live-streams': { type: 'string', default: '200' },
  output: { type: 'string', default: 'jsonl' },
  help: { type: 'boolean', default: false },
} as const;

/** Parses and validates the CLI's flags; throws one error naming every bad flag, one per line. */
export function parseSimulatorCliOptions(argv: string[]): SimulatorCliOptions | 'help' {
  // Not strict, so that an unknown flag is reported together with every other problem.
  const { values, tokens } = parseArgs({ args: argv, strict: false, tokens: true, options: FLAGS });
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') problems.push(`unexpected argument "${token.value}"`);
    if (token.kind !== 'option') continue;
    const flag = FLAGS[token.name as keyof typeof FLAGS] as (typeof FLAGS)[keyof typeof FLAGS] | undefined;
    if (!flag) problems.push(`${token.rawName} is not a flag`);
    else if (flag.type === 'string' && token.value === undefined)
      problems.push(`${token.rawName} needs a value`);
    else if (flag.type === 'boolean' && token.value !== undefined)
      problems.push(`${token.rawName} takes no value`);
  }
  if (values['help'] === true) return 'help';
  const text = (name: keyof typeof FLAGS): string => {
    const value = values[name];
    return typeof value === 'string' ? value : String(FLAGS[name].default);
  };
  // Number('') is 0; a blank value is not a number here.
  const numberOf = (raw: string) => (raw.trim() === '' ? Number.NaN : Number(raw));
  const int = (flag: keyof typeof FLAGS, min: number, max: number) => {
    const n = numberOf(text(flag));
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`--${flag} must be an integer from ${min} to ${max}, got "${text(flag)}"`);
    return n;
  };
  const seed = int('seed', -(2 ** 31), 2 ** 31 - 1);
  const rate = numberOf(text('rate'));
  if (!(rate >= 1 && rate <= 50_000))
    problems.push(`--rate must be a number from 1 to 50000, got "${text('rate')}"`);
  const durationMs = parseDuration(text('duration'));
  if (durationMs === undefined || durationMs === 0)
    problems.push(`--duration must look like 500ms, 10s, 2m or 1h, got "${text('duration')}"`);
  const malformedRate = numberOf(text('malformed-rate'));
  if (!(malformedRate >= 0 && malformedRate <= 1)) {
    problems.push(`--malformed-rate must be a number from 0 to 1, got "${text('malformed-rate')}"`);
  }
  const sellers = int('sellers', 1, 1_000_000);
  const users = int('users', 1, 10_000_000);
  const liveStreams = int('live-streams', 1, 1_000_000);
  const output = text('output');
  if (output !== 'jsonl' && output !== 'in-process-bus') {
    problems.push(`--output must be jsonl or in-process-bus, got "${output}"`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    seed,
    rate,
    durationMs: durationMs!,
    realtime: values['realtime'] === true,
    malformedRate,
    sellers,
    users,
    liveStreams,
    output: output as SimulatorCliOptions['output'],
  };
}

export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}
