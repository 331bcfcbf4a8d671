/**
 * The marketplace simulator on the command line: `npx tsx tools/simulator/cli.ts --help`.
 * A thin shell: flags -> MarketplaceSimulator -> a sink. Exits 2 on bad flags.
 */
import { MarketplaceSimulator, runSimulatorInRealTime } from '@crest/testing';

import {
  parseSimulatorCliOptions,
  SIMULATOR_CLI_USAGE,
  type SimulatorCliOptions,
} from './simulator-cli-options';
import { inProcessBusSink, jsonLinesSink, type SimulatorSink } from './simulator-sinks';

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
  // `| head` closes stdout early: that is the reader being done, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });

  const simulator = new MarketplaceSimulator({
    seed: options.seed,
    eventsPerSecond: options.rate,
    malformedRate: options.malformedRate,
    sellers: options.sellers,
    users: options.users,
    targetLiveStreams: options.liveStreams,
    startTime: options.realtime ? Date.now() : undefined,
  });
  const sink: SimulatorSink = options.output === 'jsonl' ? jsonLinesSink() : await inProcessBusSink();

  if (options.realtime) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.durationMs);
    process.once('SIGINT', () => controller.abort());
    await runSimulatorInRealTime({
      simulator,
      signal: controller.signal,
      emit: (items) => sink.write(items),
    });
    clearTimeout(timer);
  } else {
    // Virtual time, as fast as the sink takes it, a second at a time to bound memory.
    for (let elapsed = 0; elapsed < options.durationMs; elapsed += 1_000) {
      await sink.write(simulator.advance(Math.min(1_000, options.durationMs - elapsed)));
    }
  }
  await sink.close();
}

void main();
