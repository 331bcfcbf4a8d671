-- similar_sellers@1: live streams of the sellers whose embedding is closest to :user_embedding (JSON array),
-- scored (1 + cosine) / 2; :excluded_sellers (JSON array) are left out. Zero and mismatched vectors never match.
-- Cosine is computed once per seller (streams of a seller share its embedding); docs for the top rows only.
WITH query AS (
  SELECT array_agg(CAST(x AS real) ORDER BY n) AS v
  FROM jsonb_array_elements_text(CAST(:user_embedding AS jsonb)) WITH ORDINALITY AS t(x, n)
),
sellers AS (
  SELECT DISTINCT ON (l.seller_id) l.seller_id, l.seller_embedding AS e
  FROM livestreams l, query q
  WHERE l.status = 'live'
    AND l.seller_embedding IS NOT NULL
    AND cardinality(l.seller_embedding) = cardinality(q.v)
    AND NOT (l.seller_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_sellers AS jsonb)))))
),
closeness AS (
  SELECT s.seller_id, (
    SELECT CASE WHEN sum(p.s * p.s) > 0 AND sum(p.u * p.u) > 0
      THEN sum(p.s * p.u) / (sqrt(sum(p.s * p.s)) * sqrt(sum(p.u * p.u))) END
    FROM unnest(CAST(s.e AS double precision[]), CAST(q.v AS double precision[])) AS p(s, u)
  ) AS cosine
  FROM sellers s, query q
),
top AS (
  SELECT l.livestream_id, CAST((1 + m.cosine) / 2 AS real) AS score
  FROM closeness m
  JOIN livestreams l ON l.seller_id = m.seller_id AND l.status = 'live'
  WHERE m.cosine >= CAST(:min_similarity AS double precision)
    AND NOT (l.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
  ORDER BY score DESC, l.livestream_id COLLATE "C"
  LIMIT CAST(:result_limit AS integer)
)
SELECT t.livestream_id, l.doc, t.score
FROM top t JOIN livestreams l ON l.livestream_id = t.livestream_id
ORDER BY t.score DESC, t.livestream_id COLLATE "C"
