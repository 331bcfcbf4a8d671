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

Generates a seeded marketplace event stream.
  --seed N              seed (default 42); the same seed and options give the same stream
  --rate N              events per second, 1 to 50000 (default 1000)
  --duration D          how much time to simulate: 500ms, 10s, 2m, 1h (default 10s)
  --realtime            run at wall-clock speed instead of as fast as possible
  --malformed-rate R    share of malformed events, 0 to 1 (default 0)
  --sellers N           sellers (default 500)
  --users N             users (default 20000)
  --live-streams N      streams kept live at once (default 200)
  --output O            jsonl (default): one {"topic","key","value"} per line on stdout;
                        in-process-bus: publish to an in-process bus, consume it as the ingest edge does
                        (decode, dead-letter the bad), and print the counts
  --help                this text`;

/** Parses and validates the CLI's flags; throws one error naming every bad flag. */
export function parseSimulatorCliOptions(argv: string[]): SimulatorCliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
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
    },
  });
  if (values.help) return 'help';
  const problems: string[] = [];
  const int = (flag: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`--${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const seed = int('seed', values.seed, -(2 ** 31), 2 ** 31 - 1);
  const rate = Number(values.rate);
  if (!(rate >= 1 && rate <= 50_000))
    problems.push(`--rate must be a number from 1 to 50000, got "${values.rate}"`);
  const durationMs = parseDuration(values.duration);
  if (durationMs === undefined)
    problems.push(`--duration must look like 500ms, 10s, 2m or 1h, got "${values.duration}"`);
  const malformedRate = Number(values['malformed-rate']);
  if (!(malformedRate >= 0 && malformedRate <= 1)) {
    problems.push(`--malformed-rate must be a number from 0 to 1, got "${values['malformed-rate']}"`);
  }
  const sellers = int('sellers', values.sellers, 1, 1_000_000);
  const users = int('users', values.users, 1, 10_000_000);
  const liveStreams = int('live-streams', values['live-streams'], 1, 1_000_000);
  if (values.output !== 'jsonl' && values.output !== 'in-process-bus') {
    problems.push(`--output must be jsonl or in-process-bus, got "${values.output}"`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    seed,
    rate,
    durationMs: durationMs!,
    realtime: values.realtime,
    malformedRate,
    sellers,
    users,
    liveStreams,
    output: values.output as SimulatorCliOptions['output'],
  };
}

export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}
