/**
 * The pull model on PostgreSQL under load: the ingestor's event sink writing a simulated marketplace at a
 * fixed rate (raw events + minute rollups), while every Query Lambda is queried over 10k live streams and
 * 60 minutes of rollups. The ingest runs in a child process, as the event-ingestor does beside feed-api:
 * in the querying process its simulator and batch encoding held query answers behind them on one event
 * loop, which measured the bench's own scheduling rather than the store. Prints per-lambda latency, how
 * long an event takes to be queryable (handed to the sink → committed), and the store's size over the run
 * (bounded by partition drops), per table.
 *   npx tsx tools/bench/pull-model.bench.ts [--minutes 3] [--rate 5000] [--streams 10000]
 *     [--partition-minutes 5] [--raw-retention-minutes 10] [--rollup-retention-minutes 60]
 *     [--rollup-partition-minutes 5]
 *     [--database postgres://…]
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import type { MarketplaceEvent } from '@crest/event-schemas';
import { PullModelEventSink, SqlDocSink, SqlRetriever, SqlStore } from '@crest/retrieval';
import { simulatedRetrievalData } from '@crest/retrieval/testing';
import { MarketplaceSimulator, runSimulatorInRealTime } from '@crest/testing';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

import { type BenchRow, latencyHistogram, percentiles, report } from './bench-report';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    rate: { type: 'string', default: '5000' },
    streams: { type: 'string', default: '10000' },
    'partition-minutes': { type: 'string', default: '5' },
    'raw-retention-minutes': { type: 'string', default: '10' },
    /**
     * How long minute rollups are kept. 60, the rollups the run starts with, so storage starts at its level
     * (the sink's default, 2 h, would grow it for the first hour); shorter shows it level off sooner.
     */
    'rollup-retention-minutes': { type: 'string', default: '60' },
    /** Minutes of rollups per partition (the sink's default, 5). Rollups stay up to one partition longer. */
    'rollup-partition-minutes': { type: 'string', default: '5' },
    /** Internal: this process is the ingest child of a run, writing into the given schema. */
    'ingest-into-schema': { type: 'string' },
    database: {
      type: 'string',
      default: process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const streams = Number(values.streams);

interface TableSize {
  /** Heap (with TOAST), MB. */
  tableMb: number;
  indexesMb: number;
  liveRows: number;
  deadRows: number;
}

interface StorageSample {
  atMinute: number;
  bytes: number;
  rawEvents: number;
  /** Per table, partitions counted under their parent: which one grows, heap or indexes, live or dead rows. */
  tables: Record<string, TableSize>;
}

async function storageBytes(store: SqlStore): Promise<Omit<StorageSample, 'atMinute'>> {
  const sizes = await store.pool.query<{
    family: string;
    table_bytes: string;
    index_bytes: string;
    live: string | null;
    dead: string | null;
  }>(
    `SELECT root.relname AS family,
            sum(pg_table_size(c.oid)) AS table_bytes, sum(pg_indexes_size(c.oid)) AS index_bytes,
            sum(s.n_live_tup) AS live, sum(s.n_dead_tup) AS dead
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     -- Partitions (of partitions) counted under the table they belong to.
     JOIN pg_class root ON root.oid = coalesce(pg_partition_root(c.oid), c.oid)
     LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
     WHERE n.nspname = $1 AND c.relkind = 'r'
     GROUP BY 1`,
    [store.schema],
  );
  const rows = await store.pool.query<{ n: string }>('SELECT count(*) AS n FROM recent_events');
  const tables: Record<string, TableSize> = {};
  let bytes = 0;
  for (const row of sizes.rows) {
    bytes += Number(row.table_bytes) + Number(row.index_bytes);
    tables[row.family] = {
      tableMb: Math.round(Number(row.table_bytes) / 1e6),
      indexesMb: Math.round(Number(row.index_bytes) / 1e6),
      liveRows: Number(row.live ?? 0),
      deadRows: Number(row.dead ?? 0),
    };
  }
  return { bytes, rawEvents: Number(rows.rows[0]!.n), tables };
}

/** The tables that changed size over the run: MB (heap + indexes) at the first sample, the largest, the last. */
function storageByTable(storage: StorageSample[]): string {
  const mb = (size: TableSize | undefined) => (size ? size.tableMb + size.indexesMb : 0);
  const first = storage[0]!;
  const last = storage.at(-1)!;
  return Object.keys(last.tables)
    .sort()
    .map((name) => {
      const max = Math.max(...storage.map((s) => mb(s.tables[name])));
      const end = last.tables[name]!;
      return (
        `${name}: ${mb(first.tables[name])} → max ${max} → end ${mb(end)} MB ` +
        `(end: heap ${end.tableMb}, indexes ${end.indexesMb}, live ${end.liveRows}, dead ${end.deadRows})`
      );
    })
    .join('\n');
}

function eventSink(store: SqlStore): PullModelEventSink {
  return new PullModelEventSink(store, {
    partitionMinutes: Number(values['partition-minutes']),
    rawRetentionMs: Number(values['raw-retention-minutes']) * 60_000,
    rollupRetentionMs: Number(values['rollup-retention-minutes']) * 60_000,
    rollupPartitionMinutes: Number(values['rollup-partition-minutes']),
  });
}

interface IngestReport {
  written: number;
  /** The handed-to-sink → committed histogram, compressed. */
  queryable: string;
  /** How long each maintenance (partitions, retention, vacuum) took, ms. */
  maintenanceMs: number[];
}

/**
 * The ingest child: the simulator at a fixed rate in real time into the event sink, each tick's batch
 * committed before the next is written, partitions maintained every 30 s as the event-ingestor does. It
 * stops on the parent's `stop` message and answers with what it wrote.
 */
async function ingestInto(schema: string): Promise<void> {
  const store = new SqlStore({ connectionString: values.database, schema });
  const events = eventSink(store);
  const simulator = new MarketplaceSimulator({
    seed: 5,
    eventsPerSecond: rate,
    targetLiveStreams: Math.min(streams, 5_000),
    startTime: Date.now(),
  });
  // The simulator's streams are not the 10k docs the lambdas join against (its ids are its own): each
  // stream it starts takes the next doc's id, so its rollups land on a live doc, as they do when the
  // ingestor writes both.
  const docIds = (
    await store.pool.query<{ livestream_id: string }>(
      `SELECT livestream_id FROM livestreams WHERE status = 'live' ORDER BY livestream_id`,
    )
  ).rows.map((row) => row.livestream_id);
  if (docIds.length === 0) throw new Error('the ingest child found no live docs to write events for');
  const docIdOf = new Map<string, string>();
  const onDocs = (event: MarketplaceEvent): MarketplaceEvent => {
    if (!('livestreamId' in event)) return event;
    let docId = docIdOf.get(event.livestreamId);
    if (docId === undefined) docIdOf.set(event.livestreamId, (docId = docIds[docIdOf.size % docIds.length]!));
    return { ...event, livestreamId: docId };
  };
  const queryable = latencyHistogram();
  let written = 0;
  const abort = new AbortController();
  process.once('message', () => abort.abort());
  const maintenanceMs: number[] = [];
  const maintenance = setInterval(() => {
    const started = performance.now();
    void events.maintain().then(() => maintenanceMs.push(Math.round(performance.now() - started)));
  }, 30_000);
  await runSimulatorInRealTime({
    simulator,
    signal: abort.signal,
    emit: async (items) => {
      const batch = items.flatMap((item) => (item.kind === 'event' ? [onDocs(item.event)] : []));
      const handedAt = performance.now();
      await events.write(batch);
      // Committed is queryable: every lambda reads committed rows.
      queryable.recordValue(Math.max(1, Math.round((performance.now() - handedAt) * 1000)));
      written += batch.length;
    },
  });
  clearInterval(maintenance);
  const report: IngestReport = { written, queryable: encodeIntoCompressedBase64(queryable), maintenanceMs };
  process.send!(report, () => void store.close().then(() => process.exit(0)));
}

function startIngestChild(schema: string): {
  stop(): Promise<{ written: number; queryable: Histogram; maintenanceMs: number[] }>;
} {
  const child = fork(process.argv[1]!, [...process.argv.slice(2), '--ingest-into-schema', schema], {
    stdio: 'inherit',
  });
  const reported = new Promise<IngestReport>((resolve, reject) => {
    child.once('message', (report) => resolve(report as IngestReport));
    child.once('exit', (code) => reject(new Error(`the ingest child exited (${code}) before reporting`)));
  });
  return {
    async stop() {
      child.send('stop');
      const report = await reported;
      return {
        written: report.written,
        queryable: decodeFromCompressedBase64(report.queryable),
        maintenanceMs: report.maintenanceMs,
      };
    },
  };
}

async function main(): Promise<void> {
  const store = new SqlStore({
    connectionString: values.database,
    schema: `crest_bench_${randomUUID().slice(0, 8)}`,
  });
  await store.migrate();
  await eventSink(store).maintain();
  try {
    console.log(`building ${streams} live stream docs…`);
    const data = simulatedRetrievalData({ liveStreams: streams, users: 50 });
    const docs = new SqlDocSink(store);
    for (let i = 0; i < data.docs.length; i += 1_000)
      await docs.write({ upserts: data.docs.slice(i, i + 1_000), deletions: [] });
    // 60 minutes of rollups, or the retention if shorter: older minutes would land in the default partition
    // (the sink creates partitions back to the retention cutoff only) and be deleted at its first maintenance.
    const rollupMinutes = Math.min(60, Number(values['rollup-retention-minutes']));
    console.log(`filling ${rollupMinutes} minutes of minute rollups…`);
    // Giveaway entries on one stream in 20, as the ingest below produces them (~300 of its 5,000 streams
    // have entries in any 2 minutes). On every stream, the minute before the run described a marketplace
    // of ~10k events/s, twice the rate under test, and trending@2 (which sums the last 2 minutes' entries)
    // read all 10k streams until that minute left its window: p50 67 ms for the run's first seconds.
    await store.pool.query(
      `INSERT INTO engagement_minutes (livestream_id, minute, action, events, distinct_users, amount_minor)
       SELECT l.livestream_id, date_trunc('minute', now()) - make_interval(mins => m), a,
              1 + (random() * 30)::int, 1 + (random() * 10)::int, 0
       FROM livestreams l, generate_series(1, $1::int) AS m,
            unnest(ARRAY['chat.sent', 'bid.placed', 'giveaway.entered', 'viewer.joined']) AS a
       WHERE a <> 'giveaway.entered' OR abs(hashtext(l.livestream_id)) % 20 = 0`,
      [rollupMinutes],
    );
    // What autovacuum would do shortly after such a load: statistics for the planner.
    await store.pool.query('ANALYZE livestreams');
    await store.pool.query('ANALYZE engagement_minutes');
    const filled = await storageBytes(store);
    console.log(`store: ${(filled.bytes / 1e6).toFixed(0)} MB before ingest`);

    const ingestStarted = performance.now();
    const ingest = startIngestChild(store.schema);
    // Query every lambda in turn while the ingest runs.
    const retriever = new SqlRetriever(store);
    const byLambda = new Map<string, ReturnType<typeof latencyHistogram>>();
    const queries = [
      ...data.requests.map((request) => ({ name: request.strategy, request })),
      ...data.requests
        .filter((request) => request.strategy === 'trending')
        .map((request) => ({ name: 'trending@2', request: { ...request, lambdaVersion: 2 } })),
    ];
    const storage: StorageSample[] = [];
    const until = Date.now() + minutes * 60_000;
    let nextSample = 0;
    for (let i = 0; Date.now() < until; i++) {
      const { name, request } = queries[i % queries.length]!;
      const t0 = performance.now();
      await retriever.retrieve({ ...request, now: Date.now() });
      let histogram = byLambda.get(name);
      if (!histogram) byLambda.set(name, (histogram = latencyHistogram()));
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      if (Date.now() >= nextSample) {
        nextSample = Date.now() + 10_000;
        storage.push({
          atMinute: (performance.now() - ingestStarted) / 60_000,
          ...(await storageBytes(store)),
        });
      }
    }
    const { written, queryable, maintenanceMs } = await ingest.stop();
    const seconds = (performance.now() - ingestStarted) / 1000;

    const rows: BenchRow[] = [...byLambda].map(([name, histogram]) => ({
      name: `lambda ${name}`,
      items: histogram.totalCount,
      seconds,
      throughputPerSecond: histogram.totalCount / seconds,
      latencyUs: percentiles(histogram, 'one lambda, during ingest'),
    }));
    rows.push({
      name: `ingest @${rate}/s: handed to sink → committed`,
      items: written,
      seconds,
      throughputPerSecond: written / seconds,
      latencyUs: percentiles(queryable, 'batch of one 100 ms tick'),
    });
    rows.push({
      name: 'sink maintenance every 30 s',
      items: maintenanceMs.length,
      seconds,
      throughputPerSecond: 0,
      notes: `took ${maintenanceMs.join(', ')} ms`,
    });
    const maxBytes = Math.max(...storage.map((s) => s.bytes));
    const last = storage.at(-1)!;
    rows.push({
      name: 'storage (all tables)',
      items: last.rawEvents,
      seconds,
      throughputPerSecond: 0,
      notes:
        `${(filled.bytes / 1e6).toFixed(0)} MB before ingest, max ${(maxBytes / 1e6).toFixed(0)} MB, ` +
        `end ${(last.bytes / 1e6).toFixed(0)} MB; raw events at end ${last.rawEvents}`,
    });
    console.log('storage over the run (minute: MB, raw events):');
    console.log(
      storage
        .map((s) => `${s.atMinute.toFixed(1)}: ${(s.bytes / 1e6).toFixed(0)} MB, ${s.rawEvents}`)
        .join('\n'),
    );
    console.log('storage by table over the run:');
    console.log(storageByTable(storage));
    report(
      'pull-model',
      {
        minutes,
        rate,
        streams,
        partitionMinutes: values['partition-minutes'],
        rawRetentionMinutes: values['raw-retention-minutes'],
        rollupRetentionMinutes: values['rollup-retention-minutes'],
        rollupPartitionMinutes: values['rollup-partition-minutes'],
        storage,
      },
      rows,
    );
  } finally {
    await store.dropSchema();
    await store.close();
  }
  process.exit(0);
}

if (values['ingest-into-schema']) void ingestInto(values['ingest-into-schema']);
else void main();
