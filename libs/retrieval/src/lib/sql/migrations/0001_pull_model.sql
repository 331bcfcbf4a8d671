-- The pull model's collections as tables. Lambdas (sql/lambdas) read them at query time.

-- Latest state per livestream: the ingestor's doc, with typed columns for what lambdas filter and score on
-- (real = float32, as every retrieval backend scores). The newest doc (by version) wins.
CREATE TABLE livestreams (
  livestream_id    text PRIMARY KEY,
  version          bigint NOT NULL,
  seller_id        text,
  status           text,
  category_ids     text[] NOT NULL,
  momentum         real NOT NULL,
  hotness          real NOT NULL,
  current_viewers  integer NOT NULL,
  seller_score     real,
  seller_embedding real[],
  auction_ends_at  timestamptz,
  giveaway_ends_at timestamptz,
  doc              jsonb NOT NULL,
  written_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX livestreams_live_by_hotness ON livestreams (hotness DESC) WHERE status = 'live';
CREATE INDEX livestreams_live_by_seller ON livestreams (seller_id) WHERE status = 'live';
CREATE INDEX livestreams_live_categories ON livestreams USING gin (category_ids) WHERE status = 'live';

-- Raw recent events, partitioned by hour of occurrence; the sink creates partitions ahead and drops those
-- past the retention window. (occurred_at, event_id) is the key: a redelivered event is the same row.
CREATE TABLE recent_events (
  event_id      uuid NOT NULL,
  occurred_at   timestamptz NOT NULL,
  type          text NOT NULL,
  livestream_id text,
  seller_id     text,
  user_id       text,
  amount_minor  bigint,
  payload       jsonb NOT NULL,
  PRIMARY KEY (occurred_at, event_id)
) PARTITION BY RANGE (occurred_at);
-- Events outside every hourly partition (late or early) land here and are pruned by time like the rest.
CREATE TABLE recent_events_default PARTITION OF recent_events DEFAULT;
CREATE INDEX recent_events_by_stream ON recent_events (livestream_id, occurred_at);

-- Engagement per stream, minute and action, recomputed from recent_events for every minute a batch
-- touches (so redelivery cannot double count): events, distinct users, amount sum.
CREATE TABLE engagement_minutes (
  livestream_id  text NOT NULL,
  minute         timestamptz NOT NULL,
  action         text NOT NULL,
  events         integer NOT NULL,
  distinct_users integer NOT NULL,
  amount_minor   bigint NOT NULL,
  PRIMARY KEY (livestream_id, minute, action)
);
CREATE INDEX engagement_minutes_by_minute ON engagement_minutes (minute);

-- Seller batch features (the seller-features import).
CREATE TABLE seller_features (
  seller_id  text PRIMARY KEY,
  score      real,
  embedding  real[],
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Who follows which seller: the newest follow or unfollow wins, whatever the arrival order.
CREATE TABLE user_follows (
  user_id   text NOT NULL,
  seller_id text NOT NULL,
  following boolean NOT NULL,
  at        timestamptz NOT NULL,
  PRIMARY KEY (user_id, seller_id)
);
