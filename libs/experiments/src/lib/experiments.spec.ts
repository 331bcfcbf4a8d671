import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EXPOSURES_TOPIC } from '@crest/event-schemas';
import { type ConsumedMessage, InProcessEventBus } from '@crest/messaging';
import { type FeatureApiResponse } from '@growthbook/growthbook';

import { Experiments, InvalidPayloadError } from './experiments';
import { ExposureLog } from './exposure-log';
import { DEFAULT_HOME_FEED_CONFIG, type HomeFeedConfig, homeFeedConfigProblems } from './home-feed-config';

const EXAMPLE = join(__dirname, '../../payloads/home-feed.example.json');
const example = () => JSON.parse(readFileSync(EXAMPLE, 'utf8')) as FeatureApiResponse;
const order = (config: HomeFeedConfig) => config.carousels.map((c) => c.id);
const CONTROL = ['following', 'new-user-hot', 'for-you', 'similar-sellers', 'trending'];
const TREATMENT = ['new-user-hot', 'for-you', 'following', 'trending', 'similar-sellers'];
const quietLogger = () => ({ log: jest.fn(), error: jest.fn() });

describe('home-feed-config', () => {
  it('accepts the built-in default', () => {
    expect(homeFeedConfigProblems(DEFAULT_HOME_FEED_CONFIG)).toEqual([]);
  });

  it('lists schema problems, then cross-field ones', () => {
    expect(homeFeedConfigProblems({ requestBudgetMs: 0, carousels: [], colour: 'red' })).toEqual([
      '/ must NOT have additional properties',
      '/requestBudgetMs must be > 0',
      '/carousels must NOT have fewer than 1 items',
    ]);
    const carousel = DEFAULT_HOME_FEED_CONFIG.carousels[0]!;
    expect(
      homeFeedConfigProblems({
        requestBudgetMs: 20,
        carousels: [
          { ...carousel, retrieval: { ...carousel.retrieval, fallback: 'memory' } },
          { ...carousel, size: { page: 5, min: 6 } },
        ],
      }),
    ).toEqual([
      '/carousels/0/retrieval/fallback must differ from primary',
      '/carousels/0/retrieval/budgetMs 30 exceeds requestBudgetMs 20',
      '/carousels/1/id "following" is used twice',
      '/carousels/1/retrieval/budgetMs 30 exceeds requestBudgetMs 20',
      '/carousels/1/size/min must be <= size/page',
    ]);
  });
});

describe('Experiments with the example payload (embedded mode)', () => {
  let bus: InProcessEventBus;
  let exposures: ExposureLog;
  let experiments: Experiments;

  beforeEach(async () => {
    bus = new InProcessEventBus({ defaultPartitions: 1 });
    exposures = new ExposureLog(bus, { flushIntervalMs: 60_000 });
    experiments = await Experiments.start({ payloadFile: EXAMPLE, exposures, logger: quietLogger() });
  });
  afterEach(async () => {
    experiments.stop();
    await exposures.close();
    await bus.close();
  });

  it('splits returning users between the two carousel orders, the same way every time', async () => {
    const orders = Array.from({ length: 400 }, (_, i) =>
      order(experiments.forRequest({ userId: `user-${i}`, newUser: false }).feedConfig().config),
    );
    const treated = orders.filter((o) => o[0] === 'new-user-hot').length;
    expect(new Set(orders.map((o) => o.join()))).toEqual(new Set([CONTROL.join(), TREATMENT.join()]));
    expect(treated).toBeGreaterThan(160);
    expect(treated).toBeLessThan(240);

    const again = await Experiments.start({ payloadFile: EXAMPLE, logger: quietLogger() });
    expect(order(again.forRequest({ userId: 'user-7', newUser: false }).feedConfig().config)).toEqual(
      orders[7],
    );
    again.stop();
  });

  it('changes weights in the treatment and leaves new users out of the test', () => {
    const configs = Array.from(
      { length: 40 },
      (_, i) => experiments.forRequest({ userId: `user-${i}`, newUser: false }).feedConfig().config,
    );
    const treatment = configs.find((c) => c.carousels[0]!.id === 'new-user-hot')!;
    expect(treatment.carousels.find((c) => c.id === 'for-you')!.ranking.weights).toEqual({
      followsSeller: 2.5,
      categoryAffinity: 1.2,
      momentum: 0.6,
    });
    const newUser = experiments.forRequest({ userId: 'user-1', newUser: true }).feedConfig();
    expect(newUser).toEqual({ config: DEFAULT_HOME_FEED_CONFIG, source: 'growthbook' });
    expect(exposures.stats.recorded).toBe(40);
  });

  it('publishes one exposure per user, experiment and session', async () => {
    for (let i = 0; i < 3; i++) experiments.forRequest({ userId: 'user-1', newUser: false }).feedConfig();
    experiments.forRequest({ userId: 'user-1', sessionId: 'second-session', newUser: false }).feedConfig();
    await exposures.flush();

    const published: ConsumedMessage[] = [];
    await bus.readRange(
      [{ topic: EXPOSURES_TOPIC, partition: 0 }],
      (messages) => void published.push(...messages),
    );
    expect(published.map((m) => JSON.parse(m.value.toString()) as Record<string, string>)).toEqual([
      expect.objectContaining({ experiment: 'home-feed-order', userId: 'user-1', sessionId: 'user-1' }),
      expect.objectContaining({
        experiment: 'home-feed-order',
        userId: 'user-1',
        sessionId: 'second-session',
      }),
    ]);
    expect(exposures.stats).toMatchObject({ recorded: 2, duplicates: 2, published: 2 });
  });

  it('serves a forced variation whatever the targeting says, and names it among the assignments', () => {
    // A new user is outside the test by its condition; forcing still serves the treatment.
    for (const newUser of [false, true]) {
      const sut = experiments.forRequest(
        { userId: 'user-1', newUser },
        { forcedVariations: { 'home-feed-order': 1 }, trackExposures: false },
      );
      expect(order(sut.feedConfig().config)).toEqual(TREATMENT);
      expect(sut.assignments()).toEqual([
        {
          experiment: 'home-feed-order',
          variation: 'for-you-first',
          variationIndex: 1,
          inExperiment: true,
          forced: true,
        },
      ]);
    }
    const control = experiments.forRequest(
      { userId: 'user-1', newUser: false },
      { forcedVariations: { 'home-feed-order': 0 } },
    );
    expect(order(control.feedConfig().config)).toEqual(CONTROL);
  });

  it('logs no exposure for a request that says so (explain), and lists what it was assigned', () => {
    const assigned = Array.from({ length: 20 }, (_, i) => {
      const sut = experiments.forRequest({ userId: `user-${i}`, newUser: false }, { trackExposures: false });
      sut.feedConfig();
      return sut.assignments();
    });
    expect(exposures.stats.recorded).toBe(0);
    expect(assigned.every((a) => a.length === 1 && a[0]!.experiment === 'home-feed-order')).toBe(true);
    expect(new Set(assigned.map((a) => a[0]!.variation))).toEqual(new Set(['control', 'for-you-first']));
    expect(assigned[0]![0]).toMatchObject({ inExperiment: true, forced: false });

    // Outside the experiment (its condition excludes new users): nothing assigned.
    const newUser = experiments.forRequest({ userId: 'user-1', newUser: true }, { trackExposures: false });
    newUser.feedConfig();
    expect(newUser.assignments()).toEqual([]);

    // The serving path still logs.
    experiments.forRequest({ userId: 'user-1', newUser: false }).feedConfig();
    expect(exposures.stats.recorded).toBe(1);
  });

  it('describes the features in force: the experiment rule and its variations', () => {
    const snapshot = experiments.snapshot();
    expect(snapshot.status).toMatchObject({
      source: 'file',
      lastError: null,
      features: ['home-feed-config'],
    });
    expect(snapshot.homeFeedConfig).toEqual({ source: 'growthbook', problems: [], lastRejection: null });
    expect(snapshot.features.map((f) => f.key)).toEqual(['home-feed-config']);
    const [feature] = snapshot.features;
    expect(feature!.defaultValue).toEqual(example().features!['home-feed-config']!.defaultValue);
    expect(feature!.rules).toEqual([
      {
        id: 'fr_home_feed_order',
        kind: 'experiment',
        condition: { newUser: false },
        coverage: 1,
        hashAttribute: 'id',
        experimentKey: 'home-feed-order',
        name: 'Home feed: carousel order and weights',
        variations: [
          {
            index: 0,
            key: 'control',
            name: 'Following first, default weights',
            weight: 0.5,
            value: expect.objectContaining({ requestBudgetMs: 50 }),
          },
          {
            index: 1,
            key: 'for-you-first',
            name: 'Categories first, follows and affinity weigh more',
            weight: 0.5,
            value: expect.objectContaining({ requestBudgetMs: 50 }),
          },
        ],
      },
    ]);
    expect(order(feature!.rules[0]!.variations![1]!.value as HomeFeedConfig)).toEqual(TREATMENT);
  });

  it('rejects a payload with an invalid feed config, keeping the last good one in force', async () => {
    const broken = example();
    const feature = broken.features!['home-feed-config']!;
    (feature.rules![0]!.variations![1] as HomeFeedConfig).requestBudgetMs = -5;

    await expect(experiments.setPayload(broken)).rejects.toThrow(
      new InvalidPayloadError(['home-feed-config rules[0].variations[1]: /requestBudgetMs must be > 0']),
    );
    expect(experiments.status()).toMatchObject({ source: 'file', features: ['home-feed-config'] });
    const orders = Array.from({ length: 50 }, (_, i) =>
      order(experiments.forRequest({ userId: `user-${i}`, newUser: false }).feedConfig().config),
    );
    expect(orders.some((o) => o[0] === 'new-user-hot')).toBe(true);
  });
});

describe('Experiments from a GrowthBook API host', () => {
  let server: Server;
  let served: { status: number; body: unknown };
  let apiHost: string;
  const cacheFile = join(mkdtempSync(join(tmpdir(), 'crest-gb-')), 'payload.json');

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/api/features/sdk-test') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(served.status, { 'content-type': 'application/json' }).end(JSON.stringify(served.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiHost = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('loads, refreshes, refuses an invalid payload, and caches the last good one on disk', async () => {
    served = { status: 200, body: example() };
    const logger = quietLogger();
    const sut = await Experiments.start({
      apiHost,
      clientKey: 'sdk-test',
      cacheFile,
      refreshIntervalMs: 60_000,
      logger,
    });
    expect(sut.status()).toMatchObject({ source: 'growthbook', lastError: null });

    const single = example();
    single.features!['home-feed-config']!.rules = [];
    single.features!['home-feed-config']!.defaultValue = {
      ...DEFAULT_HOME_FEED_CONFIG,
      carousels: DEFAULT_HOME_FEED_CONFIG.carousels.slice(4),
    };
    single.features!['dark-mode'] = { defaultValue: false, rules: [{ force: true, coverage: 0.1 }] };
    served = { status: 200, body: single };
    expect(await sut.refresh()).toBe(true);
    expect(order(sut.forRequest({ userId: 'u', newUser: false }).feedConfig().config)).toEqual(['trending']);

    served = {
      status: 200,
      body: { features: { 'home-feed-config': { defaultValue: { carousels: 'all' } } } },
    };
    expect(await sut.refresh()).toBe(false);
    expect(sut.status().lastError).toMatch(/^GrowthBook payload rejected: home-feed-config defaultValue: /);
    // The snapshot says why, and still describes the last good payload, which stays in force.
    expect(sut.snapshot()).toMatchObject({
      status: { source: 'growthbook', features: ['dark-mode', 'home-feed-config'] },
      features: [
        { key: 'dark-mode', defaultValue: false, rules: [{ kind: 'rollout', coverage: 0.1, force: true }] },
        { key: 'home-feed-config', rules: [] },
      ],
      homeFeedConfig: {
        source: 'growthbook',
        problems: [],
        lastRejection:
          "GrowthBook payload rejected: home-feed-config defaultValue: / must have required property 'requestBudgetMs'; " +
          'home-feed-config defaultValue: /carousels must be array',
      },
    });
    expect(logger.error).toHaveBeenCalled();
    expect(order(sut.forRequest({ userId: 'u', newUser: false }).feedConfig().config)).toEqual(['trending']);
    sut.stop();

    // GrowthBook down at start: the payload cached on disk serves.
    served = { status: 503, body: {} };
    const cached = await Experiments.start({
      apiHost,
      clientKey: 'sdk-test',
      cacheFile,
      logger: quietLogger(),
    });
    expect(cached.status()).toMatchObject({
      source: 'disk-cache',
      lastError: `${apiHost}/api/features/<client key> answered 503`,
    });
    expect(order(cached.forRequest({ userId: 'u', newUser: false }).feedConfig().config)).toEqual([
      'trending',
    ]);
    cached.stop();

    // No cache either: the built-in default.
    const bare = await Experiments.start({ apiHost, clientKey: 'sdk-test', logger: quietLogger() });
    expect(bare.status().source).toBe('built-in-default');
    expect(bare.snapshot()).toMatchObject({
      features: [],
      homeFeedConfig: {
        source: 'built-in-default',
        problems: [],
        lastRejection: expect.stringContaining('503'),
      },
    });
    expect(bare.forRequest({ userId: 'u', newUser: false }).feedConfig()).toEqual({
      config: DEFAULT_HOME_FEED_CONFIG,
      source: 'built-in-default',
    });
    bare.stop();
  });

  it('refuses an API host without a client key, and serves the default when the payload file is missing', async () => {
    await expect(Experiments.start({ apiHost })).rejects.toThrow(
      'GrowthBook apiHost is set without a clientKey',
    );
    const logger = quietLogger();
    const sut = await Experiments.start({ payloadFile: '/nonexistent/payload.json', logger });
    expect(sut.status()).toMatchObject({
      source: 'built-in-default',
      lastError: expect.stringContaining('ENOENT'),
    });
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('/nonexistent/payload.json'));
    sut.stop();
  });
});

describe('ExposureLog', () => {
  it('keeps exposures while the bus is down, within its bound, and publishes them when it is back', async () => {
    const bus = new InProcessEventBus({ defaultPartitions: 1 });
    let down = true;
    const flaky = Object.assign(Object.create(bus) as InProcessEventBus, {
      publish: (messages: Parameters<InProcessEventBus['publish']>[0]) =>
        down ? Promise.reject(new Error('broker unreachable')) : bus.publish(messages),
    });
    const logged: string[] = [];
    const sut = new ExposureLog(flaky, {
      maxBuffered: 3,
      flushIntervalMs: 60_000,
      logger: { log: (m) => logged.push(`log: ${m}`), warn: (m) => logged.push(`warn: ${m}`) },
    });
    for (let i = 0; i < 5; i++)
      sut.record({ experiment: 'e', variation: '0', userId: `u${i}`, sessionId: 's' });
    await sut.flush();
    await sut.flush();
    expect(sut.stats).toMatchObject({
      recorded: 5,
      dropped: 2,
      buffered: 3,
      publishFailures: 2,
      published: 0,
    });

    down = false;
    await sut.flush();
    expect(sut.stats).toMatchObject({ published: 3, buffered: 0 });
    // Once per outage, not once per failed flush.
    expect(logged).toEqual([
      'warn: exposures: cannot publish to discovery.exposures.v1 (broker unreachable); keeping up to 3 buffered (the oldest dropped past that, counted) and retrying',
      'log: exposures: publishing to discovery.exposures.v1 again after 2 failed attempts (2 dropped since start)',
    ]);
    const published: ConsumedMessage[] = [];
    await bus.readRange([{ topic: EXPOSURES_TOPIC, partition: 0 }], (m) => void published.push(...m));
    expect(published.map((m) => m.key)).toEqual(['u2', 'u3', 'u4']);
    await sut.close();
    await bus.close();
  });

  it('publishes a large buffer in parts, and after a failure part-way sends only what had not gone out', async () => {
    const bus = new InProcessEventBus({ defaultPartitions: 1 });
    let calls = 0;
    const failsSecondCall = Object.assign(Object.create(bus) as InProcessEventBus, {
      publish: (messages: Parameters<InProcessEventBus['publish']>[0]) =>
        ++calls === 2 ? Promise.reject(new Error('request timed out')) : bus.publish(messages),
    });
    const sut = new ExposureLog(failsSecondCall, { maxBuffered: 5_000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 1_200; i++)
      sut.record({ experiment: 'e', variation: '0', userId: `u${i}`, sessionId: 's' });
    await sut.flush();
    expect(sut.stats).toMatchObject({ published: 500, buffered: 700, publishFailures: 1, dropped: 0 });
    await sut.flush();
    expect(sut.stats).toMatchObject({ published: 1_200, buffered: 0 });
    const keys: string[] = [];
    await bus.readRange(
      [{ topic: EXPOSURES_TOPIC, partition: 0 }],
      (m) => void keys.push(...m.map((x) => x.key!)),
    );
    expect(keys).toEqual(Array.from({ length: 1_200 }, (_, i) => `u${i}`));
    await sut.close();
    await bus.close();
  });

  it('counts a batch whose publish is still retrying as buffered, and keeps it if the publish fails', async () => {
    let fail!: (error: Error) => void;
    const hanging = {
      publish: () => new Promise<void>((_, reject) => (fail = reject)),
    } as unknown as InProcessEventBus;
    const sut = new ExposureLog(hanging, { maxBuffered: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 2; i++)
      sut.record({ experiment: 'e', variation: '0', userId: `u${i}`, sessionId: 's' });
    const flushed = sut.flush();
    sut.record({ experiment: 'e', variation: '0', userId: 'u2', sessionId: 's' });
    expect(sut.stats.buffered).toBe(3);

    fail(new Error('request timed out'));
    await flushed;
    expect(sut.stats).toMatchObject({ buffered: 3, published: 0, dropped: 0, publishFailures: 1 });
  });
});
