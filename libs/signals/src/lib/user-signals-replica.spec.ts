import { deadLetterTopicOf, USER_SIGNALS_TOPIC } from '@crest/event-schemas';
import { type ConsumedMessage, DeadLetterHeader, InProcessEventBus } from '@crest/messaging';

import { type UserSignalsShare } from './user-signals';
import { UserSignalsReplica } from './user-signals-replica';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const HOUR = 3_600_000;

function share(userId: string, source: string, overrides: Partial<UserSignalsShare> = {}): UserSignalsShare {
  return {
    userId,
    source,
    followedSellers: {},
    followedCategories: {},
    sellerScores: {},
    categoryScores: {},
    streams: {},
    offsets: {},
    ...overrides,
  };
}

describe('UserSignalsReplica', () => {
  let bus: InProcessEventBus;
  let sut: UserSignalsReplica;
  const publish = (key: string, value: unknown) =>
    bus.publish([{ topic: USER_SIGNALS_TOPIC, key, value: value === null ? null : JSON.stringify(value) }]);

  beforeEach(async () => {
    bus = new InProcessEventBus({ defaultPartitions: 3 });
    await bus.ensureTopics([{ name: USER_SIGNALS_TOPIC, partitions: 3, compacted: true }]);
    sut = new UserSignalsReplica(bus);
  });
  afterEach(async () => {
    await sut.stop();
    await bus.close();
  });

  it('merges the shares of every writer: follows by newest change, decayed scores added up', async () => {
    await publish(
      'u1|follows',
      share('u1', 'follows', {
        followedSellers: {
          s1: { following: true, at: NOW - 10_000 },
          s2: { following: false, at: NOW - 5_000 },
        },
        followedCategories: { cards: { following: true, at: NOW - 1_000 } },
      }),
    );
    await sut.start();
    await publish(
      'u1|streams-0',
      share('u1', 'streams-0', { categoryScores: { cards: { score: 4, at: NOW } } }),
    );
    await publish(
      'u1|streams-1',
      share('u1', 'streams-1', {
        categoryScores: { cards: { score: 2, at: NOW - HOUR } },
        sellerScores: { s9: { score: 3, at: NOW } },
      }),
    );
    await sut.caughtUp(5_000, 5);

    expect(sut.get('u1', NOW)).toEqual({
      userId: 'u1',
      followedSellers: ['s1'],
      followedCategories: ['cards'],
      blockedSellers: [],
      sellerAffinity: { s9: 3 },
      categoryAffinity: { cards: 5 },
      asOf: NOW,
    });
    expect(sut.stats).toEqual({ applied: 3, deleted: 0, deadLettered: 0 });
  });

  it('answers an unknown user with empty signals (a new user)', async () => {
    await sut.start();
    expect(sut.get('nobody', NOW)).toMatchObject({ followedSellers: [], categoryAffinity: {} });
  });

  it('replaces a share by its newer value and forgets it on a tombstone', async () => {
    await sut.start();
    await publish('u1|streams-0', share('u1', 'streams-0', { sellerScores: { s1: { score: 1, at: NOW } } }));
    await publish('u1|streams-0', share('u1', 'streams-0', { sellerScores: { s2: { score: 2, at: NOW } } }));
    await sut.caughtUp(5_000, 5);
    expect(sut.get('u1', NOW).sellerAffinity).toEqual({ s2: 2 });

    await publish('u1|streams-0', null);
    await sut.caughtUp(5_000, 5);
    expect(sut.get('u1', NOW).sellerAffinity).toEqual({});
    expect(sut.size).toBe(0);
    expect(sut.stats.deleted).toBe(1);
  });

  it('dead-letters what is not a share, with the reason, and keeps consuming', async () => {
    const dead: ConsumedMessage[] = [];
    await bus.subscribe({
      groupId: 'dlq-reader',
      topics: [deadLetterTopicOf(USER_SIGNALS_TOPIC)],
      fromBeginning: true,
      eachBatch: async (batch, context) => {
        for (const m of batch.messages) {
          dead.push(m);
          context.ack(m);
        }
      },
    });
    await sut.start();
    await bus.publish([{ topic: USER_SIGNALS_TOPIC, key: 'u1|streams-0', value: '{not json' }]);
    await publish('no-separator', share('u1', 'x'));
    await publish('u2|follows', share('u3', 'follows'));
    await publish('u4|follows', { ...share('u4', 'follows'), sellerScores: [] });
    await publish('u6|follows', { ...share('u6', 'follows'), blockedSellers: ['s1'] });
    await publish(
      'u5|follows',
      share('u5', 'follows', { followedSellers: { s1: { following: true, at: NOW } } }),
    );
    await sut.caughtUp(5_000, 5);

    expect(sut.stats).toEqual({ applied: 1, deleted: 0, deadLettered: 5 });
    expect(sut.get('u5', NOW).followedSellers).toEqual(['s1']);
    await waitFor(() => dead.length === 5);
    // Different keys, different partitions: the dead letters arrive in no particular order.
    expect(dead.map((m) => m.headers[DeadLetterHeader.Reason]).sort()).toEqual([
      'share "u3"|"follows" differs from its key "u2|follows"',
      'share has a blockedSellers that is not an object',
      'share has no sellerScores object',
      'user signals message is not JSON: ' + jsonError('{not json'),
      'user signals message key "no-separator" is not "<userId>|<source>"',
    ]);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
