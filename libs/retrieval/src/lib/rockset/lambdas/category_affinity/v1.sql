-- category_affinity@1: live streams in the user's categories, scored momentum × the strongest affinity among
-- the stream's categories. :categories and :affinities are parallel JSON arrays.
WITH wanted AS (
  SELECT
    unnest(from_json(:categories, '["VARCHAR"]')) AS category,
    unnest(from_json(:affinities, '["FLOAT"]')) AS affinity
)
SELECT l._id, any_value(l._doc) AS _doc, any_value(l.momentum) * max(w.affinity) AS score
FROM livestreams l
JOIN wanted w ON list_contains(l.categoryIds, w.category)
WHERE l.status = 'live'
  AND l.momentum >= :min_momentum
  AND NOT list_contains(from_json(:excluded_ids, '["VARCHAR"]'), l._id)
GROUP BY l._id
ORDER BY score DESC, l._id ASC
LIMIT :result_limit
