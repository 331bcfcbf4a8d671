import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Topic } from '@crest/event-schemas';
import { KafkaEventBus } from '@crest/messaging';
import { encodeSimulatedItem, MarketplaceSimulator } from '@crest/testing';
import { Client } from '@elastic/elasticsearch';
import { Pool } from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';

import { AppProcess, eventually, FeedApiProcess, payloadWithBudgets, ROOT } from '../app-process';

/**
 * The operator console in a real browser (Debian's Chromium through playwright-core) over the whole stack
 * on real Kafka, Elasticsearch and PostgreSQL: event-ingestor, feed-api and admin as built processes, fed
 * by the simulator. Signs in, opens every page, explains a feed, flips the memory backend off and sees
 * feed-api fall back to Elasticsearch, replays a dead letter, and saves a screenshot of each page.
 */
const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOTS = join(ROOT, 'dist/e2e/admin-console');

const run = randomUUID().slice(0, 8);
const alias = `crest-e2e-admin-${run}`;
const schema = `crest_admin_e2e_${run}`;
const VIEWER = `viewer-${run}-0123456789abcdef`;
const OPERATOR = `operator-${run}-0123456789abcdef`;
const OPS_TOKEN = `ops-${run}-0123456789abcdef0123`;

interface CarouselNode {
  id: string;
  servedBy: { retrieval: string | null; retrievalReason: string | null };
}
const HOME = `{ homeFeed(first: 10) { edges { node { id servedBy { retrieval retrievalReason } } } } }`;

describe('the admin console in a browser, over the whole stack', () => {
  const bus = new KafkaEventBus({
    brokers: brokers.split(','),
    clientId: `e2e-admin-${run}`,
    createTopics: true,
  });
  const payloadFile = join(tmpdir(), `${alias}.json`);
  const processes: AppProcess[] = [];
  let feed: FeedApiProcess;
  let admin: AppProcess;
  let browser: Browser;
  let page: Page;
  let producing: NodeJS.Timeout | undefined;
  let followerId = '';
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const homeFeed = async (user: string) =>
    (
      await feed.graphql<{ homeFeed: { edges: Array<{ node: CarouselNode }> } }>(HOME, {}, user)
    ).data?.homeFeed.edges.map((e) => e.node) ?? [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath))
      throw new Error(
        `no Chromium at ${chromiumPath}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`,
      );
    mkdirSync(SCREENSHOTS, { recursive: true });

    // The marketplace, live: follows first (so a user has a personal feed), then a second of events every second.
    // A light load: the topics are shared with the ingestor's suites, whose rebuilds replay the last hour.
    const simulator = new MarketplaceSimulator({
      seed: 9_100 + Math.floor(Math.random() * 1_000_000),
      eventsPerSecond: 40,
      targetLiveStreams: 25,
      sellers: 40,
      users: 200,
      startTime: Date.now(),
    });
    const follows = simulator.initialFollowEvents();
    followerId = (follows[0] as { userId: string }).userId;
    await bus.publish(follows.map((event) => encodeSimulatedItem({ kind: 'event', event })));
    const produce = async () => {
      const items = simulator.advance(Math.max(0, Date.now() - simulator.now()));
      if (items.length > 0) await bus.publish(items.map(encodeSimulatedItem)).catch(() => undefined);
    };
    await produce();
    producing = setInterval(() => void produce(), 500);

    const common = {
      KAFKA_BROKERS: brokers,
      ELASTICSEARCH_URL: elasticsearchUrl,
      ELASTICSEARCH_INDEX_ALIAS: alias,
    };
    const groupId = `crest.e2e-admin.${run}`;
    const ingestor = await AppProcess.start('event-ingestor', 29_731, {
      ...common,
      INGEST_GROUP_ID: groupId,
      EMIT_INTERVAL_MS: '200',
    });
    processes.push(ingestor);
    // Its group is new: whatever earlier suites left on the topics goes through first (the crash and fuzz
    // suites leave ~100k messages, 10k of them malformed), or this suite's own events wait behind them
    // (a CI run timed out waiting for its malformed bid among the dead letters).
    await eventually(
      'the ingestor to catch up with the topics',
      () => ingestor.ingestCaughtUp(),
      240_000,
      500,
    );
    feed = await FeedApiProcess.startFeedApi(29_732, {
      ...common,
      FEED_API_OPS_TOKEN: OPS_TOKEN,
      GROWTHBOOK_PAYLOAD_FILE: payloadWithBudgets(payloadFile),
      RATE_LIMIT_PER_SECOND: '0',
    });
    processes.push(feed);
    admin = await AppProcess.start('admin', 29_733, {
      KAFKA_BROKERS: brokers,
      ADMIN_VIEWER_TOKEN: VIEWER,
      ADMIN_OPERATOR_TOKEN: OPERATOR,
      ADMIN_DATABASE_URL: databaseUrl,
      ADMIN_DATABASE_SCHEMA: schema,
      ADMIN_FEED_API_URLS: feed.url,
      ADMIN_INGESTOR_URL: 'http://127.0.0.1:29731',
      FEED_API_OPS_TOKEN: OPS_TOKEN,
      ADMIN_SCRAPE_INTERVAL_MS: '1000',
      INGEST_GROUP_ID: groupId,
    });
    processes.push(admin);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('Failed to load resource'))
        pageErrors.push(message.text());
    });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
  }, 420_000);

  // No page may throw: a console that breaks quietly is what this suite is for.
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  afterAll(async () => {
    clearInterval(producing);
    await browser?.close();
    for (const app of processes.reverse()) await app.stop();
    await bus.close();
    rmSync(payloadFile, { force: true });
    const es = new Client({ node: elasticsearchUrl });
    await es.indices.delete({ index: `${alias}-*`, ignore_unavailable: true }).catch(() => undefined);
    await es.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
    await es.close();
    const pool = new Pool({ connectionString: databaseUrl });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }, 60_000);

  it('sends an anonymous visitor to sign in, then shows the pipeline moving', async () => {
    await page.goto(`${admin.url}/pipeline`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error:has-text("unknown token")');
    await page.fill('#token', OPERATOR);
    await page.click('button[type=submit]');
    await page.waitForURL('**/pipeline');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=events-per-second] .value')?.textContent) > 0,
      undefined,
      { timeout: 60_000 },
    );
    await page.waitForSelector('[data-testid=events-by-type] tbody tr td:has-text(".")');
    await page.waitForSelector('[data-testid=lag-table] tbody tr td:has-text("marketplace.")');
    await page.waitForSelector('#chart canvas');
    expect(await page.textContent('#whoami')).toContain('operator');
    await shot('pipeline');
  }, 90_000);

  it('explains a follower’s feed: carousels, candidates, contributions, timings', async () => {
    await page.goto(`${admin.url}/explain`);
    await page.fill('#explain-user', followerId);
    await page.click('#explain-form button[type=submit]');
    await page.waitForSelector('#explain-result section[data-carousel], #explain-result .error', {
      timeout: 30_000,
    });
    const failure = await page.$('#explain-result .error');
    expect(failure ? await failure.textContent() : null).toBeNull();
    const sections = await page.$$eval('#explain-result section[data-carousel]', (nodes) =>
      nodes.map((n) => n.getAttribute('data-carousel')),
    );
    expect(sections.length).toBeGreaterThanOrEqual(3);
    const explained = await page.textContent('#explain-result');
    expect(explained).toContain('retrieval: memory');
    expect(explained).toMatch(/[+-]\d+\.\d{3} momentum/);
    expect(explained).toContain('ranking ');
    await shot('explain');
  }, 60_000);

  it('shows the experiments in force and the validity of home-feed-config', async () => {
    await page.goto(`${admin.url}/experiments`);
    await page.waitForSelector('[data-testid=config-validity] .value:has-text("valid")');
    expect(await page.textContent('[data-testid=payload-source] .value')).toBe('file');
    await page.waitForSelector('section[data-feature="home-feed-config"]');
    expect(await page.getAttribute('section[data-feature="home-feed-config"] a', 'href')).toBe(
      'https://app.growthbook.io/features/home-feed-config',
    );
    await shot('experiments');
  }, 30_000);

  it('flips the memory backend off for feed-api, which falls back to Elasticsearch, and back on', async () => {
    await eventually(
      'a home feed served by the memory backend',
      async () =>
        (await homeFeed(followerId)).some((c) => c.servedBy.retrieval === 'memory') ? true : undefined,
      30_000,
      250,
    );
    await page.goto(`${admin.url}/backends`);
    await page.waitForSelector('[data-testid=backends-table] tr[data-backend=memory]');
    await page.fill('#switch-reason', 'e2e drill: memory replica suspect');
    await page.click('[data-testid=switch-off-memory]');
    const fellBack = await eventually(
      'every carousel served by Elasticsearch because memory is switched off',
      async () => {
        const carousels = await homeFeed(followerId);
        return carousels.length > 0 &&
          carousels.every(
            (c) =>
              c.servedBy.retrieval === 'elasticsearch' &&
              c.servedBy.retrievalReason === 'fallback-circuit-open',
          )
          ? carousels
          : undefined;
      },
      15_000,
      200,
    );
    expect(fellBack.length).toBeGreaterThan(0);
    await page.waitForSelector('tr[data-backend=memory] .badge:has-text("isolated")', { timeout: 15_000 });
    await page.waitForSelector('text=e2e drill: memory replica suspect');
    await shot('backends-memory-off');

    await page.click('[data-testid=switch-on-memory]');
    await eventually(
      'memory serving again once switched on',
      async () =>
        (await homeFeed(followerId)).some((c) => c.servedBy.retrieval === 'memory') ? true : undefined,
      15_000,
      200,
    );
  }, 90_000);

  it('replays a dead letter once, audited', async () => {
    // What a faulty producer sends: the ingestor dead-letters it with the reason.
    const badEventId = randomUUID();
    await bus.publish([
      {
        topic: Topic.Commerce,
        key: `stream-${run}`,
        value: JSON.stringify({ type: 'bid.placed', eventId: badEventId, version: 1, amountMinor: 'ten' }),
      },
    ]);
    await page.goto(`${admin.url}/dead-letters?topic=${Topic.Commerce}`);
    const row = await eventually(
      'the malformed bid in the dead letters',
      async () => {
        await page.reload();
        const found = await page.$(`[data-testid=dlq-list] tr:has-text("${badEventId}")`);
        return found ?? undefined;
      },
      30_000,
      1_000,
    );
    await row.click();
    await page.waitForSelector(`[data-testid=dlq-payload]:has-text("${badEventId}")`);
    await page.fill('#replay-reason', 'e2e: schema fix deployed');
    await page.click('[data-testid=replay-one]');
    await page.waitForSelector(
      `[data-testid=dlq-list] tr:has-text("${badEventId}") .badge:has-text("by operator:")`,
    );
    expect(dialogs.some((message) => message.startsWith('Replayed 1, already replayed 0, failed 0'))).toBe(
      true,
    );
    await shot('dead-letters');

    const audit = (
      await admin.get<{ entries: Array<{ action: string; detail: { reason: string } }> }>(
        '/api/audit?action=dead-letter.replay',
        { authorization: `Bearer ${VIEWER}` },
      )
    ).entries;
    expect(audit).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ reason: 'e2e: schema fix deployed' }) }),
    ]);
  }, 90_000);

  it('shows a viewer every page but no operator action', async () => {
    const context = await browser.newContext();
    const viewerPage = await context.newPage();
    await viewerPage.goto(`${admin.url}/login?next=/backends`);
    await viewerPage.fill('#token', VIEWER);
    await viewerPage.click('button[type=submit]');
    await viewerPage.waitForURL('**/backends');
    await viewerPage.waitForSelector('tr[data-backend=memory] td:has-text("operator only")');
    expect(await viewerPage.$('[data-testid=switch-off-memory]')).toBeNull();
    const refused = await viewerPage.evaluate(async () => {
      const me = (await (await fetch('/api/me')).json()) as { csrfHeader: string; csrfToken: string };
      const response = await fetch('/api/backends/memory/switch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', [me.csrfHeader]: me.csrfToken },
        body: JSON.stringify({ state: 'off', reason: 'viewer tries' }),
      });
      return response.status;
    });
    expect(refused).toBe(403);
    await context.close();
  }, 30_000);
});
