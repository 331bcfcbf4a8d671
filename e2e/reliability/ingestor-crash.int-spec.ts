import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { KafkaEventBus, type OutgoingMessage } from '@crest/messaging';
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

const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const MAIN = join(__dirname, '../../../../dist/apps/event-ingestor/main.js');
const LATENESS_MS = 3_600_000;

/**
 * The built ingestor as a real process, killed with SIGKILL (no shutdown hook, no final commit) while
 * events flow, then started again. Its Elasticsearch docs must end equal to those of an uninterrupted
 * ingestor (an in-test one, its own group and state topic) over the same log.
 */
describe('event-ingestor killed with SIGKILL on real Kafka and Elasticsearch', () => {
  const id = randomUUID().slice(0, 8);
  const alias = `crest-int-crash-${id}`;
  const group = `ingest-crash-${id}`;
  const es = new Client({ node: elasticsearchUrl });
  const bus = new KafkaEventBus({
    brokers: brokers.split(','),
    clientId: 'crash-int-test',
    createTopics: true,
  });
  let child: { process: ChildProcess; output: string[]; exited: Promise<unknown> } | undefined;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx nx build event-ingestor\` first`);
  });

  afterAll(async () => {
    child?.process.kill('SIGKILL');
    await child?.exited;
    await bus.close();
    await es.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await es.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
    await es.close();
  });

  async function startChild(port: number) {
    const output: string[] = [];
    const processHandle = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(port),
        KAFKA_BROKERS: brokers,
        ELASTICSEARCH_URL: elasticsearchUrl,
        ELASTICSEARCH_INDEX_ALIAS: alias,
        INGEST_GROUP_ID: group,
        EMIT_INTERVAL_MS: '100',
        ALLOWED_LATENESS_MS: String(LATENESS_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processHandle.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    processHandle.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise((resolve) => processHandle.once('exit', resolve));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (processHandle.exitCode !== null) throw new Error(`ingestor exited:\n${output.join('')}`);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`ingestor not ready in 60 s:\n${output.join('')}`);
      await sleep(200);
    }
    return { process: processHandle, output, exited };
  }

  /** This run's docs as Elasticsearch holds them. */
  async function indexedDocs(streamIds: string[]): Promise<Map<string, LivestreamDoc>> {
    await es.indices.refresh({ index: alias }).catch(() => undefined);
    const result = await es
      .search<LivestreamDoc>({ index: alias, size: 10_000, query: { ids: { values: streamIds } } })
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

  async function metric(port: number, pattern: RegExp): Promise<number> {
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    return Number(pattern.exec(metrics)?.[1] ?? 0);
  }
  /** Events the restarted ingestor received again although its restored docs held them. */
  const redelivered = (port: number) => metric(port, /^crest_ingest_redelivered_total (\d+)$/m);
  /** Rebuilds done (the first one replays the retained hour of every partition, which takes a while). */
  const rebuilds = (port: number) => metric(port, /^crest_ingest_rebuild_seconds_count (\d+)$/m);

  it('resumes after each kill and ends with the docs of an uninterrupted run', async () => {
    const simulator = new MarketplaceSimulator({
      seed: randomInt(1, 2 ** 31), // stream ids of their own, whatever earlier runs left on the topics
      eventsPerSecond: 200,
      targetLiveStreams: 20,
      malformedRate: 0.01,
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

    const port = await freePort();
    child = await startChild(port);
    // A simulated second every 200 ms, until at least a minute went out and a kill fell where it should.
    let enough = false;
    let seconds = 0;
    const publishing = (async () => {
      while ((!enough || seconds < 60) && seconds < 240) {
        const second = simulator.advance(1_000).map(encodeSimulatedItem);
        await bus.publish(second);
        published.push(...second);
        seconds++;
        await sleep(200);
      }
    })();

    const started = Date.now();
    const phase = (what: string) => process.stdout.write(`crash test +${Date.now() - started} ms: ${what}\n`);
    let kills = 0;
    let killsBetweenWriteAndCommit = 0;
    try {
      // A kill at a random moment while events flow; it fell between sink write and commit when the
      // restarted ingestor gets events again that the docs it restored already hold.
      while (kills < 5 && killsBetweenWriteAndCommit < 1) {
        await sleep(1_000 + randomInt(2_000));
        if ((await indexedDocs(streamIds())).size === 0) continue;
        child.process.kill('SIGKILL');
        await child.exited;
        kills++;
        phase(`killed after ${seconds} simulated seconds`);
        child = await startChild(port);
        const rebuilt = Date.now() + 90_000;
        while ((await rebuilds(port)) === 0 && Date.now() < rebuilt) await sleep(250);
        const deadline = Date.now() + 5_000;
        while ((await redelivered(port)) === 0 && Date.now() < deadline) await sleep(250);
        const again = await redelivered(port);
        if (again > 0) killsBetweenWriteAndCommit++;
        phase(`restarted; ${again} events delivered again that the restored docs held`);
      }
      enough = true;
      await publishing;
      phase('all published');

      const ids = streamIds();
      const expected = () =>
        new Map(
          reference
            .all()
            .filter((doc) => ids.includes(doc.livestreamId))
            .map((d) => [d.livestreamId, d]),
        );
      let actual = new Map<string, LivestreamDoc>();
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline) {
        actual = await indexedDocs(ids);
        const same = isDeepStrictEqual(asJson(sorted(actual)), asJson(sorted(expected())));
        if (actual.size === ids.length && same) break;
        await sleep(1_000);
      }

      process.stdout.write(
        `crash test: ${kills} kills (${killsBetweenWriteAndCommit} between sink write and commit), ` +
          `${ids.length} streams, ${published.length} messages\n`,
      );
      phase('converged');
      expect(kills).toBeGreaterThan(0);
      expect(killsBetweenWriteAndCommit).toBeGreaterThan(0);
      expect(sorted(actual)).toEqual(sorted(expected()));
    } catch (error) {
      process.stderr.write(`ingestor output:\n${child.output.join('').slice(-5_000)}\n`);
      throw error;
    } finally {
      await referenceEmitter.stop();
      await referenceRun.close();
    }
  }, 600_000);
});

function sorted(docs: Map<string, LivestreamDoc>): LivestreamDoc[] {
  return [...docs.values()].sort((a, b) => a.livestreamId.localeCompare(b.livestreamId));
}

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
