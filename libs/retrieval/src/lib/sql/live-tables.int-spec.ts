import { randomUUID } from 'node:crypto';

import { type LivestreamDoc } from '@crest/signals';

import { livestreamDocFixture } from '../retriever.contract';
import { SqlDocSink } from './sql-doc.sink';
import { loadMigrations, SqlStore } from './sql-store';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A small deterministic generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

interface SellerRow {
  seller_id: string;
  live_streams: number;
}

interface ScoreRow {
  livestream_id: string;
  base: number;
  momentum: number;
  current_viewers: number;
}

describe('live_sellers and live_scores, kept by the livestreams triggers', () => {
  const store = new SqlStore({
    connectionString: databaseUrl,
    schema: `crest_live_sellers_${randomUUID().slice(0, 8)}`,
  });
  const sink = new SqlDocSink(store);

  beforeAll(() => store.migrate());
  afterAll(async () => {
    await store.dropSchema();
    await store.close();
  });

  /** What live_sellers must hold: per seller, its live streams with a usable embedding. */
  const expected = async () =>
    (
      await store.pool.query<SellerRow>(
        `SELECT seller_id, CAST(count(*) AS integer) AS live_streams FROM livestreams
         WHERE status = 'live' AND seller_id IS NOT NULL AND seller_unit IS NOT NULL
         GROUP BY seller_id ORDER BY seller_id`,
      )
    ).rows;
  const held = async () =>
    (await store.pool.query<SellerRow>('SELECT seller_id, live_streams FROM live_sellers ORDER BY seller_id'))
      .rows;
  /** What live_scores must hold: each live stream's scoring columns, as trending@1 computes its score. */
  const expectedScores = async () =>
    (
      await store.pool.query<ScoreRow>(
        `SELECT livestream_id, momentum + hotness * CAST(0.0001 AS real) AS base, momentum, current_viewers
         FROM livestreams WHERE status = 'live' ORDER BY livestream_id`,
      )
    ).rows;
  const heldScores = async () =>
    (
      await store.pool.query<ScoreRow>(
        'SELECT livestream_id, base, momentum, current_viewers FROM live_scores ORDER BY livestream_id',
      )
    ).rows;

  const embeddings = [[1, 0, 0, 0], [0, 1, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0, 0], null];
  const docOf = (next: () => number, id: number, version: number): LivestreamDoc =>
    livestreamDocFixture({
      livestreamId: `s${id}`,
      version,
      sellerId: `seller-${Math.floor(next() * 6)}`,
      status: next() < 0.7 ? 'live' : 'ended',
      // Often unchanged from the stream's previous doc, so updates that leave the scores alone occur too.
      momentum: Math.floor(next() * 3),
      hotness: Math.floor(next() * 3) * 100,
      currentViewers: Math.floor(next() * 3),
      seller: { score: 0.5, embedding: embeddings[Math.floor(next() * embeddings.length)]! },
    });

  it('counts each seller’s live streams and copies each live stream’s scores through inserts, updates, status changes and deletions', async () => {
    const next = random(7);
    let version = 1;
    for (let round = 0; round < 40; round++) {
      const upserts = Array.from({ length: 1 + Math.floor(next() * 8) }, () =>
        docOf(next, Math.floor(next() * 15), version++),
      );
      const deletions = next() < 0.3 ? [`s${Math.floor(next() * 15)}`] : [];
      await sink.write({ upserts, deletions });
      expect(await held()).toEqual(await expected());
      expect(await heldScores()).toEqual(await expectedScores());
    }
    expect((await held()).length).toBeGreaterThan(0);
    expect((await heldScores()).length).toBeGreaterThan(0);
  });

  it('keeps a seller’s newest embedding and leaves out zero vectors', async () => {
    await sink.write({
      upserts: [
        livestreamDocFixture({
          livestreamId: 'z1',
          sellerId: 'zero',
          seller: { score: 1, embedding: [0, 0] },
        }),
        livestreamDocFixture({
          livestreamId: 'n1',
          sellerId: 'newest',
          version: 1,
          seller: { score: 1, embedding: [1, 0] },
        }),
      ],
      deletions: [],
    });
    await sink.write({
      upserts: [
        livestreamDocFixture({
          livestreamId: 'n1',
          sellerId: 'newest',
          version: 2,
          seller: { score: 1, embedding: [0, 1] },
        }),
      ],
      deletions: [],
    });
    const rows = await store.pool.query<{ seller_id: string; embedding: number[] }>(
      `SELECT seller_id, embedding FROM live_sellers WHERE seller_id IN ('zero', 'newest')`,
    );
    expect(rows.rows).toEqual([{ seller_id: 'newest', embedding: [0, 1] }]);
  });

  it('stays exact with writers in parallel (rows are locked in one order: no deadlock)', async () => {
    const writers = Array.from({ length: 4 }, (_, writer) => {
      const next = random(100 + writer);
      return (async () => {
        // Each writer owns its streams (as each Kafka partition's consumer does) but shares the sellers.
        for (let round = 0; round < 15; round++)
          await sink.write({
            upserts: Array.from({ length: 6 }, (_, i) =>
              docOf(next, 1_000 * (writer + 1) + ((round * 6 + i) % 20), 1_000 + round * 10 + i),
            ),
            deletions: [],
          });
      })();
    });
    await Promise.all(writers);
    expect(await held()).toEqual(await expected());
    expect(await heldScores()).toEqual(await expectedScores());
  });
});

/**
 * A store of its own migrated up to, not including, `version`, dropped afterwards. `body` applies the
 * migration under test with `migrate` (which resolves to the versions it applied).
 */
async function onStoreBefore(
  version: number,
  body: (store: SqlStore, sink: SqlDocSink, migrate: () => Promise<number[]>) => Promise<void>,
): Promise<void> {
  const store = new SqlStore({
    connectionString: databaseUrl,
    schema: `crest_migration_${version}_${randomUUID().slice(0, 8)}`,
  });
  try {
    await store.migrate(loadMigrations().filter((m) => m.version < version));
    await body(store, new SqlDocSink(store), () =>
      store.migrate(loadMigrations().filter((m) => m.version <= version)),
    );
  } finally {
    await store.dropSchema();
    await store.close();
  }
}

describe('migration 0008 (live_scores) on a store written before it', () => {
  it('copies the live streams already there, and the triggers keep the copy from then on', () =>
    onStoreBefore(8, async (store, sink, migrate) => {
      const stream = (
        livestreamId: string,
        version: number,
        status: 'live' | 'ended',
        [momentum, hotness, currentViewers]: [number, number, number],
      ) => livestreamDocFixture({ livestreamId, version, status, momentum, hotness, currentViewers });
      const scores = async () =>
        (
          await store.pool.query(
            'SELECT livestream_id, base, momentum, current_viewers FROM live_scores ORDER BY 1',
          )
        ).rows;
      await sink.write({
        upserts: [stream('a', 1, 'live', [2, 300, 5]), stream('b', 1, 'ended', [1, 0, 0])],
        deletions: [],
      });
      expect(await migrate()).toEqual([8]);
      expect(await scores()).toEqual([{ livestream_id: 'a', base: 2.03, momentum: 2, current_viewers: 5 }]);

      await sink.write({
        upserts: [stream('a', 2, 'ended', [2, 300, 5]), stream('b', 2, 'live', [1, 0, 9])],
        deletions: [],
      });
      expect(await scores()).toEqual([{ livestream_id: 'b', base: 1, momentum: 1, current_viewers: 9 }]);
    }));
});

describe('migration 0009 (recount live_sellers) on a store whose counts went wrong', () => {
  it('recounts every seller from the live streams, and the triggers keep the counts from then on', () =>
    onStoreBefore(9, async (store, sink, migrate) => {
      const sellers = async () =>
        (await store.pool.query('SELECT seller_id, live_streams FROM live_sellers ORDER BY seller_id')).rows;
      const stream = (id: string, sellerId: string, status: 'live' | 'ended', version: number) =>
        livestreamDocFixture({
          livestreamId: id,
          version,
          sellerId,
          status,
          seller: { score: 1, embedding: [1, 0] },
        });
      await sink.write({
        upserts: [stream('a', 'x', 'live', 1), stream('b', 'x', 'live', 1), stream('c', 'y', 'live', 1)],
        deletions: [],
      });
      // What 0005's unguarded backfill could leave behind: a seller counted wrong, another missing.
      await store.pool.query(`UPDATE live_sellers SET live_streams = 7 WHERE seller_id = 'x'`);
      await store.pool.query(`DELETE FROM live_sellers WHERE seller_id = 'y'`);

      expect(await migrate()).toEqual([9]);
      expect(await sellers()).toEqual([
        { seller_id: 'x', live_streams: 2 },
        { seller_id: 'y', live_streams: 1 },
      ]);
      await sink.write({
        upserts: [stream('a', 'x', 'ended', 2), stream('c', 'y', 'ended', 2)],
        deletions: [],
      });
      expect(await sellers()).toEqual([{ seller_id: 'x', live_streams: 1 }]);
    }));
});
