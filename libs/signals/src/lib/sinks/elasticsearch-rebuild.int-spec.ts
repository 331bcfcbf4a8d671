import { randomUUID } from 'node:crypto';

import { KafkaEventBus } from '@crest/messaging';
import { Client } from '@elastic/elasticsearch';

import { type LivestreamDoc } from '../livestream-doc';
import { bidAt, chatAt, STREAM } from '../scenarios/scenario-events';
import { SignalPipeline } from '../signal-pipeline';
import { ElasticsearchDocSink } from './elasticsearch-doc.sink';
import { rebuildElasticsearchIndex } from './elasticsearch-rebuild';
import { StateTopicDocSink } from './state-topic-doc.sink';

const node = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');

describe('rebuildElasticsearchIndex from the state topic, on real Kafka and Elasticsearch', () => {
  const id = randomUUID().slice(0, 8);
  const alias = `crest-int-rebuild-${id}`;
  const stateTopic = `crest-int-rebuild-state-${id}`;
  const client = new Client({ node });
  const bus = new KafkaEventBus({ brokers, clientId: 'rebuild-int-test', createTopics: true });
  const state = new StateTopicDocSink(bus, stateTopic);

  const pipeline = new SignalPipeline();
  pipeline.ingest([bidAt(10), chatAt(20), bidAt(30)]);
  const base = pipeline.doc(STREAM)!;
  const docs: LivestreamDoc[] = Array.from({ length: 1_500 }, (_, i) => ({
    ...base,
    livestreamId: `stream-${i}`,
    title: `stream ${i}`,
    version: base.version + i,
    hotness: i / 100,
  }));

  beforeAll(async () => {
    await state.ensureTopic(3);
    for (let i = 0; i < docs.length; i += 500)
      await state.write({ upserts: docs.slice(i, i + 500), deletions: [], userSignals: [] });
  });
  afterAll(async () => {
    await bus.close();
    await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await client.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
    await client.close();
  });

  async function indexed(): Promise<Map<string, LivestreamDoc>> {
    await client.indices.refresh({ index: alias });
    const result = await client.search<LivestreamDoc>({
      index: alias,
      size: 10_000,
      query: { match_all: {} },
    });
    return new Map(result.hits.hits.map((hit) => [hit._id!, hit._source!]));
  }

  it('rebuilds a wiped index with exactly the docs on the topic', async () => {
    const sink = new ElasticsearchDocSink(client, { alias });
    await sink.ensureIndex();
    await sink.write({ upserts: docs.slice(0, 10), deletions: [], userSignals: [] });
    await client.indices.delete({ index: `${alias}-*` }); // wiped: no index, no alias

    const report = await rebuildElasticsearchIndex({ bus, client, alias, stateTopic, settleMs: 0 });

    expect(report).toMatchObject({ docs: 1_500, caughtUp: 0, deleted: 0, replaced: [] });
    const held = await indexed();
    expect(held.size).toBe(1_500);
    expect(held.get('stream-7')).toEqual(withoutNullEmbedding(docs[7]!));
    expect(Object.keys(await client.indices.getAlias({ name: alias }))).toEqual([report.index]);
  });

  it('replaces the current index, keeping what changed on the topic while it loaded', async () => {
    const before = Object.keys(await client.indices.getAlias({ name: alias }));
    const updated = {
      ...docs[3]!,
      version: docs[3]!.version + 1_000_000,
      title: 'changed during the rebuild',
    };
    const report = await rebuildElasticsearchIndex({
      bus,
      client,
      alias,
      stateTopic,
      settleMs: 0,
      // Right after the alias moved, before the catch-up read: the ingestor carries on meanwhile.
      onProgress: async (message) => {
        if (message.startsWith('alias '))
          await state.write({ upserts: [updated], deletions: ['stream-4'], userSignals: [] });
      },
    });

    expect(report).toMatchObject({ docs: 1_500, caughtUp: 1, deleted: 1, replaced: before });
    const held = await indexed();
    expect(held.size).toBe(1_499);
    expect(held.get('stream-3')?.title).toBe('changed during the rebuild');
    expect(held.has('stream-4')).toBe(false);
    expect(await client.indices.exists({ index: before })).toBe(false);
  });
});

function withoutNullEmbedding(doc: LivestreamDoc): object {
  return doc.seller.embedding ? doc : { ...doc, seller: { score: doc.seller.score } };
}
