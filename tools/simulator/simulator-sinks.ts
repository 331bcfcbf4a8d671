import { once } from 'node:events';

import { consumeMarketplaceEvents, InProcessEventBus, toMessage } from '@crest/messaging';
import { encodeSimulatedItem, type SimulatedItem } from '@crest/testing';

/**
 * Where the CLI sends simulated items. `write` is awaited before the next batch (backpressure); `close`
 * flushes and reports. A publishing sink (Kafka) is one more implementation and one more `--output` value.
 */
export interface SimulatorSink {
  write(items: SimulatedItem[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * One JSON line per item: `{"topic","key","value"}` with the event JSON as `value`, or for a malformed
 * item `{"topic","key","valueBase64","defect","expectedCode"}` (its bytes may not be UTF-8).
 */
export function formatJsonLine(item: SimulatedItem): string {
  const message = encodeSimulatedItem(item);
  if (item.kind === 'event') {
    return JSON.stringify({ topic: message.topic, key: message.key, value: message.value.toString('utf8') });
  }
  return JSON.stringify({
    topic: message.topic,
    key: message.key,
    valueBase64: message.value.toString('base64'),
    defect: item.defect,
    expectedCode: item.expectedCode,
  });
}

export function jsonLinesSink(out: NodeJS.WritableStream = process.stdout): SimulatorSink {
  return {
    async write(items) {
      if (items.length === 0) return;
      let chunk = '';
      for (const item of items) chunk += `${formatJsonLine(item)}\n`;
      if (!out.write(chunk)) await once(out, 'drain');
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Publishes to an in-process bus and consumes it the way the ingest edge does (decode, dead-letter the
 * bad), then prints the counts as one JSON line. Sets exit code 1 if a valid event was dead-lettered or a
 * malformed one got through.
 */
export async function inProcessBusSink(out: NodeJS.WritableStream = process.stdout): Promise<SimulatorSink> {
  const bus = new InProcessEventBus({ defaultPartitions: 6, retentionPerPartition: 2_000_000 });
  let published = 0;
  let malformed = 0;
  let processed = 0;
  const started = Date.now();
  await consumeMarketplaceEvents(bus, {
    groupId: 'simulator-cli',
    fromBeginning: true,
    decode: {},
    onEvents: (events) => void (processed += events.length),
  });
  return {
    async write(items) {
      malformed += items.filter((item) => item.kind === 'malformed').length;
      published += items.length;
      await bus.publish(
        items.map((item) => (item.kind === 'event' ? toMessage(item.event) : encodeSimulatedItem(item))),
      );
    },
    async close() {
      while (processed + bus.stats().deadLettered < published) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const { deadLettered } = bus.stats();
      const seconds = (Date.now() - started) / 1000;
      out.write(
        `${JSON.stringify({ published, processed, malformedPublished: malformed, deadLettered, seconds })}\n`,
      );
      await bus.close();
      if (processed !== published - malformed || deadLettered !== malformed) process.exitCode = 1;
    },
  };
}
