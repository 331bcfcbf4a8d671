-- similar_sellers@1: live streams of the sellers whose embedding is closest to :user_embedding (JSON array),
-- scored (1 + cosine) / 2; :excluded_sellers (JSON array) are left out. Zero and mismatched vectors never match.
-- Similarity is the seller's, so the nearest sellers come first, off `live_sellers` (one narrow row per seller
-- with live streams): Euclidean distance between unit vectors orders them as cosine does. Each seller has a
-- live stream, and an excluded id takes out at most one, so the best :result_limit streams are among the
-- :result_limit + (excluded ids) nearest sellers; a margin absorbs the last-bit differences between that
-- distance and the cosine the score is computed with, over the stored float32 embeddings, for those only
-- (once per seller: materialized, or the planner computes it again for every stream).
WITH query AS (
  SELECT array_agg(CAST(x AS real) ORDER BY n) AS v
  FROM jsonb_array_elements_text(CAST(:user_embedding AS jsonb)) WITH ORDINALITY AS t(x, n)
),
target AS (
  SELECT q.v, unit_cube(q.v) AS c FROM query q
),
excluded_ids AS (
  SELECT ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb))) AS ids
),
nearest AS (
  SELECT s.seller_id, s.embedding AS e
  FROM live_sellers s
  WHERE cube_dim(s.seller_unit) = (SELECT cube_dim(t.c) FROM target t)
    AND NOT (s.seller_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_sellers AS jsonb)))))
  ORDER BY s.seller_unit <-> (SELECT t.c FROM target t)
  LIMIT CAST(:result_limit AS integer) + (SELECT cardinality(x.ids) FROM excluded_ids x) + 64
),
closeness AS MATERIALIZED (
  SELECT n.seller_id, (
    SELECT CASE WHEN sum(p.s * p.s) > 0 AND sum(p.u * p.u) > 0
      THEN sum(p.s * p.u) / (sqrt(sum(p.s * p.s)) * sqrt(sum(p.u * p.u))) END
    FROM unnest(CAST(n.e AS double precision[]), CAST(t.v AS double precision[])) AS p(s, u)
  ) AS cosine
  FROM nearest n, target t
),
top AS (
  SELECT l.livestream_id, CAST((1 + m.cosine) / 2 AS real) AS score
  FROM closeness m
  JOIN livestreams l ON l.seller_id = m.seller_id AND l.status = 'live'
  WHERE m.cosine >= CAST(:min_similarity AS double precision)
    AND NOT (l.livestream_id = ANY (CAST((SELECT x.ids FROM excluded_ids x) AS text[])))
  ORDER BY score DESC, l.livestream_id COLLATE "C"
  LIMIT CAST(:result_limit AS integer)
)
SELECT t.livestream_id, l.doc, t.score
FROM top t JOIN livestreams l ON l.livestream_id = t.livestream_id
ORDER BY t.score DESC, t.livestream_id COLLATE "C"
