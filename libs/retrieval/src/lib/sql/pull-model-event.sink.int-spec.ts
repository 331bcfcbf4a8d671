import { randomUUID } from 'node:crypto';

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { makeEvent } from '@crest/testing';

import { PullModelEventSink } from './pull-model-event.sink';
import { SqlStore } from './sql-store';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('PullModelEventSink on PostgreSQL', () => {
  let store: SqlStore;
  let sink: PullModelEventSink;
  const now = Date.parse('2026-11-24T12:30:00Z');
  const at = (ms: number) => new Date(ms).toISOString();
  const stream = randomUUID();
  const seller = randomUUID();
  const bid = (user: string, t: number, amountMinor: number) =>
    makeEvent(EventType.BidPlaced, {
      livestreamId: stream,
      userId: user,
      occurredAt: at(t),
      payload: { auctionId: randomUUID(), productId: randomUUID(), amount: { amountMinor, currency: 'USD' } },
    } as never);
  const chat = (user: string, t: number) =>
    makeEvent(EventType.ChatSent, { livestreamId: stream, userId: user, occurredAt: at(t) } as never);
  const follow = (user: string, following: boolean, t: number) =>
    makeEvent(following ? EventType.UserFollowedSeller : EventType.UserUnfollowedSeller, {
      userId: user,
      sellerId: seller,
      occurredAt: at(t),
    } as never);

  const snapshot = async () => ({
    events: Number((await store.pool.query('SELECT count(*) AS n FROM recent_events')).rows[0].n),
    rollups: (
      await store.pool.query(
        `SELECT to_char(minute AT TIME ZONE 'UTC', 'HH24:MI') AS minute, action, events, distinct_users, amount_minor
         FROM engagement_minutes ORDER BY minute, action`,
      )
    ).rows,
    follows: (await store.pool.query('SELECT user_id, following FROM user_follows ORDER BY user_id')).rows,
  });

  beforeEach(async () => {
    store = new SqlStore({ connectionString: databaseUrl, schema: `crest_pull_${randomUUID().slice(0, 8)}` });
    await store.migrate();
    sink = new PullModelEventSink(store);
    await sink.maintain(now);
  });
  afterEach(async () => {
    await store.dropSchema();
    await store.close();
  });

  it('keeps raw events and per-minute rollups (events, distinct users, amounts), unchanged by redelivery', async () => {
    const batch: MarketplaceEvent[] = [
      bid('u1', now, 1_000),
      bid('u2', now + 1_000, 1_500),
      bid('u1', now + 2_000, 2_000),
      chat('u3', now + 3_000),
      chat('u3', now + MINUTE + 1_000),
    ];
    await sink.write(batch);
    const first = await snapshot();
    expect(first.events).toBe(5);
    expect(first.rollups).toEqual([
      { minute: '12:30', action: 'bid.placed', events: 3, distinct_users: 2, amount_minor: '4500' },
      { minute: '12:30', action: 'chat.sent', events: 1, distinct_users: 1, amount_minor: '0' },
      { minute: '12:31', action: 'chat.sent', events: 1, distinct_users: 1, amount_minor: '0' },
    ]);

    // The same batch again, then a reordered overlap with one new event.
    await sink.write(batch);
    await sink.write([chat('u4', now + 4_000), ...[...batch].reverse()]);
    const after = await snapshot();
    expect(after.events).toBe(6);
    expect(after.rollups[1]).toEqual({
      minute: '12:30',
      action: 'chat.sent',
      events: 2,
      distinct_users: 2,
      amount_minor: '0',
    });
    expect(after.rollups.filter((r) => r !== after.rollups[1])).toEqual(
      first.rollups.filter((r) => r !== first.rollups[1]),
    );
  });

  it("adds a late event to its minute after that minute's raw events are gone (rollups never recomputed)", async () => {
    const earlier = now - HOUR - 15 * MINUTE; // 11:15: past the 1 h raw retention at 12:30, within the rollups' 2 h
    await sink.write([chat('u1', earlier), chat('u2', earlier + 1_000)]);
    await sink.maintain(now);
    expect((await snapshot()).events).toBe(0);

    await sink.write([chat('u3', earlier + 2_000)]);
    expect((await snapshot()).rollups).toEqual([
      { minute: '11:15', action: 'chat.sent', events: 3, distinct_users: 3, amount_minor: '0' },
    ]);
  });

  it('writes concurrent batches over the same streams and minutes without deadlocking', async () => {
    // The ingestor writes each consumed batch as it comes, so batches overlap in time. A bench run logged
    // deadlocks between such batches; this test did not reproduce them before the inserts took rows in key
    // order, so it guards what concurrent overlapping writes leave (exact totals), not the deadlock.
    const streams = Array.from({ length: 300 }, () => randomUUID());
    const events = streams.flatMap((livestreamId, i) =>
      ['bid', 'chat'].flatMap((kind, k) =>
        Array.from({ length: 3 }, (_, j) =>
          makeEvent(kind === 'bid' ? EventType.BidPlaced : EventType.ChatSent, {
            livestreamId,
            userId: `user-${(i + j) % 7}`,
            occurredAt: at(now + (i * 6 + k * 3 + j) * 100),
            ...(kind === 'bid'
              ? {
                  payload: {
                    auctionId: randomUUID(),
                    productId: randomUUID(),
                    amount: { amountMinor: 100, currency: 'USD' },
                  },
                }
              : {}),
          } as never),
        ),
      ),
    );
    // Redelivered and retried batches hold the same events, in whatever order they were consumed.
    const batches = Array.from({ length: 8 }, (_, b) => (b % 2 === 0 ? events : [...events].reverse()));
    const results = await Promise.allSettled(batches.map((batch) => sink.write(batch)));
    expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
    const totals = await store.pool.query('SELECT sum(events)::int AS events FROM engagement_minutes');
    expect(totals.rows[0].events).toBe(events.length);
  });

  it('keeps the newest follow or unfollow, whatever the arrival order', async () => {
    await sink.write([follow('a', false, now + 2_000), follow('b', true, now)]);
    await sink.write([follow('a', true, now + 1_000), follow('b', false, now + 5_000)]);
    expect((await snapshot()).follows).toEqual([
      { user_id: 'a', following: false },
      { user_id: 'b', following: false },
    ]);
  });

  it('writes nothing of a batch that fails (one transaction), so the retry is whole', async () => {
    const broken = { ...chat('u1', now), eventId: 'not-a-uuid' } as MarketplaceEvent;
    await expect(sink.write([chat('u2', now), broken])).rejects.toThrow(/uuid/);
    expect((await snapshot()).events).toBe(0);
  });

  it('creates hourly partitions ahead and drops those past retention, so storage stays bounded', async () => {
    const old = now - 3 * HOUR;
    const oldSink = new PullModelEventSink(store);
    await oldSink.maintain(old);
    await sink.write([chat('u1', old), chat('u2', now), chat('late', old - 2 * HOUR)]);
    expect((await snapshot()).events).toBe(3);

    const { dropped, created } = await sink.maintain(now);
    expect(created).toEqual([]);
    // Retention 1 h at 12:30: partitions ending by 11:30 go; 11:00-12:00 still holds kept minutes.
    expect(dropped).toEqual([
      'engagement_minute_users_p202611240900',
      'engagement_minute_users_p202611241000',
      'recent_events_p202611240900',
      'recent_events_p202611241000',
    ]);
    const remaining = await snapshot();
    expect(remaining.events).toBe(1);
    // Rollups live longer (2 h): the 09:30 minute is gone, 12:30 stays.
    expect(remaining.rollups.map((r) => r.minute)).toEqual(['12:30']);
  });
});
