import { randomUUID } from 'node:crypto';

import { DeadLetterHeader } from './dead-letter';
import { type ConsumedMessage, type EventBus, type Subscription } from './event-bus.port';

export interface EventBusContractOptions {
  /** A fresh bus per test. */
  createBus(): Promise<EventBus> | EventBus;
  /** How long to wait for asynchronous delivery before failing. Default 5,000 ms. */
  timeoutMs?: number;
  partitions?: number;
}

/** Polls until `predicate` holds or the timeout passes, then fails with `what`. */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const text = (m: ConsumedMessage) => m.value.toString('utf8');

/**
 * The behaviour every EventBus adapter must show, as a Jest suite. The in-process adapter runs it in its
 * unit tests; the Kafka adapter runs it against a real broker.
 */
export function describeEventBusContract(name: string, options: EventBusContractOptions): void {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const partitions = options.partitions ?? 4;

  describe(`EventBus contract: ${name}`, () => {
    let sut: EventBus;
    let topic: string;
    const subscriptions: Subscription[] = [];

    async function subscribe(...args: Parameters<EventBus['subscribe']>): Promise<Subscription> {
      const subscription = await sut.subscribe(...args);
      subscriptions.push(subscription);
      return subscription;
    }

    beforeEach(async () => {
      sut = await options.createBus();
      topic = `contract.${randomUUID().slice(0, 8)}`;
      await sut.ensureTopics([{ name: topic, partitions }]);
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
      await sut.close();
    });

    it('sends messages with the same key to the same partition', async () => {
      const receipts = await sut.publish(
        Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i % 2}`, value: `${i}` })),
      );
      const partitionsOfKey0 = new Set(receipts.filter((_, i) => i % 2 === 0).map((r) => r.partition));
      const partitionsOfKey1 = new Set(receipts.filter((_, i) => i % 2 === 1).map((r) => r.partition));
      expect([partitionsOfKey0.size, partitionsOfKey1.size]).toEqual([1, 1]);
    });

    it('delivers each key in publish order', async () => {
      const received = new Map<string, number[]>();
      await subscribe({
        groupId: `g-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          const key = message.key!;
          received.set(key, [...(received.get(key) ?? []), Number(text(message))]);
          context.ack();
        },
      });
      const keys = Array.from({ length: 25 }, (_, i) => `stream-${i}`);
      for (let round = 0; round < 8; round++) {
        await sut.publish(keys.map((key) => ({ topic, key, value: String(round) })));
      }
      await eventually(
        () => [...received.values()].reduce((n, list) => n + list.length, 0) === 200,
        'all 200 messages',
        timeoutMs,
      );
      for (const key of keys) expect(received.get(key)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it('splits partitions within a group and gives every group every message', async () => {
      const groupA = `a-${randomUUID()}`;
      const seenByA1: string[] = [];
      const seenByA2: string[] = [];
      const seenByB: string[] = [];
      const handler = (into: string[]) => async (message: ConsumedMessage, context: { ack(): void }) => {
        into.push(text(message));
        context.ack();
      };
      const a1 = await subscribe({
        groupId: groupA,
        topics: [topic],
        fromBeginning: true,
        eachMessage: handler(seenByA1),
      });
      const a2 = await subscribe({
        groupId: groupA,
        topics: [topic],
        fromBeginning: true,
        eachMessage: handler(seenByA2),
      });
      await subscribe({
        groupId: `b-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        eachMessage: handler(seenByB),
      });
      await eventually(
        () => a1.assignments().length + a2.assignments().length === partitions,
        'a full assignment',
        timeoutMs,
      );

      const values = Array.from({ length: 100 }, (_, i) => `m${i}`);
      await sut.publish(values.map((value, i) => ({ topic, key: `key-${i}`, value })));
      await eventually(
        () => seenByA1.length + seenByA2.length === 100 && seenByB.length === 100,
        'delivery to both groups',
        timeoutMs,
      );

      expect([...seenByA1, ...seenByA2].sort()).toEqual([...values].sort());
      expect([...seenByB].sort()).toEqual([...values].sort());
      const owned = [...a1.assignments(), ...a2.assignments()];
      expect(new Set(owned).size).toBe(partitions);
      expect(a1.assignments().length).toBeGreaterThan(0);
      expect(a2.assignments().length).toBeGreaterThan(0);
    });

    it('moves a leaving member’s partitions to the rest of the group without losing messages', async () => {
      const group = `g-${randomUUID()}`;
      const seen = new Set<string>();
      const handler = async (message: ConsumedMessage, context: { ack(): void }) => {
        seen.add(text(message));
        context.ack();
      };
      const first = await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachMessage: handler,
      });
      const second = await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachMessage: handler,
      });
      await sut.publish(
        Array.from({ length: 50 }, (_, i) => ({ topic, key: `k${i}`, value: `before-${i}` })),
      );
      await eventually(() => seen.size === 50, 'the first 50', timeoutMs);

      await first.close();
      await eventually(
        () => second.assignments().length === partitions,
        'the survivor to own every partition',
        timeoutMs,
      );
      await sut.publish(Array.from({ length: 50 }, (_, i) => ({ topic, key: `k${i}`, value: `after-${i}` })));
      await eventually(() => seen.size === 100, 'the next 50 on the survivor', timeoutMs);
    });

    it('redelivers unacknowledged messages to the next member of the group', async () => {
      const group = `g-${randomUUID()}`;
      await sut.publish(Array.from({ length: 10 }, (_, i) => ({ topic, key: 'one-key', value: `${i}` })));
      const firstRun: string[] = [];
      const first = await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          firstRun.push(text(message));
          if (Number(text(message)) < 4) context.ack();
        },
      });
      await eventually(() => firstRun.length === 10, 'the first delivery', timeoutMs);
      await first.close();

      const secondRun: string[] = [];
      await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          secondRun.push(text(message));
          context.ack();
        },
      });
      await eventually(() => secondRun.length === 6, 'redelivery of the six unacknowledged', timeoutMs);
      expect(secondRun).toEqual(['4', '5', '6', '7', '8', '9']);
    });

    it('starts a new group at the end when not asked to read from the beginning', async () => {
      await sut.publish([{ topic, key: 'k', value: 'old' }]);
      const seen: string[] = [];
      const subscription = await subscribe({
        groupId: `g-${randomUUID()}`,
        topics: [topic],
        eachMessage: async (message, context) => {
          seen.push(text(message));
          context.ack();
        },
      });
      await eventually(() => subscription.assignments().length === partitions, 'assignment', timeoutMs);
      await sut.publish([{ topic, key: 'k', value: 'new' }]);
      await eventually(() => seen.length === 1, 'the new message', timeoutMs);
      expect(seen).toEqual(['new']);
    });

    it('dead-letters a message with its reason and original bytes, and carries on', async () => {
      const dlq: ConsumedMessage[] = [];
      await subscribe({
        groupId: `dlq-${randomUUID()}`,
        topics: [`${topic}.dlq`],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          dlq.push(message);
          context.ack();
        },
      });
      const processed: string[] = [];
      await subscribe({
        groupId: `g-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          if (text(message) === 'bad')
            await context.deadLetter('not_json: event is not JSON', { 'crest.error-code': 'not_json' });
          else {
            processed.push(text(message));
            context.ack();
          }
        },
      });
      await sut.publish([
        { topic, key: 'k', value: 'good-1', headers: { origin: 'test' } },
        { topic, key: 'k', value: 'bad', headers: { origin: 'test' } },
        { topic, key: 'k', value: 'good-2' },
      ]);
      await eventually(
        () => processed.length === 2 && dlq.length === 1,
        'processing and dead-lettering',
        timeoutMs,
      );
      expect(processed).toEqual(['good-1', 'good-2']);
      const [dead] = dlq;
      expect(text(dead!)).toBe('bad');
      expect(dead!.key).toBe('k');
      expect(dead!.headers).toMatchObject({
        origin: 'test',
        'crest.error-code': 'not_json',
        [DeadLetterHeader.Reason]: 'not_json: event is not JSON',
        [DeadLetterHeader.SourceTopic]: topic,
      });
    });

    it('retries a failing handler, then dead-letters the message and processes the next', async () => {
      const dlq: ConsumedMessage[] = [];
      await subscribe({
        groupId: `dlq-${randomUUID()}`,
        topics: [`${topic}.dlq`],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          dlq.push(message);
          context.ack();
        },
      });
      let attempts = 0;
      const processed: string[] = [];
      await subscribe({
        groupId: `g-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        maxAttempts: 3,
        eachMessage: async (message, context) => {
          if (text(message) === 'poison') {
            attempts++;
            throw new Error('cannot handle poison');
          }
          processed.push(text(message));
          context.ack();
        },
      });
      await sut.publish([
        { topic, key: 'k', value: 'poison' },
        { topic, key: 'k', value: 'fine' },
      ]);
      await eventually(
        () => processed.length === 1 && dlq.length === 1,
        'the next message and the dead letter',
        timeoutMs,
      );
      expect(attempts).toBe(3);
      expect(dlq[0]!.headers[DeadLetterHeader.Reason]).toBe(
        'handler failed after 3 attempts: cannot handle poison',
      );
    });

    it('commits acknowledgements given after the handler returned', async () => {
      const group = `g-${randomUUID()}`;
      await sut.publish(Array.from({ length: 8 }, (_, i) => ({ topic, key: 'one-key', value: `${i}` })));
      const pending: Array<{ ack(): void }> = [];
      const first = await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (_message, context) => void pending.push(context),
      });
      await eventually(() => pending.length === 8, 'all eight delivered', timeoutMs);
      pending.slice(0, 5).forEach((context) => context.ack());
      await new Promise((resolve) => setTimeout(resolve, 500));
      await first.close();

      const second: string[] = [];
      await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          second.push(text(message));
          context.ack();
        },
      });
      await eventually(() => second.length === 3, 'the three never acknowledged', timeoutMs);
      expect(second).toEqual(['5', '6', '7']);
    });

    it('carries a null value as a tombstone', async () => {
      const seen: ConsumedMessage[] = [];
      await subscribe({
        groupId: `g-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          seen.push(message);
          context.ack();
        },
      });
      await sut.publish([
        { topic, key: 'stream-1', value: '{"live":true}' },
        { topic, key: 'stream-1', value: null },
      ]);
      await eventually(() => seen.length === 2, 'the value and the tombstone', timeoutMs);
      expect(seen.map((m) => [m.key, m.tombstone, m.value.length])).toEqual([
        ['stream-1', false, 13],
        ['stream-1', true, 0],
      ]);
    });

    it('hands batches to a batch handler and commits what it acknowledges', async () => {
      const group = `g-${randomUUID()}`;
      const batchSizes: number[] = [];
      const first = await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        maxBatchSize: 10,
        eachBatch: async (batch, context) => {
          batchSizes.push(batch.messages.length);
          context.ackAll();
        },
      });
      await sut.publish(Array.from({ length: 45 }, (_, i) => ({ topic, key: 'same', value: `${i}` })));
      await eventually(() => batchSizes.reduce((a, b) => a + b, 0) === 45, 'all 45 in batches', timeoutMs);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(10);
      await first.close();

      const redelivered: string[] = [];
      await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachBatch: async (batch, context) => {
          redelivered.push(...batch.messages.map(text));
          context.ackAll();
        },
      });
      await sut.publish([{ topic, key: 'same', value: 'later' }]);
      await eventually(() => redelivered.length === 1, 'only the new message', timeoutMs);
      expect(redelivered).toEqual(['later']);
    });
    it('reports each partition’s lag behind the group’s committed position', async () => {
      const group = `g-${randomUUID()}`;
      const receipts = await sut.publish(
        Array.from({ length: 5 }, (_, i) => ({ topic, key: 'one-key', value: `${i}` })),
      );
      const busy = receipts[0]!.partition;
      const lagOf = async () =>
        (await sut.consumerLag(group, [topic])).find((p) => p.partition === busy)?.lag;
      expect(await lagOf()).toBe(5);

      let acked = 0;
      await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        eachMessage: async (message, context) => {
          if (Number(text(message)) < 3) context.ack();
          acked++;
        },
      });
      await eventually(() => acked === 5, 'all five delivered', timeoutMs);
      let lag: number | undefined;
      const deadline = Date.now() + timeoutMs;
      while ((lag = await lagOf()) !== 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(lag).toBe(2);
    });

    it('reads a range by time and offset without a group', async () => {
      const receipts = await sut.publish(
        Array.from({ length: 6 }, (_, i) => ({ topic, key: 'one-key', value: `early-${i}` })),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const from = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sut.publish(Array.from({ length: 4 }, (_, i) => ({ topic, key: 'one-key', value: `late-${i}` })));
      const partition = receipts[0]!.partition;
      const read = async (range: { fromTimestamp?: number; toOffset?: string }) => {
        const seen: string[] = [];
        await sut.readRange([{ topic, partition, ...range }], (messages) => {
          seen.push(...messages.map(text));
        });
        return seen;
      };

      expect(await read({})).toHaveLength(10);
      expect(await read({ fromTimestamp: from })).toEqual(['late-0', 'late-1', 'late-2', 'late-3']);
      expect(await read({ toOffset: receipts[2]!.offset })).toEqual(['early-0', 'early-1']);
      expect(await read({ fromTimestamp: Date.now() + 60_000 })).toEqual([]);
      expect(await sut.partitionCount(topic)).toBe(partitions);
    });

    it('lets a member rebuild gained partitions from where it resumes, before any delivery', async () => {
      const group = `g-${randomUUID()}`;
      const receipts = await sut.publish(
        Array.from({ length: 5 }, (_, i) => ({ topic, key: 'one-key', value: `${i}` })),
      );
      const busy = receipts[0]!.partition;
      const log: string[] = [];
      const first = await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        onPartitionsAssigned: async (gained) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          log.push(
            `gained ${gained
              .map((p) => `${p.partition}@${p.offset}`)
              .sort()
              .join(' ')}`,
          );
        },
        onPartitionsRevoked: (lost) =>
          log.push(
            `lost ${lost
              .map((p) => p.partition)
              .sort()
              .join(' ')}`,
          ),
        eachMessage: async (message, context) => {
          log.push(`message ${text(message)}`);
          if (Number(text(message)) < 3) context.ack();
        },
      });
      await eventually(() => log.length === 6, 'the rebuild and five messages', timeoutMs);
      const all = Array.from({ length: partitions }, (_, p) => p);
      expect(log).toEqual([
        `gained ${all.map((p) => `${p}@0`).join(' ')}`,
        ...['0', '1', '2', '3', '4'].map((v) => `message ${v}`),
      ]);
      await first.close();
      expect(log[6]).toBe(`lost ${all.join(' ')}`);

      const positions: string[] = [];
      await subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        onPartitionsAssigned: async (gained) => {
          positions.push(...gained.filter((p) => p.partition === busy).map((p) => p.offset));
        },
        eachMessage: async (_message, context) => context.ack(),
      });
      await eventually(() => positions.length === 1, 'the second member’s rebuild', timeoutMs);
      expect(positions).toEqual(['3']);
    });

    it('retries a rebuild that fails, reporting each failure, and delivers only after it succeeded', async () => {
      const errors: unknown[] = [];
      const delivered: string[] = [];
      let attempts = 0;
      await sut.publish([{ topic, key: 'k', value: 'after-rebuild' }]);
      await subscribe({
        groupId: `g-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        onPartitionsAssigned: async () => {
          attempts++;
          if (attempts < 3) throw new Error(`state store unavailable (${attempts})`);
        },
        onRebuildError: (error) => errors.push(error),
        eachMessage: async (message, context) => {
          delivered.push(`${attempts}:${text(message)}`);
          context.ack();
        },
      });
      await eventually(() => delivered.length === 1, 'delivery after the rebuild', timeoutMs);
      expect(delivered).toEqual(['3:after-rebuild']);
      expect(errors.map((e) => (e as Error).message)).toEqual([
        'state store unavailable (1)',
        'state store unavailable (2)',
      ]);
    });
  });
}
