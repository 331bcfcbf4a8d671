import { decodeEvent, type DecodeResult } from '@crest/event-schemas';

import { MarketplaceSimulator } from './marketplace-simulator';
import { encodeSimulatedItem } from './simulated-item';

const plain = (result: DecodeResult) =>
  result.ok ? { ok: true, event: JSON.parse(JSON.stringify(result.event)) as unknown } : result;

// The fast path of decodeEvent must give exactly what class-validator alone gives, on a realistic stream
// and on every kind of malformed item the simulator makes.
describe('decodeEvent fast path on simulated traffic', () => {
  it('agrees with the exhaustive path on 12,000 items, a fifth of them malformed', () => {
    const simulator = new MarketplaceSimulator({ seed: 99, eventsPerSecond: 2_000, malformedRate: 0.2 });
    const items = simulator.advance(6_000);
    const now = simulator.now();
    let valid = 0;
    for (const item of items) {
      const { value } = encodeSimulatedItem(item);
      const fast = decodeEvent(value, { now });
      expect(plain(fast)).toEqual(plain(decodeEvent(value, { now, exhaustive: true })));
      expect(fast.ok).toBe(item.kind === 'event');
      if (fast.ok) valid++;
    }
    expect(items.length).toBe(12_000);
    expect(valid).toBeGreaterThan(9_000);
  }, 60_000);
});
