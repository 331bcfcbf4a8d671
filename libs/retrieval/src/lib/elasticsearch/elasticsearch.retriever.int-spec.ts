import { randomUUID } from 'node:crypto';

import { ElasticsearchDocSink, type LivestreamDoc } from '@crest/signals';
import { Client } from '@elastic/elasticsearch';

import { LivestreamIndex } from '../memory/livestream-index';
import { MemoryRetriever } from '../memory/memory.retriever';
import { CompositeRetriever } from '../resilience/composite-retriever';
import { FaultyRetriever } from '../resilience/faulty-retriever';
import { GuardedBackend } from '../resilience/guarded-backend';
import { CONTRACT_DOCS, describeRetrieverContract, retrievalRequestFixture } from '../retriever.contract';
import { ElasticsearchRetriever } from './elasticsearch.retriever';

const node = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';

describeRetrieverContract('elasticsearch', () => {
  const client = new Client({ node });
  const aliases: string[] = [];
  return {
    async load(docs: LivestreamDoc[]) {
      // A fresh alias per load: the contract replaces what the backend held.
      const alias = `crest-int-retrieval-${randomUUID().slice(0, 8)}`;
      aliases.push(alias);
      // The contract's embeddings have 4 dimensions.
      const sink = new ElasticsearchDocSink(client, { alias, embeddingDims: 4 });
      await sink.ensureIndex();
      await sink.write({ upserts: docs, deletions: [], userSignals: [] });
      await client.indices.refresh({ index: alias });
      return new ElasticsearchRetriever(client, { index: alias });
    },
    async close() {
      for (const alias of aliases) {
        await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
        await client.indices.deleteIndexTemplate({ name: `${alias}-template` });
      }
      await client.close();
    },
  };
});

describe('ElasticsearchRetriever in a composite, on a real Elasticsearch', () => {
  const client = new Client({ node });
  const alias = `crest-int-composite-${randomUUID().slice(0, 8)}`;
  const request = retrievalRequestFixture({ strategy: 'trending', limit: 3 });
  let memory: MemoryRetriever;
  let elasticsearch: ElasticsearchRetriever;

  beforeAll(async () => {
    const sink = new ElasticsearchDocSink(client, { alias, embeddingDims: 4 });
    await sink.ensureIndex();
    await sink.write({ upserts: CONTRACT_DOCS, deletions: [], userSignals: [] });
    await client.indices.refresh({ index: alias });
    const index = new LivestreamIndex();
    await index.write({ upserts: CONTRACT_DOCS, deletions: [] });
    memory = new MemoryRetriever(index);
    elasticsearch = new ElasticsearchRetriever(client, { index: alias });
  });
  afterAll(async () => {
    await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await client.indices.deleteIndexTemplate({ name: `${alias}-template` });
    await client.close();
  });

  it('answers from Elasticsearch when the memory primary hangs, cancelling the primary', async () => {
    const hanging = new FaultyRetriever(memory);
    hanging.fault = { kind: 'hang' };
    const sut = new CompositeRetriever({
      callSite: 'int/trending',
      primary: new GuardedBackend(hanging),
      fallback: new GuardedBackend(elasticsearch),
      budgetMs: 200,
      primaryTimeoutMs: 20,
    });

    const result = await sut.retrieve(request);

    expect(result).toMatchObject({ backend: 'elasticsearch', reason: 'fallback-timeout' });
    expect(result.candidates.map((c) => c.livestreamId)).toEqual(['s7', 's3', 's5']);
    expect(hanging.cancelled).toBe(1);
  });

  it('falls back to memory when Elasticsearch is unreachable, and opens its circuit', async () => {
    const unreachable = new Client({ node: 'http://127.0.0.1:9', maxRetries: 0 });
    const down = new GuardedBackend(new ElasticsearchRetriever(unreachable, { index: alias }), {
      consecutiveFailures: 2,
    });
    const sut = new CompositeRetriever({
      callSite: 'int/trending',
      primary: down,
      fallback: new GuardedBackend(memory),
      budgetMs: 500,
    });

    const first = await sut.retrieve(request);
    expect(first).toMatchObject({ backend: 'memory', reason: 'fallback-error' });
    expect(first.timings.attempts[0]!.error).toMatch(/ConnectionError/);
    await sut.retrieve(request);
    expect(down.circuit).toBe('open');
    expect((await sut.retrieve(request)).reason).toBe('fallback-circuit-open');
    await unreachable.close();
  });

  it('cancels the HTTP request when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = elasticsearch.retrieve(request, { signal: controller.signal });
    controller.abort();

    await expect(pending).rejects.toThrow(/abort/i);
  });
});
