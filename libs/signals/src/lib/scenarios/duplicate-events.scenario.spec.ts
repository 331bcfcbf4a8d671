import { SignalPipeline } from '../signal-pipeline';
import { bidAt, STREAM } from './scenario-events';

// Scenario: the same bid delivered three times (a producer retry and a consumer redelivery) counts once.
describe('duplicate events', () => {
  it('counts an event id once', () => {
    const sut = new SignalPipeline();
    const bid = bidAt(10, 2_500);
    expect(sut.ingest([bid, bid])).toEqual({ applied: 1, duplicates: 1, late: 0 });
    expect(sut.ingest([{ ...bid }])).toEqual({ applied: 0, duplicates: 1, late: 0 });
    const doc = sut.doc(STREAM)!;
    expect(doc.signals['bids']).toEqual({ '1m': 1, '5m': 1, '60m': 1 });
    expect(doc.signals['lastBidMinor']).toEqual({ '1m': 2_500, '5m': 2_500, '60m': 2_500 });
  });
});
