import { describeEventBusContract, eventually } from '../testing';
import { InProcessEventBus } from './in-process-event-bus';

describeEventBusContract('in-process', { createBus: () => new InProcessEventBus({ defaultPartitions: 4 }) });

describe('InProcessEventBus', () => {
  it('drops the oldest messages past retention and counts what a lagging group missed', async () => {
    const sut = new InProcessEventBus({ defaultPartitions: 1, retentionPerPartition: 10 });
    await sut.publish(Array.from({ length: 25 }, (_, i) => ({ topic: 't', key: 'k', value: `${i}` })));
    const seen: string[] = [];
    await sut.subscribe({
      groupId: 'late',
      topics: ['t'],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        seen.push(message.value.toString());
        context.ack();
      },
    });
    await eventually(() => seen.length === 10, 'the retained ten');
    expect(seen).toEqual(['15', '16', '17', '18', '19', '20', '21', '22', '23', '24']);
    expect(sut.committedOffset('late', 't', 0)).toBe(25);
    await sut.close();
  });

  it('keeps the newest message per key on a compacted topic', async () => {
    const sut = new InProcessEventBus({ retentionPerPartition: 10 });
    await sut.ensureTopics([{ name: 'state', partitions: 1, compacted: true }]);
    const keys = ['a', 'b', 'c'];
    await sut.publish(
      Array.from({ length: 100 }, (_, i) => ({ topic: 'state', key: keys[i % 3]!, value: `${i}` })),
    );
    const latest = new Map<string, string>();
    let read = 0;
    await sut.subscribe({
      groupId: 'replica',
      topics: ['state'],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        read++;
        latest.set(message.key!, message.value.toString());
        context.ack();
      },
    });
    await eventually(() => latest.get('a') === '99', 'the newest value of a');
    expect(Object.fromEntries(latest)).toEqual({ a: '99', b: '97', c: '98' });
    expect(read).toBeLessThanOrEqual(10);
    await sut.close();
  });

  it('refuses bad topic names and settings with a clear error', async () => {
    const sut = new InProcessEventBus();
    await expect(sut.publish([{ topic: 'no spaces', key: null, value: 'x' }])).rejects.toThrow(
      'invalid topic name "no spaces": use 1-249 characters of [a-zA-Z0-9._-]',
    );
    await expect(sut.ensureTopics([{ name: 'ok', partitions: 0 }])).rejects.toThrow(
      'topic ok: partitions must be a positive integer, got 0',
    );
    expect(() => new InProcessEventBus({ defaultPartitions: 1.5 })).toThrow(
      'defaultPartitions must be a positive integer, got 1.5',
    );
  });

  it('refuses to publish after close', async () => {
    const sut = new InProcessEventBus();
    await sut.close();
    await expect(sut.publish([{ topic: 't', key: null, value: 'x' }])).rejects.toThrow(
      'the event bus is closed',
    );
  });
});
