import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from '../app.module';
import { loadFeedApiConfig } from '../feed-api.config';
import { configureFeedApiHttp } from '../feed-api.http';

const FULL_CARD = `id title sellerId thumbnailUrl categories viewers status reason trackingToken score
  auction { currentBidMinor currency endsAt bids } giveaway { prize endsAt }`;
const FULL_PAGE = (first: number) => `homeFeed(first: ${first}) {
  edges { cursor node { id title layout items { edges { cursor node { ${FULL_CARD} } } pageInfo { hasNextPage endCursor } } } }
  pageInfo { hasNextPage endCursor }
}`;

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

describe('feed-api limits: complexity and rate', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = loadFeedApiConfig({
      SIMULATOR_ENABLED: 'false',
      GRAPHQL_QUERY_CACHE: 'false',
      RATE_LIMIT_PER_SECOND: '3',
    });
    app = await createTestApp(AppModule.forRoot(config), (a) => configureFeedApiHttp(a, config));
  });
  afterAll(() => app.close());

  const post = (query: string, user: string) =>
    app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-crest-user-id': user },
      payload: JSON.stringify({ query }),
    });

  it('answers the largest page a client may ask for, and refuses aliases that repeat it', async () => {
    const largest = (await post(`{ ${FULL_PAGE(10)} }`, 'complexity-1')).json() as GraphQLAnswer;
    expect(largest.errors).toBeUndefined();

    const repeated = (
      await post(`{ a: ${FULL_PAGE(10)} b: ${FULL_PAGE(10)} }`, 'complexity-2')
    ).json() as GraphQLAnswer;
    expect(repeated.data ?? null).toBeNull();
    expect(repeated.errors?.[0]?.message).toMatch(/^query complexity \d+ exceeds the maximum of 3000/);
    expect(repeated.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maximum: 3000 });
  });

  it('counts variables: first = 10 by variable costs as much as written inline', async () => {
    const query = `query ($n: Int) { a: homeFeed(first: $n) { edges { node { items { edges { node { ${FULL_CARD} } } } } } }
      b: homeFeed(first: $n) { edges { node { items { edges { node { ${FULL_CARD} } } } } } } }`;
    const answer = (
      await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', 'x-crest-user-id': 'complexity-3' },
        payload: JSON.stringify({ query, variables: { n: 10 } }),
      })
    ).json() as GraphQLAnswer;
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
  });

  it('limits each client to its rate with 429 and Retry-After, other clients and health unaffected', async () => {
    const small = '{ homeFeed(first: 1) { edges { cursor } } }';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(small, 'rate-a')).statusCode);
    const refused = await post(small, 'rate-a');
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    // Mercurius answers it as a GraphQL error, so GraphQL clients see it where they look for errors.
    expect((refused.json() as GraphQLAnswer).errors?.[0]?.message).toBe(
      'rate limit: at most 3 requests per second per client; retry in 1 second',
    );
    expect((await post(small, 'rate-b')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
