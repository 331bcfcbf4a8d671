import 'reflect-metadata';

import { EXAMPLE_EVENTS } from '../testing';
import { decodeEvent, type DecodeResult } from './decode-event';
import { compileFastValidators } from './fast-validation';

const NOW = Date.parse('2026-11-24T10:00:30.000Z');

const BAD_VALUES: unknown[] = [
  null,
  '',
  'x'.repeat(5_000),
  -1,
  1.5,
  0,
  2 ** 53,
  1e300,
  true,
  [],
  {},
  ['a'],
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  '2026-02-30T10:00:00Z',
  '2026-11-24T10:00:00',
  '1999-12-31T23:59:59Z',
  '2030-01-01T00:00:00Z',
  'http://example.com/x.jpg',
  'https://',
  'usd',
  'XXX',
  'EUR',
  'Trading Cards',
  'trading-cards',
  'live',
  'sold',
  'heart',
];

/** Every way to break one event: each leaf (and each array or object) replaced by each bad value, removed,
 * or joined by an unknown field. */
function variants(example: object): object[] {
  const out: object[] = [];
  const visit = (node: Record<string, unknown>, path: string[]) => {
    out.push(withChange(example, path, (target) => (target['unexpected'] = 1)));
    for (const [key, value] of Object.entries(node)) {
      const at = [...path, key];
      out.push(withChange(example, path, (target) => delete target[key]));
      for (const bad of BAD_VALUES) out.push(withChange(example, path, (target) => (target[key] = bad)));
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        visit(value as Record<string, unknown>, at);
    }
  };
  visit(example as Record<string, unknown>, []);
  return out;
}

function withChange(
  example: object,
  path: string[],
  change: (target: Record<string, unknown>) => void,
): object {
  const copy = structuredClone(example) as Record<string, unknown>;
  change(path.reduce((node, key) => node[key] as Record<string, unknown>, copy));
  return copy;
}

const plain = (result: DecodeResult) =>
  result.ok ? { ok: true, event: JSON.parse(JSON.stringify(result.event)) as unknown } : result;

describe('decodeEvent fast path (compiled JSON Schema) against class-validator', () => {
  const validators = compileFastValidators();

  it('takes every example event the fast way', () => {
    for (const example of Object.values(EXAMPLE_EVENTS)) {
      expect([example.type, validators.get(`${example.type}.v1`)!(structuredClone(example))]).toEqual([
        example.type,
        true,
      ]);
    }
  });

  it('never accepts what class-validator refuses, and gives the same result for thousands of variants', () => {
    let fastAccepted = 0;
    let total = 0;
    for (const example of Object.values(EXAMPLE_EVENTS)) {
      for (const variant of [example, ...variants(example)]) {
        const bytes = JSON.stringify(variant);
        const fast = decodeEvent(bytes, { now: NOW });
        const exhaustive = decodeEvent(bytes, { now: NOW, exhaustive: true });
        const key = `${String((variant as { type?: unknown }).type)}.v1`;
        // The fast path checks the clock apart from the schema (the schema cannot know "now").
        const notAhead =
          Date.parse(String((variant as { occurredAt?: unknown }).occurredAt)) <= NOW + 300_000;
        if (validators.get(key)?.(JSON.parse(bytes)) && notAhead) {
          fastAccepted++;
          expect([bytes, exhaustive.ok]).toEqual([bytes, true]);
        }
        expect(plain(fast)).toEqual(plain(exhaustive));
        total++;
      }
    }
    expect(total).toBeGreaterThan(4_000);
    expect(fastAccepted).toBeGreaterThan(200);
  });
});
