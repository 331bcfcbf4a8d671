-- Minute rollups are incremented by the events a batch actually inserted (a redelivered event inserts
-- nothing), instead of recomputing every touched minute from the raw events, whose rows grow all minute.
-- Distinct users need to know who was already counted: one key per stream, minute, action and user, kept
-- as long as the raw events (a minute can only receive events within that window), partitioned by time like
-- them so the sink's maintenance drops whole partitions.
CREATE TABLE engagement_minute_users (
  livestream_id text NOT NULL,
  minute        timestamptz NOT NULL,
  action        text NOT NULL,
  user_id       text NOT NULL,
  PRIMARY KEY (livestream_id, minute, action, user_id)
) PARTITION BY RANGE (minute);
CREATE TABLE engagement_minute_users_default PARTITION OF engagement_minute_users DEFAULT;
-- Keys for what is already rolled up, so the first batches after this migration count users exactly.
INSERT INTO engagement_minute_users (livestream_id, minute, action, user_id)
SELECT DISTINCT livestream_id, date_trunc('minute', occurred_at), type, user_id
FROM recent_events
WHERE livestream_id IS NOT NULL AND user_id IS NOT NULL
ON CONFLICT DO NOTHING;
