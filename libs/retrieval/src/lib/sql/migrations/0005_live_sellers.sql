-- Two lambda costs measured under ingest with tools/bench/pull-model.bench.ts (10k live streams, 5k events/s).
--
-- similar_sellers compared every live stream's unit vector (the GiST index on 16-dimensional cubes visits
-- nearly all of it, ~80x slower than the scan the planner rightly prefers): ~10 ms a query on the wide
-- livestreams rows. Similarity is the seller's, so the nearest sellers come first, off `live_sellers`: one
-- narrow row per seller with live streams (its unit vector, float32 embedding and live stream count), kept by
-- statement-level triggers on livestreams, which apply a statement's changes per seller.
CREATE TABLE live_sellers (
  seller_id    text PRIMARY KEY,
  seller_unit  public.cube NOT NULL,
  embedding    real[] NOT NULL,
  live_streams integer NOT NULL
);
INSERT INTO live_sellers (seller_id, seller_unit, embedding, live_streams)
SELECT DISTINCT ON (seller_id) seller_id, seller_unit, seller_embedding,
       count(*) OVER (PARTITION BY seller_id)
FROM livestreams
WHERE status = 'live' AND seller_id IS NOT NULL AND seller_unit IS NOT NULL
ORDER BY seller_id, written_at DESC;

-- What a statement changed that live_sellers depends on, one entry per stream row before or after.
CREATE TYPE live_seller_change AS (
  seller_id text, status text, seller_unit public.cube, embedding real[], written_at timestamptz
);

-- Per seller: a stream counts while it is live with a unit vector; the newest vector written wins.
CREATE FUNCTION live_seller_deltas(gone live_seller_change[], came live_seller_change[])
RETURNS TABLE (seller_id text, delta integer, seller_unit public.cube, embedding real[])
LANGUAGE sql IMMUTABLE AS $$
  WITH counted AS (
    SELECT * FROM unnest(gone) AS g
    WHERE g.status = 'live' AND g.seller_id IS NOT NULL AND g.seller_unit IS NOT NULL
  ),
  counting AS (
    SELECT * FROM unnest(came) AS c
    WHERE c.status = 'live' AND c.seller_id IS NOT NULL AND c.seller_unit IS NOT NULL
  ),
  newest AS (
    SELECT DISTINCT ON (c.seller_id) c.seller_id, c.seller_unit, c.embedding
    FROM counting c ORDER BY c.seller_id, c.written_at DESC
  ),
  deltas AS (
    SELECT x.seller_id, CAST(sum(x.delta) AS integer) AS delta
    FROM (SELECT g.seller_id, -1 AS delta FROM counted g
          UNION ALL SELECT c.seller_id, 1 FROM counting c) AS x
    GROUP BY x.seller_id
  )
  SELECT d.seller_id, d.delta, n.seller_unit, n.embedding
  FROM deltas d LEFT JOIN newest n ON n.seller_id = d.seller_id
$$;

CREATE FUNCTION live_sellers_apply(gone live_seller_change[], came live_seller_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(gone) + cardinality(came) = 0 THEN RETURN; END IF;
  -- One lock for every writer, held to commit: an upsert fires the insert and the update trigger, each
  -- with its own sellers, so per-seller locks taken in order per trigger still crossed between writers and
  -- deadlocked. Statements that change no seller (most: momentum and viewers) never take it.
  PERFORM pg_advisory_xact_lock(1818588274, 0);
  INSERT INTO live_sellers AS s (seller_id, seller_unit, embedding, live_streams)
  SELECT d.seller_id, d.seller_unit, d.embedding, d.delta
  FROM live_seller_deltas(gone, came) d WHERE d.seller_unit IS NOT NULL
  ORDER BY d.seller_id
  ON CONFLICT (seller_id) DO UPDATE SET
    seller_unit = EXCLUDED.seller_unit, embedding = EXCLUDED.embedding,
    live_streams = s.live_streams + EXCLUDED.live_streams;
  UPDATE live_sellers s SET live_streams = s.live_streams + d.delta
  FROM live_seller_deltas(gone, came) d
  WHERE d.seller_unit IS NULL AND s.seller_id = d.seller_id;
  DELETE FROM live_sellers s WHERE s.live_streams <= 0
    AND s.seller_id IN (SELECT d.seller_id FROM live_seller_deltas(gone, came) d);
END
$$;

CREATE FUNCTION live_sellers_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM live_sellers_apply(ARRAY[]::live_seller_change[], ARRAY(
    SELECT ROW(n.seller_id, n.status, n.seller_unit, n.seller_embedding, n.written_at)::live_seller_change
    FROM came n WHERE n.status = 'live'));
  RETURN NULL;
END
$$;
-- Most updates move momentum and viewers only: those pairs change nothing here and are skipped.
CREATE FUNCTION live_sellers_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  before live_seller_change[];
  after live_seller_change[];
BEGIN
  SELECT coalesce(array_agg(ROW(o.seller_id, o.status, o.seller_unit, o.seller_embedding, o.written_at)::live_seller_change), '{}'),
         coalesce(array_agg(ROW(n.seller_id, n.status, n.seller_unit, n.seller_embedding, n.written_at)::live_seller_change), '{}')
  INTO before, after
  FROM gone o JOIN came n ON n.livestream_id = o.livestream_id
  WHERE (o.status, o.seller_id, o.seller_embedding) IS DISTINCT FROM (n.status, n.seller_id, n.seller_embedding);
  PERFORM live_sellers_apply(before, after);
  RETURN NULL;
END
$$;
CREATE FUNCTION live_sellers_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM live_sellers_apply(ARRAY(
    SELECT ROW(o.seller_id, o.status, o.seller_unit, o.seller_embedding, o.written_at)::live_seller_change
    FROM gone o WHERE o.status = 'live'), ARRAY[]::live_seller_change[]);
  RETURN NULL;
END
$$;
-- Transition tables need one trigger per event.
CREATE TRIGGER live_sellers_on_insert AFTER INSERT ON livestreams
  REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION live_sellers_after_insert();
CREATE TRIGGER live_sellers_on_update AFTER UPDATE ON livestreams
  REFERENCING OLD TABLE AS gone NEW TABLE AS came
  FOR EACH STATEMENT EXECUTE FUNCTION live_sellers_after_update();
CREATE TRIGGER live_sellers_on_delete AFTER DELETE ON livestreams
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION live_sellers_after_delete();

-- trending@2 reads the last two minutes of one action. Right after a minute starts its rows lie past the
-- statistics' histogram, the planner took them for one row and walked the minute-only btree over every
-- action's rows (50k under ingest, ~10 ms) instead of the (action, minute) index. The minute index only
-- serves the retention delete, which a BRIN index (rows arrive in minute order) does as well, and the
-- planner no longer prefers it for a narrow read.
DROP INDEX engagement_minutes_by_minute;
CREATE INDEX engagement_minutes_minute_brin ON engagement_minutes USING brin (minute);
