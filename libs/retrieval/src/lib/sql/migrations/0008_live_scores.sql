-- trending@2 scores every live stream with giveaway entries in the last two minutes (800-2,800 of 10k under
-- tools/bench/pull-model.bench.ts) and joined them to livestreams for their score and filters: a hash join
-- reading ~2,000 pages of wide rows (the doc, embeddings, cubes), or 8-25 µs a key through the primary key,
-- most of what was left of its time once its rollups were partitioned by action (0007). live_scores holds
-- just what it reads, one ~60-byte row per live stream (~100 pages), kept by statement-level triggers on
-- livestreams. Its only index is the key and no update changes the key, so its updates are HOT: the
-- fillfactor leaves them room on the page.
-- Writers wait for this migration (it runs in one transaction): a write committed between the backfill's
-- snapshot and the triggers' creation would otherwise be missing from the copy until its stream changes.
LOCK TABLE livestreams IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE live_scores (
  livestream_id   text PRIMARY KEY,
  base            real NOT NULL,
  momentum        real NOT NULL,
  current_viewers integer NOT NULL
) WITH (fillfactor = 50);
INSERT INTO live_scores (livestream_id, base, momentum, current_viewers)
SELECT livestream_id, momentum + hotness * CAST(0.0001 AS real), momentum, current_viewers
FROM livestreams WHERE status = 'live';

-- A stream's live_scores row is written only by the statement holding its livestreams row (lock held to
-- commit), so two writers never wait on each other here in an order livestreams did not already impose.
CREATE FUNCTION live_scores_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO live_scores AS s (livestream_id, base, momentum, current_viewers)
  SELECT n.livestream_id, n.momentum + n.hotness * CAST(0.0001 AS real), n.momentum, n.current_viewers
  FROM came n WHERE n.status = 'live'
  ORDER BY n.livestream_id
  ON CONFLICT (livestream_id) DO UPDATE SET
    base = EXCLUDED.base, momentum = EXCLUDED.momentum, current_viewers = EXCLUDED.current_viewers;
  RETURN NULL;
END
$$;
-- An update leaving status, momentum, hotness and viewers as they were (a doc-only change) is skipped.
CREATE FUNCTION live_scores_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM live_scores s USING came n
  WHERE s.livestream_id = n.livestream_id AND n.status IS DISTINCT FROM 'live';
  INSERT INTO live_scores AS s (livestream_id, base, momentum, current_viewers)
  SELECT n.livestream_id, n.momentum + n.hotness * CAST(0.0001 AS real), n.momentum, n.current_viewers
  FROM came n JOIN gone o ON o.livestream_id = n.livestream_id
  WHERE n.status = 'live'
    AND (o.status, o.momentum, o.hotness, o.current_viewers)
        IS DISTINCT FROM (n.status, n.momentum, n.hotness, n.current_viewers)
  ORDER BY n.livestream_id
  ON CONFLICT (livestream_id) DO UPDATE SET
    base = EXCLUDED.base, momentum = EXCLUDED.momentum, current_viewers = EXCLUDED.current_viewers;
  RETURN NULL;
END
$$;
CREATE FUNCTION live_scores_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM live_scores s USING gone o WHERE s.livestream_id = o.livestream_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER live_scores_on_insert AFTER INSERT ON livestreams
  REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION live_scores_after_insert();
CREATE TRIGGER live_scores_on_update AFTER UPDATE ON livestreams
  REFERENCING OLD TABLE AS gone NEW TABLE AS came
  FOR EACH STATEMENT EXECUTE FUNCTION live_scores_after_update();
CREATE TRIGGER live_scores_on_delete AFTER DELETE ON livestreams
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION live_scores_after_delete();
