-- trending@1: the live streams with the highest momentum now; hotness (× 0.0001) breaks near-ties.
SELECT l._id, l._doc, l.momentum + l.hotness * CAST(0.0001 AS FLOAT) AS score
FROM livestreams l
WHERE l.status = 'live'
  AND l.momentum >= :min_momentum
  AND l.currentViewers >= :min_viewers
  AND NOT list_contains(from_json(:excluded_ids, '["VARCHAR"]'), l._id)
ORDER BY score DESC, l._id ASC
LIMIT :result_limit
