import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EXPOSURES_TOPIC } from '@crest/event-schemas';
import { type ConsumedMessage, KafkaEventBus } from '@crest/messaging';

import { eventually, FeedApiProcess, ROOT, seriesValue } from '../app-process';
import { OutageProxy } from '../outage-proxy';

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
/**
 * tools/infra/infra.sh gives the broker a second listener on KAFKA_PROXIED_PORT that advertises
 * KAFKA_OUTAGE_PROXY_PORT: a client bootstrapped through a proxy on that port is told to keep using it, so
 * taking the proxy down cuts that client (and only it) off from the real broker.
 */
const PROXIED_PORT = Number(process.env['KAFKA_PROXIED_PORT'] ?? 9094);
const PROXY_PORT = Number(process.env['KAFKA_OUTAGE_PROXY_PORT'] ?? 9095);
const FEED_PORT = 29_781;
const MAX_BUFFERED = 40;
const EXPERIMENT = 'home-feed-order';

const run = randomUUID().slice(0, 8);
const HOME = `{ homeFeed(first: 3) { edges { node { id } } } }`;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * feed-api on real Kafka, reaching the broker only through a proxy the test takes down. Exposures are the
 * thing under test: while Kafka is unreachable homeFeed must keep answering at once, the exposures must
 * wait in a buffer that stays within EXPOSURES_MAX_BUFFERED (the oldest dropped past it, counted), and
 * once Kafka is back every exposure not counted as dropped must reach the topic, exactly once.
 */
describe('Kafka unreachable for exposure events', () => {
  const payloadFile = join(tmpdir(), `crest-e2e-exposures-${run}.json`);
  const proxy = new OutageProxy(PROXY_PORT, { host: '127.0.0.1', port: PROXIED_PORT });
  const bus = new KafkaEventBus({ brokers, clientId: `e2e-exposures-${run}` });
  let feed: FeedApiProcess | undefined;

  afterAll(async () => {
    await feed?.stop();
    await proxy.down();
    await bus.close();
    rmSync(payloadFile, { force: true });
  });

  /** The example payload with its A/B test open to every user: these test users have no history. */
  function payloadForEveryone(): string {
    const example = readFileSync(join(ROOT, 'libs/experiments/payloads/home-feed.example.json'), 'utf8');
    writeFileSync(
      payloadFile,
      JSON.stringify(JSON.parse(example), (key, value: unknown) => (key === 'condition' ? undefined : value)),
    );
    return payloadFile;
  }

  /** The exposure counts, from one scrape. */
  const exposures = async () => {
    const metrics = await feed!.metrics();
    return {
      recorded: seriesValue(metrics, 'crest_exposures_recorded_total'),
      published: seriesValue(metrics, 'crest_exposures_published_total'),
      buffered: seriesValue(metrics, 'crest_exposures_buffered'),
      dropped: seriesValue(metrics, 'crest_exposures_dropped_total'),
      publishFailures: seriesValue(metrics, 'crest_exposures_publish_failures_total'),
    };
  };

  /** One homeFeed as a user never seen before (one new exposure); the answer's time and whether it failed. */
  async function homeFeedAsNewUser(user: string): Promise<{ ms: number; failed: string | null }> {
    const started = performance.now();
    const response = await fetch(`${feed!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-crest-user-id': user },
      body: JSON.stringify({ query: HOME }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
    const failed =
      response.status !== 200 || body.errors ? `${response.status} ${JSON.stringify(body.errors)}` : null;
    return { ms: performance.now() - started, failed };
  }

  it('keeps serving, holds exposures within the bound, counts drops and publishes the rest once Kafka is back', async () => {
    if (!(await listening(PROXIED_PORT)))
      throw new Error(
        `nothing listens on 127.0.0.1:${PROXIED_PORT}: this test needs the broker's proxied listener, which tools/infra/infra.sh (or docker/docker-compose.yml) sets up; restart Kafka with it`,
      );
    const startedAt = Date.now();
    await proxy.up();
    feed = await FeedApiProcess.startFeedApi(FEED_PORT, {
      KAFKA_BROKERS: `127.0.0.1:${PROXY_PORT}`,
      GROWTHBOOK_PAYLOAD_FILE: payloadForEveryone(),
      RATE_LIMIT_PER_SECOND: '0',
      EXPOSURES_MAX_BUFFERED: String(MAX_BUFFERED),
      EXPOSURES_FLUSH_INTERVAL_MS: '200',
    });

    // Kafka reachable: every exposure goes out.
    const before = [...Array(20).keys()].map((i) => `exp-${run}-before-${i}`);
    for (const user of before) expect((await homeFeedAsNewUser(user)).failed).toBeNull();
    await eventually(
      'the first exposures published',
      async () => ((await exposures()).published === before.length ? true : undefined),
      30_000,
      100,
    );

    // Kafka unreachable: more new users at once than the buffer holds, then about four a second until a
    // publish has given up (however long kafkajs retries).
    await proxy.down();
    const during: string[] = [];
    const answers: Array<{ ms: number; failed: string | null }> = [];
    let held = 0;
    const outageDeadline = Date.now() + 120_000;
    while (during.length <= 2 * MAX_BUFFERED || (await exposures()).publishFailures === 0) {
      if (Date.now() > outageDeadline)
        throw new Error(`no publish failed within 120 s of Kafka going away:\n${feed.log}`);
      const user = `exp-${run}-during-${during.length}`;
      during.push(user);
      answers.push(await homeFeedAsNewUser(user));
      held = Math.max(held, (await exposures()).buffered);
      if (during.length > 2 * MAX_BUFFERED) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const outage = await exposures();
    console.log(
      `exposures outage: ${during.length} requests, ${answers.filter((a) => a.failed).length} failed, slowest ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms; most held ${held}; ${JSON.stringify(outage)}`,
    );
    expect(answers.filter((a) => a.failed)).toEqual([]);
    // Answers do not wait on Kafka (a publish retries for ~50 s before it gives up).
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(2_000);
    expect(outage.recorded).toBe(before.length + during.length);
    // Waiting: at most the bound, plus the batch whose publish was retrying.
    expect(held).toBeLessThanOrEqual(2 * MAX_BUFFERED);
    expect(outage.buffered).toBeLessThanOrEqual(MAX_BUFFERED);
    expect(outage.dropped).toBeGreaterThan(0);

    // Kafka back: what was held goes out, and the counts add up.
    await proxy.up();
    const after = await eventually(
      'the held exposures published once Kafka is back',
      async () => {
        const now = await exposures();
        return now.buffered === 0 && now.published + now.dropped === now.recorded ? now : undefined;
      },
      90_000,
      200,
    );
    expect(after.recorded).toBe(before.length + during.length);

    // On the real topic: each exposure not dropped exactly once; the dropped ones are the oldest.
    const partitions = await bus.partitionCount(EXPOSURES_TOPIC);
    const seen: string[] = [];
    await bus.readRange(
      [...Array(partitions).keys()].map((partition) => ({
        topic: EXPOSURES_TOPIC,
        partition,
        fromTimestamp: startedAt,
      })),
      (messages: ConsumedMessage[]) => {
        for (const message of messages) {
          const exposure = JSON.parse(message.value!.toString()) as { userId: string; experiment: string };
          if (exposure.userId.startsWith(`exp-${run}-`)) {
            expect(exposure.experiment).toBe(EXPERIMENT);
            seen.push(exposure.userId);
          }
        }
      },
    );
    expect(seen.length).toBe(after.published);
    expect(new Set(seen).size).toBe(seen.length);
    const kept = during.slice(after.dropped);
    expect(new Set(seen)).toEqual(new Set([...before, ...kept]));
  }, 300_000);
});
