/**
 * Ranking speed: `Rank` of 200 candidates with the home model, in process and over gRPC on localhost
 * (the built ranking-service as its own process, so its one Node thread is the "one core"), sequential
 * latency p50/p99 and throughput with many calls in flight.
 *   npx tsx tools/bench/ranking.bench.ts [--calls 5000] [--seconds 5] [--concurrency 32]
 * Builds dist/apps/ranking-service first when it is missing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  GrpcRanker,
  InProcessRanker,
  RankBatchRequest,
  RankingService,
  RankRequest,
  withCandidateColumns,
} from '@crest/ranking';
import { candidateFixture, NOW, rankRequestFixture, userFixture } from '@crest/ranking/testing';
import { assertFixedPortUsable, SeededRandom } from '@crest/testing';
import { Client, credentials } from '@grpc/grpc-js';

import { type BenchRow, latencyHistogram, percentiles, report } from './bench-report';
import { cpuProfileFlags, stopProcess } from './stack';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
  },
});
const calls = Number(values.calls);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const root = join(__dirname, '../..');

/** 200 varied candidates of a user with follows, affinities and an embedding. */
function requestOf(seed: number): RankRequest {
  const random = new SeededRandom(seed);
  const sellers = Array.from({ length: 60 }, (_, i) => `seller-${i}`);
  const categories = ['cards', 'sneakers', 'watches', 'comics', 'toys'];
  const vector = () => Array.from({ length: 16 }, () => random.float() - 0.5);
  return rankRequestFixture({
    user: userFixture({
      followedSellers: sellers.slice(0, 8),
      categoryAffinities: { cards: 2, sneakers: 0.5 },
      embedding: vector(),
    }),
    candidates: Array.from({ length: 200 }, (_, i) =>
      candidateFixture(`stream-${seed}-${i}`, {
        sellerId: random.pick(sellers),
        categoryIds: [random.pick(categories)],
        retrievalScore: random.float(),
        seller: { score: random.float(), embedding: vector() },
        stream: {
          momentum: random.float() * 3,
          hotness: random.float() * 8,
          currentViewers: random.int(0, 500),
          bidsPerMinute: random.int(0, 40),
          chatsPerMinute: random.int(0, 100),
          engagedUsers5m: random.int(0, 200),
          auctionEndsAtMs: random.chance(0.4) ? NOW + random.int(1, 600) * 1_000 : undefined,
          giveawayEndsAtMs: random.chance(0.2) ? NOW + 60_000 : undefined,
        },
      }),
    ),
    explain: false,
  });
}

async function sequential(name: string, rank: (r: RankRequest) => Promise<unknown>, requests: RankRequest[]) {
  for (let i = 0; i < 500; i++) await rank(requests[i % requests.length]!);
  const histogram = latencyHistogram();
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await rank(requests[i % requests.length]!);
    histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    name,
    items: calls,
    seconds: elapsed,
    throughputPerSecond: calls / elapsed,
    latencyUs: percentiles(histogram, 'one Rank call, sequential'),
  } satisfies BenchRow;
}

/** `perCall`: rankings each call does (a RankBatch's requests), so throughput counts rankings. */
async function saturated(
  name: string,
  rank: (r: RankRequest) => Promise<unknown>,
  requests: RankRequest[],
  perCall = 1,
) {
  let done = 0;
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  const histogram = latencyHistogram();
  const worker = async (w: number) => {
    for (let i = w; performance.now() < until; i += concurrency) {
      const t0 = performance.now();
      try {
        await rank(requests[i % requests.length]!);
        done++;
      } catch {
        failed++;
      }
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - started) / 1000;
  return {
    name,
    items: done * perCall,
    seconds: elapsed,
    throughputPerSecond: (done * perCall) / elapsed,
    latencyUs: percentiles(
      histogram,
      perCall === 1
        ? `one Rank, ${concurrency} in flight`
        : `one RankBatch of ${perCall}, ${concurrency} in flight`,
    ),
    notes: failed > 0 ? `${failed} FAILED` : undefined,
  } satisfies BenchRow;
}

async function startService(port: number) {
  const main = join(root, 'dist/apps/ranking-service/main.js');
  if (!existsSync(main))
    execFileSync('npx', ['nx', 'build', 'ranking-service'], { cwd: root, stdio: 'inherit' });
  const child = spawn(process.execPath, [...cpuProfileFlags('ranking-service'), main], {
    env: { ...process.env, PORT: String(port + 1), RANKING_GRPC_PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port + 1}/health`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error('ranking-service did not start within 30 s');
}

async function main(): Promise<void> {
  const requests = Array.from({ length: 20 }, (_, i) => requestOf(i + 1));
  const local = new InProcessRanker();
  // The feed builds columns straight from its docs; rows are what a hand-built caller sends.
  const asColumns = requests.map(withCandidateColumns);
  const rows: BenchRow[] = [
    await sequential('in-process Rank, 200 candidates as columns', (r) => local.rank(r), asColumns),
    await sequential('in-process Rank, 200 candidates as rows', (r) => local.rank(r), requests),
    await saturated('in-process Rank, columns, saturated (one core)', (r) => local.rank(r), asColumns),
  ];
  const port = assertFixedPortUsable(29_351);
  const service = await startService(port);
  const grpc = new GrpcRanker({ address: `127.0.0.1:${port}`, defaultBudgetMs: 1_000 });
  try {
    rows.push(await sequential('gRPC Rank on localhost, 200 candidates', (r) => grpc.rank(r), requests));
    // The transport's own floor on this machine: the same round trip with one candidate.
    const tiny = requests.map((r) => ({ ...r, candidates: r.candidates.slice(0, 1) }));
    rows.push(await sequential('gRPC Rank on localhost, 1 candidate (floor)', (r) => grpc.rank(r), tiny));
    rows.push(await saturated('gRPC Rank, saturated (client encodes)', (r) => grpc.rank(r), requests));
    // The feed's client: the calls of one tick (here, those of every worker whose answer just came) go
    // as one RankBatch. Throughput counts rankings.
    const batching = new GrpcRanker({ address: `127.0.0.1:${port}`, defaultBudgetMs: 1_000, batch: true });
    rows.push(
      await saturated('gRPC batching client, saturated (rankings/s)', (r) => batching.rank(r), requests),
    );
    batching.close();
    // The service's own capacity: requests encoded once up front, responses left as bytes, so the load
    // generator (one Node process, ~1 ms of protobuf work per 200-candidate call) is not what saturates.
    const raw = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    // As GrpcRanker sends them: columns.
    const encoded = new Map(
      requests.map((r) => [r, Buffer.from(RankRequest.encode(withCandidateColumns(r)).finish())]),
    );
    const identity = (b: Buffer) => b;
    const rawRank = (r: RankRequest) =>
      new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest(RankingService.rank.path, identity, identity, encoded.get(r)!, (e, b) =>
          e ? reject(e) : resolve(b!),
        ),
      );
    rows.push(await saturated('gRPC Rank, saturated (service: one process)', rawRank, requests));
    // A feed's five carousels in one RankBatch, pre-encoded likewise; throughput counts rankings.
    const FEED_CAROUSELS = 5;
    const batches = new Map(
      requests.map((r, i) => [
        r,
        Buffer.from(
          RankBatchRequest.encode({
            requests: Array.from({ length: FEED_CAROUSELS }, (_, k) =>
              withCandidateColumns(requests[(i + k) % requests.length]!),
            ),
          }).finish(),
        ),
      ]),
    );
    const rawRankBatch = (r: RankRequest) =>
      new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest(RankingService.rankBatch.path, identity, identity, batches.get(r)!, (e, b) =>
          e ? reject(e) : resolve(b!),
        ),
      );
    rows.push(
      await saturated(
        `gRPC RankBatch of ${FEED_CAROUSELS}, saturated (service: one process; rankings/s)`,
        rawRankBatch,
        requests,
        FEED_CAROUSELS,
      ),
    );
    // The same with one candidate per call: what the service and transport can do with almost no work.
    for (const r of tiny) encoded.set(r, Buffer.from(RankRequest.encode(withCandidateColumns(r)).finish()));
    rows.push(await saturated('gRPC Rank, 1 candidate, saturated (transport ceiling)', rawRank, tiny));
    raw.close();
  } finally {
    grpc.close();
    await stopProcess(service);
  }
  report('ranking', { candidates: 200, model: 'home@1', calls, seconds, concurrency }, rows);
  process.exit(0);
}

void main();
