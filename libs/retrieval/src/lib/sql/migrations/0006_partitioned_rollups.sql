-- Minute rollups partitioned by minute, as the raw events are, so retention drops whole partitions instead of
-- deleting rows. Deleted rows and the counters' superseded versions are dead tuples that only a vacuum makes
-- reusable: measured with tools/bench/pull-model.bench.ts on a server without autovacuum, the table grew
-- ~15 MB a minute with 2 M dead rows beside 96k live ones. The sink's maintenance creates the partitions;
-- until then (and for minutes outside them) rows land in the default partition, and the next maintenance
-- moves them into the partition it creates for them.
ALTER TABLE engagement_minutes RENAME TO engagement_minutes_unpartitioned;
CREATE TABLE engagement_minutes (
  livestream_id  text NOT NULL,
  minute         timestamptz NOT NULL,
  action         text NOT NULL,
  events         integer NOT NULL,
  distinct_users integer NOT NULL,
  amount_minor   bigint NOT NULL
) PARTITION BY RANGE (minute);
CREATE TABLE engagement_minutes_default PARTITION OF engagement_minutes DEFAULT;
INSERT INTO engagement_minutes (livestream_id, minute, action, events, distinct_users, amount_minor)
SELECT livestream_id, minute, action, events, distinct_users, amount_minor FROM engagement_minutes_unpartitioned;
DROP TABLE engagement_minutes_unpartitioned;
ALTER TABLE engagement_minutes ADD PRIMARY KEY (livestream_id, minute, action);
-- The lambdas' read path (0002). The minute BRIN (0005) served only the retention delete, which is gone.
CREATE INDEX engagement_minutes_action_minute ON engagement_minutes (action, minute, livestream_id);
