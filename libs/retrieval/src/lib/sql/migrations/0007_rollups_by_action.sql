-- Minute rollups partitioned by minute and then by action, so a lambda that reads one action (trending@2
-- reads giveaway.entered) reads pages holding that action's rows only. With every action in one heap the
-- ~1,300 giveaway rows of a 2-minute window sat on ~520 pages among chat and viewer rows and their counter
-- versions (tools/bench/pull-model.bench.ts, 5,000 events/s): ~5-14 ms of trending@2's ~10 ms p50.
-- The sink's maintenance creates each time partition with one partition per action (and a default one for
-- actions it does not know); as in 0006, rows wait in the default partition until their time partition exists.
ALTER TABLE engagement_minutes RENAME TO engagement_minutes_by_minute;
ALTER TABLE engagement_minutes_default RENAME TO engagement_minutes_by_minute_default;
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
SELECT livestream_id, minute, action, events, distinct_users, amount_minor FROM engagement_minutes_by_minute;
-- Drops its partitions with it, freeing their names, its key's and its index's.
DROP TABLE engagement_minutes_by_minute;
ALTER TABLE engagement_minutes ADD PRIMARY KEY (livestream_id, minute, action);
CREATE INDEX engagement_minutes_action_minute ON engagement_minutes (action, minute, livestream_id);
