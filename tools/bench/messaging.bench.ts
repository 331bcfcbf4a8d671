/**
 * How fast the simulator generates events, how fast decodeEvent validates them, and how many the
 * in-process bus delivers through a consumer group, all on one core (one Node process).
 *   npx tsx tools/bench/messaging.bench.ts [--events 300000]
 */
import { parseArgs } from 'node:util';

import { decodeEvent, encodeEvent, type MarketplaceEvent } from '@crest/event-schemas';
import { InProcessEventBus, type OutgoingMessage, toMessage } from '@crest/messaging';
import { MarketplaceSimulator } from '@crest/testing';

import { type BenchRow, latencyHistogram, percentiles, report } from './bench-report';

const { values } = parseArgs({ options: { events: { type: 'string', default: '300000' } } });
const total = Number(values.events);
if (!Number.isInteger(total) || total < 1000) {
  console.error('--events must be an integer >= 1000');
  process.exit(2);
}

function generate(): { events: MarketplaceEvent[]; row: BenchRow } {
  const simulator = new MarketplaceSimulator({
    seed: 7,
    eventsPerSecond: 50_000,
    startTime: Date.parse('2026-01-01T00:00:00Z'),
  });
  const perTick = latencyHistogram();
  const events: MarketplaceEvent[] = [];
  const started = process.hrtime.bigint();
  while (events.length < total) {
    const t0 = process.hrtime.bigint();
    const items = simulator.advance(100);
    perTick.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
    for (const item of items) if (item.kind === 'event') events.push(item.event);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    events: events.slice(0, total),
    row: {
      name: 'simulator: generate events',
      items: events.length,
      seconds,
      throughputPerSecond: events.length / seconds,
      latencyUs: percentiles(perTick, 'one 100 ms tick (~5,000 events)'),
    },
  };
}

function decode(events: MarketplaceEvent[]): BenchRow {
  const encoded = events.map((e) => encodeEvent(e));
  const perEvent = latencyHistogram();
  const now = Date.parse('2030-01-01T00:00:00Z');
  let failures = 0;
  const started = process.hrtime.bigint();
  for (const bytes of encoded) {
    const t0 = process.hrtime.bigint();
    if (!decodeEvent(bytes, { now }).ok) failures++;
    perEvent.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (failures > 0) throw new Error(`${failures} simulator events failed to decode`);
  return {
    name: 'decodeEvent: bytes -> validated event',
    items: encoded.length,
    seconds,
    throughputPerSecond: encoded.length / seconds,
    latencyUs: percentiles(perEvent, 'one event'),
  };
}

async function busRoundTrip(events: MarketplaceEvent[]): Promise<BenchRow> {
  const messages: OutgoingMessage[] = events.map(toMessage);
  const bus = new InProcessEventBus({ defaultPartitions: 12, retentionPerPartition: 1_000_000 });
  const latency = latencyHistogram();
  let delivered = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  await bus.subscribe({
    groupId: 'bench',
    topics: [...new Set(messages.map((m) => m.topic))],
    maxBatchSize: 500,
    eachBatch: async (batch, context) => {
      const now = Date.now();
      for (const message of batch.messages)
        latency.recordValue(Math.max(1, (now - message.timestamp) * 1000));
      delivered += batch.messages.length;
      context.ackAll();
      if (delivered >= messages.length) resolveDone();
    },
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < messages.length; i += 500) {
    await bus.publish(messages.slice(i, i + 500));
    // Give the consumer loops a turn between producer batches, as a steady stream would.
    if ((i / 500) % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await bus.close();
  return {
    name: 'in-process bus: publish -> group delivery',
    items: delivered,
    seconds,
    throughputPerSecond: delivered / seconds,
    latencyUs: percentiles(latency, 'publish to delivery (ms resolution)'),
    notes: '12 partitions, batches of 500, one consumer in the group, ack per batch',
  };
}

async function main(): Promise<void> {
  const generated = generate();
  const rows = [generated.row, decode(generated.events), await busRoundTrip(generated.events)];
  report('messaging', { events: total }, rows);
}

void main();
