import { randomUUID } from 'node:crypto';

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { KafkaEventBus } from '@crest/messaging';
import { createTestApp } from '@crest/platform/testing';
import { type LivestreamDoc } from '@crest/signals';
import { encodeSimulatedItem, MarketplaceSimulator } from '@crest/testing';
import { Client } from '@elastic/elasticsearch';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';

import { AppModule } from './app.module';
import { loadEventIngestorConfig } from './event-ingestor.config';

const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('event-ingestor on real Kafka, Elasticsearch and PostgreSQL', () => {
  const alias = `crest-int-ingest-${randomUUID().slice(0, 8)}`;
  const es = new Client({ node: elasticsearchUrl });
  const schema = `crest_int_ingest_${randomUUID().slice(0, 8)}`;
  const pg = new Pool({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  const producer = new KafkaEventBus({
    brokers: brokers.split(','),
    clientId: 'ingest-int-producer',
    createTopics: true,
  });
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = loadEventIngestorConfig({
      KAFKA_BROKERS: brokers,
      ELASTICSEARCH_URL: elasticsearchUrl,
      ELASTICSEARCH_INDEX_ALIAS: alias,
      PULL_MODEL_DATABASE_URL: databaseUrl,
      PULL_MODEL_SCHEMA: schema,
      INGEST_GROUP_ID: `ingest-int-${randomUUID().slice(0, 8)}`,
      EMIT_INTERVAL_MS: '100',
      ALLOWED_LATENESS_MS: '3600000',
    });
    app = await createTestApp(AppModule.forRoot(config));
  });

  afterAll(async () => {
    await app.close();
    await producer.close();
    await es.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await es.indices.deleteIndexTemplate({ name: `${alias}-template` });
    await es.close();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  it('indexes docs that match an independent recount of the simulated events', async () => {
    // A seed of its own per run: the marketplace topics may hold other runs' streams, which this test
    // ignores; a fixed seed would replay the same event ids at other times.
    const simulator = new MarketplaceSimulator({
      seed: 7_301 + Math.floor(Math.random() * 1_000_000),
      eventsPerSecond: 300,
      targetLiveStreams: 25,
      malformedRate: 0.01,
      // Recent events: the pull model keeps an hour of raw events.
      startTime: Date.now() - 60_000,
    });
    const items = Array.from({ length: 60 }, () => simulator.advance(1_000)).flat();
    const events = items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
    await producer.publish(items.map(encodeSimulatedItem));

    const expected = recount(events);
    // Wait for every field asserted below: topics are consumed independently, so a stream's bids can be
    // indexed before its status change (another topic) is.
    const matches = (docs: Map<string, LivestreamDoc>) =>
      docs.size === expected.size &&
      [...expected].every(([id, e]) => {
        const doc = docs.get(id);
        return (
          doc?.signals['bids']?.['60m'] === e.bids &&
          doc.signals['gmvMinor']?.['60m'] === e.gmv &&
          doc.status === e.status
        );
      });
    let docs = new Map<string, LivestreamDoc>();
    const deadline = Date.now() + 90_000;
    while (!matches(docs) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await es.indices.refresh({ index: alias });
      const result = await es.search<LivestreamDoc>({
        index: alias,
        size: 1_000,
        query: { ids: { values: [...expected.keys()] } },
      });
      docs = new Map(result.hits.hits.map((hit) => [hit._id!, hit._source!]));
    }

    for (const [id, e] of expected) {
      const doc = docs.get(id)!;
      expect([id, doc.signals['bids']!['60m'], doc.signals['gmvMinor']!['60m'], doc.status]).toEqual([
        id,
        e.bids,
        e.gmv,
        e.status,
      ]);
    }
    // The pull model got the same: latest state per stream, and bids and GMV in the minute rollups.
    const pullModel = async () => {
      const ids = [...expected.keys()];
      const states = await pg.query<{ id: string; status: string }>(
        'SELECT livestream_id AS id, status FROM livestreams WHERE livestream_id = ANY($1)',
        [ids],
      );
      const rollups = await pg.query<{ id: string; action: string; events: string; amount: string }>(
        `SELECT livestream_id AS id, action, sum(events) AS events, sum(amount_minor) AS amount
         FROM engagement_minutes WHERE livestream_id = ANY($1) AND action IN ('bid.placed', 'product.purchased')
         GROUP BY 1, 2`,
        [ids],
      );
      return ids.map((id) => [
        id,
        states.rows.find((r) => r.id === id)?.status ?? null,
        Number(rollups.rows.find((r) => r.id === id && r.action === 'bid.placed')?.events ?? 0),
        Number(rollups.rows.find((r) => r.id === id && r.action === 'product.purchased')?.amount ?? 0),
      ]);
    };
    const wanted = [...expected].map(([id, e]) => [id, e.status, e.bids, e.gmv]);
    let fromPostgres = await pullModel();
    for (let i = 0; i < 60 && JSON.stringify(fromPostgres) !== JSON.stringify(wanted); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      fromPostgres = await pullModel();
    }
    expect(fromPostgres).toEqual(wanted);

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/crest_ingest_freshness_seconds_count \d+/);
    expect(metrics).toMatch(
      /crest_ingest_consumer_lag\{topic="marketplace\.commerce\.v1",partition="\d"\} \d+/,
    );
    expect(metrics).toMatch(
      /crest_ingest_dead_lettered_total\{topic="marketplace\.[a-z]+\.v1",code="[a-z_]+"\} [1-9]/,
    );
  }, 120_000);
});

function recount(events: readonly MarketplaceEvent[]) {
  const streams = new Map<string, { bids: number; gmv: number; status: string | null; statusAt: number }>();
  const of = (id: string) => {
    let s = streams.get(id);
    if (!s) streams.set(id, (s = { bids: 0, gmv: 0, status: null, statusAt: -Infinity }));
    return s;
  };
  for (const event of events) {
    if (!('livestreamId' in event)) continue;
    const s = of(event.livestreamId);
    if (event.type === EventType.BidPlaced) s.bids++;
    if (event.type === EventType.ProductPurchased) s.gmv += event.payload.total.amountMinor;
    if (event.type === EventType.LivestreamStatusChanged && Date.parse(event.occurredAt) >= s.statusAt) {
      s.status = event.payload.status;
      s.statusAt = Date.parse(event.occurredAt);
    }
  }
  return streams;
}
