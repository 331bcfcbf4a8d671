/**
 * The simulated marketplace on the wall clock, published to Kafka until stopped (see startProducer); on
 * SIGTERM or SIGINT it ends its live streams first.
 *   npx tsx tools/bench/producer.ts --events 5000 --streams 1000
 */
import { parseArgs } from 'node:util';

import { KafkaEventBus } from '@crest/messaging';
import { encodeSimulatedItem, MarketplaceSimulator } from '@crest/testing';

import { KAFKA_BROKERS } from './stack';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    streams: { type: 'string', default: '1000' },
  },
});
const eventsPerSecond = Number(values.events);
const liveStreams = Number(values.streams);
if (![eventsPerSecond, liveStreams].every((n) => Number.isFinite(n) && n > 0))
  throw new Error('--events and --streams must be positive numbers');

async function produce(): Promise<void> {
  const bus = new KafkaEventBus({
    brokers: KAFKA_BROKERS.split(','),
    clientId: 'bench-producer',
    createTopics: true,
  });
  const simulator = new MarketplaceSimulator({
    seed: Date.now() % 2 ** 31,
    eventsPerSecond,
    targetLiveStreams: liveStreams,
    startTime: Date.now(),
  });
  await bus.publish(
    simulator.initialFollowEvents().map((event) => encodeSimulatedItem({ kind: 'event', event })),
  );
  // Stopped (SIGTERM, as stopProcess does, or Ctrl-C): end the streams still live before going, or the
  // ingestor and every replica keep them live for ever and each later run ranks over more of them.
  let stopping = false;
  const stop = () => (stopping = true);
  process.once('SIGTERM', stop).once('SIGINT', stop);
  const started = Date.now();
  for (let tick = 1; !stopping; tick++) {
    await bus.publish(simulator.advance(100).map(encodeSimulatedItem));
    const wait = started + tick * 100 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await bus.publish(simulator.endLiveStreams().map(encodeSimulatedItem));
  await bus.close();
  process.exit(0);
}

void produce().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
