-- similar_sellers@1: live streams of the sellers whose embedding is closest to :user_embedding (JSON array),
-- scored (1 + cosine) / 2; :excluded_sellers (JSON array) are left out. Zero and mismatched vectors never match.
-- The nearest streams come off the unit vectors' GiST index (Euclidean distance between unit vectors orders
-- them as cosine does), ties by id; a margin past the limit absorbs the last-bit differences between that
-- distance and the cosine the score is computed with, over the stored float32 embeddings, for those rows only.
WITH query AS (
  SELECT array_agg(CAST(x AS real) ORDER BY n) AS v
  FROM jsonb_array_elements_text(CAST(:user_embedding AS jsonb)) WITH ORDINALITY AS t(x, n)
),
target AS (
  SELECT q.v, unit_cube(q.v) AS c FROM query q
),
nearest AS (
  SELECT l.livestream_id, l.seller_embedding AS e
  FROM livestreams l
  WHERE l.status = 'live'
    AND l.seller_unit IS NOT NULL
    AND cube_dim(l.seller_unit) = (SELECT cube_dim(t.c) FROM target t)
    AND NOT (l.seller_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_sellers AS jsonb)))))
    AND NOT (l.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
  ORDER BY l.seller_unit <-> (SELECT t.c FROM target t), l.livestream_id COLLATE "C"
  LIMIT CAST(:result_limit AS integer) + 64
),
closeness AS (
  SELECT n.livestream_id, (
    SELECT CASE WHEN sum(p.s * p.s) > 0 AND sum(p.u * p.u) > 0
      THEN sum(p.s * p.u) / (sqrt(sum(p.s * p.s)) * sqrt(sum(p.u * p.u))) END
    FROM unnest(CAST(n.e AS double precision[]), CAST(t.v AS double precision[])) AS p(s, u)
  ) AS cosine
  FROM nearest n, target t
),
top AS (
  SELECT m.livestream_id, CAST((1 + m.cosine) / 2 AS real) AS score
  FROM closeness m
  WHERE m.cosine >= CAST(:min_similarity AS double precision)
  ORDER BY score DESC, m.livestream_id COLLATE "C"
  LIMIT CAST(:result_limit AS integer)
)
SELECT t.livestream_id, l.doc, t.score
FROM top t JOIN livestreams l ON l.livestream_id = t.livestream_id
ORDER BY t.score DESC, t.livestream_id COLLATE "C"
