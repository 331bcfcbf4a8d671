import { LIVESTREAM_STATE_TOPIC } from '@crest/event-schemas';
import { type ConsumedMessage, DeadLetterHeader, InProcessEventBus } from '@crest/messaging';
import { StateTopicDocSink } from '@crest/signals';

import { livestreamDocFixture } from '../retriever.contract';
import { LivestreamIndex } from './livestream-index';
import { StateTopicReplica } from './state-topic-replica';

const NO_USER_SIGNALS = { userSignals: [] };

describe('StateTopicReplica', () => {
  let bus: InProcessEventBus;
  let sink: StateTopicDocSink;
  let index: LivestreamIndex;
  let sut: StateTopicReplica;

  beforeEach(async () => {
    bus = new InProcessEventBus({ defaultPartitions: 3 });
    sink = new StateTopicDocSink(bus);
    await sink.ensureTopic(3);
    index = new LivestreamIndex();
    sut = new StateTopicReplica(bus, index, { pollMs: 5 });
  });
  afterEach(async () => {
    await sut.stop();
    await bus.close();
  });

  it('loads every doc already on the topic, then follows new docs and tombstones', async () => {
    await sink.write({
      upserts: [livestreamDocFixture({ livestreamId: 'a' }), livestreamDocFixture({ livestreamId: 'b' })],
      deletions: [],
      ...NO_USER_SIGNALS,
    });
    await sut.start();
    await sut.caughtUp(5_000);
    expect([...index.live()].map((d) => d.livestreamId).sort()).toEqual(['a', 'b']);

    await sink.write({
      upserts: [livestreamDocFixture({ livestreamId: 'c', version: 1 })],
      deletions: ['a'],
      ...NO_USER_SIGNALS,
    });
    await sut.caughtUp(5_000);
    expect([...index.live()].map((d) => d.livestreamId).sort()).toEqual(['b', 'c']);
    expect(index.get('a')).toBeUndefined();
    expect(sut.stats).toMatchObject({ applied: 3, deleted: 1, deadLettered: 0 });
  });

  it('keeps the newer doc when an older version arrives later', async () => {
    await sut.start();
    await sink.write({
      upserts: [livestreamDocFixture({ livestreamId: 'a', version: 5, momentum: 3 })],
      deletions: [],
      ...NO_USER_SIGNALS,
    });
    await sink.write({
      upserts: [livestreamDocFixture({ livestreamId: 'a', version: 4, momentum: 1 })],
      deletions: [],
      ...NO_USER_SIGNALS,
    });
    await sut.caughtUp(5_000);

    expect(index.get('a')).toMatchObject({ version: 5, momentum: 3 });
    expect(sut.stats).toMatchObject({ applied: 1, stale: 1 });
  });

  it('holds the doc of a stream whose status is not known yet, and serves it once it goes live', async () => {
    await sut.start();
    // The ingestor writes such docs when engagement arrives before the stream's first status event.
    const unknown = livestreamDocFixture({ livestreamId: 'early', version: 1, status: null, sellerId: null });
    await sink.write({ upserts: [unknown], deletions: [], ...NO_USER_SIGNALS });
    await sut.caughtUp(5_000);
    expect(index.get('early')).toMatchObject({ status: null });
    expect([...index.live()]).toEqual([]);

    await sink.write({
      upserts: [livestreamDocFixture({ livestreamId: 'early', version: 2, status: 'live' })],
      deletions: [],
      ...NO_USER_SIGNALS,
    });
    await sut.caughtUp(5_000);
    expect([...index.live()].map((d) => d.livestreamId)).toEqual(['early']);
    expect(sut.stats).toMatchObject({ applied: 2, deadLettered: 0 });
  });

  it('dead-letters a message that is not a doc, with the reason, and goes on', async () => {
    await sut.start();
    await bus.publish([
      { topic: LIVESTREAM_STATE_TOPIC, key: 'x', value: '{not json' },
      { topic: LIVESTREAM_STATE_TOPIC, key: 'y', value: JSON.stringify({ livestreamId: 'z', version: 1 }) },
      {
        topic: LIVESTREAM_STATE_TOPIC,
        key: 'w',
        value: JSON.stringify(livestreamDocFixture({ livestreamId: 'w' })),
      },
    ]);
    await sut.caughtUp(5_000);

    expect(index.get('w')).toBeDefined();
    expect(sut.stats.deadLettered).toBe(2);
    const dlqTopic = `${LIVESTREAM_STATE_TOPIC}.dlq`;
    const partitions = await bus.partitionCount(dlqTopic);
    const dead: ConsumedMessage[] = [];
    await bus.readRange(
      Array.from({ length: partitions }, (_, partition) => ({ topic: dlqTopic, partition })),
      (messages) => void dead.push(...messages),
    );
    expect(dead.map((m) => [m.key, m.headers[DeadLetterHeader.Reason]]).sort()).toEqual([
      ['x', expect.stringMatching(/^state message is not JSON: /)],
      ['y', 'doc livestreamId "z" differs from key "y"'],
    ]);
  });
});
