import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { makeEvent } from '@crest/testing';

import { SignalPipeline } from '../signal-pipeline';
import { at, bidAt, chatAt, STREAM } from './scenario-events';

const ended = (seconds: number): MarketplaceEvent => {
  const example = makeEvent(EventType.LivestreamStatusChanged);
  return makeEvent(EventType.LivestreamStatusChanged, {
    occurredAt: at(seconds),
    payload: { ...example.payload, status: 'ended' },
  }) as MarketplaceEvent;
};

// Scenario: a quiet stream gets a burst of bids (a wave), docs are emitted once per change batch, and an
// ended stream is deleted after the grace period.
describe('doc lifecycle', () => {
  const sut = new SignalPipeline({ endedGraceMs: 60_000 });

  it('reads a wave as momentum above 1', () => {
    sut.ingest(Array.from({ length: 4 }, (_, i) => chatAt(i * 60)));
    sut.ingest(Array.from({ length: 30 }, (_, i) => bidAt(250 + i)));
    const [doc] = sut.takeChanges().upserts;
    // At 279 s: 1m = 30 bids; 5m = 30 bids + 4 chats; (30 + 5) / (34 / 5 + 5) = 2.966.
    expect(doc).toMatchObject({
      livestreamId: STREAM,
      momentum: 2.966,
      signals: { bids: { '1m': 30, '5m': 30 } },
    });
    expect(doc!.version).toBe(Date.parse(at(279)));
  });

  it('emits nothing when nothing changed', () => {
    expect(sut.takeChanges()).toEqual({ upserts: [], deletions: [], userSignals: [] });
  });

  it('keeps an ended stream through the grace period, then deletes it', () => {
    sut.ingest([ended(300)]);
    expect(sut.takeChanges().upserts.map((d) => d.status)).toEqual(['ended']);
    sut.ingest([chatAt(330)]);
    sut.takeChanges();
    sut.ingest([makeEvent(EventType.UserFollowedSeller, { occurredAt: at(400) }) as MarketplaceEvent]);
    sut.touchAll();
    expect(sut.takeChanges()).toMatchObject({ upserts: [], deletions: [STREAM] });
    expect(sut.doc(STREAM)).toBeUndefined();
  });
});
