import { randomUUID } from 'node:crypto';

import { ConfigResourceTypes, Kafka } from 'kafkajs';

import { describeEventBusContract, eventually } from '../testing';
import { type ConsumedMessage } from './event-bus.port';
import { KafkaEventBus } from './kafka-event-bus';

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const newBus = () =>
  new KafkaEventBus({ brokers, clientId: 'crest-int-test', createTopics: true, defaultPartitions: 4 });

describeEventBusContract('kafka', { createBus: newBus, timeoutMs: 45_000 });

describe('KafkaEventBus on a real broker', () => {
  let sut: KafkaEventBus;
  let topic: string;

  beforeEach(async () => {
    sut = newBus();
    topic = `int.${randomUUID().slice(0, 8)}`;
    await sut.ensureTopics([{ name: topic, partitions: 4 }]);
  });

  afterEach(() => sut.close());

  const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  it('rebalances between two consumers without losing or repeating acknowledged work', async () => {
    const group = `g-${randomUUID()}`;
    const deliveries = new Map<string, number>();
    const record = async (message: ConsumedMessage, context: { ack(): void }) => {
      deliveries.set(message.value.toString(), (deliveries.get(message.value.toString()) ?? 0) + 1);
      context.ack();
    };
    const first = await sut.subscribe({
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      eachMessage: record,
    });
    await sut.publish(values('before', 100).map((value, i) => ({ topic, key: `k${i % 10}`, value })));
    await eventually(() => deliveries.size === 100, 'the first hundred on one consumer', 45_000);

    const second = await sut.subscribe({
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      eachMessage: record,
    });
    await eventually(
      () =>
        first.assignments().length > 0 &&
        second.assignments().length > 0 &&
        first.assignments().length + second.assignments().length === 4,
      'partitions split between the two',
      45_000,
    );
    await sut.publish(values('after', 100).map((value, i) => ({ topic, key: `k${i % 10}`, value })));
    await eventually(() => deliveries.size === 200, 'the next hundred across both', 45_000);

    expect([...deliveries.values()].filter((count) => count !== 1)).toEqual([]);
  });

  it('resumes from the committed offset after a consumer restarts mid-stream', async () => {
    const group = `g-${randomUUID()}`;
    await sut.publish(values('m', 100).map((value) => ({ topic, key: 'one-stream', value })));
    const firstRun: string[] = [];
    const first = await sut.subscribe({
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        if (firstRun.length < 50) {
          firstRun.push(message.value.toString());
          context.ack();
        }
      },
    });
    await eventually(() => firstRun.length === 50, 'half the stream', 45_000);
    await first.close();

    const secondRun: string[] = [];
    await sut.subscribe({
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        secondRun.push(message.value.toString());
        context.ack();
      },
    });
    await eventually(() => secondRun.length === 50, 'the other half after the restart', 45_000);
    expect(firstRun).toEqual(values('m', 100).slice(0, 50));
    expect(secondRun).toEqual(values('m', 100).slice(50));
  });

  it('returns the partition and offset of each published message', async () => {
    const receipts = await sut.publish(values('r', 6).map((value) => ({ topic, key: 'same', value })));
    expect(new Set(receipts.map((r) => r.partition)).size).toBe(1);
    expect(receipts.map((r) => Number(r.offset))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads a range exactly once when its reader is thrown out of its group mid-read', async () => {
    // One partition, more than one fetch (1 MiB each), and a first batch held past the session timeout:
    // the broker drops the reader, kafkajs rejoins with a fresh offset manager and forgets the seek.
    const slowBus = new KafkaEventBus({ brokers, clientId: 'crest-int-test-slow', sessionTimeoutMs: 6_000 });
    const range = `int.range.${randomUUID().slice(0, 8)}`;
    try {
      await sut.ensureTopics([{ name: range, partitions: 1 }]);
      const padding = 'x'.repeat(1_000);
      const sent = values('r', 3_000);
      for (let i = 0; i < sent.length; i += 500)
        await sut.publish(
          sent.slice(i, i + 500).map((v) => ({ topic: range, key: v, value: `${v}|${padding}` })),
        );
      const read: string[] = [];
      let batches = 0;
      await slowBus.readRange([{ topic: range, partition: 0 }], async (messages) => {
        if (batches++ === 0) await new Promise((resolve) => setTimeout(resolve, 9_000));
        read.push(...messages.map((m) => m.value.toString().split('|')[0]!));
      });
      expect(batches).toBeGreaterThan(1);
      expect(read).toEqual(sent);
    } finally {
      await slowBus.close();
    }
  }, 60_000);

  it('makes a compacted topic, even one first created plain, with small segments: a replica reads near one record per key', async () => {
    const table = `int.table.${randomUUID().slice(0, 8)}`;
    // Created first by a plain publish (the broker's defaults), as a replica or a test may do.
    await sut.publish([{ topic: table, key: 'k', value: 'v' }]);
    await sut.ensureTopics([{ name: table, partitions: 1, compacted: true }]);
    const admin = new Kafka({ brokers, clientId: 'crest-int-test-admin', logLevel: 0 }).admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: table,
            configNames: ['cleanup.policy', 'segment.bytes', 'segment.ms', 'min.cleanable.dirty.ratio'],
          },
        ],
      });
      const config = Object.fromEntries(
        described.resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue]),
      );
      expect(config).toEqual({
        'cleanup.policy': 'compact',
        'segment.bytes': String(16 * 1024 * 1024),
        'segment.ms': '600000',
        'min.cleanable.dirty.ratio': '0.1',
      });
    } finally {
      await admin.disconnect();
    }
  });
});
