import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { assertFixedPortUsable } from '@crest/testing';

// The suites take it from here, beside the processes they wait on.
export { eventually } from '@crest/testing';

export const ROOT = join(__dirname, '..');

export interface GraphQLAnswer<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** The value of the unlabelled series `name` in Prometheus text; 0 if absent. */
export function seriesValue(metrics: string, name: string): number {
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
}

/** A built app (`nx build <app>`, a dependency of these suites) as its own process. */
export class AppProcess {
  // Public for `start`'s polymorphic `this`; made only by `start`.
  constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly output: string[],
  ) {}

  /** Starts dist/apps/<app>/main.js and waits until /health answers. */
  static async start<T extends AppProcess>(
    this: new (child: ChildProcess, url: string, output: string[]) => T,
    app: string,
    port: number,
    env: Record<string, string> = {},
  ): Promise<T> {
    assertFixedPortUsable(port);
    const main = join(ROOT, `dist/apps/${app}/main.js`);
    if (!existsSync(main)) throw new Error(`${main} is missing: run npx nx build ${app}`);
    const output: string[] = [];
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', PORT: String(port), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const started = new this(child, `http://127.0.0.1:${port}`, output);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${app} exited (${child.exitCode}):\n${output.join('')}`);
      try {
        if ((await fetch(`${started.url}/health`)).ok) return started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await started.stop();
    throw new Error(`${app} did not answer /health within 30 s:\n${output.join('')}`);
  }

  async get<T>(path: string, headers: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { headers });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** The app's Prometheus /metrics, as text. */
  async metrics(): Promise<string> {
    return fetch(`${this.url}/metrics`).then((r) => r.text());
  }

  /** The first number `pattern` (one capture group) finds in the app's Prometheus /metrics; 0 if absent. */
  async metric(pattern: RegExp): Promise<number> {
    return Number(pattern.exec(await this.metrics())?.[1] ?? 0);
  }

  /** True when the ingestor reports lag for its partitions and every one is 0 (for `eventually`). */
  async ingestCaughtUp(): Promise<true | undefined> {
    const metrics = await this.metrics();
    const lags = [...metrics.matchAll(/^crest_ingest_consumer_lag\{[^}]*\} (\d+)$/gm)].map((m) =>
      Number(m[1]),
    );
    return lags.length > 0 && lags.every((lag) => lag === 0) ? true : undefined;
  }

  /** What the process printed (for failure messages). */
  get log(): string {
    return this.output.join('');
  }

  /** SIGKILL: no shutdown hook, no final commit, as in a crash. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.gone) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.gone) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    // A pending timer would hold Jest open for 10 s after the suite.
    clearTimeout(timer);
    if (!this.gone) await this.kill();
  }

  private get gone(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
}

/** The built feed-api as its own process, with its GraphQL and embedded-marketplace calls. */
export class FeedApiProcess extends AppProcess {
  static async startFeedApi(port: number, env: Record<string, string> = {}): Promise<FeedApiProcess> {
    return FeedApiProcess.start('feed-api', port, env);
  }

  async graphql<T>(
    query: string,
    variables: Record<string, unknown> = {},
    user?: string,
  ): Promise<GraphQLAnswer<T>> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(user ? { 'x-crest-user-id': user } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLAnswer<T>;
  }

  /** Publishes events into the embedded marketplace (POST /marketplace/events). */
  async publish(events: readonly object[]): Promise<void> {
    const response = await fetch(`${this.url}/marketplace/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    if (response.status !== 202) throw new Error(`publish: ${response.status} ${await response.text()}`);
  }
}

/**
 * The example payload with roomier budgets, written to `file`: these suites check that the kill switch
 * routes carousels to their fallback, not how fast Elasticsearch is while it indexes on the same two cores
 * (10-30 ms per search there, against the example's 30 ms carousel budget).
 */
export function payloadWithBudgets(file: string): string {
  const roomier = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(roomier);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === 'budgetMs' ? 300 : key === 'requestBudgetMs' ? 500 : roomier(inner),
      ]),
    );
  };
  const example = JSON.parse(
    readFileSync(join(ROOT, 'libs/experiments/payloads/home-feed.example.json'), 'utf8'),
  );
  writeFileSync(file, JSON.stringify(roomier(example)));
  return file;
}
