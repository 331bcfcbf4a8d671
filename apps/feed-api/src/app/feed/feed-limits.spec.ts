import { createTestApp, HTTP_BODY_LIMIT_BYTES } from '@crest/platform/testing';
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

  it('refuses a query deeper than the limit (a nested introspection, the classic one) with a clear error', async () => {
    // The feed's own types do not nest past the limit; introspection's types-of-types do.
    let ofType = 'name';
    for (let i = 0; i < 10; i++) ofType = `ofType { ${ofType} }`;
    const answer = (
      await post(`{ __schema { types { fields { type { ${ofType} } } } } }`, 'depth-1')
    ).json() as GraphQLAnswer;
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]).toMatchObject({ message: expect.stringMatching(/depth/i) });
  });

  it('refuses a body over the 1 MiB limit with 413 before reading it, and still answers after', async () => {
    const huge = JSON.stringify({
      query: `{ homeFeed(first: 1) { edges { cursor } } }`,
      pad: 'x'.repeat(HTTP_BODY_LIMIT_BYTES),
    });
    const refused = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-crest-user-id': 'body-1' },
      payload: huge,
    });
    expect(refused.statusCode).toBe(413);
    // Mercurius answers it as a GraphQL error, like the rate limit.
    expect((refused.json() as GraphQLAnswer).errors?.[0]?.message).toBe('Request body is too large');
    expect((await post('{ homeFeed(first: 1) { edges { cursor } } }', 'body-1')).statusCode).toBe(200);
  });

  it('refuses malformed request bodies with 400 and a reason', async () => {
    const notJson = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-crest-user-id': 'body-2' },
      payload: '{"query": "{ homeFeed { edges',
    });
    expect(notJson.statusCode).toBe(400);
    const noQuery = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-crest-user-id': 'body-3' },
      payload: JSON.stringify({ variables: {} }),
    });
    expect(noQuery.statusCode).toBe(400);
    expect(JSON.stringify(noQuery.json())).toMatch(/query/i);
  });

  it('holds a flood from one client to its rate: of 200 requests in a burst, 3 are served', async () => {
    const small = '{ homeFeed(first: 1) { edges { cursor } } }';
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => post(small, 'flood-a').then((r) => r.statusCode)),
    );
    const tally = statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
    expect(tally).toEqual({ 200: 3, 429: 197 });
  });
});
