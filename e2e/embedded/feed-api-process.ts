import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');

export interface GraphQLAnswer<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** The built feed-api (`nx build feed-api`, a dependency of this suite) as its own process. */
export class FeedApiProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly output: string[],
  ) {}

  static async start(port: number, env: Record<string, string> = {}): Promise<FeedApiProcess> {
    const main = join(ROOT, 'dist/apps/feed-api/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npx nx build feed-api`);
    const output: string[] = [];
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', PORT: String(port), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const app = new FeedApiProcess(child, `http://127.0.0.1:${port}`, output);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`feed-api exited (${child.exitCode}):\n${output.join('')}`);
      try {
        if ((await fetch(`${app.url}/health`)).ok) return app;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await app.stop();
    throw new Error(`feed-api did not answer /health within 30 s:\n${output.join('')}`);
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

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
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

  /** What the process printed (for failure messages). */
  get log(): string {
    return this.output.join('');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` saying what it waited for. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  pollMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
