-- new_user_hot@1: for users without history: streams at a wave with an auction or giveaway still running at
-- :now (ISO 8601), from sellers whose quality score passes the gate; hottest first.
SELECT l._id, l._doc, l.hotness AS score
FROM livestreams l
WHERE l.status = 'live'
  AND l.momentum >= :min_momentum
  AND l.seller.score IS NOT NULL
  AND l.seller.score >= :min_seller_score
  AND (l.auction.endsAt > CAST(:now AS TIMESTAMPTZ) OR l.giveaway.endsAt > CAST(:now AS TIMESTAMPTZ))
  AND NOT list_contains(from_json(:excluded_ids, '["VARCHAR"]'), l._id)
ORDER BY score DESC, l._id ASC
LIMIT :result_limit
