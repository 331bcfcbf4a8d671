import 'reflect-metadata';

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import { EXAMPLE_EVENTS } from '../testing';
import { ALL_EVENT_TYPES, EventType } from './event-type.constants';
import { eventJsonSchemas } from './json-schema';

const sut = eventJsonSchemas();
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));

describe('eventJsonSchemas', () => {
  it('has one schema per event type and version', () => {
    expect(Object.keys(sut).sort()).toEqual(ALL_EVENT_TYPES.map((t) => `${t}.v1`).sort());
  });

  it.each(ALL_EVENT_TYPES)('accepts the valid %s example', (type) => {
    const validate = ajv.compile(sut[`${type}.v1`]!);
    expect(validate(EXAMPLE_EVENTS[type]) ? [] : validate.errors).toEqual([]);
  });

  it.each([
    ['unknown field', { ...EXAMPLE_EVENTS[EventType.BidPlaced], extra: 1 }],
    ['wrong type constant', { ...EXAMPLE_EVENTS[EventType.BidPlaced], type: 'chat.sent' }],
    [
      'negative money',
      {
        ...EXAMPLE_EVENTS[EventType.BidPlaced],
        payload: {
          ...EXAMPLE_EVENTS[EventType.BidPlaced].payload,
          amount: { amountMinor: -1, currency: 'USD' },
        },
      },
    ],
    [
      'lowercase currency',
      {
        ...EXAMPLE_EVENTS[EventType.BidPlaced],
        payload: {
          ...EXAMPLE_EVENTS[EventType.BidPlaced].payload,
          amount: { amountMinor: 1, currency: 'usd' },
        },
      },
    ],
    ['missing user id', { ...EXAMPLE_EVENTS[EventType.BidPlaced], userId: undefined }],
  ])('rejects a bid with %s, as decodeEvent does', (_name, event) => {
    const validate = ajv.compile(sut['bid.placed.v1']!);
    expect(validate(JSON.parse(JSON.stringify(event)))).toBe(false);
  });

  it('matches the committed files (run `npx nx run event-schemas:generate-json-schema` after a change)', () => {
    const dir = join(__dirname, '../../json-schema');
    const committed = Object.fromEntries(
      readdirSync(dir)
        .filter((file) => file.endsWith('.schema.json'))
        .map((file) => [file.replace('.schema.json', ''), JSON.parse(readFileSync(join(dir, file), 'utf8'))]),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(sut)));
  });
});
