import { randomUUID } from 'node:crypto';

import { ElasticsearchDocSink } from '@crest/signals';
import { Client } from '@elastic/elasticsearch';

import { ElasticsearchRetriever } from './elasticsearch/elasticsearch.retriever';
import { LivestreamIndex } from './memory/livestream-index';
import { MemoryRetriever } from './memory/memory.retriever';
import { type Candidate } from './retrieval-request';
import { simulatedRetrievalData } from './simulated-retrieval-data';
import { SqlRetriever } from './sql/sql.retriever';
import { SqlDocSink } from './sql/sql-doc.sink';
import { SqlStore } from './sql/sql-store';
import { DEFAULT_STRATEGIES } from './strategies/default-strategies';

const node = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Either backend can be the other's fallback only if they agree: on a simulated marketplace, the memory
 * replica, Elasticsearch and the SQL pull model return the same top candidates, in the same order, with
 * the same scores, for every strategy and user.
 */
describe('memory, Elasticsearch and SQL parity on simulated data', () => {
  const client = new Client({ node });
  const alias = `crest-int-parity-${randomUUID().slice(0, 8)}`;
  const data = simulatedRetrievalData({ liveStreams: 2_000, users: 25 });
  const replica = new LivestreamIndex();
  const memory = new MemoryRetriever(replica);
  const elasticsearch = new ElasticsearchRetriever(client, { index: alias });
  const store = new SqlStore({
    connectionString: databaseUrl,
    schema: `crest_parity_${randomUUID().slice(0, 8)}`,
  });
  const sql = new SqlRetriever(store);

  beforeAll(async () => {
    const sink = new ElasticsearchDocSink(client, { alias });
    await sink.ensureIndex();
    await sink.write({ upserts: data.docs, deletions: [], userSignals: [] });
    await client.indices.refresh({ index: alias });
    await replica.write({ upserts: data.docs, deletions: [] });
    await store.migrate();
    await new SqlDocSink(store).write({ upserts: data.docs, deletions: [] });
  });
  afterAll(async () => {
    await store.dropSchema();
    await store.close();
    await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await client.indices.deleteIndexTemplate({ name: `${alias}-template` });
    await client.close();
  });

  it('uses a data set that exercises every strategy', () => {
    expect(data.docs.filter((d) => d.status === 'live').length).toBeGreaterThanOrEqual(1_900);
  });

  const summary = (candidates: Candidate[]) => candidates.map((c) => `${c.livestreamId}@${c.score}`);

  // Cosine in Lucene sums in SIMD lanes, in another order than any scalar loop: similar-sellers scores agree
  // to float rounding, not bit for bit, so sellers within that of each other may swap places, and which of
  // those tied with the last made the cut may differ. So for it: the same candidates above the last score,
  // each with the same score within 1e-5, in an order both agree on within 1e-5, and as many candidates.
  const expectSameUpToRounding = (fromElasticsearch: Candidate[], fromMemory: Candidate[]) => {
    const tolerance = 1e-5;
    expect(fromElasticsearch.length).toBe(fromMemory.length);
    if (fromMemory.length === 0) return;
    const lastScore = fromMemory.at(-1)!.score;
    const above = (candidates: Candidate[]) => candidates.filter((c) => c.score > lastScore + tolerance);
    const memoryScores = new Map(fromMemory.map((c) => [c.livestreamId, c.score]));
    const kept = above(fromElasticsearch);
    expect(kept.map((c) => c.livestreamId).sort()).toEqual(
      above(fromMemory)
        .map((c) => c.livestreamId)
        .sort(),
    );
    kept.forEach((candidate, i) => {
      expect(Math.abs(candidate.score - memoryScores.get(candidate.livestreamId)!)).toBeLessThanOrEqual(
        tolerance,
      );
      if (i > 0)
        expect(memoryScores.get(kept[i - 1]!.livestreamId)!).toBeGreaterThanOrEqual(
          memoryScores.get(candidate.livestreamId)! - tolerance,
        );
    });
  };

  it.each(DEFAULT_STRATEGIES.map((s) => s.name))(
    '%s: same candidates, order and scores',
    async (strategy) => {
      const requests = data.requests.filter((r) => r.strategy === strategy);
      let nonEmpty = 0;
      for (const request of requests) {
        const [fromMemory, fromElasticsearch, fromSql] = await Promise.all([
          memory.retrieve(request),
          elasticsearch.retrieve(request),
          sql.retrieve(request),
        ]);
        for (const other of [fromElasticsearch, fromSql]) {
          if (strategy === 'similar-sellers') expectSameUpToRounding(other.candidates, fromMemory.candidates);
          else
            expect({
              backend: other.backend,
              user: request.userId,
              candidates: summary(other.candidates),
            }).toEqual({
              backend: other.backend,
              user: request.userId,
              candidates: summary(fromMemory.candidates),
            });
          // Every backend returns the docs as the replica holds them.
          for (const candidate of other.candidates)
            expect(candidate.doc).toEqual(replica.get(candidate.livestreamId));
        }
        if (fromMemory.candidates.length > 0) nonEmpty++;
      }
      // Most users get candidates from every strategy: the comparison is not of empty lists.
      expect(nonEmpty).toBeGreaterThanOrEqual(requests.length * 0.8);
    },
  );
});
