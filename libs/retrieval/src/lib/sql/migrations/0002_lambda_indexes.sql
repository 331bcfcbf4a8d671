-- Orders the lambdas read in, so a lambda walks an index to its LIMIT instead of sorting every live stream
-- (measured with tools/bench/pull-model.bench.ts at 10k live streams).
CREATE INDEX livestreams_live_trending ON livestreams
  ((momentum + hotness * CAST(0.0001 AS real)) DESC, livestream_id COLLATE "C") WHERE status = 'live';
DROP INDEX livestreams_live_by_hotness;
CREATE INDEX livestreams_live_by_hotness ON livestreams (hotness DESC, livestream_id COLLATE "C")
  WHERE status = 'live';
CREATE INDEX engagement_minutes_action_minute ON engagement_minutes (action, minute, livestream_id);
