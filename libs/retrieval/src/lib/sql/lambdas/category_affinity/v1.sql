-- category_affinity@1: live streams in the user's categories, scored momentum x the strongest affinity among
-- the stream's categories. :categories and :affinities are parallel JSON arrays. The overlap (&&) uses the
-- categories' GIN index; docs are read for the top rows only.
WITH wanted AS (
  SELECT c.category, CAST(a.affinity AS real) AS affinity
  FROM jsonb_array_elements_text(CAST(:categories AS jsonb)) WITH ORDINALITY AS c(category, n)
  JOIN jsonb_array_elements_text(CAST(:affinities AS jsonb)) WITH ORDINALITY AS a(affinity, n) USING (n)
),
top AS (
  SELECT l.livestream_id,
    l.momentum * (SELECT max(w.affinity) FROM wanted w WHERE w.category = ANY (l.category_ids)) AS score
  FROM livestreams l
  WHERE l.status = 'live'
    AND l.category_ids && ARRAY(SELECT category FROM wanted)
    AND l.momentum >= CAST(:min_momentum AS real)
    AND NOT (l.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
  ORDER BY score DESC, l.livestream_id COLLATE "C"
  LIMIT CAST(:result_limit AS integer)
)
SELECT t.livestream_id, l.doc, t.score
FROM top t JOIN livestreams l ON l.livestream_id = t.livestream_id
ORDER BY t.score DESC, t.livestream_id COLLATE "C"
