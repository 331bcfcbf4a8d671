-- following@1: live streams of the sellers the user follows, hottest first.
-- :followed_sellers and :excluded_ids are JSON arrays of ids (Query Lambda parameters are scalars).
SELECT l._id, l._doc, l.hotness AS score
FROM livestreams l
WHERE l.status = 'live'
  AND list_contains(from_json(:followed_sellers, '["VARCHAR"]'), l.sellerId)
  AND l.hotness >= :min_hotness
  AND NOT list_contains(from_json(:excluded_ids, '["VARCHAR"]'), l._id)
ORDER BY score DESC, l._id ASC
LIMIT :result_limit
