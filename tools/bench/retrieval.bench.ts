/**
 * Retrieval per backend and strategy, side by side in one run on the same simulated marketplace (10k live
 * streams): the memory replica and Elasticsearch answer the same requests one at a time; the table gives
 * p50/p99 per strategy and the Elasticsearch/memory ratio. Then the memory replica at 100k live docs, and a
 * composite whose primary hangs: it must answer from the fallback within its budget + 2 ms.
 *   npx tsx tools/bench/retrieval.bench.ts [--live 10000] [--calls 2000] [--budget 30]
 * Elasticsearch: ELASTICSEARCH_URL or http://127.0.0.1:9200 (npm run infra:start); without it the
 * Elasticsearch rows are skipped and the composite falls back to a second memory replica.
 */
import { parseArgs } from 'node:util';

import {
  CompositeRetriever,
  ElasticsearchRetriever,
  GuardedBackend,
  LivestreamIndex,
  MemoryRetriever,
  type RetrievalRequest,
  type Retriever,
} from '@crest/retrieval';
import { FaultyRetriever, simulatedRetrievalData } from '@crest/retrieval/testing';
import { ElasticsearchDocSink, type LivestreamDoc } from '@crest/signals';
import { Client } from '@elastic/elasticsearch';

import { type BenchRow, latencyHistogram, percentiles, report } from './bench-report';

const { values } = parseArgs({
  options: {
    live: { type: 'string', default: '10000' },
    calls: { type: 'string', default: '2000' },
    budget: { type: 'string', default: '30' },
  },
});
const liveStreams = Number(values.live);
const calls = Number(values.calls);
const budgetMs = Number(values.budget);
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';

/** Sequential calls over the requests (round robin); latency of each call in µs. */
async function measure(name: string, retriever: Retriever, requests: RetrievalRequest[], count: number) {
  for (let i = 0; i < Math.min(300, count); i++)
    await retriever.retrieve(requests[i % requests.length]!).catch(() => undefined);
  const histogram = latencyHistogram();
  let candidates = 0;
  const failures = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    try {
      const result = await retriever.retrieve(requests[i % requests.length]!);
      candidates += result.candidates.length;
    } catch (error) {
      const message = (error as Error).message;
      failures.set(message, (failures.get(message) ?? 0) + 1);
    }
    histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  }
  const seconds = (performance.now() - started) / 1000;
  const row: BenchRow = {
    name,
    items: count,
    seconds,
    throughputPerSecond: count / seconds,
    latencyUs: percentiles(histogram, 'one retrieval'),
    notes: `${(candidates / count).toFixed(1)} candidates per call`,
  };
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  if (failed > 0) {
    row.notes += `; ${failed} FAILED`;
    for (const [message, n] of failures) console.log(`${name}: ${n} x ${message}`);
  }
  return row;
}

/** The docs again under new ids and sellers, to reach `target` live docs with the same distributions. */
function scaledUp(docs: LivestreamDoc[], target: number): LivestreamDoc[] {
  const live = docs.filter((d) => d.status === 'live');
  const out: LivestreamDoc[] = [];
  for (let copy = 0; out.length < target; copy++)
    for (const doc of live) {
      if (out.length >= target) break;
      out.push({ ...doc, livestreamId: `${doc.livestreamId}-${copy}`, sellerId: `${doc.sellerId}-${copy}` });
    }
  return out;
}

async function elasticsearchAnswers(client: Client): Promise<boolean> {
  try {
    return ['green', 'yellow'].includes((await client.cluster.health()).status);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const data = simulatedRetrievalData({ liveStreams, users: 200 });
  const live = data.docs.filter((d) => d.status === 'live').length;
  console.log(
    `simulated ${data.docs.length} docs (${live} live) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const strategies = [...new Set(data.requests.map((r) => r.strategy))];
  const requestsOf = (strategy: string) => data.requests.filter((r) => r.strategy === strategy);

  const index = new LivestreamIndex();
  await index.write({ upserts: data.docs, deletions: [] });
  const memory = new MemoryRetriever(index);

  const client = new Client({ node: elasticsearchUrl });
  const alias = `bench-retrieval-${Date.now()}`;
  let elasticsearch: ElasticsearchRetriever | null = null;
  if (await elasticsearchAnswers(client)) {
    const sink = new ElasticsearchDocSink(client, { alias });
    await sink.ensureIndex();
    await sink.write({ upserts: data.docs, deletions: [], userSignals: [] });
    await client.indices.refresh({ index: alias });
    await client.indices.forcemerge({ index: alias, max_num_segments: 1 });
    elasticsearch = new ElasticsearchRetriever(client, { index: alias });
  } else {
    console.log(
      `Elasticsearch at ${elasticsearchUrl} not reachable: skipping its rows (npm run infra:start)`,
    );
  }

  const rows: BenchRow[] = [];
  const ratios: string[] = [];
  for (const strategy of strategies) {
    const requests = requestsOf(strategy);
    const fromMemory = await measure(`memory ${strategy}`, memory, requests, calls);
    rows.push(fromMemory);
    if (elasticsearch) {
      const fromElasticsearch = await measure(`elasticsearch ${strategy}`, elasticsearch, requests, calls);
      rows.push(fromElasticsearch);
      const ratio = (p: 'p50' | 'p99') => fromElasticsearch.latencyUs![p] / fromMemory.latencyUs![p];
      const line = `${strategy}: Elasticsearch / memory = ${ratio('p50').toFixed(0)}x at p50, ${ratio('p99').toFixed(0)}x at p99`;
      fromElasticsearch.notes += `; ${line}`;
      ratios.push(line);
    }
  }

  // The primary hangs; its timeout (half the budget) cancels it and the fallback answers.
  const hanging = new FaultyRetriever(memory, 'memory');
  hanging.fault = { kind: 'hang' };
  const fallback = elasticsearch ?? new MemoryRetriever(index);
  const composite = new CompositeRetriever({
    callSite: 'bench',
    // The circuit never opens here, so every call takes the timeout path (the slow one).
    primary: new GuardedBackend(hanging, { consecutiveFailures: Number.MAX_SAFE_INTEGER }),
    fallback: new GuardedBackend(fallback),
    budgetMs,
  });
  const compositeCalls = Math.min(calls, 500);
  const hangRow = await measure(
    `composite, primary hanging (budget ${budgetMs} ms)`,
    composite,
    data.requests,
    compositeCalls,
  );
  const withinBudget = hangRow.latencyUs!.max <= (budgetMs + 2) * 1000;
  hangRow.notes = `fallback ${fallback.backend}; max ${(hangRow.latencyUs!.max / 1000).toFixed(1)} ms ${withinBudget ? '<=' : '>'} budget + 2 ms; ${hanging.cancelled} of ${hanging.calls} hanging calls cancelled`;
  rows.push(hangRow);

  const big = new LivestreamIndex();
  await big.write({ upserts: scaledUp(data.docs, 100_000), deletions: [] });
  const bigMemory = new MemoryRetriever(big);
  for (const strategy of strategies)
    rows.push(
      await measure(`memory ${strategy} @${big.liveCount} live`, bigMemory, requestsOf(strategy), calls / 2),
    );

  report('retrieval', { liveStreams: live, calls, budgetMs, elasticsearch: Boolean(elasticsearch) }, rows);
  for (const line of ratios) console.log(line);
  console.log(hangRow.notes);
  if (elasticsearch) {
    await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await client.indices.deleteIndexTemplate({ name: `${alias}-template` });
  }
  await client.close();
  process.exit(0);
}

void main();
