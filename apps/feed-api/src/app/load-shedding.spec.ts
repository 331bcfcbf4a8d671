import { createTestApp } from '@crest/platform/testing';
import { eventually } from '@crest/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from './app.module';
import { loadFeedApiConfig } from './feed-api.config';
import { configureFeedApiHttp } from './feed-api.http';

const HOME_FEED = JSON.stringify({ query: '{ homeFeed(first: 2) { edges { node { id } } } }' });

/** Holds the event loop for `ms` at a time, as a request flood or a runaway computation would. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spinning on purpose
  }
}

describe('feed-api load shedding', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = loadFeedApiConfig({
      SIMULATOR_ENABLED: 'false',
      GRAPHQL_QUERY_CACHE: 'false',
      RATE_LIMIT_PER_SECOND: '0',
      LOAD_SHED_EVENT_LOOP_DELAY_MS: '50',
      LOAD_SHED_SAMPLE_INTERVAL_MS: '50',
    });
    app = await createTestApp(AppModule.forRoot(config), (a) => configureFeedApiHttp(a, config));
  });
  afterAll(() => app.close());

  const homeFeed = () =>
    app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: HOME_FEED,
    });

  const withStatus = <R extends { statusCode: number }>(response: R, status: number) =>
    response.statusCode === status ? response : undefined;

  it('refuses with 503 and Retry-After while the event loop is overloaded, keeps /health, then serves again', async () => {
    await eventually('a first answer', async () => withStatus(await homeFeed(), 200), 5_000, 20);

    const overload = setInterval(() => busyWait(150), 0);
    try {
      const refused = await eventually('a 503', async () => withStatus(await homeFeed(), 503), 5_000, 20);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json()).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(
          /^overloaded: the event loop is (over )?\d+ ms behind \(limit 50 ms\); retry in 1 s$/,
        ),
      });
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toMatch(/^crest_feed_requests_shed_total [1-9]\d*$/m);
    } finally {
      clearInterval(overload);
    }

    const served = await eventually(
      'a first answer',
      async () => withStatus(await homeFeed(), 200),
      5_000,
      20,
    );
    expect(served.json()).toMatchObject({ data: { homeFeed: { edges: expect.any(Array) } } });
  });
});

describe('feed-api config: load shedding', () => {
  it('is off by default, and refuses a negative or fractional delay or a too short sample by name', () => {
    expect(loadFeedApiConfig({}).LOAD_SHED_EVENT_LOOP_DELAY_MS).toBe(0);
    expect(() => loadFeedApiConfig({ LOAD_SHED_EVENT_LOOP_DELAY_MS: '-1' })).toThrow(
      /LOAD_SHED_EVENT_LOOP_DELAY_MS/,
    );
    expect(() => loadFeedApiConfig({ LOAD_SHED_EVENT_LOOP_DELAY_MS: '1.5' })).toThrow(
      /LOAD_SHED_EVENT_LOOP_DELAY_MS/,
    );
    expect(() => loadFeedApiConfig({ LOAD_SHED_SAMPLE_INTERVAL_MS: '5' })).toThrow(
      /LOAD_SHED_SAMPLE_INTERVAL_MS/,
    );
  });
});
