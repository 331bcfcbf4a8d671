import { connect } from 'node:http2';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { createTestApp } from '@crest/platform/testing';
import {
  GrpcRanker,
  InProcessRanker,
  MAX_RANK_BATCH,
  RankCallError,
  RankingClient,
  rankOrRetrievalOrder,
  RankRequest,
  RankResponse,
  withCandidateColumns,
} from '@crest/ranking';
import { candidateFixture, rankRequestFixture, userFixture } from '@crest/ranking/testing';
import { eventually } from '@crest/testing';
import { credentials, loadPackageDefinition, type ServerUnaryCall, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { protoPath as healthProtoPath } from 'grpc-health-check';

import { AppModule } from './app.module';
import { RankController } from './rank.controller';
import { CONNECTION_WINDOW_BYTES, connectRankingGrpc, widenConnectionWindows } from './ranking-grpc';
import { loadRankingServiceConfig } from './ranking-service.config';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const request = (overrides: Partial<RankRequest> = {}) =>
  rankRequestFixture({
    user: userFixture({ followedSellers: ['seller-f'] }),
    candidates: [
      candidateFixture('calm', { retrievalScore: 3 }),
      candidateFixture('wave', {
        retrievalScore: 1,
        stream: { momentum: 4, hotness: 8, currentViewers: 300 },
      }),
      candidateFixture('followed', { sellerId: 'seller-f', retrievalScore: 2 }),
    ],
    ...overrides,
  });

interface RawAnswer {
  /** grpc-status, or how the stream ended without one. */
  status: string;
  /** The ranked ids, when the call succeeded. */
  order?: string[];
}

/**
 * A Rank call written by hand over HTTP/2, so a test decides when the second half of the request is sent:
 * the server then holds a call that has begun but not arrived.
 */
function rawRankCall(address: string, sent: RankRequest, headers: Record<string, string> = {}) {
  const withColumns = withCandidateColumns(sent);
  const message = RankRequest.encode(withColumns).finish();
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  const half = Math.floor(framed.length / 2);
  const session = connect(`http://${address}`);
  session.on('error', () => undefined);
  const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
  const stream = session.request({
    ':method': 'POST',
    ':path': '/crest.ranking.v1.Ranking/Rank',
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  const answer = new Promise<RawAnswer>((resolve) => {
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    const statusOf = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
    };
    stream.on('response', statusOf);
    stream.on('trailers', statusOf);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => undefined);
    stream.on('close', () => {
      session.destroy();
      if (grpcStatus !== '0') return resolve({ status: grpcStatus ?? `reset (${stream.rstCode})` });
      const response = RankResponse.decode(Buffer.concat(chunks).subarray(5));
      const ids = withColumns.columns!.livestreamIds;
      resolve({ status: grpcStatus, order: response.ranked!.order.map((i) => ids[i]!) });
    });
  });
  return {
    sendFirstHalf: () =>
      new Promise<void>((resolve) => stream.write(framed.subarray(0, half), () => resolve())),
    sendRest: () => stream.end(framed.subarray(half)),
    answer,
    /** The server said it takes no new calls on this connection (its shutdown began). */
    goaway,
  };
}

type HealthClient = {
  check(req: { service: string }, cb: (e: Error | null, r: { status: string }) => void): void;
  close(): void;
};

/** A standard gRPC health client (grpc.health.v1), answering the service's status. */
function healthClient(address: string) {
  const definition = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: unknown) => HealthClient } } };
  };
  const client = new definition.grpc.health.v1.Health(address, credentials.createInsecure());
  return {
    check: (service: string) =>
      new Promise<string>((resolve, reject) =>
        client.check({ service }, (error, response) => (error ? reject(error) : resolve(response.status))),
      ),
    close: () => client.close(),
  };
}

describe('ranking-service over gRPC', () => {
  let app: NestFastifyApplication;
  let ranker: GrpcRanker;
  let address: string;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    const config = loadRankingServiceConfig({
      RANKING_GRPC_PORT: String(port),
      RANKING_SHUTDOWN_GRACE_MS: '1000',
    });
    app = await createTestApp(AppModule.forRoot(config));
    await connectRankingGrpc(app, config);
    ranker = new GrpcRanker({ address, defaultBudgetMs: 2_000 });
  });
  afterAll(async () => {
    ranker.close();
    await app.close();
  });

  it('ranks with the model asked for, the same as in process, with explain contributions', async () => {
    const over = await ranker.rank(request({ explain: true }));
    const local = await new InProcessRanker().rank(request({ explain: true }));

    expect(over.candidates.map((c) => c.livestreamId)).toEqual(['wave', 'followed', 'calm']);
    expect(over).toMatchObject({ modelId: 'home', modelVersion: 1 });
    expect(over.candidates.map((c) => c.score)).toEqual(local.candidates.map((c) => c.score));
    for (const candidate of over.candidates)
      expect(Object.values(candidate.contributions).reduce((a, b) => a + b, 0)).toBeCloseTo(
        candidate.score,
        9,
      );
  });

  it('scores embedding similarity over gRPC as in process, a seller without an embedding included', async () => {
    const withEmbeddings = request({
      user: userFixture({ embedding: [1, 0, 0] }),
      candidates: [
        candidateFixture('alike', { seller: { score: 0.5, embedding: [1, 0.1, 0] } }),
        candidateFixture('unlike', { seller: { score: 0.5, embedding: [0, 1, 0] } }),
        candidateFixture('unknown', { seller: { score: 0.5, embedding: [] } }),
      ],
      explain: true,
    });
    const over = await ranker.rank(withEmbeddings);
    const local = await new InProcessRanker().rank(withEmbeddings);

    expect(over.candidates).toEqual(local.candidates);
    const similarity = Object.fromEntries(
      over.candidates.map((c) => [c.livestreamId, c.contributions['embeddingSimilarity']]),
    );
    expect(similarity['alike']).toBeGreaterThan(similarity['unlike']!);
    expect(similarity['unknown']).toBe(0);
  });

  it('answers a caller that sends one message per candidate (the row form) in the same order', async () => {
    const rows = new RankingClient(address, credentials.createInsecure());
    const answer = await new Promise<RankResponse>((resolve, reject) =>
      rows.rank(request({ explain: true }), (error, response) => (error ? reject(error) : resolve(response))),
    );
    rows.close();
    const over = await ranker.rank(request({ explain: true }));

    expect(answer.ranked).toBeUndefined();
    // As JSON: a map entry of -0 travels as 0 in the row form, while packed columns keep the sign.
    expect(JSON.stringify(answer.candidates)).toEqual(JSON.stringify(over.candidates));
    expect(answer.candidates.map((c) => c.livestreamId)).toEqual(['wave', 'followed', 'calm']);
  });

  it('answers INVALID_ARGUMENT naming every problem', async () => {
    const bad = request({ modelId: '', nowMs: -1 });
    bad.candidates.push(candidateFixture('calm'));

    const error = await ranker.rank(bad).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RankCallError);
    expect((error as RankCallError).code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toBe(
      'Rank INVALID_ARGUMENT: Invalid RankRequest: modelId is required; candidates[3].livestreamId "calm" appears twice; nowMs must be epoch ms (or 0 for now)',
    );
  });

  it('answers NOT_FOUND for an unknown model and INVALID_ARGUMENT for an unknown weight override', async () => {
    await expect(ranker.rank(request({ modelId: 'nope' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ranker.rank(request({ weightOverrides: { charisma: 2 } }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('gives up at the deadline: the caller sees DEADLINE_EXCEEDED and falls back to retrieval order', async () => {
    const outcome = await rankOrRetrievalOrder(ranker, request(), { budgetMs: 0 });

    expect(outcome.servedBy).toBe('retrieval-order');
    expect(outcome.fallback).toMatchObject({
      reason: 'timeout',
      error: expect.stringContaining('DEADLINE_EXCEEDED'),
    });
    expect(outcome.response.candidates.map((c) => c.livestreamId)).toEqual(['calm', 'followed', 'wave']);
  });

  it('answers DEADLINE_EXCEEDED itself, ranking nothing, when the deadline passes before the request arrives', async () => {
    const rankedSoFar = async () => {
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/crest_ranking_rank_seconds_count\{model="home",version="1"\} (\d+)/.exec(metrics)?.[1]);
    };
    await ranker.rank(request()); // so the series exists, whatever ran before
    const before = await rankedSoFar();
    expect(before).toBeGreaterThan(0);
    const call = rawRankCall(address, request(), { 'grpc-timeout': '50m' });
    await call.sendFirstHalf();
    await sleep(150);
    call.sendRest();

    expect(await call.answer).toEqual({ status: String(status.DEADLINE_EXCEEDED) });
    expect(await rankedSoFar()).toBe(before);
  });

  it('stops work on the server when the caller’s deadline has passed', () => {
    const controller = app.get(RankController);
    const call = {
      getDeadline: () => new Date(Date.now() - 1),
      cancelled: false,
    } as unknown as ServerUnaryCall<RankRequest, RankResponse>;
    expect(() => controller.rank(request(), {} as never, call)).toThrow(
      expect.objectContaining({ error: { code: status.DEADLINE_EXCEEDED, message: 'deadline passed' } }),
    );
  });

  it('falls back to retrieval order when the service is down, and says so', async () => {
    const down = new GrpcRanker({ address: `127.0.0.1:${await freePort()}`, defaultBudgetMs: 500 });
    const outcome = await rankOrRetrievalOrder(down, request(), {
      isCallerError: (e) => e instanceof RankCallError && e.isInvalidArgument,
    });
    down.close();

    expect(outcome).toMatchObject({ servedBy: 'retrieval-order', fallback: { reason: 'error' } });
    expect(outcome.fallback!.error).toMatch(/UNAVAILABLE/);
  });

  it('connects ahead of the first call, and says when the service cannot be reached', async () => {
    const up = new GrpcRanker({ address });
    await expect(up.connect(2_000)).resolves.toBeUndefined();
    up.close();
    const down = new GrpcRanker({ address: `127.0.0.1:${await freePort()}` });
    await expect(down.connect(200)).rejects.toThrow(/^Rank UNAVAILABLE: not reachable within 200 ms/);
    down.close();
  });

  it('grants each client a connection window wide enough for many Rank requests in flight', async () => {
    const session = connect(`http://${address}`);
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      // The server's WINDOW_UPDATE follows its SETTINGS; poll until it has arrived.
      const deadline = Date.now() + 2_000;
      while ((session.state.remoteWindowSize ?? 0) < CONNECTION_WINDOW_BYTES && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(session.state.remoteWindowSize).toBe(CONNECTION_WINDOW_BYTES);
    } finally {
      session.destroy();
    }
  });

  it('refuses to start quietly with the narrow window when grpc-js hides its HTTP/2 servers', () => {
    expect(() => widenConnectionWindows({} as never, CONNECTION_WINDOW_BYTES)).toThrow(
      /grpc-js no longer exposes http2Servers/,
    );
  });

  it('answers gRPC health checks', async () => {
    const health = healthClient(address);
    expect(await health.check('crest.ranking.v1.Ranking')).toBe('SERVING');
    expect(await health.check('')).toBe('SERVING');
    health.close();
  });

  it('serves latency and error metrics', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('crest_ranking_rank_seconds_count{model="home",version="1"}');
    expect(metrics.body).toMatch(/crest_ranking_errors_total\{code="INVALID_ARGUMENT"\} [1-9]/);
  });
});

describe('RankBatch: the requests of one tick in one call', () => {
  let app: NestFastifyApplication;
  let address: string;
  let one: GrpcRanker;
  let batching: GrpcRanker;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    const config = loadRankingServiceConfig({ RANKING_GRPC_PORT: String(port) });
    app = await createTestApp(AppModule.forRoot(config));
    await connectRankingGrpc(app, config);
    one = new GrpcRanker({ address, defaultBudgetMs: 2_000 });
    batching = new GrpcRanker({ address, defaultBudgetMs: 2_000, batch: true });
  });
  afterAll(async () => {
    one.close();
    batching.close();
    await app.close();
  });

  const batchSizes = async () => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const series = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0);
    return {
      calls: series('crest_ranking_batch_requests_count'),
      requests: series('crest_ranking_batch_requests_sum'),
    };
  };
  const carousels = () => [
    request(),
    request({ user: userFixture({ followedSellers: [] }) }),
    request({ explain: true }),
    request({ modelId: 'new-user' }),
    request({ weightOverrides: { momentum: 0 }, explain: true }),
  ];

  it('answers each request as Rank does, in one RankBatch call', async () => {
    const before = await batchSizes();
    const batched = await Promise.all(carousels().map((r) => batching.rank(r)));
    const after = await batchSizes();
    const alone = await Promise.all(carousels().map((r) => one.rank(r)));

    expect(after).toEqual({ calls: before.calls + 1, requests: before.requests + 5 });
    expect(batched).toEqual(alone);
    expect(batched[0]!.candidates.map((c) => c.livestreamId)).toEqual(['wave', 'followed', 'calm']);
    expect(batched[3]!.modelId).toBe('new-user');
  });

  it('splits a tick’s requests into calls of at most maxBatchSize', async () => {
    const small = new GrpcRanker({ address, defaultBudgetMs: 2_000, batch: true, maxBatchSize: 2 });
    const before = await batchSizes();
    await Promise.all(carousels().map((r) => small.rank(r)));
    small.close();

    expect(await batchSizes()).toEqual({ calls: before.calls + 3, requests: before.requests + 5 });
  });

  it('refuses only the bad requests of a batch, each with the status Rank gives it', async () => {
    const bad = request({ modelId: '' });
    const outcomes = await Promise.allSettled([
      batching.rank(request()),
      batching.rank(bad),
      batching.rank(request({ modelId: 'nope' })),
      batching.rank(request({ weightOverrides: { charisma: 2 } })),
    ]);

    expect(outcomes[0]).toMatchObject({ status: 'fulfilled' });
    expect(outcomes.slice(1).map((o) => (o as PromiseRejectedResult).reason)).toEqual([
      new RankCallError('INVALID_ARGUMENT', 'Invalid RankRequest: modelId is required'),
      expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringContaining('nope') }),
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('charisma') }),
    ]);
  });

  it('refuses a call carrying more than MAX_RANK_BATCH requests as a whole', async () => {
    const client = new RankingClient(address, credentials.createInsecure());
    const error = await new Promise<unknown>((resolve) =>
      client.rankBatch(
        { requests: Array.from({ length: MAX_RANK_BATCH + 1 }, () => withCandidateColumns(request())) },
        (e) => resolve(e),
      ),
    );
    client.close();

    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: `Invalid RankRequest: a RankBatch carries at most ${MAX_RANK_BATCH} requests; this one has ${MAX_RANK_BATCH + 1}`,
    });
  });

  it('lets a cancelled or budgetless request go without costing its batch-mates their answers', async () => {
    const abort = new AbortController();
    const cancelled = batching.rank(request(), { signal: abort.signal });
    const answered = batching.rank(request());
    const budgetless = rankOrRetrievalOrder(batching, request(), { budgetMs: 0 });
    abort.abort();

    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await answered).candidates.map((c) => c.livestreamId)).toEqual(['wave', 'followed', 'calm']);
    expect(await budgetless).toMatchObject({
      servedBy: 'retrieval-order',
      fallback: { reason: 'timeout', error: expect.stringContaining('DEADLINE_EXCEEDED') },
    });
  });

  it('times each request out on its own budget, not on the longest of its batch', async () => {
    // Accepts connections and never answers: every call waits until its deadline.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const mute = new GrpcRanker({
      address: `127.0.0.1:${(silent.address() as { port: number }).port}`,
      batch: true,
    });
    const started = performance.now();
    const settledAfter = (p: Promise<unknown>) =>
      p.then(
        () => ({ ok: true, ms: performance.now() - started }),
        (e: RankCallError) => ({ code: e.code, ms: performance.now() - started }),
      );
    const [short, long] = await Promise.all([
      settledAfter(mute.rank(request(), { budgetMs: 100 })),
      settledAfter(mute.rank(request(), { budgetMs: 1_500 })),
    ]);
    mute.close();
    for (const socket of sockets) socket.destroy();
    silent.close();

    expect(short).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(long).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(short.ms).toBeLessThan(1_000);
    expect(long.ms).toBeGreaterThanOrEqual(1_400);
  });

  it('falls back to retrieval order when the service is down', async () => {
    const down = new GrpcRanker({
      address: `127.0.0.1:${await freePort()}`,
      defaultBudgetMs: 500,
      batch: true,
    });
    const outcomes = await Promise.all([
      rankOrRetrievalOrder(down, request()),
      rankOrRetrievalOrder(down, request()),
    ]);
    down.close();

    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ servedBy: 'retrieval-order', fallback: { reason: 'error' } });
      expect(outcome.fallback!.error).toMatch(/UNAVAILABLE/);
    }
  });

  it('refuses a batch size the service would refuse', () => {
    expect(() => new GrpcRanker({ address, batch: true, maxBatchSize: MAX_RANK_BATCH + 1 })).toThrow(
      `maxBatchSize must be an integer from 1 to ${MAX_RANK_BATCH}, not ${MAX_RANK_BATCH + 1}`,
    );
  });

  it('stops ranking a batch once the caller’s deadline has passed', () => {
    const call = { getDeadline: () => new Date(Date.now() - 1), cancelled: false } as never;
    expect(() =>
      app.get(RankController).rankBatch({ requests: [withCandidateColumns(request())] }, {} as never, call),
    ).toThrow(
      expect.objectContaining({ error: { code: status.DEADLINE_EXCEEDED, message: 'deadline passed' } }),
    );
  });
});

describe('ranking-service shutdown', () => {
  it('says NOT_SERVING while it drains, lets a call in flight finish, and cuts off one unfinished past the grace', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const config = loadRankingServiceConfig({
      RANKING_GRPC_PORT: String(port),
      RANKING_SHUTDOWN_DRAIN_MS: '800',
      RANKING_SHUTDOWN_GRACE_MS: '1500',
    });
    const app = await createTestApp(AppModule.forRoot(config));
    await connectRankingGrpc(app, config);
    const health = healthClient(address);
    expect(await health.check('crest.ranking.v1.Ranking')).toBe('SERVING');
    const inFlight = rawRankCall(address, request());
    const unfinished = rawRankCall(address, request());
    await Promise.all([inFlight.sendFirstHalf(), unfinished.sendFirstHalf()]);
    await sleep(100); // for the server to have both calls

    const started = performance.now();
    const closed = app.close().then(() => performance.now() - started);
    try {
      // Draining: still answering, and telling balancers to go elsewhere (once the close reaches its hook).
      await eventually(
        'health to say NOT_SERVING',
        async () => ((await health.check('crest.ranking.v1.Ranking')) === 'NOT_SERVING' ? true : undefined),
        600,
        20,
      );
      expect(await health.check('')).toBe('NOT_SERVING');
      await inFlight.goaway; // then it stops taking calls
      inFlight.sendRest();

      expect(await inFlight.answer).toEqual({ status: '0', order: ['wave', 'followed', 'calm'] });
      expect((await unfinished.answer).status).not.toBe('0');
      const closedAfterMs = await closed;
      expect(closedAfterMs).toBeGreaterThanOrEqual(2_250); // drain + grace, less timer slack
      expect(closedAfterMs).toBeLessThan(8_000);
    } finally {
      health.close();
    }
  }, 20_000);
});
