import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { KafkaEventBus } from '@crest/messaging';
import { eventually } from '@crest/messaging/testing';
import { consumeSellerFeatures, SignalPipeline } from '@crest/signals';
import { makeEvent } from '@crest/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const WORKSPACE = join(__dirname, '../..');

// The import tool as a user runs it, against real Kafka; then an ingestor's reader enriches a stream's doc.
describe('seller features import on real Kafka', () => {
  it('publishes the good lines, reports the bad one, and the pipeline enriches the seller’s stream', async () => {
    const seller = randomUUID();
    const other = randomUUID();
    const embedding = Array.from({ length: 16 }, (_, i) => i / 16);
    const file = join(mkdtempSync(join(tmpdir(), 'crest-sellers-')), 'sellers.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ sellerId: seller, score: 0.82, embedding }),
        JSON.stringify({ sellerId: 'not-a-uuid', score: 7, embedding: [1] }),
        JSON.stringify({ sellerId: other, score: 0.1, embedding, updatedAt: '2026-11-24T00:00:00Z' }),
      ].join('\n'),
    );

    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'tools/seller-features/import.ts', '--file', file, '--brokers', brokers],
      { cwd: WORKSPACE, encoding: 'utf8', timeout: 60_000 },
    );

    expect(run.status).toBe(1); // some lines were bad; the good ones were imported
    expect(run.stderr).toMatch(/^line 2: .*sellerId/m);
    expect(run.stdout).toMatch(/^2 sellers imported into discovery.seller-features.v1, 1 bad lines$/m);

    const pipeline = new SignalPipeline();
    const stream = makeEvent(EventType.LivestreamStatusChanged, {
      occurredAt: new Date().toISOString(),
      sellerId: seller,
    }) as MarketplaceEvent & { livestreamId: string };
    pipeline.ingest([stream]);
    const bus = new KafkaEventBus({ brokers: brokers.split(','), clientId: 'seller-features-int' });
    const subscription = await consumeSellerFeatures(bus, pipeline, `int-${randomUUID().slice(0, 8)}`);
    try {
      await eventually(
        () => pipeline.doc(stream.livestreamId)?.seller.score === 0.82,
        'the seller’s features on its stream’s doc',
        30_000,
      );
      expect(pipeline.doc(stream.livestreamId)?.seller).toEqual({ score: 0.82, embedding });
    } finally {
      await subscription.close();
      await bus.close();
    }
  }, 90_000);
});
