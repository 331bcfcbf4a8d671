import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { makeEvent } from '@crest/testing';

import { SignalPipeline } from '../signal-pipeline';
import { at, bidAt, chatAt, STREAM } from './scenario-events';

const status = (seconds: number, value: 'scheduled' | 'live' | 'ended', title: string): MarketplaceEvent => {
  const example = makeEvent(EventType.LivestreamStatusChanged);
  return makeEvent(EventType.LivestreamStatusChanged, {
    occurredAt: at(seconds),
    payload: { ...example.payload, status: value, title },
  }) as MarketplaceEvent;
};

// Scenario: the same events in publish order and shuffled give the same windows and the same state; a
// status event older than the current one does not overwrite it.
describe('out-of-order events', () => {
  const events = [
    status(0, 'scheduled', 'Soon'),
    status(10, 'live', 'Live now'),
    bidAt(12, 100),
    bidAt(14, 200),
    chatAt(15),
    bidAt(16, 300),
  ];

  it('gives the same doc whatever the arrival order', () => {
    const inOrder = new SignalPipeline();
    inOrder.ingest(events);
    const shuffled = new SignalPipeline();
    shuffled.ingest([events[5]!, events[2]!, events[1]!, events[4]!, events[0]!, events[3]!]);
    expect(shuffled.doc(STREAM)).toEqual(inOrder.doc(STREAM));
    expect(inOrder.doc(STREAM)).toMatchObject({
      status: 'live',
      title: 'Live now',
      startedAt: '2026-11-24T10:00:10.000Z',
      signals: { bids: { '1m': 3 }, lastBidMinor: { '1m': 300 } },
    });
  });

  it('keeps the newer status when an older one arrives late', () => {
    const sut = new SignalPipeline();
    sut.ingest([status(10, 'live', 'Live now'), status(0, 'scheduled', 'Soon')]);
    expect(sut.doc(STREAM)).toMatchObject({ status: 'live', title: 'Live now' });
  });
});
