-- trending@2: trending@1 plus a new signal, giveaway entries in the last 2 minutes, read from the minute
-- rollups at query time (no ingestor change): each entry adds 0.01 to the score. Pull model only: memory
-- and Elasticsearch have no rollups, so a carousel points at this version with lambdaVersion 2 on sql.
-- Entries only add to trending@1's score, so the top rows are among trending@1's top rows (read off its
-- index) and the streams with entries: only those are scored, not every live stream. Their rollups are
-- read from the giveaway.entered partitions only (migration 0007), and the streams with entries are scored
-- off live_scores, the narrow copy of the live streams' scoring columns (0008). The entries are
-- materialized and joined by hash: the planner takes the current minute's rollups (past its statistics)
-- for one row, and its nested loops over them cost ~35 ms at 600 streams with entries. The window is the
-- request's (:now_ms, epoch ms): minute (now_ms / 60000) - 1 onwards, in integer arithmetic and
-- to_timestamp(double precision), both immutable, so the planner folds the bound and plans only the rollup
-- partitions it can touch (now() would plan every partition and prune at run time).
WITH giveaway_entries AS MATERIALIZED (
  SELECT m.livestream_id, sum(m.events) AS entries
  FROM engagement_minutes m
  WHERE m.action = 'giveaway.entered'
    AND m.minute >= to_timestamp((CAST(:now_ms AS bigint) / 60000 - 1) * 60)
  GROUP BY m.livestream_id
),
eligible AS NOT MATERIALIZED (
  SELECT l.livestream_id, l.momentum + l.hotness * CAST(0.0001 AS real) AS base
  FROM livestreams l
  WHERE l.status = 'live'
    AND l.momentum >= CAST(:min_momentum AS real)
    AND l.current_viewers >= CAST(:min_viewers AS integer)
    AND NOT (l.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
),
scored AS (
  (SELECT e.livestream_id, e.base, 0 AS entries FROM eligible e
   ORDER BY e.base DESC, e.livestream_id COLLATE "C"
   LIMIT CAST(:result_limit AS integer))
  UNION ALL
  SELECT s.livestream_id, s.base, g.entries
  FROM giveaway_entries g JOIN live_scores s ON s.livestream_id = g.livestream_id
  WHERE s.momentum >= CAST(:min_momentum AS real)
    AND s.current_viewers >= CAST(:min_viewers AS integer)
    AND NOT (s.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
),
top AS (
  -- A top row with entries appears twice; entries are never negative, so its larger score is the one.
  SELECT s.livestream_id, max(s.base + CAST(s.entries AS real) * CAST(0.01 AS real)) AS score
  FROM scored s
  GROUP BY s.livestream_id
  ORDER BY score DESC, s.livestream_id COLLATE "C"
  LIMIT CAST(:result_limit AS integer)
)
SELECT t.livestream_id, l.doc, t.score
FROM top t JOIN livestreams l ON l.livestream_id = t.livestream_id
ORDER BY t.score DESC, t.livestream_id COLLATE "C"
