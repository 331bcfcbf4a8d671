import { randomUUID } from 'node:crypto';

import rockset from '@rockset/client';

import { CONTRACT_DOCS, retrievalRequestFixture } from '../retriever.contract';
import { LocalRocksetServer, namedParametersToDuckDb } from './local-rockset-server';
import { RocksetError, RocksetRetriever } from './rockset.retriever';
import { RocksetDocSink } from './rockset-doc.sink';

const API_KEY = 'server-spec-key';
const TRENDING = retrievalRequestFixture({ strategy: 'trending', limit: 3 });

describe('LocalRocksetServer', () => {
  let server: LocalRocksetServer;
  const workspace = `spec_${randomUUID().slice(0, 8)}`;
  const lambdaUrl = (path: string) => `${server.url}/v1/orgs/self/ws/${workspace}/lambdas/${path}`;
  const post = (url: string, body: unknown, apiKey = API_KEY) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `ApiKey ${apiKey}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const trendingParameters = (overrides: Record<string, string> = {}) =>
    Object.entries({
      min_momentum: '0',
      min_viewers: '0',
      excluded_ids: '[]',
      result_limit: '10',
      ...overrides,
    }).map(([name, value]) => ({
      name,
      type: name === 'min_momentum' ? 'float' : name === 'excluded_ids' ? 'string' : 'int',
      value,
    }));

  beforeAll(async () => {
    server = await LocalRocksetServer.start({ apiKey: API_KEY, pageTtlMs: 60_000 });
    await new RocksetDocSink({ apiKey: API_KEY, host: server.url, workspace }).write({
      upserts: CONTRACT_DOCS,
      deletions: [],
    });
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.faults.delayMs = 0;
    server.faults.failures = [];
  });

  it('executes a lambda by tag and by version with Rockset’s response shape', async () => {
    const byTag = await post(lambdaUrl('trending/tags/live'), {
      parameters: trendingParameters({ result_limit: '2' }),
    });
    const byVersion = await post(lambdaUrl('trending/versions/1'), {
      parameters: trendingParameters({ result_limit: '2' }),
    });

    expect(byTag.status).toBe(200);
    const body = (await byTag.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      query_id: expect.any(String),
      query_lambda_path: `${workspace}.trending:1`,
      results_total_doc_count: 2,
      status: 'COMPLETED',
      stats: { elapsed_time_ms: expect.any(Number) },
      query_errors: [],
    });
    expect((body['results'] as Array<{ _id: string }>).map((r) => r._id)).toEqual(['s7', 's3']);
    expect(((await byVersion.json()) as { results: unknown[] }).results).toEqual(body['results']);
  });

  it('answers 401 AUTHEXCEPTION without the right API key', async () => {
    const response = await post(
      lambdaUrl('trending/tags/live'),
      { parameters: trendingParameters() },
      'wrong',
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'AUTHEXCEPTION', message: expect.any(String) });
  });

  it.each([
    ['an unknown lambda', 'nope/tags/live', 'Query Lambda'],
    ['an unknown tag', 'trending/tags/canary', 'has no tag "canary"'],
    ['an unknown version', 'trending/versions/9', 'has no version "9"'],
  ])('answers 404 NOTFOUND for %s', async (_what, path, message) => {
    const response = await post(lambdaUrl(path), { parameters: trendingParameters() });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      type: 'NOTFOUND',
      message: expect.stringContaining(message),
    });
  });

  it('answers 400 INVALIDINPUT naming every parameter problem', async () => {
    const parameters = [
      { name: 'min_momentum', type: 'float', value: 'lots' },
      { name: 'min_viewers', type: 'string', value: '3' },
      { name: 'colour', type: 'string', value: 'red' },
      { name: 'result_limit', type: 'int', value: '10' },
    ];
    const response = await post(lambdaUrl('trending/tags/live'), { parameters });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'INVALIDINPUT',
      message:
        'parameter "min_momentum" is not a valid float: "lots"; parameter "min_viewers" must have type int (got "string"); ' +
        'unknown parameter "colour" (trending:1 takes min_momentum, min_viewers, excluded_ids, result_limit); missing parameter "excluded_ids"',
    });
  });

  it('answers 400 BADREQUEST for a body that is not JSON', async () => {
    const response = await post(lambdaUrl('trending/tags/live'), '{nope');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'BADREQUEST' });
  });

  it('binds parameters: SQL in any string parameter is data, never code', async () => {
    const attacks = [
      "'); DROP TABLE livestreams; --",
      '["s1"]\') OR 1=1 --',
      '["x"] UNION SELECT * FROM livestreams',
      '$excluded_ids',
    ];
    for (const attack of attacks) {
      const response = await post(lambdaUrl('trending/tags/live'), {
        parameters: trendingParameters({ excluded_ids: attack }),
      });
      // Not a JSON array of ids: the lambda cannot read it (400), and no extra rows appear.
      expect([200, 400]).toContain(response.status);
      if (response.status === 200)
        expect(((await response.json()) as { results: unknown[] }).results.length).toBeLessThanOrEqual(9);
    }
    const following = await post(lambdaUrl('following/tags/live'), {
      parameters: [
        { name: 'followed_sellers', type: 'string', value: "[\"seller-a' OR '1'='1\"]" },
        { name: 'min_hotness', type: 'float', value: '0' },
        { name: 'excluded_ids', type: 'string', value: '[]' },
        { name: 'result_limit', type: 'int', value: '10' },
      ],
    });
    expect(((await following.json()) as { results: unknown[] }).results).toEqual([]);
    // The collection is intact.
    const after = await post(lambdaUrl('trending/tags/live'), { parameters: trendingParameters() });
    expect(((await after.json()) as { results: unknown[] }).results).toHaveLength(9);
  });

  it('pages a paginated result with cursors through the client', async () => {
    const client = rockset(API_KEY, server.url);
    const first = await client.queryLambdas.executeQueryLambdaByTag(workspace, 'trending', 'live', {
      parameters: trendingParameters() as never,
      paginate: true,
      initial_paginate_response_doc_count: 4,
    });
    expect(first.results!.map((r: { _id: string }) => r._id)).toEqual(['s7', 's3', 's5', 's1']);
    expect(first.pagination).toMatchObject({ current_page_doc_count: 4, next_cursor: expect.any(String) });

    const ids: string[] = [];
    let cursor: string | null | undefined = first.pagination!.next_cursor;
    while (cursor) {
      const page = await client.queries.getQueryResults(first.query_id!, cursor, 2);
      ids.push(...page.results!.map((r: { _id: string }) => r._id));
      cursor = page.pagination!.next_cursor;
    }
    expect(ids).toEqual(['s4', 's6', 's9', 's8', 's2']);

    await expect(client.queries.getQueryResults('no-such-query')).rejects.toMatchObject({ type: 'NOTFOUND' });
  });

  it('turns error answers into RocksetErrors in the retriever', async () => {
    server.faults.failures.push({ status: 429, type: 'RATELIMITEXCEEDED', message: 'slow down' });
    const sut = new RocksetRetriever({ apiKey: API_KEY, host: server.url, workspace });

    const error = await sut.retrieve(TRENDING).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RocksetError);
    expect((error as Error).message).toBe('Rockset RATELIMITEXCEEDED: slow down');
    expect((await sut.retrieve(TRENDING)).candidates.map((c) => c.livestreamId)).toEqual(['s7', 's3', 's5']);
  });

  it('stops the work of a request the client aborted, and the retriever rejects at once', async () => {
    server.faults.delayMs = 5_000;
    const sut = new RocksetRetriever({ apiKey: API_KEY, host: server.url, workspace });
    const controller = new AbortController();
    const started = performance.now();
    const pending = sut.retrieve(TRENDING, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);

    await expect(pending).rejects.toThrow(/abort/i);
    expect(performance.now() - started).toBeLessThan(2_000);
    // The server notices the closed connection and counts the execution it abandoned.
    for (let i = 0; i < 50 && server.counters.aborted === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.counters.aborted).toBe(1);
  });

  it('keeps the newer version when an older doc is written again, and deletes', async () => {
    const sink = new RocksetDocSink({ apiKey: API_KEY, host: server.url, workspace: `${workspace}_w` });
    const s1 = CONTRACT_DOCS[0]!;
    await sink.write({ upserts: [{ ...s1, version: 5, hotness: 9 }], deletions: [] });
    await sink.write({ upserts: [{ ...s1, version: 4, hotness: 1 }], deletions: [] });
    const sut = new RocksetRetriever({ apiKey: API_KEY, host: server.url, workspace: `${workspace}_w` });
    const following = { ...TRENDING, strategy: 'following', followedSellers: [s1.sellerId!] };

    expect((await sut.retrieve(following)).candidates.map((c) => [c.livestreamId, c.score])).toEqual([
      ['s1', 9],
    ]);
    await sink.write({ upserts: [], deletions: ['s1'] });
    expect((await sut.retrieve(following)).candidates).toEqual([]);
  });
});

describe('namedParametersToDuckDb', () => {
  it('rewrites :name parameters, not casts, string literals or comments', () => {
    expect(
      namedParametersToDuckDb(
        'SELECT x::INT, \':not_a_param\', "col:x" -- :comment\nFROM t WHERE a = :min_a AND b IN (:b_list)',
      ),
    ).toBe(
      'SELECT x::INT, \':not_a_param\', "col:x" -- :comment\nFROM t WHERE a = $min_a AND b IN ($b_list)',
    );
  });
});
