import { EventType, type MarketplaceEvent, Topic } from '@crest/event-schemas';
import { makeEvent } from '@crest/testing';

import { type LivestreamDoc } from '../livestream-doc';
import { type EventOrigin } from '../livestream-state';
import { SignalPipeline } from '../signal-pipeline';
import { at, bidAt, STREAM } from './scenario-events';

const auctionStartedAt = (seconds: number): MarketplaceEvent =>
  makeEvent(EventType.AuctionStarted, { occurredAt: at(seconds) }) as MarketplaceEvent;
const joinedAt = (seconds: number): MarketplaceEvent =>
  makeEvent(EventType.ViewerJoined, { occurredAt: at(seconds) }) as MarketplaceEvent;
const from = (topic: string, offset: number): EventOrigin => ({
  topic,
  partition: 0,
  offset: String(offset),
});

// Scenario: an ingestor restarts. A stream's last doc holds the auction (2 bids) and 2 viewers, with a
// checkpoint of the offsets it had applied. The log is read again from before those offsets: what the doc
// holds is skipped in the state, the windows are refilled, and a bid the doc had not seen counts.
describe('restoring a stream from its last doc', () => {
  const auction = auctionStartedAt(0);
  const joins = [joinedAt(1), joinedAt(2)];
  const bids = [bidAt(3, 200), bidAt(4, 300), bidAt(5, 400)];

  it('continues exactly where the doc left off', () => {
    const logged = [auction, ...joins, bids[0]!, bids[1]!];
    const origins = [
      from(Topic.Livestream, 10),
      from(Topic.Engagement, 20),
      from(Topic.Engagement, 21),
      from(Topic.Commerce, 30),
      from(Topic.Commerce, 31),
    ];
    const before = new SignalPipeline();
    before.ingest(logged, origins);
    const lastDoc = JSON.parse(JSON.stringify(before.doc(STREAM))) as LivestreamDoc;

    const sut = new SignalPipeline();
    expect(sut.restore(lastDoc)).toBe(true);
    sut.replay(logged, origins);
    sut.ingest([bids[2]!], [from(Topic.Commerce, 32)]);

    expect(sut.doc(STREAM)).toMatchObject({
      currentViewers: 2,
      auction: { bids: 3, currentBidMinor: 400 },
      signals: { bids: { '1m': 3 }, viewersJoined: { '1m': 2 } },
    });
  });

  it('emits nothing of a stream while it is being rebuilt, and reads it at the doc’s watermark', () => {
    const writer = new SignalPipeline();
    const joinOrigins = [from(Topic.Engagement, 20), from(Topic.Engagement, 21)];
    writer.ingest([auction, ...joins], [from(Topic.Livestream, 10), ...joinOrigins]);
    const lastDoc = JSON.parse(JSON.stringify(writer.doc(STREAM))) as LivestreamDoc;
    const sut = new SignalPipeline();

    sut.startRebuild();
    sut.restore(lastDoc);
    sut.touchAll();
    expect(sut.takeChanges().upserts).toEqual([]);
    sut.replay(joins, joinOrigins);
    sut.finishRebuild();
    sut.touchAll();

    expect(sut.takeChanges().upserts).toMatchObject([{ asOf: lastDoc.asOf, currentViewers: 2 }]);
  });

  it('rebuilds a stream from the replay alone when its doc has no checkpoint', () => {
    const writer = new SignalPipeline();
    writer.ingest([auction, bids[0]!]);
    const legacyDoc = { ...writer.doc(STREAM)!, checkpoint: undefined };
    const sut = new SignalPipeline();

    expect(sut.restore(legacyDoc as unknown as LivestreamDoc)).toBe(false);
    sut.replay([auction, bids[0]!]);
    expect(sut.doc(STREAM)).toMatchObject({ auction: { bids: 1 }, signals: { bids: { '1m': 1 } } });
  });
});

// Scenario: bids and auctions travel on different topics, so a bid can be read before its auction.started.
describe('a bid read before its auction started', () => {
  it('still counts toward the auction', () => {
    const sut = new SignalPipeline();
    sut.ingest([bidAt(3, 500), auctionStartedAt(0), bidAt(4, 600)]);
    expect(sut.doc(STREAM)).toMatchObject({ auction: { bids: 2, currentBidMinor: 600 } });
  });
});
