import { randomInt, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { MARKETPLACE_TOPICS } from '@crest/event-schemas';
import { KafkaEventBus, type OutgoingMessage, waitForCatchUp } from '@crest/messaging';
import { LivestreamIndex, StateTopicReplica, toRetrievedDoc } from '@crest/retrieval';
import {
  type LivestreamDoc,
  LivestreamDocEmitter,
  MemoryDocSink,
  SignalPipeline,
  startIngest,
  StateTopicDocSink,
} from '@crest/signals';
import { encodeSimulatedItem, MarketplaceSimulator } from '@crest/testing';
import { Client } from '@elastic/elasticsearch';

import { AppProcess, eventually } from '../app-process';
import { latestStateDocs } from './state-topic';

const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const PORT = 29_741;
const KILLS = Number(process.env['CRASH_TEST_KILLS'] ?? 20);
// Partitions catch up unevenly after each restart, and other suites' events on these topics may be minutes
// newer than these: no event may count as late, or which ones were dropped would depend on the kills.
const LATENESS_MS = 3_600_000;

/**
 * The built ingestor as a real process, killed with SIGKILL (no shutdown hook, no final commit) at random
 * moments while the simulator's events flow through real Kafka, and started again each time. What it
 * produced must end equal to what an uninterrupted ingestor (in this test, its own group and state topic)
 * produced from the same log, in all three places it reaches: Elasticsearch, the compacted state topic, and
 * a memory replica fed from that topic (what feed-api serves from).
 */
describe('event-ingestor killed with SIGKILL on real Kafka and Elasticsearch', () => {
  const id = randomUUID().slice(0, 8);
  const alias = `crest-int-crash-${id}`;
  const es = new Client({ node: elasticsearchUrl });
  const bus = new KafkaEventBus({
    brokers: brokers.split(','),
    clientId: 'crash-int-test',
    createTopics: true,
  });
  let ingestor: AppProcess | undefined;

  afterAll(async () => {
    await ingestor?.kill();
    await bus.close();
    await es.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await es.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
    await es.close();
  });

  /** Starts the ingestor and waits until it has rebuilt its partitions' state (it consumes after that). */
  async function startIngestor(): Promise<AppProcess> {
    const started = await AppProcess.start('event-ingestor', PORT, {
      KAFKA_BROKERS: brokers,
      ELASTICSEARCH_URL: elasticsearchUrl,
      ELASTICSEARCH_INDEX_ALIAS: alias,
      INGEST_GROUP_ID: `ingest-crash-${id}`,
      EMIT_INTERVAL_MS: '100',
      ALLOWED_LATENESS_MS: String(LATENESS_MS),
      // The broker's minimum: the dead member's partitions move to the restarted one that much sooner.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    try {
      await eventually('the restarted ingestor to finish its rebuild', () => rebuilt(started), 120_000, 200);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${started.log.slice(-5_000)}`);
    }
    return started;
  }

  const rebuilt = async (app: AppProcess) =>
    (await app.metric(/^crest_ingest_rebuild_seconds_count (\d+)$/m)) > 0 ? true : undefined;
  /** Events the ingestor received again although the docs it restored already held them. */
  const redelivered = (app: AppProcess) => app.metric(/^crest_ingest_redelivered_total (\d+)$/m);

  /** This run's docs as Elasticsearch holds them. */
  async function indexedDocs(streamIds: readonly string[]): Promise<Map<string, LivestreamDoc>> {
    await es.indices.refresh({ index: alias }).catch(() => undefined);
    const result = await es
      .search<LivestreamDoc>({ index: alias, size: 10_000, query: { ids: { values: [...streamIds] } } })
      .catch(() => undefined);
    // The ES sink leaves out a null embedding (dense_vector refuses null).
    const docs = (result?.hits.hits ?? []).map((hit) => hit._source!);
    return new Map(
      docs.map((doc) => [
        doc.livestreamId,
        { ...doc, seller: { ...doc.seller, embedding: doc.seller.embedding ?? null } },
      ]),
    );
  }

  it(`resumes after each of ${KILLS} kills and ends with the docs of an uninterrupted run`, async () => {
    const simulator = new MarketplaceSimulator({
      seed: randomInt(1, 2 ** 31), // stream ids of their own, whatever earlier runs left on the topics
      // Busy enough that most kills fall while a written batch awaits its commit (2 of 20 did at 150/s).
      eventsPerSecond: 400,
      targetLiveStreams: 20,
      malformedRate: 0.01,
      // On the wall clock: other suites leave real-time events on these topics, and the watermark they set
      // would make events of a virtual past all late (the CI failure of the first version of this test).
      startTime: Date.now(),
    });
    const published: OutgoingMessage[] = [];
    const streamIds = () => [
      ...new Set(published.flatMap((m) => (m.topic === 'marketplace.livestream.v1' && m.key ? [m.key] : []))),
    ];

    const reference = new MemoryDocSink();
    const referenceState = `crest-int-crash-reference-${id}`;
    const referencePipeline = new SignalPipeline({ allowedLatenessMs: LATENESS_MS });
    const referenceEmitter = new LivestreamDocEmitter(
      referencePipeline,
      [reference, new StateTopicDocSink(bus, referenceState)],
      { emitIntervalMs: 100 },
    );
    await new StateTopicDocSink(bus, referenceState).ensureTopic();
    const referenceRun = await startIngest({
      bus,
      pipeline: referencePipeline,
      emitter: referenceEmitter,
      groupId: `ingest-crash-reference-${id}`,
      stateTopic: referenceState,
      fromBeginning: true,
    });

    ingestor = await startIngestor();
    // Whatever earlier suites left on the topics goes through first, so the kills fall among this run's events.
    await eventually(
      'the ingestor to catch up with the topics',
      () => ingestor!.ingestCaughtUp(),
      300_000,
      500,
    );
    // A simulated second every second for as long as the kills go on: every kill falls while events flow.
    let killing = true;
    let seconds = 0;
    const publishingSince = Date.now();
    const publishing = (async () => {
      while (killing || seconds < 30) {
        const second = simulator.advance(1_000).map(encodeSimulatedItem);
        await bus.publish(second);
        published.push(...second);
        seconds++;
        await sleep(publishingSince + seconds * 1_000 - Date.now());
      }
    })();

    const started = Date.now();
    const phase = (what: string) => process.stdout.write(`crash test +${Date.now() - started} ms: ${what}\n`);
    const restartsMs: number[] = [];
    let killsBetweenWriteAndCommit = 0;
    try {
      await eventually(
        'the first docs in Elasticsearch',
        async () => ((await indexedDocs(streamIds())).size > 0 ? true : undefined),
        120_000,
        250,
      );
      for (let kill = 1; kill <= KILLS; kill++) {
        await sleep(500 + randomInt(2_500));
        // The kill fell between a sink write and its commit when the restarted ingestor got events again
        // that the docs it restored already held; read now, since the count is per process.
        if ((await redelivered(ingestor)) > 0) killsBetweenWriteAndCommit++;
        await ingestor.kill();
        const killedAt = Date.now();
        ingestor = await startIngestor();
        restartsMs.push(Date.now() - killedAt);
        phase(`kill ${kill} after ${seconds} simulated seconds; resumed in ${restartsMs.at(-1)} ms`);
      }
      await sleep(1_000);
      if ((await redelivered(ingestor)) > 0) killsBetweenWriteAndCommit++;
      killing = false;
      await publishing;
      phase(`all ${published.length} messages published`);

      const ids = streamIds();
      const expected = () =>
        new Map(
          reference.all().flatMap((doc) => (ids.includes(doc.livestreamId) ? [[doc.livestreamId, doc]] : [])),
        );
      const same = (actual: Map<string, LivestreamDoc>) =>
        isDeepStrictEqual(asJson(sorted(actual)), asJson(sorted(expected())));
      // Both runs must have consumed the whole log before their docs are compared: matching while the last
      // second's events were still arriving compared two intermediate states, and the state topic, read
      // next, was then a tick behind the reference (a CI failure). After that, only the sinks may lag.
      await waitForCatchUp(bus, `ingest-crash-reference-${id}`, MARKETPLACE_TOPICS, { timeoutMs: 180_000 });
      await eventually(
        'the ingestor to consume the whole log',
        () => ingestor!.ingestCaughtUp(),
        180_000,
        500,
      );
      // What feed-api would serve: a replica of the ingestor's state topic, read from its start.
      const replicaIndex = new LivestreamIndex();
      const replica = new StateTopicReplica(bus, replicaIndex);
      await replica.start();
      try {
        await replica.caughtUp(60_000);
        const replicated = () =>
          [...ids]
            .sort((a, b) => a.localeCompare(b))
            .flatMap((streamId) => {
              const doc = replicaIndex.get(streamId);
              return doc ? [asJson(doc)] : [];
            });
        const expectedReplica = () => sorted(expected()).map((doc) => asJson(toRetrievedDoc(doc)));
        // Docs are re-emitted at the watermark every few seconds (windows move with time alone), each run on
        // its own timer: the three places are compared with the reference at one moment, until they agree.
        let indexed = new Map<string, LivestreamDoc>();
        let stateDocs = new Map<string, LivestreamDoc>();
        const deadline = Date.now() + 180_000;
        while (Date.now() < deadline) {
          indexed = await indexedDocs(ids);
          stateDocs = await latestStateDocs(bus, ids);
          if (same(indexed) && same(stateDocs) && isDeepStrictEqual(replicated(), expectedReplica())) break;
          await sleep(1_000);
        }
        const ingestorWatermark = (await fetch(`${ingestor.url}/metrics`).then((r) => r.text())).match(
          /^crest_ingest_watermark_seconds (\S+)$/m,
        )?.[1];
        phase(
          `converged: Elasticsearch, state topic, replica (watermarks: reference ` +
            `${new Date(referencePipeline.watermark).toISOString()}, ingestor ` +
            `${ingestorWatermark ? new Date(Number(ingestorWatermark) * 1000).toISOString() : 'unknown'})`,
        );

        process.stdout.write(
          `crash test: ${KILLS} kills (${killsBetweenWriteAndCommit} between sink write and commit), ` +
            `restart to resumed p50 ${percentile(restartsMs, 0.5)} ms, max ${Math.max(...restartsMs)} ms; ` +
            `${ids.length} streams, ${published.length} messages, ${seconds} simulated seconds\n`,
        );
        expect(killsBetweenWriteAndCommit).toBeGreaterThan(0);
        expect(sorted(indexed)).toEqual(sorted(expected()));
        expect(sorted(stateDocs)).toEqual(sorted(expected()));
        expect(replicated()).toEqual(expectedReplica());
        expect(replica.stats.deadLettered).toBe(0);
      } finally {
        await replica.stop();
      }
    } catch (error) {
      process.stderr.write(`ingestor output:\n${ingestor.log.slice(-5_000)}\n`);
      throw error;
    } finally {
      killing = false;
      await publishing;
      await referenceEmitter.stop();
      await referenceRun.close();
    }
  }, 900_000);
});

function sorted(docs: Map<string, LivestreamDoc>): LivestreamDoc[] {
  return [...docs.values()].sort((a, b) => a.livestreamId.localeCompare(b.livestreamId));
}

function percentile(values: readonly number[], q: number): number {
  const ordered = [...values].sort((a, b) => a - b);
  return ordered[Math.min(ordered.length - 1, Math.floor(q * ordered.length))] ?? 0;
}

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
