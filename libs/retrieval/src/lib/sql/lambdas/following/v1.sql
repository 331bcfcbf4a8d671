-- following@1: live streams of the sellers the user follows, hottest first.
-- :followed_sellers and :excluded_ids are JSON arrays of ids (lambda parameters are scalars).
SELECT l.livestream_id, l.doc, l.hotness AS score
FROM livestreams l
WHERE l.status = 'live'
  AND l.seller_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:followed_sellers AS jsonb))))
  AND l.hotness >= CAST(:min_hotness AS real)
  AND NOT (l.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
ORDER BY score DESC, l.livestream_id COLLATE "C"
LIMIT CAST(:result_limit AS integer)
