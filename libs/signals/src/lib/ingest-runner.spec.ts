import { EventType, MARKETPLACE_TOPICS, type MarketplaceEvent } from '@crest/event-schemas';
import { InProcessEventBus } from '@crest/messaging';
import { eventually } from '@crest/messaging/testing';
import { encodeSimulatedItem, MarketplaceSimulator } from '@crest/testing';

import { startIngest } from './ingest-runner';
import { LivestreamDocEmitter } from './livestream-doc-emitter';
import { SignalPipeline } from './signal-pipeline';
import { MemoryDocSink } from './sinks/memory-doc.sink';

describe('ingest: simulator -> bus -> pipeline -> sinks', () => {
  it('builds docs that match an independent recount, and commits only what reached the sinks', async () => {
    const simulator = new MarketplaceSimulator({
      seed: 21,
      eventsPerSecond: 500,
      targetLiveStreams: 30,
      malformedRate: 0.01,
    });
    const items = Array.from({ length: 60 }, () => simulator.advance(1_000)).flat();
    const events = items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));

    const bus = new InProcessEventBus({ defaultPartitions: 4 });
    const pipeline = new SignalPipeline({ allowedLatenessMs: 10 * 60_000 });
    const sink = new MemoryDocSink();
    const emitter = new LivestreamDocEmitter(pipeline, [sink], { emitIntervalMs: 20 });
    const subscription = await startIngest({
      bus,
      pipeline,
      emitter,
      groupId: 'ingest-test',
      fromBeginning: true,
    });
    try {
      await bus.publish(items.map(encodeSimulatedItem));
      const committedAll = () =>
        MARKETPLACE_TOPICS.every((topic) =>
          Array.from({ length: bus.partitionsOf(topic) }, (_, p) => p).every(
            (p) => bus.committedOffset('ingest-test', topic, p) === bus.endOffset(topic, p),
          ),
        );
      await eventually(committedAll, 'every message committed', 20_000);
    } finally {
      await subscription.close();
      await emitter.stop();
      await bus.close();
    }

    expect(pipeline.counters.late).toBe(0);
    expect(bus.stats().deadLettered).toBe(items.length - events.length);
    const recount = recountBids(events);
    const docs = sink.all();
    expect(docs.length).toBe(
      new Set(events.flatMap((e) => ('livestreamId' in e ? [e.livestreamId] : []))).size,
    );
    for (const doc of docs) {
      expect([doc.livestreamId, doc.signals['bids']!['60m']]).toEqual([
        doc.livestreamId,
        recount.bids.get(doc.livestreamId) ?? 0,
      ]);
      expect([doc.livestreamId, doc.signals['gmvMinor']!['60m']]).toEqual([
        doc.livestreamId,
        recount.gmv.get(doc.livestreamId) ?? 0,
      ]);
      expect([doc.livestreamId, doc.status]).toEqual([
        doc.livestreamId,
        recount.status.get(doc.livestreamId) ?? null,
      ]);
    }
  }, 60_000);
});

/** Straight from the raw events, without the pipeline: bids and GMV per stream, and the newest status. */
function recountBids(events: readonly MarketplaceEvent[]) {
  const bids = new Map<string, number>();
  const gmv = new Map<string, number>();
  const status = new Map<string, { at: number; value: string }>();
  for (const event of events) {
    if (event.type === EventType.BidPlaced)
      bids.set(event.livestreamId, (bids.get(event.livestreamId) ?? 0) + 1);
    if (event.type === EventType.ProductPurchased) {
      gmv.set(event.livestreamId, (gmv.get(event.livestreamId) ?? 0) + event.payload.total.amountMinor);
    }
    if (event.type === EventType.LivestreamStatusChanged) {
      const at = Date.parse(event.occurredAt);
      const current = status.get(event.livestreamId);
      if (!current || at >= current.at) status.set(event.livestreamId, { at, value: event.payload.status });
    }
  }
  return { bids, gmv, status: new Map([...status].map(([id, s]) => [id, s.value])) };
}
