/**
 * Ingest speed. In-process: decode + validate + aggregate (+ doc building every 250 ms of work) on one
 * core. Through real Kafka (when KAFKA_BROKERS or 127.0.0.1:9092 answers): sustained throughput with the
 * state-topic sink, and freshness at a fixed 5,000 events/s from occurredAt to state-topic acknowledgement
 * and to Elasticsearch acknowledgement.
 *   npx tsx tools/bench/ingest.bench.ts [--events 200000] [--skip-kafka]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { decodeEvent, encodeEvent, type MarketplaceEvent } from '@crest/event-schemas';
import { type EventBus, KafkaEventBus, toMessage } from '@crest/messaging';
import {
  ElasticsearchDocSink,
  LivestreamDocEmitter,
  type LivestreamDocSink,
  type RebuildReport,
  SignalPipeline,
  startIngest,
  StateTopicDocSink,
} from '@crest/signals';
import { MarketplaceSimulator } from '@crest/testing';
import { Client } from '@elastic/elasticsearch';

import { type BenchRow, latencyHistogram, percentiles, report } from './bench-report';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'skip-kafka': { type: 'boolean', default: false },
  },
});
const total = Number(values.events);
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';

function simulated(count: number, seed: number): MarketplaceEvent[] {
  const simulator = new MarketplaceSimulator({ seed, eventsPerSecond: 20_000, targetLiveStreams: 500 });
  const events: MarketplaceEvent[] = [];
  while (events.length < count) {
    for (const item of simulator.advance(1_000)) if (item.kind === 'event') events.push(item.event);
  }
  return events.slice(0, count);
}

function inProcess(events: MarketplaceEvent[]): BenchRow {
  const encoded = events.map((e) => encodeEvent(e));
  const pipeline = new SignalPipeline({ allowedLatenessMs: 24 * 3_600_000 });
  const perBatch = latencyHistogram();
  const now = Date.now() + 3_600_000;
  const started = process.hrtime.bigint();
  let lastEmit = performance.now();
  let lastUserSignals = performance.now();
  let docs = 0;
  for (let i = 0; i < encoded.length; i += 500) {
    const t0 = process.hrtime.bigint();
    const batch: MarketplaceEvent[] = [];
    for (const bytes of encoded.slice(i, i + 500)) {
      const result = decodeEvent(bytes, { now });
      if (result.ok) batch.push(result.event);
    }
    pipeline.ingest(batch);
    // As the emitter does: docs every 250 ms, user signal shares every second.
    if (performance.now() - lastEmit >= 250) {
      const withUserSignals = performance.now() - lastUserSignals >= 1_000;
      if (withUserSignals) lastUserSignals = performance.now();
      docs += pipeline.takeChanges(withUserSignals).upserts.length;
      lastEmit = performance.now();
    }
    perBatch.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
  }
  docs += pipeline.takeChanges().upserts.length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    name: 'in-process: decode + validate + aggregate',
    items: encoded.length,
    seconds,
    throughputPerSecond: encoded.length / seconds,
    latencyUs: percentiles(perBatch, 'one batch of 500 events'),
    notes: `${docs} docs built; one core`,
  };
}

function kafkaAnswers(): boolean {
  try {
    execFileSync(process.execPath, [join(__dirname, '../infra/kafka-ready.mjs'), brokers.join(','), '5'], {
      stdio: 'pipe',
    });
    return true;
  } catch {
    return false;
  }
}

async function elasticsearchAnswers(client: Client): Promise<boolean> {
  try {
    return ['green', 'yellow'].includes((await client.cluster.health()).status);
  } catch {
    return false;
  }
}

async function throughKafka(events: MarketplaceEvent[]): Promise<BenchRow> {
  const producer = new KafkaEventBus({ brokers, clientId: 'bench-producer', createTopics: true });
  await producer.publish(events.map(toMessage));
  const bus = new KafkaEventBus({ brokers, clientId: 'bench-ingest', createTopics: true });
  const pipeline = new SignalPipeline({ allowedLatenessMs: 24 * 3_600_000 });
  const sink = new StateTopicDocSink(bus, `bench.livestream-state.${Date.now()}`);
  await sink.ensureTopic();
  const emitter = new LivestreamDocEmitter(pipeline, [sink]);
  let durable = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = process.hrtime.bigint();
  const subscription = await startIngest({
    bus,
    pipeline,
    emitter,
    groupId: `bench-${Date.now()}`,
    fromBeginning: true,
    maxBatchSize: 5_000,
    onDurable: (batch) => {
      durable += batch.length;
      if (durable >= events.length) done();
    },
  });
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await emitter.stop();
  await subscription.close();
  await Promise.all([bus.close(), producer.close()]);
  return {
    name: 'Kafka: consume -> pipeline -> state topic (acked)',
    items: events.length,
    seconds,
    throughputPerSecond: events.length / seconds,
    notes: 'events already in the topics; includes the consumer group join',
  };
}

async function freshness(
  sinks: (bus: EventBus) => Promise<LivestreamDocSink[]>,
  name: string,
): Promise<BenchRow[]> {
  const rate = 5_000;
  const runSeconds = 20;
  const producer = new KafkaEventBus({ brokers, clientId: 'bench-fresh-producer', createTopics: true });
  const bus = new KafkaEventBus({ brokers, clientId: 'bench-fresh-ingest', createTopics: true });
  const pipeline = new SignalPipeline();
  const emitter = new LivestreamDocEmitter(pipeline, await sinks(bus));
  const histogram = latencyHistogram();
  let observed = 0;
  let rebuilt!: (report: RebuildReport) => void;
  const rebuild = new Promise<RebuildReport>((resolve) => (rebuilt = resolve));
  const subscription = await startIngest({
    bus,
    pipeline,
    emitter,
    groupId: `bench-fresh-${Date.now()}`,
    onRebuilt: rebuilt,
    onDurable: (batch, at) => {
      for (const event of batch)
        histogram.recordValue(Math.max(1, (at - Date.parse(event.occurredAt)) * 1000));
      observed += batch.length;
    },
  });
  // A new member first replays the retained hour of every partition (see rebuildGainedState); freshness
  // is measured once it is live, and the rebuild reported on its own row.
  const rebuildReport = await rebuild;
  const simulator = new MarketplaceSimulator({ seed: 99, eventsPerSecond: rate, startTime: Date.now() });
  let last = Date.now();
  const end = last + runSeconds * 1000;
  let produced = 0;
  // Fixed arrival rate: every 20 ms, publish what the simulator says happened since the last tick.
  while (Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = Date.now();
    const items = simulator.advance(now - last);
    last = now;
    const messages = items.flatMap((item) => (item.kind === 'event' ? [toMessage(item.event)] : []));
    produced += messages.length;
    await producer.publish(messages);
  }
  const deadline = Date.now() + 30_000;
  while (observed < produced && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await emitter.stop();
  await subscription.close();
  await Promise.all([bus.close(), producer.close()]);
  return [
    {
      name,
      items: observed,
      seconds: runSeconds,
      throughputPerSecond: observed / runSeconds,
      latencyUs: percentiles(histogram, 'occurredAt -> every sink acknowledged'),
      notes: `${rate} events/s offered for ${runSeconds} s; ${produced - observed} not acknowledged in time`,
    },
    {
      name: 'rebuild on join: state topics + replay of the hour',
      items: rebuildReport.replayedEvents,
      seconds: rebuildReport.durationMs / 1000,
      throughputPerSecond: rebuildReport.replayedEvents / Math.max(0.001, rebuildReport.durationMs / 1000),
      notes: `${rebuildReport.partitions.length} partitions, ${rebuildReport.restoredDocs} docs restored`,
    },
  ];
}

async function main(): Promise<void> {
  const events = simulated(total, 5);
  const rows: BenchRow[] = [inProcess(events)];
  if (values['skip-kafka'] || !kafkaAnswers()) {
    console.log(
      `Kafka at ${brokers.join(',')} not reachable (or --skip-kafka): skipping the Kafka rows. Start it with npm run infra:start.`,
    );
  } else {
    rows.push(await throughKafka(events.slice(0, Math.min(total, 200_000))));
    rows.push(
      ...(await freshness(async (bus) => {
        const sink = new StateTopicDocSink(bus, `bench.fresh-state.${Date.now()}`);
        await sink.ensureTopic();
        return [sink];
      }, 'freshness: produce -> state topic ack @5k/s')),
    );
    const es = new Client({ node: elasticsearchUrl });
    if (await elasticsearchAnswers(es)) {
      rows.push(
        ...(await freshness(async (bus) => {
          const state = new StateTopicDocSink(bus, `bench.fresh-state-es.${Date.now()}`);
          await state.ensureTopic();
          const index = new ElasticsearchDocSink(es, {
            alias: `bench-livestreams-${Date.now()}`,
            refreshInterval: '200ms',
          });
          await index.ensureIndex();
          return [state, index];
        }, 'freshness: produce -> state topic + ES ack @5k/s')),
      );
    }
    await es.close();
  }
  report('ingest', { events: total, brokers: brokers.join(',') }, rows);
  process.exit(0);
}

void main();
