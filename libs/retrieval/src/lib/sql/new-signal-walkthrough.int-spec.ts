import { randomUUID } from 'node:crypto';

import { EventType } from '@crest/event-schemas';
import { makeEvent, SeededRandom } from '@crest/testing';

import { livestreamDocFixture, retrievalRequestFixture } from '../retriever.contract';
import { PullModelEventSink } from './pull-model-event.sink';
import { SqlRetriever } from './sql.retriever';
import { SqlDocSink } from './sql-doc.sink';
import { SqlStore } from './sql-store';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The README's walkthrough, as a test: a new signal (giveaway entries in the last 2 minutes) is one new
 * lambda version (sql/lambdas/trending/v2.sql) over what the ingestor already writes; a request (a carousel's
 * `lambdaVersion: 2`) runs it; the `live` tag keeps serving v1.
 */
describe('a new signal is a new lambda version', () => {
  const store = new SqlStore({
    connectionString: databaseUrl,
    schema: `crest_walk_${randomUUID().slice(0, 8)}`,
  });
  const events = new PullModelEventSink(store);
  const retriever = new SqlRetriever(store);
  const calm = randomUUID();
  const buzzing = randomUUID();

  beforeAll(async () => {
    await store.migrate();
    await events.maintain();
    await new SqlDocSink(store).write({
      upserts: [
        livestreamDocFixture({ livestreamId: calm, momentum: 2, hotness: 10, currentViewers: 50 }),
        livestreamDocFixture({ livestreamId: buzzing, momentum: 1.5, hotness: 10, currentViewers: 50 }),
      ],
      deletions: [],
    });
    // 60 giveaway entries on the second stream, just now: the signal v2 reads from the minute rollups.
    await events.write(
      Array.from({ length: 60 }, (_, i) =>
        makeEvent(EventType.GiveawayEntered, {
          livestreamId: buzzing,
          userId: `user-${i}`,
          occurredAt: new Date(Date.now() - i * 500).toISOString(),
        } as never),
      ),
    );
  });
  afterAll(async () => {
    await store.dropSchema();
    await store.close();
  });

  // The entries were written at the wall clock's time, so the requests are made at it too.
  const top = async (lambdaVersion?: number, now = Date.now()) =>
    (
      await retriever.retrieve(retrievalRequestFixture({ strategy: 'trending', lambdaVersion, now }))
    ).candidates.map((c) => [c.livestreamId, c.score]);

  it('v1 (the live tag) ranks by momentum', async () => {
    expect(await top()).toEqual([
      [calm, Math.fround(2 + Math.fround(10 * Math.fround(0.0001)))],
      [buzzing, Math.fround(1.5 + Math.fround(10 * Math.fround(0.0001)))],
    ]);
  });

  it('v2 adds 0.01 per giveaway entry of the last 2 minutes', async () => {
    const [first, second] = await top(2);
    expect(first).toEqual([buzzing, expect.closeTo(1.5 + 0.001 + 0.6, 5)]);
    expect(second).toEqual([calm, expect.closeTo(2.001, 5)]);
  });

  it("v2's 2 minutes are the request's: 3 minutes on, the entries no longer count", async () => {
    expect(await top(2, Date.now() + 3 * 60_000)).toEqual([
      [calm, expect.closeTo(2.001, 5)],
      [buzzing, expect.closeTo(1.501, 5)],
    ]);
  });

  it('v2 lifts a stream by its entries past one with a higher base score, whatever the limit', async () => {
    const [only, ...rest] = (
      await retriever.retrieve(
        retrievalRequestFixture({ strategy: 'trending', lambdaVersion: 2, limit: 1, now: Date.now() }),
      )
    ).candidates;
    expect([only?.livestreamId, rest]).toEqual([buzzing, []]);
  });

  it('refuses a version that does not exist, naming it', async () => {
    await expect(top(9)).rejects.toThrow('lambda trending has no version 9 (it has 1, 2)');
  });

  it('v2 answers as scoring every eligible stream would, though it scores only those that can reach the top', async () => {
    // 300 streams in a fresh schema, most with entries, some with many: a brute-force reference.
    const random = new SeededRandom(8);
    const ids = Array.from({ length: 300 }, (_, i) => `r-${String(i).padStart(3, '0')}`);
    const streams = ids.map((livestreamId) => ({
      livestreamId,
      momentum: random.float() * 5,
      hotness: random.float() * 50,
      currentViewers: random.int(0, 100),
      entries: random.chance(0.7) ? random.int(1, random.chance(0.1) ? 400 : 40) : 0,
    }));
    const scoped = new SqlStore({
      connectionString: databaseUrl,
      schema: `crest_walk_${randomUUID().slice(0, 8)}`,
    });
    try {
      await scoped.migrate();
      await new PullModelEventSink(scoped).maintain();
      await new SqlDocSink(scoped).write({
        upserts: streams.map(({ entries: _, ...doc }) => livestreamDocFixture(doc)),
        deletions: [],
      });
      const now = Date.now();
      const minute = Math.floor(now / 60_000) * 60_000;
      // Split over the window's two minutes, plus entries 3 minutes back that must not count.
      await scoped.pool.query(
        `INSERT INTO engagement_minutes (livestream_id, minute, action, events, distinct_users, amount_minor)
         SELECT x.id, to_timestamp(x.at / 1000.0), 'giveaway.entered', x.n, x.n, 0
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, at bigint, n integer) WHERE x.n > 0`,
        [
          JSON.stringify(
            streams.flatMap((s) => [
              { id: s.livestreamId, at: minute, n: Math.ceil(s.entries / 2) },
              { id: s.livestreamId, at: minute - 60_000, n: Math.floor(s.entries / 2) },
              { id: s.livestreamId, at: minute - 180_000, n: 500 },
            ]),
          ),
        ],
      );
      const f = Math.fround;
      const expected = (limit: number, minMomentum: number, minViewers: number, excluded: string[]) =>
        streams
          .filter((s) => f(s.momentum) >= f(minMomentum) && s.currentViewers >= minViewers)
          .filter((s) => !excluded.includes(s.livestreamId))
          .map((s) => {
            const base = f(f(s.momentum) + f(f(s.hotness) * f(0.0001)));
            return { id: s.livestreamId, score: f(base + f(f(s.entries) * f(0.01))) };
          })
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
          .slice(0, limit)
          .map((s) => s.id);
      const sqlRetriever = new SqlRetriever(scoped);
      const cases: [number, number, number, string[]][] = [
        [1, 0, 0, []],
        [7, 0, 0, []],
        [50, 0, 0, []],
        [50, 2.5, 30, []],
        [20, 0, 0, expected(5, 0, 0, [])],
        [400, 0, 0, []],
      ];
      for (const [limit, minMomentum, minViewers, excludedIds] of cases) {
        const answer = await sqlRetriever.retrieve(
          retrievalRequestFixture({
            strategy: 'trending',
            lambdaVersion: 2,
            limit,
            excludedIds,
            params: { minMomentum, minViewers },
            now,
          }),
        );
        expect([limit, minMomentum, answer.candidates.map((c) => c.livestreamId)]).toEqual([
          limit,
          minMomentum,
          expected(limit, minMomentum, minViewers, excludedIds),
        ]);
      }
    } finally {
      await scoped.dropSchema();
      await scoped.close();
    }
  });
});
