/**
 * The marketplace simulator on the command line. See `--help`. Exits 2 on bad flags.
 */
import { once } from 'node:events';

import { consumeMarketplaceEvents, InProcessEventBus, toMessage } from '@crest/messaging';
import { MarketplaceSimulator, runSimulatorInRealTime, type SimulatedItem } from '@crest/testing';

import {
  parseSimulatorCliOptions,
  SIMULATOR_CLI_USAGE,
  type SimulatorCliOptions,
} from './simulator-cli-options';

async function main(): Promise<void> {
  let options: SimulatorCliOptions | 'help';
  try {
    options = parseSimulatorCliOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${SIMULATOR_CLI_USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${SIMULATOR_CLI_USAGE}\n`);
    return;
  }
  const simulator = new MarketplaceSimulator({
    seed: options.seed,
    eventsPerSecond: options.rate,
    malformedRate: options.malformedRate,
    sellers: options.sellers,
    users: options.users,
    targetLiveStreams: options.liveStreams,
    startTime: options.realtime ? Date.now() : undefined,
  });
  const sink = options.output === 'jsonl' ? jsonLinesSink() : await inProcessBusSink();

  if (options.realtime) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.durationMs);
    process.once('SIGINT', () => controller.abort());
    await runSimulatorInRealTime({ simulator, signal: controller.signal, emit: sink.write });
    clearTimeout(timer);
  } else {
    for (let elapsed = 0; elapsed < options.durationMs; elapsed += 1_000) {
      await sink.write(simulator.advance(Math.min(1_000, options.durationMs - elapsed)));
    }
  }
  await sink.close();
}

interface Sink {
  write(items: SimulatedItem[]): Promise<void>;
  close(): Promise<void>;
}

function jsonLinesSink(): Sink {
  return {
    async write(items) {
      let chunk = '';
      for (const item of items) {
        if (item.kind === 'event') {
          const message = toMessage(item.event);
          chunk += `${JSON.stringify({ topic: message.topic, key: message.key, value: JSON.stringify(item.event) })}\n`;
        } else {
          chunk += `${JSON.stringify({ topic: item.topic, key: item.key, valueBase64: item.value.toString('base64'), defect: item.defect })}\n`;
        }
      }
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    },
    close: () => Promise.resolve(),
  };
}

async function inProcessBusSink(): Promise<Sink> {
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
        items.map((item) =>
          item.kind === 'event'
            ? toMessage(item.event)
            : { topic: item.topic, key: item.key, value: item.value },
        ),
      );
    },
    async close() {
      while (processed + bus.stats().deadLettered < published)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const stats = bus.stats();
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(
        `${JSON.stringify({ published, processed, malformedPublished: malformed, deadLettered: stats.deadLettered, seconds })}\n`,
      );
      await bus.close();
      if (processed !== published - malformed || stats.deadLettered !== malformed) process.exitCode = 1;
    },
  };
}

void main();
