import { randomInt, randomUUID } from 'node:crypto';

import {
  deadLetterTopicOf,
  EventType,
  LivestreamStatus,
  MARKETPLACE_TOPICS,
  type MarketplaceEvent,
} from '@crest/event-schemas';
import {
  type ConsumedMessage,
  DeadLetterHeader,
  DECODE_ERROR_CODE_HEADER,
  KafkaEventBus,
  type OutgoingMessage,
} from '@crest/messaging';
import { DEFAULT_SIGNALS, type LivestreamDoc } from '@crest/signals';
import {
  encodeSimulatedItem,
  MalformedFuzzer,
  type MalformedItem,
  MarketplaceSimulator,
} from '@crest/testing';

import { AppProcess, eventually, seriesValue } from '../app-process';
import { latestStateDocs } from './state-topic';

const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const PORT = 29_742;
const MALFORMED = Number(process.env['FUZZ_MALFORMED_EVENTS'] ?? 10_000);
const RUN_HEADER = 'crest.fuzz-run';
const SEQ_HEADER = 'crest.fuzz-seq';

/**
 * Ten thousand malformed messages (MalformedFuzzer: random bytes, truncated and deeply nested JSON, wrong
 * types, huge strings, unknown types and versions, impossible timestamps, bad amounts, invalid UTF-8, and
 * the simulator's hand-written defects) mixed into a simulated marketplace's valid events, through real
 * Kafka into the built ingestor. Every bad message must reach its topic's DLQ exactly once, with the code
 * and reason the decoder gives it; every valid one must be counted in its stream's doc; the ingestor must
 * stay up and keep up.
 */
describe('event-ingestor fuzzed with malformed events on real Kafka', () => {
  const run = randomUUID();
  const bus = new KafkaEventBus({
    brokers: brokers.split(','),
    clientId: 'fuzz-int-test',
    createTopics: true,
  });
  let ingestor: AppProcess | undefined;

  afterAll(async () => {
    await ingestor?.stop();
    await bus.close();
  });

  it(`dead-letters each of ${MALFORMED} malformed events with its reason and processes every valid one`, async () => {
    const seed = randomInt(1, 2 ** 31);
    const simulator = new MarketplaceSimulator({
      seed,
      eventsPerSecond: 150,
      targetLiveStreams: 20,
      malformedRate: 0,
      startTime: Date.now() - 180_000,
    });
    const fuzzer = new MalformedFuzzer(seed);
    const valid: MarketplaceEvent[] = [];
    const malformed: MalformedItem[] = [];
    const messages: OutgoingMessage[] = [];
    const steps = 9;
    for (let step = 0; step < steps; step++) {
      const events = simulator.advance(10_000).flatMap((item) => (item.kind === 'event' ? [item.event] : []));
      const bad = Array.from({ length: Math.ceil((MALFORMED * (step + 1)) / steps) - malformed.length }, () =>
        fuzzer.next(events[randomInt(events.length)]!),
      );
      // Malformed messages fall anywhere between valid ones; the valid ones keep their order.
      let b = 0;
      for (const event of events) {
        while (b < bad.length && randomInt(events.length + bad.length) < bad.length) {
          messages.push(tagged(bad[b]!, malformed.length));
          malformed.push(bad[b++]!);
        }
        messages.push(encodeSimulatedItem({ kind: 'event', event }));
        valid.push(event);
      }
      for (; b < bad.length; b++) {
        messages.push(tagged(bad[b]!, malformed.length));
        malformed.push(bad[b]!);
      }
    }
    expect(malformed.length).toBe(MALFORMED);

    const dlqTopics = MARKETPLACE_TOPICS.map(deadLetterTopicOf);
    await bus.ensureTopics([...MARKETPLACE_TOPICS, ...dlqTopics].map((name) => ({ name, partitions: 6 })));
    const deadLetters: ConsumedMessage[] = [];
    const dlq = await bus.subscribe({
      groupId: `fuzz-dlq-${run}`,
      topics: dlqTopics,
      fromBeginning: true,
      eachBatch: async (batch, context) => {
        for (const message of batch.messages)
          if (message.headers[RUN_HEADER] === run) deadLetters.push(message);
        context.ackAll();
      },
    });

    ingestor = await AppProcess.start('event-ingestor', PORT, {
      KAFKA_BROKERS: brokers,
      INGEST_GROUP_ID: `ingest-fuzz-${run}`,
      EMIT_INTERVAL_MS: '100',
      // Other suites' events on these topics may be minutes newer than these; none of these may be late.
      ALLOWED_LATENESS_MS: '3600000',
    });
    let started = Date.now();
    try {
      // The topics may hold other suites' messages, which this new group reads first: the ingestor's own
      // counts are compared from the moment it has caught up on them. Nothing else publishes to these
      // topics meanwhile: e2e suites run one at a time, and after event-ingestor's integration suite (the
      // only other one that does; e2e/project.json).
      await eventually(
        'the ingestor to catch up on what the topics held before this run',
        () => ingestor!.ingestCaughtUp(),
        180_000,
        500,
      );
      const countedBefore = await ingestAccount(ingestor);
      started = Date.now();
      for (let i = 0; i < messages.length; i += 2_000) await bus.publish(messages.slice(i, i + 2_000));
      await eventually(
        `${MALFORMED} dead letters (${deadLetters.length} so far)`,
        async () => (deadLetters.length >= MALFORMED ? true : undefined),
        180_000,
        250,
      );
      const deadLetteredIn = Date.now() - started;

      // Valid events: each signal of each stream's doc, over the hour, recounted from the events sent.
      const expected = expectedSignals(valid);
      const ended = new Set(
        valid.flatMap((e) =>
          e.type === EventType.LivestreamStatusChanged && e.payload.status === LivestreamStatus.Ended
            ? [e.livestreamId]
            : [],
        ),
      );
      let docs = new Map<string, LivestreamDoc>();
      const matches = () =>
        [...expected].every(([id, signals]) => {
          const doc = docs.get(id);
          if (!doc) return ended.has(id); // an ended stream's doc is deleted after its grace period
          return Object.entries(signals).every(([name, value]) => hourOf(doc, name) === value);
        });
      const deadline = Date.now() + 120_000;
      do {
        docs = await latestStateDocs(bus, expected.keys());
        if (matches()) break;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      } while (Date.now() < deadline);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // time for a duplicate dead letter to show

      // Exactly once each, in the DLQ of the topic it was sent to, with the decoder's code and a reason.
      const bySeq = new Map<number, ConsumedMessage[]>();
      for (const letter of deadLetters) {
        const seq = Number(letter.headers[SEQ_HEADER]);
        bySeq.set(seq, [...(bySeq.get(seq) ?? []), letter]);
      }
      const wrong = malformed.flatMap((item, seq) => {
        const letters = bySeq.get(seq) ?? [];
        const letter = letters[0];
        const problem =
          letters.length !== 1
            ? `${letters.length} dead letters`
            : letter!.topic !== deadLetterTopicOf(item.topic)
              ? `in ${letter!.topic}`
              : letter!.headers[DECODE_ERROR_CODE_HEADER] !== item.expectedCode
                ? `code ${letter!.headers[DECODE_ERROR_CODE_HEADER]}, expected ${item.expectedCode}`
                : !letter!.headers[DeadLetterHeader.Reason]?.startsWith(`${item.expectedCode}: `)
                  ? `reason "${letter!.headers[DeadLetterHeader.Reason]}"`
                  : !letter!.value.equals(item.value)
                    ? 'bytes changed'
                    : null;
        return problem ? [`#${seq} (${item.defect}): ${problem}`] : [];
      });
      expect(wrong.slice(0, 20)).toEqual([]);
      expect(deadLetters.length).toBe(MALFORMED);

      const checked = [...expected.keys()].filter((id) => docs.has(id));
      const missing = [...expected].flatMap(([id, signals]) => {
        const doc = docs.get(id);
        if (!doc) return ended.has(id) ? [] : [`${id}: no doc`];
        return Object.entries(signals).flatMap(([name, value]) =>
          hourOf(doc, name) === value ? [] : [`${id}.${name}: ${hourOf(doc, name)} != ${value}`],
        );
      });
      expect(missing).toEqual([]);
      const countedEvents = valid.filter(
        (e) => 'livestreamId' in e && checked.includes(e.livestreamId),
      ).length;

      // Still up and caught up: ready, and no lag left on any marketplace partition.
      expect(await ingestor.get<{ ready: boolean }>('/ready')).toMatchObject({ ready: true });
      await eventually('the ingestor to have no lag', () => ingestor!.ingestCaughtUp(), 30_000, 500);

      // The ingestor's own account: valid in = processed, bad in = dead-lettered (by code), exactly. A
      // redelivery (a consumer restarted inside its session) would show as duplicates, not as applied.
      const countedAfter = await ingestAccount(ingestor);
      const sent = { deadLettered: {} as Record<string, number> };
      for (const item of malformed)
        sent.deadLettered[item.expectedCode] = (sent.deadLettered[item.expectedCode] ?? 0) + 1;
      const duplicates = countedAfter.duplicates - countedBefore.duplicates;
      expect({
        applied: countedAfter.applied - countedBefore.applied,
        late: countedAfter.late - countedBefore.late,
        deadLettered: Object.fromEntries(
          Object.entries(countedAfter.deadLettered)
            .map(([code, n]) => [code, n - (countedBefore.deadLettered[code] ?? 0)] as const)
            .filter(([, n]) => n > 0),
        ),
      }).toEqual({ applied: valid.length, late: 0, deadLettered: sent.deadLettered });
      process.stdout.write(
        `fuzz test: ${messages.length} messages (${valid.length} valid, ${MALFORMED} malformed of ` +
          `${new Set(malformed.map((m) => m.defect)).size} kinds, ${new Set(malformed.map((m) => m.expectedCode)).size} codes); ` +
          `all dead-lettered exactly once in ${deadLetteredIn} ms; ${checked.length} streams' signals equal ` +
          `the recount of their ${countedEvents} valid events; ${expected.size - checked.length} ended streams left; ` +
          `the ingestor counted ${valid.length} applied, 0 late, ${duplicates} redelivered as duplicates and ${MALFORMED} dead-lettered\n`,
      );
    } catch (error) {
      process.stderr.write(`ingestor output:\n${ingestor.log.slice(-5_000)}\n`);
      throw error;
    } finally {
      await dlq.close();
    }
  }, 600_000);

  function tagged(item: MalformedItem, seq: number): OutgoingMessage {
    return { ...encodeSimulatedItem(item), headers: { [RUN_HEADER]: run, [SEQ_HEADER]: String(seq) } };
  }
});

/**
 * What the ingestor says it consumed: decoded events folded in, dropped as late or as duplicates (together
 * every event that decoded), and dead letters by decode error code.
 */
async function ingestAccount(ingestor: AppProcess): Promise<{
  applied: number;
  late: number;
  duplicates: number;
  deadLettered: Record<string, number>;
}> {
  const metrics = await ingestor.metrics();
  const deadLettered: Record<string, number> = {};
  for (const [, labels, count] of metrics.matchAll(/^crest_ingest_dead_lettered_total\{([^}]*)\} (\d+)$/gm)) {
    const code = /code="([^"]*)"/.exec(labels!)![1]!;
    deadLettered[code] = (deadLettered[code] ?? 0) + Number(count);
  }
  return {
    applied: seriesValue(metrics, 'crest_ingest_events_applied_total'),
    late: seriesValue(metrics, 'crest_ingest_late_dropped_total'),
    duplicates: seriesValue(metrics, 'crest_ingest_duplicates_total'),
    deadLettered,
  };
}

/** A signal's 60-minute value in a doc; null (nothing seen) reads as 0. */
const hourOf = (doc: LivestreamDoc, name: string): number => doc.signals[name]?.['60m'] ?? 0;

/** Per stream, the hour's value of every count and sum signal, recounted from the events. */
function expectedSignals(events: readonly MarketplaceEvent[]): Map<string, Record<string, number>> {
  const perStream = new Map<string, Record<string, number>>();
  for (const event of events) {
    if (!('livestreamId' in event)) continue;
    const signals = perStream.get(event.livestreamId) ?? {};
    perStream.set(event.livestreamId, signals);
    for (const signal of DEFAULT_SIGNALS) {
      if (signal.aggregation !== 'count' && signal.aggregation !== 'sum') continue;
      signals[signal.name] ??= 0;
      if (!signal.eventTypes.includes(event.type) || (signal.filter && !signal.filter(event))) continue;
      signals[signal.name]! += signal.aggregation === 'count' ? 1 : Number(signal.value!(event));
    }
  }
  return perStream;
}
