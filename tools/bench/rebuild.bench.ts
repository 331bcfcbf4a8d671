/**
 * Rebuild of the Elasticsearch index from the compacted state topic (tools/rebuild-index), on real Kafka
 * and Elasticsearch: N stream docs on a state topic of their own, then a rebuild into an alias of its own.
 * Prints and records how long reading the topic, loading the index and the whole rebuild took.
 *   npx tsx tools/bench/rebuild.bench.ts [--streams 10000,100000]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import { KafkaEventBus } from '@crest/messaging';
import {
  type LivestreamDoc,
  rebuildElasticsearchIndex,
  SignalPipeline,
  StateTopicDocSink,
} from '@crest/signals';
import { MarketplaceSimulator, SeededRandom } from '@crest/testing';
import { Client } from '@elastic/elasticsearch';

import { type BenchRow, report } from './bench-report';

const { values } = parseArgs({ options: { streams: { type: 'string', default: '10000,100000' } } });
const sizes = values.streams.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error('--streams must list positive integers');
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';

/** Docs as the ingestor writes them (simulated streams' real docs), varied per stream. */
function docs(count: number): LivestreamDoc[] {
  const simulator = new MarketplaceSimulator({ seed: 3, eventsPerSecond: 2_000, targetLiveStreams: 200 });
  const pipeline = new SignalPipeline({ allowedLatenessMs: 3_600_000 });
  for (let i = 0; i < 60; i++)
    pipeline.ingest(simulator.advance(1_000).flatMap((item) => (item.kind === 'event' ? [item.event] : [])));
  const templates = pipeline.takeChanges().upserts;
  const random = new SeededRandom(count);
  return Array.from({ length: count }, (_, i) => {
    const template = templates[i % templates.length]!;
    return {
      ...template,
      livestreamId: random.uuid(),
      version: template.version + i,
      seller: { score: random.float(), embedding: Array.from({ length: 16 }, () => random.float() * 2 - 1) },
    };
  });
}

async function main(): Promise<void> {
  const bus = new KafkaEventBus({ brokers, clientId: 'rebuild-bench', createTopics: true });
  const client = new Client({ node: elasticsearchUrl });
  const rows: BenchRow[] = [];
  try {
    for (const size of sizes) {
      const id = randomUUID().slice(0, 8);
      const stateTopic = `crest-bench-rebuild-state-${id}`;
      const alias = `crest-bench-rebuild-${id}`;
      const sink = new StateTopicDocSink(bus, stateTopic);
      await sink.ensureTopic(6);
      const all = docs(size);
      for (let i = 0; i < all.length; i += 5_000)
        await sink.write({ upserts: all.slice(i, i + 5_000), deletions: [], userSignals: [] });
      try {
        const result = await rebuildElasticsearchIndex({ bus, client, alias, stateTopic, settleMs: 0 });
        const count = await client.count({ index: alias });
        if (count.count !== size) throw new Error(`rebuilt ${count.count} docs, expected ${size}`);
        rows.push({
          name: `rebuild ${size.toLocaleString('en-US')} streams`,
          items: size,
          seconds: result.totalMs / 1_000,
          throughputPerSecond: size / (result.totalMs / 1_000),
          notes: `read topic ${result.readMs} ms, load index ${result.loadMs} ms, catch-up ${result.catchUpMs} ms`,
        });
      } finally {
        await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
        await client.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
      }
    }
  } finally {
    await bus.close();
    await client.close();
  }
  report('rebuild', { sizes, brokers, elasticsearchUrl }, rows);
}

void main();
