import { type DocChanges, type LivestreamDoc, type LivestreamDocSink } from '@crest/signals';

import { type RetrievedDoc, toRetrievedDoc } from '../retrieval-request';
import { type SqlStore } from './sql-store';

// One statement per batch: the docs travel as one JSON parameter, never as SQL text.
const UPSERT = `
INSERT INTO livestreams (livestream_id, version, seller_id, status, category_ids, momentum, hotness,
  current_viewers, seller_score, seller_embedding, auction_ends_at, giveaway_ends_at, doc, written_at)
SELECT x.livestream_id, x.version, x.seller_id, x.status, x.category_ids, x.momentum, x.hotness,
  x.current_viewers, x.seller_score, x.seller_embedding, x.auction_ends_at, x.giveaway_ends_at, x.doc, now()
FROM jsonb_to_recordset($1::jsonb) AS x(livestream_id text, version bigint, seller_id text, status text,
  category_ids text[], momentum real, hotness real, current_viewers integer, seller_score real,
  seller_embedding real[], auction_ends_at timestamptz, giveaway_ends_at timestamptz, doc jsonb)
ON CONFLICT (livestream_id) DO UPDATE SET
  version = EXCLUDED.version, seller_id = EXCLUDED.seller_id, status = EXCLUDED.status,
  category_ids = EXCLUDED.category_ids, momentum = EXCLUDED.momentum, hotness = EXCLUDED.hotness,
  current_viewers = EXCLUDED.current_viewers, seller_score = EXCLUDED.seller_score,
  seller_embedding = EXCLUDED.seller_embedding, auction_ends_at = EXCLUDED.auction_ends_at,
  giveaway_ends_at = EXCLUDED.giveaway_ends_at, doc = EXCLUDED.doc, written_at = now()
WHERE livestreams.version <= EXCLUDED.version`;

/**
 * Writes livestream docs to the `livestreams` table of the SQL store: one multi-row upsert per batch in
 * which the newest doc wins, so a reordered older batch changes nothing; a removed stream is deleted. A doc
 * of equal version replaces the held one (as Elasticsearch's `external_gte`): the version is the newest
 * event time, and a late older event (a status change on another topic) changes the doc without raising it.
 */
export class SqlDocSink implements LivestreamDocSink {
  readonly name = 'sql';

  constructor(private readonly store: SqlStore) {}

  async write(changes: Pick<DocChanges, 'upserts' | 'deletions'>): Promise<void> {
    if (changes.upserts.length > 0) {
      // A batch holding one stream twice would hit the same row twice in one statement: keep its newest.
      const newest = new Map<string, LivestreamDoc | RetrievedDoc>();
      for (const doc of changes.upserts) {
        const held = newest.get(doc.livestreamId);
        if (!held || held.version <= doc.version) newest.set(doc.livestreamId, doc);
      }
      await this.store.pool.query(UPSERT, [JSON.stringify([...newest.values()].map(toRow))]);
    }
    if (changes.deletions.length > 0)
      await this.store.pool.query('DELETE FROM livestreams WHERE livestream_id = ANY($1::text[])', [
        changes.deletions,
      ]);
  }
}

function toRow(source: LivestreamDoc | RetrievedDoc) {
  const doc = toRetrievedDoc(source);
  return {
    livestream_id: doc.livestreamId,
    version: doc.version,
    seller_id: doc.sellerId,
    status: doc.status,
    category_ids: doc.categoryIds,
    momentum: doc.momentum,
    hotness: doc.hotness,
    current_viewers: doc.currentViewers,
    seller_score: doc.seller.score,
    seller_embedding: doc.seller.embedding,
    auction_ends_at: doc.auction?.endsAt ?? null,
    giveaway_ends_at: doc.giveaway?.endsAt ?? null,
    doc,
  };
}
