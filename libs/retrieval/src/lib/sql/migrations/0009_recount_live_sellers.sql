-- 0005 backfilled live_sellers from its own snapshot before its triggers existed, without keeping writers
-- out: a stream written by a running ingestor in between was never counted (or never uncounted), and a
-- count, unlike a copied row, does not heal on the stream's next write. Recount it once, writers waiting
-- (this runs in one transaction), as 0008 does for live_scores from the start.
LOCK TABLE livestreams IN SHARE ROW EXCLUSIVE MODE;
DELETE FROM live_sellers;
INSERT INTO live_sellers (seller_id, seller_unit, embedding, live_streams)
SELECT DISTINCT ON (seller_id) seller_id, seller_unit, seller_embedding,
       count(*) OVER (PARTITION BY seller_id)
FROM livestreams
WHERE status = 'live' AND seller_id IS NOT NULL AND seller_unit IS NOT NULL
ORDER BY seller_id, written_at DESC;
