import { MARKETPLACE_TOPICS, USER_SIGNALS_TOPIC } from '@crest/event-schemas';
import { InProcessEventBus, type OutgoingMessage } from '@crest/messaging';
import { eventually } from '@crest/messaging/testing';
import { encodeSimulatedItem, MarketplaceSimulator } from '@crest/testing';

import { startIngest } from './ingest-runner';
import { type LivestreamDoc } from './livestream-doc';
import { LivestreamDocEmitter } from './livestream-doc-emitter';
import { type RebuildReport } from './rebuild-state';
import { type DocChanges, SignalPipeline } from './signal-pipeline';
import { type LivestreamDocSink } from './sinks/livestream-doc-sink.port';
import { MemoryDocSink } from './sinks/memory-doc.sink';
import { StateTopicDocSink } from './sinks/state-topic-doc.sink';

const GROUP = 'ingestor';
const REFERENCE = {
  group: 'reference',
  stateTopic: 'reference.livestream-state',
  userSignalsTopic: 'reference.user-signals',
};

/** Writes to the real sinks, then never acknowledges from the `crashAfter`-th write on: a process that died
 * after its sinks had the docs and before it could commit the offsets. */
class DiesAfterWriting implements LivestreamDocSink {
  readonly name = 'dies-after-writing';
  private writes = 0;
  died = false;

  constructor(
    private readonly sinks: readonly LivestreamDocSink[],
    private readonly crashAfter: number,
  ) {}

  async write(changes: DocChanges): Promise<void> {
    if (this.died) return new Promise(() => undefined);
    await Promise.all(this.sinks.map((sink) => sink.write(changes)));
    if (changes.upserts.length > 0 && ++this.writes >= this.crashAfter) {
      this.died = true;
      return new Promise(() => undefined);
    }
  }
}

function simulatedMessages(): OutgoingMessage[] {
  const simulator = new MarketplaceSimulator({
    seed: 404,
    eventsPerSecond: 250,
    targetLiveStreams: 25,
    malformedRate: 0.01,
  });
  const items = Array.from({ length: 60 }, () => simulator.advance(1_000)).flat();
  return items.map(encodeSimulatedItem);
}

function everythingCommitted(bus: InProcessEventBus, group = GROUP): () => boolean {
  return () =>
    MARKETPLACE_TOPICS.every((topic) =>
      Array.from({ length: bus.partitionsOf(topic) }, (_, p) => p).every(
        (p) => bus.committedOffset(group, topic, p) === bus.endOffset(topic, p),
      ),
    );
}

/**
 * The docs of an uninterrupted run over the same log, by a group of its own with a state topic of its
 * own (the same log matters: docs carry offsets, and null-keyed messages land on random partitions).
 */
async function uninterruptedRun(bus: InProcessEventBus): Promise<LivestreamDoc[]> {
  const docs = new MemoryDocSink();
  const sinks = [docs, new StateTopicDocSink(bus, REFERENCE.stateTopic, REFERENCE.userSignalsTopic)];
  const ingestor = await startIngestor(bus, sinks, [], REFERENCE);
  await eventually(everythingCommitted(bus, REFERENCE.group), 'the reference run', 30_000);
  await ingestor.finish();
  return docs.all();
}

async function startIngestor(
  bus: InProcessEventBus,
  sinks: LivestreamDocSink[],
  reports: RebuildReport[] = [],
  {
    group,
    stateTopic,
    userSignalsTopic,
  }: { group: string; stateTopic?: string; userSignalsTopic?: string } = { group: GROUP },
) {
  const pipeline = new SignalPipeline({ allowedLatenessMs: 10 * 60_000 });
  const emitter = new LivestreamDocEmitter(pipeline, sinks, { emitIntervalMs: 10 });
  const subscription = await startIngest({
    bus,
    pipeline,
    emitter,
    groupId: group,
    stateTopic,
    userSignalsTopic,
    fromBeginning: true,
    onRebuilt: (report) => reports.push(report),
  });
  return {
    pipeline,
    /** Emits every doc this member holds once more (windows read at the final watermark), then stops. */
    async finish() {
      pipeline.touchAll();
      await emitter.emit();
      await emitter.stop();
      await subscription.close();
    },
  };
}

/** Runs an ingestor until every message is committed, then emits every doc once more and stops. */
async function ingestToTheEnd(bus: InProcessEventBus, sinks: LivestreamDocSink[], reports: RebuildReport[]) {
  const ingestor = await startIngestor(bus, sinks, reports);
  await eventually(everythingCommitted(bus), 'every message committed', 30_000);
  await ingestor.finish();
  return ingestor.pipeline;
}

/**
 * The newest value of every key of a compacted topic. Decayed scores are rounded to 9 decimals: they are
 * sums in arrival order, which differs between runs in the last bit.
 */
async function latestByKey(bus: InProcessEventBus, topic: string): Promise<Map<string, unknown>> {
  const latest = new Map<string, unknown>();
  const reviver = (key: string, value: unknown) =>
    key === 'score' && typeof value === 'number' ? Math.round(value * 1e9) / 1e9 : value;
  const ranges = Array.from({ length: await bus.partitionCount(topic) }, (_, partition) => ({
    topic,
    partition,
  }));
  await bus.readRange(ranges, (messages) => {
    for (const m of messages)
      latest.set(m.key!, m.tombstone ? null : JSON.parse(m.value.toString(), reviver));
  });
  return new Map([...latest].sort(([a], [b]) => a.localeCompare(b)));
}

/** A bus holding the first `share` of the simulated log, and the sinks of the ingestors under test. */
async function partlyPublished(share: number) {
  const messages = simulatedMessages();
  const firstPart = messages.slice(0, Math.floor(messages.length * share));
  const bus = new InProcessEventBus({ defaultPartitions: 4 });
  const docs = new MemoryDocSink();
  const stateTopic = new StateTopicDocSink(bus);
  await stateTopic.ensureTopic(4);
  await bus.publish(firstPart);
  return { bus, docs, stateTopic, rest: messages.slice(firstPart.length) };
}

const byId = (docs: LivestreamDoc[]) =>
  [...docs].sort((a, b) => a.livestreamId.localeCompare(b.livestreamId));

describe('rebuilding state after a crash', () => {
  it('resumes from the state topic and a replay, and ends with the docs of an uninterrupted run', async () => {
    const { bus, docs, stateTopic, rest } = await partlyPublished(0.6);
    const dying = new DiesAfterWriting([docs, stateTopic], 3);
    const pipeline = new SignalPipeline({ allowedLatenessMs: 10 * 60_000 });
    const emitter = new LivestreamDocEmitter(pipeline, [dying], { emitIntervalMs: 10 });
    const crashed = await startIngest({ bus, pipeline, emitter, groupId: GROUP, fromBeginning: true });
    await eventually(() => dying.died, 'the crash', 30_000);
    const docsAtCrash = docs.size;
    void emitter.stop();
    await crashed.close(); // the group gives its partitions to the next member, as Kafka does after a session timeout
    expect(everythingCommitted(bus)()).toBe(false);

    await bus.publish(rest);
    const reports: RebuildReport[] = [];
    const restarted = await ingestToTheEnd(bus, [docs, stateTopic], reports);
    const uninterrupted = await uninterruptedRun(bus);

    expect(docsAtCrash).toBeGreaterThan(0);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.restoredDocs).toBeGreaterThan(0);
    expect(reports[0]!.replayedEvents).toBeGreaterThan(0);
    expect(reports[0]!.restoredUserSignals).toBeGreaterThan(0);
    // Events the dead ingestor had written but not committed came again, and counted once.
    expect(restarted.counters.redelivered).toBeGreaterThan(0);
    expect(byId(docs.all())).toEqual(byId(uninterrupted));
    expect(await latestByKey(bus, USER_SIGNALS_TOPIC)).toEqual(
      await latestByKey(bus, REFERENCE.userSignalsTopic),
    );
  }, 60_000);

  it('hands streams to a member that joins mid-run, which rebuilds them, with the same final docs', async () => {
    const { bus, docs, stateTopic, rest } = await partlyPublished(0.5);
    const first = await startIngestor(bus, [docs, stateTopic]);
    await eventually(everythingCommitted(bus), 'the first half committed', 30_000);
    const joinerReports: RebuildReport[] = [];
    const second = await startIngestor(bus, [docs, stateTopic], joinerReports);
    await bus.publish(rest);
    await eventually(everythingCommitted(bus), 'everything committed', 30_000);
    await Promise.all([first.finish(), second.finish()]);
    const uninterrupted = await uninterruptedRun(bus);

    expect(joinerReports).toHaveLength(1);
    expect(joinerReports[0]!.partitions).toHaveLength(MARKETPLACE_TOPICS.length * 2);
    expect(joinerReports[0]!.restoredDocs).toBeGreaterThan(0);
    // `asOf` is the watermark of the member that wrote the doc: the newest event time among its own
    // partitions, a few ms short of the single reference member's. Everything else must match.
    const withoutAsOf = (list: LivestreamDoc[]) => byId(list).map(({ asOf: _asOf, ...doc }) => doc);
    expect(withoutAsOf(docs.all())).toEqual(withoutAsOf(uninterrupted));
    expect(await latestByKey(bus, USER_SIGNALS_TOPIC)).toEqual(
      await latestByKey(bus, REFERENCE.userSignalsTopic),
    );
  }, 60_000);
});
