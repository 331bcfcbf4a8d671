import {
  decodeEvent,
  encodeEvent,
  type MarketplaceEvent,
  MAX_AMOUNT_MINOR,
  MAX_EVENT_BYTES,
  MAX_EVENT_DEPTH,
  partitionKeyOf,
  topicOf,
} from '@crest/event-schemas';

import { MALFORMED_DEFECTS } from './malformed-defects';
import { SeededRandom } from './seeded-random';
import { type SimulatedItem } from './simulated-item';

export type MalformedItem = Extract<SimulatedItem, { kind: 'malformed' }>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Mutation = (event: MarketplaceEvent) => { defect: string; value: Buffer };

/** Byte sequences no UTF-8 decoder may accept: overlong, lone continuation, truncated, surrogate, out of range. */
const INVALID_UTF8: readonly number[][] = [
  [0xc0, 0x80],
  [0xff],
  [0x80],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

const IMPOSSIBLE_TIMES: readonly Json[] = [
  '1970-01-01T00:00:00.000Z',
  '1999-12-31T23:59:59.999Z',
  '2999-01-01T00:00:00.000Z',
  '2026-13-01T00:00:00.000Z',
  '2026-02-30T12:00:00.000Z',
  '2026-06-31T12:00:00.000Z',
  '2026-06-01T24:00:01.000Z',
  '2026-06-01T12:61:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  'yesterday',
  '',
  -1,
  0,
  1e21,
  true,
  null,
  {},
];

const OFF_AMOUNTS: readonly Json[] = [
  -1,
  -2_500,
  Number.MIN_SAFE_INTEGER,
  MAX_AMOUNT_MINOR + 1,
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  12.5,
  '25.00',
  '1e3',
  null,
  [],
];

/**
 * Randomized malformed messages for fuzzing the ingest edge: random bytes, truncated and deeply nested JSON,
 * wrong types in any field, huge strings, unknown types and versions, impossible timestamps, negative or
 * overflowing amounts, invalid UTF-8, and every hand-written defect the simulator knows. Each comes from a
 * valid event and is labelled with the code `decodeEvent` gives it; a mutation that happens to stay valid
 * (a type change on a field that allows it) is drawn again, so every item this returns must be refused.
 * Deterministic per seed.
 */
export class MalformedFuzzer {
  private readonly random: SeededRandom;
  private readonly mutations: ReadonlyArray<readonly [weight: number, mutation: Mutation]>;
  private readonly totalWeight: number;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
    this.mutations = [
      [3, () => ({ defect: 'fuzz: random bytes', value: this.randomBytes() })],
      [3, (e) => ({ defect: 'fuzz: truncated JSON', value: this.truncated(e) })],
      [2, (e) => ({ defect: 'fuzz: deeply nested JSON', value: this.nested(e) })],
      [4, (e) => ({ defect: 'fuzz: wrong type', value: this.wrongType(e) })],
      [2, (e) => ({ defect: 'fuzz: huge string', value: this.hugeString(e) })],
      [2, (e) => ({ defect: 'fuzz: unknown type or version', value: this.unknownTypeOrVersion(e) })],
      [2, (e) => ({ defect: 'fuzz: impossible timestamp', value: this.impossibleTime(e) })],
      [2, (e) => ({ defect: 'fuzz: bad amount', value: this.badAmount(e) })],
      [2, (e) => ({ defect: 'fuzz: invalid UTF-8', value: this.invalidUtf8(e) })],
      [3, (e) => this.knownDefect(e)],
    ];
    this.totalWeight = this.mutations.reduce((sum, [weight]) => sum + weight, 0);
  }

  /** A malformed item made from `template`, with the code decodeEvent gives it at `now`. */
  next(template: MarketplaceEvent, now = Date.now()): MalformedItem {
    for (let attempt = 0; ; attempt++) {
      const { defect, value } = this.pick()(template);
      const result = decodeEvent(value, { now });
      if (!result.ok) {
        const key = this.random.chance(0.1) ? null : partitionKeyOf(template);
        return {
          kind: 'malformed',
          topic: topicOf(template),
          key,
          value,
          defect,
          expectedCode: result.error.code,
        };
      }
      if (attempt > 100) throw new Error(`no malformed variant of ${template.type} after 100 draws`);
    }
  }

  private pick(): Mutation {
    let roll = this.random.float() * this.totalWeight;
    for (const [weight, mutation] of this.mutations) {
      roll -= weight;
      if (roll < 0) return mutation;
    }
    return this.mutations.at(-1)![1];
  }

  private randomBytes(): Buffer {
    const bytes = Buffer.alloc(this.random.int(1, 2_048));
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.random.int(0, 255);
    return bytes;
  }

  private truncated(event: MarketplaceEvent): Buffer {
    const bytes = encodeEvent(event);
    return bytes.subarray(0, this.random.int(1, bytes.length - 1));
  }

  /** A random field replaced by arrays or objects nested past the limit (up to what fits the size limit). */
  private nested(event: MarketplaceEvent): Buffer {
    const depth = this.random.chance(0.5)
      ? this.random.int(MAX_EVENT_DEPTH + 1, MAX_EVENT_DEPTH + 20)
      : this.random.int(1_000, MAX_EVENT_BYTES / 2 - 1_000);
    const asArray = this.random.chance(0.5);
    const inner = asArray
      ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const text = JSON.stringify(this.withRandomLeaf(event, () => '\u0000NESTED\u0000'));
    return Buffer.from(text.replace('"\\u0000NESTED\\u0000"', inner));
  }

  private wrongType(event: MarketplaceEvent): Buffer {
    return this.encode(
      this.withRandomLeaf(event, (old) => {
        const others: Json[] = [17, -3.5, 'text', true, null, [], {}, [old], { value: old }];
        return this.random.pick(
          others.filter((v) => typeof v !== typeof old || Array.isArray(v) !== Array.isArray(old)),
        );
      }),
    );
  }

  private hugeString(event: MarketplaceEvent): Buffer {
    const length = this.random.chance(0.5)
      ? this.random.int(1_000, 60_000)
      : this.random.int(MAX_EVENT_BYTES, 4 * MAX_EVENT_BYTES);
    return this.encode(
      this.withRandomLeaf(
        event,
        () => 'x'.repeat(length),
        (v) => typeof v === 'string',
      ),
    );
  }

  private unknownTypeOrVersion(event: MarketplaceEvent): Buffer {
    const raw = this.asJson(event) as Record<string, Json>;
    if (this.random.chance(0.5)) {
      raw['type'] = this.random.pick([
        `${event.type}.v2`,
        'livestream.teleported',
        event.type.toUpperCase(),
        `x${this.random.int(0, 1e6)}`,
        '',
      ]);
    } else {
      raw['version'] = this.random.pick([0, -1, 2, 99, 1.5, Number.MAX_SAFE_INTEGER, '1', null]);
    }
    return this.encode(raw);
  }

  private impossibleTime(event: MarketplaceEvent): Buffer {
    const raw = this.asJson(event) as Record<string, Json>;
    raw['occurredAt'] = this.random.pick(IMPOSSIBLE_TIMES);
    return this.encode(raw);
  }

  /** Every amount the event has (or occurredAt-free fields when it has none) set out of range. */
  private badAmount(event: MarketplaceEvent): Buffer {
    const amount = this.random.pick(OFF_AMOUNTS);
    let found = false;
    const raw = this.mapLeaves(this.asJson(event), (value, key) => {
      if (key !== 'amountMinor') return value;
      found = true;
      return amount;
    });
    // An event without money: the amount lands where no field may be (unknown field).
    if (!found) (raw as Record<string, Json>)['amountMinor'] = amount;
    return this.encode(raw);
  }

  private invalidUtf8(event: MarketplaceEvent): Buffer {
    const bytes = encodeEvent(event);
    // Inside a string value (after an opening quote), where a decoder meets it as text.
    const quotes = [...bytes.keys()].filter((i) => bytes[i] === 0x22);
    const at = this.random.pick(quotes) + 1;
    return Buffer.concat([
      bytes.subarray(0, at),
      Buffer.from(this.random.pick(INVALID_UTF8)),
      bytes.subarray(at),
    ]);
  }

  private knownDefect(event: MarketplaceEvent): { defect: string; value: Buffer } {
    const fitting = MALFORMED_DEFECTS.filter((d) => !d.template || d.template === event.type);
    const defect = this.random.pick(fitting);
    const value = defect.corrupt(event);
    return { defect: defect.name, value: typeof value === 'string' ? Buffer.from(value) : value };
  }

  private asJson(event: MarketplaceEvent): Json {
    return JSON.parse(JSON.stringify(event)) as Json;
  }

  private encode(value: Json): Buffer {
    return Buffer.from(JSON.stringify(value));
  }

  /** The event with one leaf (chosen at random among those `eligible`) replaced. */
  private withRandomLeaf(
    event: MarketplaceEvent,
    replace: (old: Json) => Json,
    eligible: (value: Json) => boolean = () => true,
  ): Json {
    const json = this.asJson(event);
    let count = 0;
    this.mapLeaves(json, (value) => {
      if (eligible(value)) count++;
      return value;
    });
    let target = this.random.int(0, Math.max(0, count - 1));
    return this.mapLeaves(json, (value) => (eligible(value) && target-- === 0 ? replace(value) : value));
  }

  private mapLeaves(value: Json, replace: (value: Json, key: string) => Json, key = ''): Json {
    if (Array.isArray(value)) return value.map((item) => this.mapLeaves(item, replace, key));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.mapLeaves(v, replace, k)]));
    }
    return replace(value, key);
  }
}
