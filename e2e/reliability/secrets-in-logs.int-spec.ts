import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Pool } from 'pg';

import { AppProcess, FeedApiProcess, ROOT } from '../app-process';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A value that cannot appear in a log by chance: if it shows up, a secret leaked. */
const canary = (name: string) => `canary-${name}-${randomBytes(12).toString('hex')}`;

/** `url` with `password` as its password (the local PostgreSQL trusts local connections, so it is ignored). */
function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** An HTTP server on a free port that answers every request with `status`. */
async function failingHttpServer(status: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_request, response) => response.writeHead(status).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function leaks(log: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets).flatMap(([name, value]) => (log.includes(value) ? [name] : []));
}

/**
 * Every app started with canary values in each secret it takes, at the most verbose log level, and driven
 * through its normal and failing paths (wrong tokens, bad cursors, an unreachable GrowthBook, bad config):
 * no canary may appear in anything it prints.
 */
describe('secrets never reach the logs', () => {
  const schema = `crest_int_canary_${randomBytes(4).toString('hex')}`;
  const apps: AppProcess[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    const pg = new Pool({ connectionString: databaseUrl });
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  it('feed-api and admin, serving and refusing, print none of their secrets', async () => {
    const secrets = {
      FEED_SECRET: canary('feed-secret'),
      FEED_API_OPS_TOKEN: canary('ops-token'),
      GROWTHBOOK_CLIENT_KEY: `sdk-${canary('client-key')}`,
      ADMIN_VIEWER_TOKEN: canary('viewer-token'),
      ADMIN_OPERATOR_TOKEN: canary('operator-token'),
      ADMIN_SESSION_SECRET: canary('session-secret-of-32-characters'),
      ADMIN_DATABASE_PASSWORD: canary('db-password'),
    };
    const growthbook = await failingHttpServer(503);
    const feed = await FeedApiProcess.startFeedApi(29_751, {
      LOG_LEVEL: 'verbose',
      FEED_SECRET: secrets.FEED_SECRET,
      FEED_API_OPS_TOKEN: secrets.FEED_API_OPS_TOKEN,
      // Answers 503: the failed fetch is logged, with the built-in config serving meanwhile.
      GROWTHBOOK_API_HOST: growthbook.url,
      GROWTHBOOK_CLIENT_KEY: secrets.GROWTHBOOK_CLIENT_KEY,
      GROWTHBOOK_REFRESH_MS: '1000',
      GROWTHBOOK_CACHE_FILE: join(tmpdir(), `crest-canary-growthbook-${schema}.json`),
    });
    apps.push(feed);
    const admin = await AppProcess.start('admin', 29_752, {
      LOG_LEVEL: 'verbose',
      ADMIN_VIEWER_TOKEN: secrets.ADMIN_VIEWER_TOKEN,
      ADMIN_OPERATOR_TOKEN: secrets.ADMIN_OPERATOR_TOKEN,
      ADMIN_SESSION_SECRET: secrets.ADMIN_SESSION_SECRET,
      ADMIN_DATABASE_URL: withPassword(databaseUrl, secrets.ADMIN_DATABASE_PASSWORD),
      ADMIN_DATABASE_SCHEMA: schema,
      ADMIN_FEED_API_URLS: feed.url,
      FEED_API_OPS_TOKEN: secrets.FEED_API_OPS_TOKEN,
    });
    apps.push(admin);

    const home = await feed.graphql<{ homeFeed: { pageInfo: { endCursor: string } } }>(
      '{ homeFeed(first: 1) { pageInfo { endCursor } } }',
      {},
      'canary-viewer',
    );
    expect(home.errors).toBeUndefined();
    await feed.graphql('query ($a: String) { homeFeed(after: $a) { pageInfo { endCursor } } }', { a: 'x.y' });
    const cursor = home.data!.homeFeed.pageInfo.endCursor;
    await feed.graphql('query ($a: String) { homeFeed(after: $a) { pageInfo { endCursor } } }', {
      a: cursor,
    });
    const explain = (token: string) =>
      fetch(`${feed.url}/internal/explain?userId=u1`, { headers: { authorization: `Bearer ${token}` } });
    expect((await explain(`${secrets.FEED_API_OPS_TOKEN}x`)).status).toBe(401);
    expect((await explain(secrets.FEED_API_OPS_TOKEN)).status).toBe(200);

    const login = (token: string) =>
      fetch(`${admin.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    expect((await login(`${secrets.ADMIN_OPERATOR_TOKEN}x`)).status).toBe(401);
    expect((await login(secrets.ADMIN_OPERATOR_TOKEN)).status).toBeLessThan(300);
    const asViewer = { authorization: `Bearer ${secrets.ADMIN_VIEWER_TOKEN}` };
    expect((await fetch(`${admin.url}/api/experiments`, { headers: asViewer })).status).toBe(200);
    expect((await fetch(`${admin.url}/api/audit`, { headers: asViewer })).status).toBe(200);
    // A viewer trying an operator action: refused, and the refusal logged without the token.
    const refused = await fetch(`${admin.url}/api/backends/memory/switch`, {
      method: 'POST',
      headers: { ...asViewer, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'off', reason: 'canary test' }),
    });
    expect(refused.status).toBe(403);
    // Let the failing GrowthBook refreshes log a few times.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    await Promise.all([feed.stop(), admin.stop(), growthbook.close()]);
    expect(feed.log).toMatch(/growthbook refresh failed.*answered 503/i); // logged, only without its key
    expect(leaks(feed.log, secrets)).toEqual([]);
    expect(leaks(admin.log, secrets)).toEqual([]);
  });

  it('a refused configuration names the bad keys but masks secrets and URL passwords', () => {
    const password = canary('url-password');
    const secrets = { password, FEED_SECRET: canary('short') };
    const runs = [
      [
        'feed-api',
        {
          FEED_SECRET: secrets.FEED_SECRET.slice(0, 10), // too short: refused, must not be echoed
          PULL_MODEL_DATABASE_URL: `${withPassword(databaseUrl, password)} trailing`, // not a URL
        },
      ],
      ['event-ingestor', { PULL_MODEL_DATABASE_URL: `${withPassword(databaseUrl, password)} x`, PORT: '0' }],
      ['admin', { ADMIN_DATABASE_URL: `${withPassword(databaseUrl, password)} x`, ADMIN_SESSION_HOURS: '0' }],
    ] as const;
    for (const [app, env] of runs) {
      const run = spawnSync(process.execPath, [join(ROOT, `dist/apps/${app}/main.js`)], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      const printed = `${run.stdout}${run.stderr}`;
      expect({ app, status: run.status }).toEqual({ app, status: 78 });
      expect(printed).toContain(
        'PULL_MODEL_DATABASE_URL' in env ? 'PULL_MODEL_DATABASE_URL' : 'ADMIN_DATABASE_URL',
      );
      expect({
        app,
        leaks: leaks(printed, { password, FEED_SECRET: secrets.FEED_SECRET.slice(0, 10) }),
      }).toEqual({
        app,
        leaks: [],
      });
    }
  });
});
