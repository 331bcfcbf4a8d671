-- new_user_hot@1: for users without history: streams at a wave with an auction or giveaway still running at
-- :now (ISO 8601), from sellers whose quality score passes the gate; hottest first.
SELECT l.livestream_id, l.doc, l.hotness AS score
FROM livestreams l
WHERE l.status = 'live'
  AND l.momentum >= CAST(:min_momentum AS real)
  AND l.seller_score IS NOT NULL
  AND l.seller_score >= CAST(:min_seller_score AS real)
  AND (l.auction_ends_at > CAST(:now AS timestamptz) OR l.giveaway_ends_at > CAST(:now AS timestamptz))
  AND NOT (l.livestream_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:excluded_ids AS jsonb)))))
ORDER BY score DESC, l.livestream_id COLLATE "C"
LIMIT CAST(:result_limit AS integer)
