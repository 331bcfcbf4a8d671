-- trending@1: the live streams with the highest momentum now; hotness (x 0.0001) breaks near-ties.
-- Scores in real (float32) as every backend; ids in byte order (COLLATE "C") as every backend.
SELECT l.livestream_id, l.doc, l.momentum + l.hotness * CAST(0.0001 AS real) AS score
FROM livestreams l
WHERE l.status = 'live'
  AND l.momentum >= CAST(:min_momentum AS real)
  AND l.current_viewers >= CAST(:min_viewers AS integer)
  AND NOT (l.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
ORDER BY score DESC, l.livestream_id COLLATE "C"
LIMIT CAST(:result_limit AS integer)
