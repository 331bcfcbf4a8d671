/**
 * homeFeed serving at a fixed arrival rate (open loop: latency counts from each request's scheduled send
 * time, so a slow server cannot hide its queue: no coordinated omission), HDR histograms, against the built
 * feed-api in embedded mode as its own process. Then steps the rate up to find the saturation throughput
 * (the highest rate served in full with p99 under a second) and the highest rate within the p99 goal.
 *   npx tsx tools/bench/serving.bench.ts [--rate 1000] [--seconds 60] [--steps 100,200,300,400,500,750,1000,1500,2000]
 *   [--url http://127.0.0.1:3000 --label full-stack]   a feed-api already running (e.g. with Kafka and the
 *                                                      ranking-service), instead of starting an embedded one
 *   [--stack [--events 300] [--streams 200] [--ranking-batch true|false]]
 *       starts the full stack instead (needs tools/infra and the built apps): the event-ingestor (Kafka into
 *       the state topic and Elasticsearch), a producer process publishing the simulated marketplace, the
 *       ranking-service, and feed-api on its Kafka replica with the Elasticsearch fallback, ranking over gRPC
 *       (RANKING_GRPC_BATCH as given)
 * The load generator is one client, so the feed-api it starts runs without the per-client rate limit; with
 * LOAD_SHED_EVENT_LOOP_DELAY_MS in the env it sheds load (503), and each row counts those apart from errors.
 * Builds dist/apps/feed-api first when it is missing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { type BenchRow, latencyHistogram, percentiles, report } from './bench-report';
import { fixedRateLoad } from './fixed-rate';
import { cpuProfileFlags, startServingStack, stopProcess } from './stack';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    steps: { type: 'string', default: '100,200,300,400,500,750,1000,1500,2000' },
    'step-seconds': { type: 'string', default: '10' },
    'p99-goal-ms': { type: 'string', default: '20' },
    url: { type: 'string' },
    label: { type: 'string' },
    stack: { type: 'boolean', default: false },
    events: { type: 'string', default: '300' },
    streams: { type: 'string', default: '200' },
    'ranking-batch': { type: 'string', default: 'true' },
  },
});
if (values.stack && values.url) throw new Error('--stack starts its own feed-api: leave --url out');
if (!['true', 'false'].includes(values['ranking-batch']))
  throw new Error('--ranking-batch must be true or false');
const label =
  values.label ??
  (values.stack ? `full-stack${values['ranking-batch'] === 'true' ? '' : '-unbatched'}` : 'embedded');
const root = join(__dirname, '../..');
const port = 29_700;
/** With --stack: the ingestor's port; startServingStack puts feed-api three ports up. */
const STACK_FIRST_PORT = 29_701;
const feedUrl = values.url ?? `http://127.0.0.1:${values.stack ? STACK_FIRST_PORT + 3 : port}`;
const QUERY = JSON.stringify({
  query:
    '{ homeFeed(first: 5) { edges { node { id title items { edges { node { id title viewers status reason trackingToken auction { currentBidMinor endsAt } } } pageInfo { endCursor } } } } } }',
});

async function startFeedApi() {
  const main = join(root, 'dist/apps/feed-api/main.js');
  if (!existsSync(main)) execFileSync('npx', ['nx', 'build', 'feed-api'], { cwd: root, stdio: 'inherit' });
  const child = spawn(process.execPath, [...cpuProfileFlags('feed-api'), main], {
    cwd: root,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '0' },
    stdio: 'inherit',
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const body = (await (await post()).json()) as { data?: { homeFeed?: { edges: unknown[] } } };
      if ((body.data?.homeFeed?.edges.length ?? 0) > 0) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill();
  throw new Error('feed-api did not serve a feed within 60 s');
}

function post(user?: string) {
  return fetch(`${feedUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { 'x-crest-user-id': user } : {}) },
    body: QUERY,
  });
}

/**
 * Sends `rate` requests per second for `seconds`, each at its scheduled time; latency from that time.
 * Requests the feed-api sheds (503 under overload) are counted apart from errors: the row's throughput and
 * latency are those of the requests served.
 */
async function fixedRate(name: string, rate: number, seconds: number): Promise<BenchRow> {
  const served = latencyHistogram();
  let failed = 0;
  let shed = 0;
  let done = 0;
  const { elapsedSeconds } = await fixedRateLoad({
    rate,
    seconds,
    send: async (i) => {
      const response = await post(i % 4 === 0 ? undefined : `bench-user-${i % 500}`);
      if (response.status === 503) {
        shed++;
        await response.body?.cancel();
        return false;
      }
      const body = (await response.json()) as { errors?: unknown[] };
      return response.ok && !body.errors;
    },
    onResult: (ok, latencyMs) => {
      // Failures include requests that threw (refused connections), which `send` never sees end.
      if (!ok) {
        failed++;
        return;
      }
      served.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
      done++;
    },
  });
  const errors = failed - shed;
  const notes = [shed > 0 && `${shed} shed (503)`, errors > 0 && `${errors} errors`].filter(Boolean);
  return {
    name,
    items: done,
    seconds: elapsedSeconds,
    throughputPerSecond: done / elapsedSeconds,
    latencyUs: done > 0 ? percentiles(served, 'homeFeed served, from scheduled send') : undefined,
    notes: notes.length > 0 ? notes.join(', ') : undefined,
  };
}

async function main(): Promise<void> {
  const stack = values.stack
    ? await startServingStack({
        firstPort: STACK_FIRST_PORT,
        // One consumer group and alias across runs: a new group would first re-read everything earlier
        // runs left on the topics, which grows with every run on the machine.
        alias: 'crest-serving-bench',
        groupId: 'crest-serving-bench',
        eventsPerSecond: Number(values.events),
        liveStreams: Number(values.streams),
        feedEnv: { RANKING_GRPC_BATCH: values['ranking-batch'] },
      })
    : undefined;
  const service = values.url || values.stack ? null : await startFeedApi();
  const rows: BenchRow[] = [];
  try {
    await fixedRate('warm-up', 200, 5);
    const rate = Number(values.rate);
    // The steps first, lowest rate first: a step after an overloaded run would measure its queue draining.
    const goalUs = Number(values['p99-goal-ms']) * 1000;
    let withinGoal = 0;
    let saturation = 0;
    for (const step of values.steps.split(',').map(Number)) {
      const row = await fixedRate(`step @${step}/s`, step, Number(values['step-seconds']));
      rows.push(row);
      if (row.latencyUs && row.latencyUs.p99 <= goalUs && !row.notes && withinGoal === saturation)
        withinGoal = step;
      // Sustained: served what was offered, without errors, and without a queue (p99 under a second).
      if (
        row.throughputPerSecond >= 0.95 * step &&
        !row.notes &&
        row.latencyUs &&
        row.latencyUs.p99 < 1_000_000
      )
        saturation = step;
      else break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    rows.push(await fixedRate(`${label} homeFeed @${rate}/s`, rate, Number(values.seconds)));
    console.log(
      `saturation: the highest step rate served in full with p99 under 1 s and no errors: ${saturation}/s; ` +
        `with p99 <= ${values['p99-goal-ms']} ms: ${withinGoal}/s`,
    );
    rows.push(
      {
        name: 'saturation (served in full, p99 < 1 s)',
        items: 0,
        seconds: 0,
        throughputPerSecond: saturation,
      },
      {
        name: `highest rate with p99 <= ${values['p99-goal-ms']} ms`,
        items: 0,
        seconds: 0,
        throughputPerSecond: withinGoal,
      },
    );
  } finally {
    if (service) await stopProcess(service);
    await stack?.stop();
  }
  report(
    label === 'embedded' ? 'serving' : `serving-${label}`,
    {
      target: values.url ?? (values.stack ? `full stack, ${values.events} events/s` : 'embedded feed-api'),
      rate: values.rate,
      seconds: values.seconds,
      steps: values.steps,
    },
    rows,
  );
  process.exit(0);
}

void main();
