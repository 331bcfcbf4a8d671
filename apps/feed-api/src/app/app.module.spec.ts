import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from './app.module';
import { loadFeedApiConfig } from './feed-api.config';

describe('feed-api in embedded mode', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = loadFeedApiConfig({
      SIMULATOR_EVENTS_PER_SECOND: '3000',
      SIMULATOR_MALFORMED_RATE: '0.02',
      GRAPHQL_QUERY_CACHE: 'false',
    });
    app = await createTestApp(AppModule.forRoot(config));
  });

  afterAll(() => app.close());

  it('answers the health endpoint', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.json()).toMatchObject({ status: 'ok', service: 'feed-api', mode: 'embedded' });
  });

  it('serves retrieval metrics per backend', async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('crest_retrieval_circuit_state{backend="memory"} 0');
  });

  it('shows a live marketplace that moves', async () => {
    const read = async () => (await app.inject({ method: 'GET', url: '/marketplace/activity' })).json();
    let first = await read();
    for (let i = 0; i < 50 && first.liveStreams === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      first = await read();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await read();

    expect(first.liveStreams).toBeGreaterThan(0);
    expect(second.eventsPerSecondLast10s).toBeGreaterThan(0);
    expect(second.hottestLastMinute.length).toBeGreaterThan(0);
    expect(second.at).not.toBe(first.at);
    expect(second.eventsLast10sByType).not.toEqual(first.eventsLast10sByType);
  });

  it('serves live streams by hotness from the signal pipeline, and refuses a bad limit', async () => {
    let body = (await app.inject({ method: 'GET', url: '/livestreams?limit=5' })).json();
    for (let i = 0; i < 50 && body.items.length < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = (await app.inject({ method: 'GET', url: '/livestreams?limit=5' })).json();
    }
    expect(body.items).toHaveLength(5);
    const hotness = body.items.map((doc: { hotness: number }) => doc.hotness);
    expect(hotness).toEqual([...hotness].sort((a: number, b: number) => b - a));
    expect(body.items[0]).toMatchObject({ status: 'live', signals: { chats: { '1m': expect.any(Number) } } });
    const bad = await app.inject({ method: 'GET', url: '/livestreams?limit=1000' });
    expect([bad.statusCode, bad.json().message]).toEqual([
      400,
      'limit must be an integer from 1 to 100, got "1000"',
    ]);
  });

  it('says at / where the feed and the marketplace views are', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.json()).toMatchObject({
      service: 'feed-api',
      homeFeed: expect.stringContaining('POST /graphql'),
    });
  });

  it('publishes scripted events into the embedded marketplace, all or nothing', async () => {
    const follow = {
      eventId: '00000000-0000-4000-8000-0000000000aa',
      version: 1,
      occurredAt: new Date().toISOString(),
      type: 'user.followed-seller',
      userId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
      sellerId: '0c7b1f3e-2d4a-4f1b-8e6c-5a9d3b2c1e00',
      payload: {},
    };
    const ok = await app.inject({ method: 'POST', url: '/marketplace/events', payload: [follow] });
    expect([ok.statusCode, ok.json()]).toEqual([202, { published: 1 }]);

    const bad = await app.inject({
      method: 'POST',
      url: '/marketplace/events',
      payload: [follow, { ...follow, type: 'user.teleported' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      message: 'invalid events; none published',
      problems: [expect.stringMatching(/^\[1\] /)],
    });
  });

  it('reads a Kafka broker list and refuses a malformed one', () => {
    expect(loadFeedApiConfig({ KAFKA_BROKERS: 'a:9092, b:9093' }).KAFKA_BROKERS).toEqual([
      'a:9092',
      'b:9093',
    ]);
    expect(() => loadFeedApiConfig({ KAFKA_BROKERS: 'localhost' })).toThrow(
      'KAFKA_BROKERS: KAFKA_BROKERS must be a comma-separated list of host:port (got "localhost")',
    );
  });

  it('turns introspection off in production unless asked for', () => {
    expect(loadFeedApiConfig({}).GRAPHQL_INTROSPECTION).toBe(true);
    expect(loadFeedApiConfig({ NODE_ENV: 'production' }).GRAPHQL_INTROSPECTION).toBe(false);
    expect(
      loadFeedApiConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).GRAPHQL_INTROSPECTION,
    ).toBe(true);
  });

  it('batches ranking calls unless told not to, and refuses a setting that is not a boolean', () => {
    expect(loadFeedApiConfig({}).RANKING_GRPC_BATCH).toBe(true);
    expect(loadFeedApiConfig({ RANKING_GRPC_BATCH: 'false' }).RANKING_GRPC_BATCH).toBe(false);
    expect(() => loadFeedApiConfig({ RANKING_GRPC_BATCH: 'sometimes' })).toThrow(
      'RANKING_GRPC_BATCH: RANKING_GRPC_BATCH must be true or false (got "sometimes")',
    );
  });

  it('refuses a bad simulator setting by name', () => {
    expect(() =>
      loadFeedApiConfig({ SIMULATOR_EVENTS_PER_SECOND: '90000', SIMULATOR_ENABLED: 'maybe' }),
    ).toThrow(
      'Invalid configuration for feed-api:\n' +
        '  - SIMULATOR_ENABLED: SIMULATOR_ENABLED must be true or false (got "maybe")\n' +
        '  - SIMULATOR_EVENTS_PER_SECOND: SIMULATOR_EVENTS_PER_SECOND must not be greater than 50000 (got "90000")',
    );
  });

  it('switches parts to real backends by env and refuses incomplete or malformed settings by name', () => {
    const config = loadFeedApiConfig({
      ELASTICSEARCH_URL: 'http://es:9200',
      RANKING_GRPC_URL: 'ranking:50051',
      GROWTHBOOK_API_HOST: 'https://cdn.growthbook.io',
      GROWTHBOOK_CLIENT_KEY: 'sdk-abc',
    });
    expect(config).toMatchObject({
      ELASTICSEARCH_URL: 'http://es:9200',
      RANKING_GRPC_URL: 'ranking:50051',
      GROWTHBOOK_API_HOST: 'https://cdn.growthbook.io',
      GROWTHBOOK_CLIENT_KEY: 'sdk-abc',
    });
    expect(() =>
      loadFeedApiConfig({
        ELASTICSEARCH_URL: 'es:9200',
        RANKING_GRPC_URL: 'http://ranking:50051',
        GROWTHBOOK_CLIENT_KEY: 'sdk-abc',
        RATE_LIMIT_PER_SECOND: '-1',
      }),
    ).toThrow(
      'Invalid configuration for feed-api:\n' +
        '  - ELASTICSEARCH_URL: ELASTICSEARCH_URL must be an http(s) URL (got "es:9200")\n' +
        '  - GROWTHBOOK_API_HOST: GROWTHBOOK_API_HOST must be an http(s) URL (required with GROWTHBOOK_CLIENT_KEY) (not set)\n' +
        '  - RANKING_GRPC_URL: RANKING_GRPC_URL must be host:port (got "http://ranking:50051")\n' +
        '  - RATE_LIMIT_PER_SECOND: RATE_LIMIT_PER_SECOND must not be less than 0 (got "-1")',
    );
    expect(() => loadFeedApiConfig({ GROWTHBOOK_API_HOST: 'https://gb.example' })).toThrow(
      'GROWTHBOOK_CLIENT_KEY: GROWTHBOOK_CLIENT_KEY is required with GROWTHBOOK_API_HOST',
    );
  });

  it('holds retrieval backends off by env (the kill switch) and refuses names it does not know', async () => {
    expect(
      loadFeedApiConfig({ RETRIEVAL_BACKENDS_OFF: 'memory, elasticsearch' }).RETRIEVAL_BACKENDS_OFF,
    ).toEqual(['memory', 'elasticsearch']);
    expect(loadFeedApiConfig({}).RETRIEVAL_BACKENDS_OFF).toEqual([]);
    expect(() => loadFeedApiConfig({ RETRIEVAL_BACKENDS_OFF: 'memory,redis' })).toThrow(
      'RETRIEVAL_BACKENDS_OFF: RETRIEVAL_BACKENDS_OFF must list backends among memory, elasticsearch, rockset, sql',
    );
    // A backend that is not configured cannot be switched off: the app refuses to start and says why.
    await expect(
      createTestApp(AppModule.forRoot(loadFeedApiConfig({ RETRIEVAL_BACKENDS_OFF: 'elasticsearch' }))),
    ).rejects.toThrow(
      'RETRIEVAL_BACKENDS_OFF names elasticsearch, which is not configured here (configured: memory)',
    );
  });
});
