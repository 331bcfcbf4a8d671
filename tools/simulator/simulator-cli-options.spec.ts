import { parseDuration, parseSimulatorCliOptions } from './simulator-cli-options';

describe('parseSimulatorCliOptions', () => {
  it('has defaults', () => {
    expect(parseSimulatorCliOptions([])).toEqual({
      seed: 42,
      rate: 1000,
      durationMs: 10_000,
      realtime: false,
      malformedRate: 0,
      sellers: 500,
      users: 20_000,
      liveStreams: 200,
      output: 'jsonl',
    });
  });

  it('reads every flag', () => {
    const sut = parseSimulatorCliOptions([
      '--seed',
      '7',
      '--rate',
      '50000',
      '--duration',
      '2m',
      '--malformed-rate',
      '0.01',
      '--output',
      'in-process-bus',
    ]);
    expect(sut).toMatchObject({
      seed: 7,
      rate: 50_000,
      durationMs: 120_000,
      malformedRate: 0.01,
      output: 'in-process-bus',
    });
  });

  it('names every bad flag at once', () => {
    expect(() =>
      parseSimulatorCliOptions([
        '--rate',
        '0',
        '--duration',
        'soon',
        '--sellers',
        '1.5',
        '--output',
        'kafka',
      ]),
    ).toThrow(
      [
        '--rate must be a number from 1 to 50000, got "0"',
        '--duration must look like 500ms, 10s, 2m or 1h, got "soon"',
        '--sellers must be an integer from 1 to 1000000, got "1.5"',
        '--output must be jsonl or in-process-bus, got "kafka"',
      ].join('\n'),
    );
  });

  it('names unknown flags, missing values and stray arguments along with the rest', () => {
    expect(() =>
      parseSimulatorCliOptions(['--speed', '--realtime=yes', '--malformed-rate', '', 'extra', '--seed']),
    ).toThrow(
      [
        '--speed is not a flag',
        '--realtime takes no value',
        'unexpected argument "extra"',
        '--seed needs a value',
        '--malformed-rate must be a number from 0 to 1, got ""',
      ].join('\n'),
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['10', undefined],
    ['-1s', undefined],
  ])('%s -> %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
});
