/**
 * Soak on the full stack: the built event-ingestor, ranking-service and feed-api (memory replica fed from
 * Kafka's state topic, Elasticsearch as fallback, ranking over gRPC) as their own processes, a producer
 * process publishing the simulated marketplace through Kafka, and homeFeed at a fixed arrival rate. Samples
 * each process's RSS and the ingestor's lag, writes bench-results/soak.json and soak.svg (RSS over time),
 * and exits 1 when a request failed, an RSS kept growing, or the lag grew.
 *   npx tsx tools/soak/soak.ts [--minutes 10] [--rate 300] [--events 5000] [--streams 1000]
 * Needs Kafka and Elasticsearch (tools/infra/infra.sh start) and the built apps (npx nx run-many -t build).
 */
import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { latencyHistogram } from '../bench/bench-report';
import { lineChart } from '../bench/chart';
import { fixedRateLoad } from '../bench/fixed-rate';
import { ingestLag, ROOT, rssMb, type ServingStack, startServingStack } from '../bench/stack';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '300' },
    events: { type: 'string', default: '5000' },
    streams: { type: 'string', default: '1000' },
    'sample-seconds': { type: 'string', default: '10' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const eventsPerSecond = Number(values.events);
const sampleSeconds = Number(values['sample-seconds']);
if (![minutes, rate, eventsPerSecond, sampleSeconds].every((n) => Number.isFinite(n) && n > 0))
  throw new Error('--minutes, --rate, --events and --sample-seconds must be positive numbers');

const QUERY = JSON.stringify({
  query:
    '{ homeFeed(first: 5) { edges { node { id servedBy { retrieval ranking } items { edges { node { id title viewers status reason } } } } } } }',
});

interface Sample {
  atSeconds: number;
  rssMb: Record<string, number | null>;
  ingestLag: number;
  requests: number;
  errors: number;
  p99Ms: number;
}

async function main(): Promise<void> {
  const id = randomUUID().slice(0, 8);
  const alias = `crest-soak-${id}`;
  let stack: ServingStack | undefined;
  try {
    stack = await startServingStack({
      firstPort: 29_801,
      alias,
      groupId: `soak-${id}`,
      eventsPerSecond,
      liveStreams: Number(values.streams),
    });
    const { ingestor, ranking, feed, producer } = stack;
    const post = (user?: string) =>
      fetch(`${feed.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(user ? { 'x-crest-user-id': user } : {}) },
        body: QUERY,
      });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const processes: Record<string, ChildProcess> = {
      'event-ingestor': ingestor.child,
      'ranking-service': ranking.child,
      'feed-api': feed.child,
      producer,
    };
    const samples: Sample[] = [];
    const overall = latencyHistogram();
    let window = latencyHistogram();
    let requests = 0;
    let errors = 0;
    const firstErrors: string[] = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      const at = (Date.now() - started) / 1000;
      void ingestLag(ingestor)
        .catch(() => -1)
        .then((lag) => {
          samples.push({
            atSeconds: Math.round(at),
            rssMb: Object.fromEntries(
              Object.entries(processes).map(([name, child]) => [name, rssMb(child.pid)]),
            ),
            ingestLag: lag,
            requests,
            errors,
            p99Ms: window.getValueAtPercentile(99) / 1000,
          });
          window = latencyHistogram();
          const last = samples.at(-1)!;
          console.error(
            `[soak] ${last.atSeconds}s: ${requests} requests, ${errors} errors, window p99 ${last.p99Ms.toFixed(1)} ms, ` +
              `lag ${lag}, RSS ${Object.entries(last.rssMb)
                .map(([n, v]) => `${n} ${v?.toFixed(0)}`)
                .join(' / ')} MB`,
          );
        });
    }, sampleSeconds * 1_000);
    await fixedRateLoad({
      rate,
      seconds: minutes * 60,
      send: async (i) => {
        const response = await post(i % 4 === 0 ? undefined : `soak-user-${i % 2_000}`).catch(
          (error: Error) => {
            if (firstErrors.length < 5) firstErrors.push(`${error.message} (${String(error.cause ?? '')})`);
            throw error;
          },
        );
        const body = (await response.json()) as { errors?: Array<{ message: string }> };
        if (!response.ok || body.errors) {
          if (firstErrors.length < 5)
            firstErrors.push(`${response.status} ${JSON.stringify(body.errors ?? body).slice(0, 200)}`);
          return false;
        }
        return true;
      },
      onResult: (ok, latencyMs) => {
        requests++;
        if (!ok) errors++;
        const us = Math.max(1, Math.round(latencyMs * 1000));
        overall.recordValue(us);
        window.recordValue(us);
      },
    });
    clearInterval(sampler);

    // Flat: the median RSS of the last fifth against that of the second fifth (the first is warm-up).
    const fifth = (k: number) =>
      samples.slice(Math.floor((samples.length * k) / 5), Math.floor((samples.length * (k + 1)) / 5));
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
    const growth = Object.fromEntries(
      Object.keys(processes).map((name) => {
        const early = median(fifth(1).map((s) => s.rssMb[name] ?? 0));
        const late = median(fifth(4).map((s) => s.rssMb[name] ?? 0));
        return [
          name,
          {
            earlyMb: Math.round(early),
            lateMb: Math.round(late),
            growthPercent: Math.round(((late - early) / early) * 1000) / 10,
          },
        ];
      }),
    );
    const lagEarly = median(fifth(1).map((s) => s.ingestLag));
    const lagLate = median(fifth(4).map((s) => s.ingestLag));
    const problems = [
      ...(errors > 0 ? [`${errors} failed requests (first: ${firstErrors.join('; ')})`] : []),
      ...Object.entries(growth).flatMap(([name, g]) =>
        g.growthPercent > 15 ? [`${name} RSS grew ${g.growthPercent} %`] : [],
      ),
      ...(lagLate > Math.max(2 * lagEarly, eventsPerSecond)
        ? [`ingest lag grew from ${lagEarly} to ${lagLate}`]
        : []),
    ];
    const result = {
      bench: 'soak',
      at: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      parameters: { minutes, rate, eventsPerSecond, liveStreams: Number(values.streams), sampleSeconds },
      requests,
      errors,
      latencyMs: {
        p50: overall.getValueAtPercentile(50) / 1000,
        p99: overall.getValueAtPercentile(99) / 1000,
        p999: overall.getValueAtPercentile(99.9) / 1000,
        max: overall.maxValue / 1000,
      },
      rss: growth,
      ingestLag: { early: lagEarly, late: lagLate, max: Math.max(...samples.map((s) => s.ingestLag)) },
      problems,
      samples,
    };
    mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench-results/soak.json'), JSON.stringify(result, null, 2));
    writeFileSync(
      join(ROOT, 'bench-results/soak.svg'),
      lineChart(
        `RSS (MB) per process over ${minutes} min of soak`,
        'seconds',
        Object.keys(processes).map((name) => ({
          name,
          points: samples.flatMap((s) => (s.rssMb[name] == null ? [] : [[s.atSeconds, s.rssMb[name]!]])),
        })),
      ),
    );
    console.log(
      `\nsoak: ${minutes} min at ${rate} req/s with ${eventsPerSecond} events/s: ${requests} requests, ${errors} errors, ` +
        `p50 ${result.latencyMs.p50.toFixed(1)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms, p99.9 ${result.latencyMs.p999.toFixed(1)} ms`,
    );
    for (const [name, g] of Object.entries(growth))
      console.log(`  RSS ${name}: ${g.earlyMb} -> ${g.lateMb} MB (${g.growthPercent} %)`);
    console.log(`  ingest lag (events, median): ${lagEarly} -> ${lagLate}; max ${result.ingestLag.max}`);
    console.log(`  written to bench-results/soak.json and bench-results/soak.svg`);
    if (problems.length > 0) {
      console.error(`soak FAILED: ${problems.join('; ')}`);
      process.exitCode = 1;
    } else console.log('soak passed: no failed request, RSS flat, lag not growing');
  } catch (error) {
    if (stack)
      for (const app of [stack.ingestor, stack.ranking, stack.feed])
        console.error(`--- ${app.name}:\n${app.log.join('').slice(-3_000)}`);
    throw error;
  } finally {
    await stack?.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
