import { decodeEvent } from '@crest/event-schemas';
import { MarketplaceSimulator } from '@crest/testing';

import { formatJsonLine } from './simulator-sinks';

describe('formatJsonLine', () => {
  const sut = new MarketplaceSimulator({
    seed: 42,
    malformedRate: 0.2,
    startTime: Date.parse('2026-01-01T00:00:00Z'),
  });
  const items = sut.advance(2_000);

  it('writes an event as topic, key and its JSON', () => {
    const item = items.find((i) => i.kind === 'event' && i.event.type === 'livestream.status-changed')!;
    const line = JSON.parse(formatJsonLine(item)) as Record<string, string>;
    expect(Object.keys(line)).toEqual(['topic', 'key', 'value']);
    expect(line['topic']).toBe('marketplace.livestream.v1');
    const decoded = decodeEvent(line['value']!, { now: sut.now() });
    expect(decoded.ok && 'livestreamId' in decoded.event && decoded.event.livestreamId).toBe(line['key']);
  });

  it('writes a malformed item as base64 bytes with its defect and expected code', () => {
    const item = items.find((i) => i.kind === 'malformed')!;
    const line = JSON.parse(formatJsonLine(item)) as Record<string, string>;
    expect(Object.keys(line)).toEqual(['topic', 'key', 'valueBase64', 'defect', 'expectedCode']);
    const decoded = decodeEvent(Buffer.from(line['valueBase64']!, 'base64'), { now: sut.now() });
    expect(decoded.ok ? 'decoded' : decoded.error.code).toBe(line['expectedCode']);
  });
});
