import { randomUUID } from 'node:crypto';

import { KafkaEventBus } from '@crest/messaging';
import { StateTopicDocSink } from '@crest/signals';

import { livestreamDocFixture } from '../retriever.contract';
import { LivestreamIndex } from './livestream-index';
import { StateTopicReplica } from './state-topic-replica';

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');

describe('StateTopicReplica on real Kafka', () => {
  const suffix = randomUUID().slice(0, 8);
  const topic = `crest-int-state-${suffix}`;
  const bus = new KafkaEventBus({ brokers, clientId: 'crest-int-replica', createTopics: true });
  const sink = new StateTopicDocSink(bus, topic, `crest-int-user-signals-${suffix}`);
  const replicas: StateTopicReplica[] = [];

  beforeAll(() => sink.ensureTopic(3));
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await bus.close();
  });

  const replicaOf = () => {
    const index = new LivestreamIndex();
    const replica = new StateTopicReplica(bus, index, { topic });
    replicas.push(replica);
    return { index, replica };
  };

  it('rebuilds the live set from the compacted topic, then follows updates and tombstones', async () => {
    const docs = Array.from({ length: 300 }, (_, i) =>
      livestreamDocFixture({ livestreamId: `stream-${i}`, sellerId: `seller-${i % 40}`, version: 1 }),
    );
    await sink.write({ upserts: docs, deletions: [], userSignals: [] });
    await sink.write({
      upserts: [livestreamDocFixture({ livestreamId: 'stream-7', version: 2, status: 'ended', momentum: 0 })],
      deletions: ['stream-8'],
      userSignals: [],
    });

    const { index, replica } = replicaOf();
    await replica.start();
    await replica.caughtUp(30_000);
    expect(index.size).toBe(299);
    expect(index.liveCount).toBe(298);
    expect(index.get('stream-7')).toMatchObject({ status: 'ended', version: 2 });

    await sink.write({
      upserts: [livestreamDocFixture({ livestreamId: 'stream-new', version: 1 })],
      deletions: ['stream-0'],
      userSignals: [],
    });
    await replica.caughtUp(30_000);
    expect(index.get('stream-new')).toBeDefined();
    expect(index.get('stream-0')).toBeUndefined();

    // A second replica (another feed-api instance) gets the same state on its own.
    const second = replicaOf();
    await second.replica.start();
    await second.replica.caughtUp(30_000);
    expect([...second.index.live()].map((d) => d.livestreamId).sort()).toEqual(
      [...index.live()].map((d) => d.livestreamId).sort(),
    );
  });
});
