-- similar_sellers@1: live streams of the sellers whose embedding is closest to :user_embedding (JSON array),
-- scored (1 + cosine) / 2; :excluded_sellers (JSON array) are left out. Zero and mismatched vectors never match.
WITH scored AS (
  SELECT
    l._id,
    l._doc,
    CASE
      WHEN len(l.seller.embedding) = json_array_length(:user_embedding)
        AND list_dot_product(l.seller.embedding, l.seller.embedding) > 0
      THEN list_cosine_similarity(l.seller.embedding, from_json(:user_embedding, '["FLOAT"]'))
    END AS cosine
  FROM livestreams l
  WHERE l.status = 'live'
    AND l.seller.embedding IS NOT NULL
    AND NOT list_contains(from_json(:excluded_sellers, '["VARCHAR"]'), l.sellerId)
    AND NOT list_contains(from_json(:excluded_ids, '["VARCHAR"]'), l._id)
)
SELECT _id, _doc, CAST((1 + cosine) / 2 AS FLOAT) AS score
FROM scored
WHERE cosine >= :min_similarity
ORDER BY score DESC, _id ASC
LIMIT :result_limit
