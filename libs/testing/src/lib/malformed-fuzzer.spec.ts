import { createHash } from 'node:crypto';

import { decodeEvent } from '@crest/event-schemas';

import { MalformedFuzzer } from './malformed-fuzzer';
import { MarketplaceSimulator } from './marketplace-simulator';

describe('MalformedFuzzer', () => {
  const simulator = new MarketplaceSimulator({ seed: 5, eventsPerSecond: 500, targetLiveStreams: 20 });
  const templates = simulator.advance(20_000).flatMap((item) => (item.kind === 'event' ? [item.event] : []));
  const now = simulator.now();

  it('makes only messages the decoder refuses, each with the code the decoder gives', () => {
    const fuzzer = new MalformedFuzzer(11);
    const items = templates.slice(0, 3_000).map((event) => fuzzer.next(event, now));
    for (const item of items) {
      const result = decodeEvent(item.value, { now });
      expect({ defect: item.defect, ok: result.ok }).toEqual({ defect: item.defect, ok: false });
      if (!result.ok) expect(result.error.code).toBe(item.expectedCode);
    }
  });

  it('covers every kind of damage and most decode error codes', () => {
    const fuzzer = new MalformedFuzzer(12);
    const items = templates.slice(0, 3_000).map((event) => fuzzer.next(event, now));
    const kinds = new Set(items.map((i) => i.defect).filter((d) => d.startsWith('fuzz: ')));
    expect([...kinds].sort()).toEqual([
      'fuzz: bad amount',
      'fuzz: deeply nested JSON',
      'fuzz: huge string',
      'fuzz: impossible timestamp',
      'fuzz: invalid UTF-8',
      'fuzz: random bytes',
      'fuzz: truncated JSON',
      'fuzz: unknown type or version',
      'fuzz: wrong type',
    ]);
    // Plus the simulator's hand-written defects.
    expect(items.filter((i) => !i.defect.startsWith('fuzz: ')).length).toBeGreaterThan(200);
    expect(new Set(items.map((i) => i.expectedCode))).toEqual(
      new Set([
        'empty',
        'not_utf8',
        'not_json',
        'not_an_object',
        'too_large',
        'too_deep',
        'missing_type',
        'unknown_type',
        'invalid_version',
        'unsupported_version',
        'validation_failed',
      ]),
    );
    // Some messages have no key, the way a producer that lost the field would send them.
    expect(items.some((i) => i.key === null)).toBe(true);
    expect(items.some((i) => i.key !== null)).toBe(true);
  });

  it('is deterministic per seed', () => {
    const first = new MalformedFuzzer(7);
    const second = new MalformedFuzzer(7);
    // Compared by digest: jest's deep equality walks large buffers byte by byte.
    const digestOf = (fuzzer: MalformedFuzzer) =>
      templates.slice(0, 500).map((e) => {
        const item = fuzzer.next(e, now);
        return { ...item, value: createHash('sha256').update(item.value).digest('hex') };
      });
    expect(digestOf(first)).toEqual(digestOf(second));
  });
});
