import { randomUUID } from 'node:crypto';

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { eventually, makeEvent } from '@crest/testing';

import { PullModelEventSink } from './pull-model-event.sink';
import { loadMigrations, SqlStore } from './sql-store';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Hourly rollup partitions (the default is 5 minutes) keep the partition lists below short. */
const HOURLY = { rollupPartitionMinutes: 60 };

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
    sink = new PullModelEventSink(store, HOURLY);
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
    // 10:45: its raw partition (10:00-11:00) wholly past the 1 h raw retention at 12:30, within the rollups' 2 h
    const earlier = now - HOUR - 45 * MINUTE;
    await sink.write([chat('u1', earlier), chat('u2', earlier + 1_000)]);
    await sink.maintain(now);
    expect((await snapshot()).events).toBe(0);

    await sink.write([chat('u3', earlier + 2_000)]);
    expect((await snapshot()).rollups).toEqual([
      { minute: '10:45', action: 'chat.sent', events: 3, distinct_users: 3, amount_minor: '0' },
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
    const oldSink = new PullModelEventSink(store, HOURLY);
    await oldSink.maintain(old);
    await sink.write([chat('u1', old), chat('u2', now), chat('late', old - 2 * HOUR)]);
    expect((await snapshot()).events).toBe(3);

    const { dropped, created } = await sink.maintain(now);
    expect(created).toEqual([]);
    // At 12:30, raw retention 1 h: partitions ending by 11:30 go (11:00-12:00 still holds kept minutes);
    // rollup retention 2 h: those ending by 10:30 go.
    expect(dropped).toEqual([
      'engagement_minute_users_p202611240800',
      'engagement_minute_users_p202611240900',
      'engagement_minute_users_p202611241000',
      'engagement_minutes_p202611240700',
      'engagement_minutes_p202611240800',
      'engagement_minutes_p202611240900',
      'recent_events_p202611240800',
      'recent_events_p202611240900',
      'recent_events_p202611241000',
    ]);
    const remaining = await snapshot();
    expect(remaining.events).toBe(1);
    // The 09:30 and 07:30 minutes went with their partitions, 12:30 stays.
    expect(remaining.rollups.map((r) => r.minute)).toEqual(['12:30']);
  });

  it('by default partitions rollups by 5 minutes, from the one holding the 2-hour cutoff to 3 ahead', async () => {
    const fresh = new SqlStore({
      connectionString: databaseUrl,
      schema: `crest_pull_${randomUUID().slice(0, 8)}`,
    });
    try {
      await fresh.migrate();
      const { created } = await new PullModelEventSink(fresh).maintain(now + 2 * MINUTE);
      const rollups = created.filter((name) => name.startsWith('engagement_minutes_p'));
      expect([rollups.length, rollups[0], rollups.at(-1)]).toEqual([
        28,
        'engagement_minutes_p202611241030',
        'engagement_minutes_p202611241245',
      ]);
      // Raw events stay hourly.
      expect(created.filter((name) => name.startsWith('recent_events_p'))).toEqual([
        'recent_events_p202611241100',
        'recent_events_p202611241200',
        'recent_events_p202611241300',
        'recent_events_p202611241400',
        'recent_events_p202611241500',
      ]);
    } finally {
      await fresh.dropSchema();
      await fresh.close();
    }
  });

  it('moves what the default partition holds for a range into the partition created for it', async () => {
    // Beyond the partitions made ahead (12:00 + 3 h), so into the default partitions.
    const later = now + 5 * HOUR;
    await sink.write([chat('u1', later), chat('u2', later + MINUTE)]);
    const before = await snapshot();

    const { created } = await sink.maintain(later);
    expect(created).toEqual(
      expect.arrayContaining(['recent_events_p202611241700', 'engagement_minutes_p202611241700']),
    );
    expect(await snapshot()).toEqual(before);
    const holders = await store.pool.query(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM engagement_minutes GROUP BY 1
       UNION ALL SELECT tableoid::regclass::text, count(*)::int FROM recent_events GROUP BY 1 ORDER BY 1`,
    );
    expect(holders.rows).toEqual([
      // Each time partition of the rollups is partitioned by action (migration 0007).
      { partition: 'engagement_minutes_p202611241700_chat_sent', n: 2 },
      { partition: 'recent_events_p202611241700', n: 2 },
    ]);
    // And the rollups keep counting into the moved rows.
    await sink.write([chat('u3', later)]);
    expect((await snapshot()).rollups[0]).toMatchObject({ minute: '17:30', events: 2, distinct_users: 2 });
  });

  it('vacuums the tables updated in place past the autovacuum thresholds where the server does not', async () => {
    // 1,000 streams' rollups counted up three times: 2,000 dead versions, past the default threshold (50 +
    // 20 % of the live rows). (One row counted up many times would not do: page pruning reclaims its
    // versions as they pile up on its page.)
    const streams = Array.from({ length: 1_000 }, () => randomUUID());
    for (let round = 0; round < 3; round++)
      await sink.write(
        streams.map((id) =>
          makeEvent(EventType.ChatSent, {
            livestreamId: id,
            userId: `u${round}`,
            occurredAt: at(now),
          } as never),
        ),
      );
    const autovacuum = (await store.pool.query("SELECT current_setting('autovacuum') AS on")).rows[0].on;
    if (autovacuum === 'on') {
      expect((await sink.maintain(now)).vacuumed).toEqual([]);
      return;
    }
    const stats = async () =>
      (
        await store.pool.query(
          `SELECT n_dead_tup::int AS dead, last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables
           WHERE schemaname = $1 AND relname = 'engagement_minutes_p202611241200_chat_sent'`,
          [store.schema],
        )
      ).rows[0] as { dead: number; vacuumed: boolean };
    // The writers' connections report their statistics when idle, within about a second.
    await eventually('the writes to show as dead rows', async () =>
      (await stats()).dead >= 2_000 ? true : undefined,
    );
    // Nothing else had dead rows worth a vacuum.
    expect((await sink.maintain(now)).vacuumed).toEqual(['engagement_minutes_p202611241200_chat_sent']);
    expect(await stats()).toEqual({ dead: 0, vacuumed: true });
    const totals = await store.pool.query(
      'SELECT count(*)::int AS rows, min(events) AS least, max(events) AS most FROM engagement_minutes',
    );
    expect(totals.rows).toEqual([{ rows: 1_000, least: 3, most: 3 }]);
  });
});

describe('migrations 0006 and 0007 (minute rollups partitioned by minute, then action) on a store written before them', () => {
  it('keeps the rollups, which the next maintenance moves into their partition, an unknown action into its default', async () => {
    const store = new SqlStore({
      connectionString: databaseUrl,
      schema: `crest_pull_${randomUUID().slice(0, 8)}`,
    });
    try {
      await store.migrate(loadMigrations().filter((m) => m.version < 6));
      await store.pool.query(
        `INSERT INTO engagement_minutes (livestream_id, minute, action, events, distinct_users, amount_minor)
         VALUES ('s1', '2026-11-24T12:29:00Z', 'chat.sent', 7, 3, 0), ('s1', '2026-11-24T12:30:00Z', 'bid.placed', 2, 2, 900),
                ('s1', '2026-11-24T12:31:00Z', 'stream.raided', 1, 1, 0)`,
      );
      expect(await store.migrate(loadMigrations().filter((m) => m.version <= 7))).toEqual([6, 7]);

      const sink = new PullModelEventSink(store, HOURLY);
      await sink.maintain(Date.parse('2026-11-24T12:30:00Z'));
      const rows = await store.pool.query(
        `SELECT tableoid::regclass::text AS partition, action, events, distinct_users, amount_minor::int AS amount
         FROM engagement_minutes ORDER BY minute`,
      );
      expect(rows.rows).toEqual([
        {
          partition: 'engagement_minutes_p202611241200_chat_sent',
          action: 'chat.sent',
          events: 7,
          distinct_users: 3,
          amount: 0,
        },
        {
          partition: 'engagement_minutes_p202611241200_bid_placed',
          action: 'bid.placed',
          events: 2,
          distinct_users: 2,
          amount: 900,
        },
        {
          partition: 'engagement_minutes_p202611241200_other',
          action: 'stream.raided',
          events: 1,
          distinct_users: 1,
          amount: 0,
        },
      ]);
    } finally {
      await store.dropSchema();
      await store.close();
    }
  });
});
