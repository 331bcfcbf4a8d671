import {
  ALL_EVENT_TYPES,
  EventType,
  type MarketplaceEvent,
  PARTITION_KEY_FIELD,
  TOPIC_OF_EVENT_TYPE,
} from '@crest/event-schemas';
import { type MarketplaceEventSink } from '@crest/signals';

import { type SqlStore } from './sql-store';

const HOUR = 3_600_000;

export interface PullModelEventSinkOptions {
  /** Raw events older than this are dropped (whole partitions). Default 1 hour. */
  rawRetentionMs?: number;
  /** Minute rollups older than this are dropped (whole partitions). Default 2 hours. */
  rollupRetentionMs?: number;
  /** Partitions created ahead of the clock. Default 3. */
  partitionsAhead?: number;
  /** Minutes of events per partition (aligned to the epoch). Default 60: hourly partitions. */
  partitionMinutes?: number;
  /**
   * Minutes of minute rollups per partition. Default 5, so the rollups stay within 5 minutes of their
   * retention and level off as soon as they fill it. Lambdas bound their rollup reads by the request's time
   * in immutable functions (`now_ms`), so each query plans only the partitions it reads: in
   * tools/bench/pull-model.bench.ts, trending@2's p50 is 3.3 ms on 5-minute partitions against 6.1 ms on
   * hourly ones.
   */
  rollupPartitionMinutes?: number;
}

export interface SellerFeaturesRow {
  sellerId: string;
  score: number | null;
  embedding: number[] | null;
}

// One statement per batch: the raw events (the key (occurred_at, event_id) makes a redelivered event insert
// nothing), then the minute rollups incremented by exactly the rows inserted, distinct users by the user keys
// that were new. Redelivered, reordered or overlapping batches leave the same rollups, and a batch costs its
// own size (recomputing each touched minute from the raw events grew with the minute's events). Each insert
// takes its rows in key order: batches written at once (the ingestor writes each as it is consumed) then
// lock shared rows in the same order, instead of deadlocking (seen at 500 events/s in bench:freshness).
const INSERT_EVENTS_AND_ROLL_UP = `
WITH inserted AS (
  INSERT INTO recent_events (event_id, occurred_at, type, livestream_id, seller_id, user_id, amount_minor, payload)
  SELECT x.event_id, x.occurred_at, x.type, x.livestream_id, x.seller_id, x.user_id, x.amount_minor, x.payload
  FROM jsonb_to_recordset($1::jsonb) AS x(event_id uuid, occurred_at timestamptz, type text, livestream_id text,
    seller_id text, user_id text, amount_minor bigint, payload jsonb)
  ORDER BY x.occurred_at, x.event_id
  ON CONFLICT DO NOTHING
  RETURNING livestream_id, date_trunc('minute', occurred_at) AS minute, type AS action, user_id, amount_minor
),
new_users AS (
  INSERT INTO engagement_minute_users (livestream_id, minute, action, user_id)
  SELECT DISTINCT i.livestream_id, i.minute, i.action, i.user_id
  FROM inserted i WHERE i.livestream_id IS NOT NULL AND i.user_id IS NOT NULL
  ORDER BY 1, 2, 3, 4
  ON CONFLICT DO NOTHING
  RETURNING livestream_id, minute, action
),
users_added AS (
  SELECT u.livestream_id, u.minute, u.action, count(*) AS users FROM new_users u GROUP BY 1, 2, 3
),
events_added AS (
  SELECT i.livestream_id, i.minute, i.action, count(*) AS events, coalesce(sum(i.amount_minor), 0) AS amount
  FROM inserted i WHERE i.livestream_id IS NOT NULL GROUP BY 1, 2, 3
)
INSERT INTO engagement_minutes (livestream_id, minute, action, events, distinct_users, amount_minor)
SELECT e.livestream_id, e.minute, e.action, e.events, coalesce(u.users, 0), e.amount
FROM events_added e LEFT JOIN users_added u USING (livestream_id, minute, action)
ORDER BY 1, 2, 3
ON CONFLICT (livestream_id, minute, action) DO UPDATE SET
  events = engagement_minutes.events + EXCLUDED.events,
  distinct_users = engagement_minutes.distinct_users + EXCLUDED.distinct_users,
  amount_minor = engagement_minutes.amount_minor + EXCLUDED.amount_minor`;

// The newest follow or unfollow wins, whatever the arrival order.
const UPSERT_FOLLOWS = `
INSERT INTO user_follows (user_id, seller_id, following, at)
SELECT DISTINCT ON (x.user_id, x.seller_id) x.user_id, x.seller_id, x.following, x.at
FROM jsonb_to_recordset($1::jsonb) AS x(user_id text, seller_id text, following boolean, at timestamptz)
ORDER BY x.user_id, x.seller_id, x.at DESC
ON CONFLICT (user_id, seller_id) DO UPDATE SET following = EXCLUDED.following, at = EXCLUDED.at
WHERE user_follows.at < EXCLUDED.at`;

/**
 * The ingestor's pull-model sink: each batch's raw events into `recent_events` (hourly partitions), the
 * minute rollups in `engagement_minutes` incremented by the events that were new, follows into `user_follows`, in one
 * transaction per batch. Idempotent under redelivery. `maintain` creates partitions ahead and prunes past
 * the retention windows (run it every minute: `startMaintenance`), so storage stays bounded.
 */
export class PullModelEventSink implements MarketplaceEventSink {
  readonly name = 'sql-events';
  private readonly rawRetentionMs: number;
  private readonly rollupRetentionMs: number;
  private readonly partitionsAhead: number;
  private readonly partitionMs: number;
  private readonly rollupPartitionMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: SqlStore,
    options: PullModelEventSinkOptions = {},
  ) {
    this.rawRetentionMs = options.rawRetentionMs ?? HOUR;
    this.rollupRetentionMs = options.rollupRetentionMs ?? 2 * HOUR;
    this.partitionsAhead = options.partitionsAhead ?? 3;
    this.partitionMs = partitionMsOf('partitionMinutes', options.partitionMinutes);
    this.rollupPartitionMs = partitionMsOf('rollupPartitionMinutes', options.rollupPartitionMinutes ?? 5);
  }

  async write(events: readonly MarketplaceEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = JSON.stringify(events.map(toRow));
    const follows = events.flatMap(toFollow);
    await this.store.transaction(async (client) => {
      await client.query(INSERT_EVENTS_AND_ROLL_UP, [rows]);
      if (follows.length > 0) await client.query(UPSERT_FOLLOWS, [JSON.stringify(follows)]);
    });
  }

  async writeSellerFeatures(features: readonly SellerFeaturesRow[]): Promise<void> {
    if (features.length === 0) return;
    await this.store.pool.query(
      `INSERT INTO seller_features (seller_id, score, embedding, updated_at)
       SELECT x.seller_id, x.score, x.embedding, now()
       FROM jsonb_to_recordset($1::jsonb) AS x(seller_id text, score real, embedding real[])
       ON CONFLICT (seller_id) DO UPDATE SET score = EXCLUDED.score, embedding = EXCLUDED.embedding, updated_at = now()`,
      [
        JSON.stringify(
          features.map((f) => ({ seller_id: f.sellerId, score: f.score, embedding: f.embedding })),
        ),
      ],
    );
  }

  /**
   * Per time-partitioned table: creates the partitions from the one holding its retention cutoff to
   * `partitionsAhead` ahead of the current one (moving rows the default partition holds for their range into
   * them), drops those wholly older than the cutoff (by their upper bound) and deletes older rows from the
   * default partition. Raw events and user keys keep the raw retention, minute rollups the rollup retention.
   * Where the server's autovacuum is off, it then does its work for the tables updated in place (vacuum and
   * analyze those past the server's autovacuum thresholds): their superseded row versions are otherwise
   * never reclaimed.
   */
  async maintain(now = Date.now()): Promise<{ created: string[]; dropped: string[]; vacuumed: string[] }> {
    const created: string[] = [];
    const dropped: string[] = [];
    for (const { table, column, retention, byAction } of PARTITIONED_BY_TIME) {
      const [partitionMs, retentionMs] =
        retention === 'raw'
          ? [this.partitionMs, this.rawRetentionMs]
          : [this.rollupPartitionMs, this.rollupRetentionMs];
      const current = Math.floor(now / partitionMs) * partitionMs;
      const cutoff = now - retentionMs;
      const last = current + this.partitionsAhead * partitionMs;
      for (let from = Math.floor(cutoff / partitionMs) * partitionMs; from <= last; from += partitionMs) {
        const name = partitionName(table, from);
        const exists = await this.store.pool.query('SELECT to_regclass($1) AS t', [name]);
        if (exists.rows[0].t) continue;
        await this.createPartition(table, column, name, from, from + partitionMs, byAction);
        created.push(name);
      }
      const partitions = await this.store.pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE p.relname = $2 AND n.nspname = $1 AND c.relname ~ ('^' || $2 || '_p[0-9]{12}$')`,
        [this.store.schema, table],
      );
      for (const { name } of partitions.rows) {
        const bounds = await this.store.pool.query<{ upper: Date }>(
          `SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS upper
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname = $2`,
          [name, this.store.schema],
        );
        const upper = bounds.rows[0]?.upper;
        if (upper && upper.getTime() <= cutoff) {
          await this.store.pool.query(`DROP TABLE IF EXISTS ${name}`);
          dropped.push(name);
        }
      }
      await this.store.pool.query(`DELETE FROM ${table}_default WHERE ${column} < $1`, [new Date(cutoff)]);
    }
    const vacuumed: string[] = [];
    const autovacuum = await this.store.pool.query<{ on: boolean }>(
      "SELECT current_setting('autovacuum') = 'on' AS on",
    );
    if (!autovacuum.rows[0]!.on) {
      // What autovacuum would pick, by the server's own thresholds: vacuuming everything every minute took
      // ~4 s of each 30 s in the bench (the rollups' partitions and their ANALYZE) and doubled the lambdas' p99.
      const due = await this.store.pool.query<{ name: string; vacuum: boolean; analyze: boolean }>(
        `SELECT quote_ident(relname) AS name,
                n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float
                  + current_setting('autovacuum_vacuum_scale_factor')::float * n_live_tup AS vacuum,
                n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float
                  + current_setting('autovacuum_analyze_scale_factor')::float * n_live_tup AS analyze
         FROM pg_stat_user_tables
         WHERE schemaname = $1 AND (relname = ANY ($2) OR relname ~ '^engagement_minutes_(p[0-9]{12}_[a-z0-9_]+|default)$')
         ORDER BY relname`,
        [this.store.schema, UPDATED_IN_PLACE],
      );
      for (const { name, vacuum, analyze } of due.rows) {
        if (vacuum) {
          await this.store.pool.query(`VACUUM (ANALYZE ${analyze}) ${name}`);
          vacuumed.push(name);
        } else if (analyze) await this.store.pool.query(`ANALYZE ${name}`);
      }
    }
    return { created: created.sort(), dropped: dropped.sort(), vacuumed };
  }

  /**
   * Creates one partition. Rows the default partition already holds for its range (written before it
   * existed, or left by the migration that partitioned the table) would make the new bounds invalid, so they
   * move into it, under a lock that keeps writers out until the partition exists. `byAction` partitions it
   * further, one partition per rollup action and a default one for the rest.
   */
  private async createPartition(
    table: string,
    column: string,
    name: string,
    from: number,
    to: number,
    byAction: boolean,
  ) {
    await this.store.transaction(async (client) => {
      // Names and bounds come from the clock and a constant list, never from input.
      await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      await client.query(`CREATE TEMP TABLE moving (LIKE ${table}) ON COMMIT DROP`);
      await client.query(
        `WITH moved AS (DELETE FROM ${table}_default WHERE ${column} >= $1 AND ${column} < $2 RETURNING *)
         INSERT INTO moving SELECT * FROM moved`,
        [new Date(from), new Date(to)],
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table}
         FOR VALUES FROM ('${new Date(from).toISOString()}') TO ('${new Date(to).toISOString()}')
         ${byAction ? 'PARTITION BY LIST (action)' : ''}`,
      );
      if (byAction) {
        for (const action of ROLLUP_ACTIONS)
          await client.query(
            `CREATE TABLE IF NOT EXISTS ${name}_${action.replace(/[^a-z0-9]/g, '_')} PARTITION OF ${name}
             FOR VALUES IN ('${action}')`,
          );
        await client.query(`CREATE TABLE IF NOT EXISTS ${name}_other PARTITION OF ${name} DEFAULT`);
      }
      await client.query(`INSERT INTO ${table} SELECT * FROM moving`);
    });
  }

  /** Runs `maintain` now and every `intervalMs` (default a minute); errors go to `onError`, never thrown. */
  async startMaintenance(intervalMs = 60_000, onError?: (error: unknown) => void): Promise<void> {
    await this.maintain();
    this.timer = setInterval(() => {
      this.maintain().catch((error: unknown) => onError?.(error));
    }, intervalMs);
    this.timer.unref();
  }

  stopMaintenance(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * Tables range-partitioned by time so pruning drops whole partitions (deleting rows left dead tuples that
 * autovacuum could not keep up with at 5,000 events/s, and that nothing reclaims where autovacuum is off).
 */
const PARTITIONED_BY_TIME = [
  { table: 'recent_events', column: 'occurred_at', retention: 'raw', byAction: false },
  { table: 'engagement_minute_users', column: 'minute', retention: 'raw', byAction: false },
  // Then by action, so a lambda reading one action reads its rows only (migration 0007).
  { table: 'engagement_minutes', column: 'minute', retention: 'rollup', byAction: true },
] as const;

/** The actions minute rollups are kept for: the event types of a stream (keyed by its id). */
const ROLLUP_ACTIONS = ALL_EVENT_TYPES.filter(
  (type) => PARTITION_KEY_FIELD[TOPIC_OF_EVENT_TYPE[type]] === 'livestreamId',
);

/**
 * Tables whose rows are updated in place (upserted docs and follows), so they hold dead versions; so do the
 * minute rollups' partitions (counters).
 */
const UPDATED_IN_PLACE = ['livestreams', 'live_sellers', 'live_scores', 'user_follows', 'seller_features'];

/** A partition length option (whole minutes, default 60) in ms. */
function partitionMsOf(option: string, minutes = 60): number {
  if (!Number.isInteger(minutes) || minutes <= 0) throw new Error(`${option} must be a positive integer`);
  return minutes * 60_000;
}

function partitionName(table: string, from: number): string {
  const d = new Date(from);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${table}_p${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
}

function toRow(event: MarketplaceEvent) {
  const e = event as MarketplaceEvent & { livestreamId?: string; sellerId?: string; userId?: string };
  return {
    event_id: event.eventId,
    occurred_at: event.occurredAt,
    type: event.type,
    livestream_id: e.livestreamId ?? null,
    seller_id: e.sellerId ?? null,
    user_id: e.userId ?? null,
    amount_minor: amountOf(event),
    payload: event.payload,
  };
}

/** The money an event moves, in minor units: a bid's amount, a purchase's total, an auction's winning bid. */
function amountOf(event: MarketplaceEvent): number | null {
  const payload = event.payload as Record<string, { amountMinor?: number } | undefined>;
  const money = payload['amount'] ?? payload['total'] ?? payload['winningBid'];
  return typeof money?.amountMinor === 'number' ? money.amountMinor : null;
}

function toFollow(event: MarketplaceEvent) {
  if (event.type !== EventType.UserFollowedSeller && event.type !== EventType.UserUnfollowedSeller) return [];
  return [
    {
      user_id: event.userId,
      seller_id: event.sellerId,
      following: event.type === EventType.UserFollowedSeller,
      at: event.occurredAt,
    },
  ];
}
