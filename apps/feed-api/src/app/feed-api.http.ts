import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
// The plugin's own in-memory store, wrapped below; it ships no typings of its own.
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as LocalStoreCtor;
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Counter } from 'prom-client';

import { USER_HEADER } from './feed/feed.resolver';
import { FeedService } from './feed/feed.service';
import { type FeedApiConfig } from './feed-api.config';

const RATE_LIMIT_KEYS = 100_000;

interface RateCount {
  current: number;
  ttl: number;
}
type IncrCallback = (error: Error | null, count?: RateCount) => void;
interface LocalStoreInstance {
  incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void;
}
type LocalStoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache: number,
) => LocalStoreInstance;

/**
 * LocalStore hands every request of a key the same counter object, and the plugin reads `current` only after
 * an await: a burst arriving in one tick all read the final count, so even the first `max` requests were
 * refused (all 200 of a 200-request burst, measured). A copy per call gives each request its own count.
 */
class BurstSafeLocalStore {
  private readonly store = new LocalStore(false, false, RATE_LIMIT_KEYS);

  incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void {
    this.store.incr(key, (error, count) => callback(error, count && { ...count }), timeWindow, max);
  }

  child(): BurstSafeLocalStore {
    return new BurstSafeLocalStore();
  }
}

/** Health and metrics stay answered under load and are never rate limited: operators need them most then. */
function isOpsRequest(request: { url: string }): boolean {
  const path = request.url.split('?', 1)[0];
  return path === '/health' || path === '/metrics';
}

/** A shed request's Retry-After: the loop's delay is sampled several times a second. */
const SHED_RETRY_AFTER_SECONDS = 1;

/**
 * HTTP-level protection registered before the routes:
 * - load shedding (`@fastify/under-pressure`): while the event loop's mean delay over the last sample
 *   passes LOAD_SHED_EVENT_LOOP_DELAY_MS, requests get 503 with Retry-After before any work is done for
 *   them, so an overload costs the refused clients a retry instead of costing every client a queue of
 *   seconds;
 * - a per-client rate limit on everything but health and metrics (the viewer's user id header when
 *   present, else the address), answered with 429 and Retry-After. The in-memory store is per instance:
 *   behind N instances a client gets up to N times the rate.
 */
export async function configureFeedApiHttp(
  app: NestFastifyApplication,
  config: FeedApiConfig,
): Promise<void> {
  if (config.LOAD_SHED_EVENT_LOOP_DELAY_MS > 0) await registerLoadShedding(app, config);
  if (config.RATE_LIMIT_PER_SECOND > 0) await registerRateLimit(app, config);
}

/**
 * The event loop's delay is the signal, not the requests in flight (tried first): a homeFeed answered
 * from memory runs almost entirely in one turn of the loop, so under a flood the queue is the requests
 * not yet read off their sockets, which only the loop's delay shows; a cap of 128 in flight never shed
 * while p99 reached 20 s.
 */
async function registerLoadShedding(app: NestFastifyApplication, config: FeedApiConfig): Promise<void> {
  const shed = new Counter({
    name: 'crest_feed_requests_shed_total',
    help: 'Requests refused with 503 because the event loop was overloaded (load shedding)',
    registers: [app.get(FeedService).metrics.registry],
  });
  const maxDelayMs = config.LOAD_SHED_EVENT_LOOP_DELAY_MS;
  // The plugin reports Infinity when the loop was held for the whole sample: not one tick was measured.
  const lag = (delayMs: number) =>
    Number.isFinite(delayMs) ? `${Math.round(delayMs)} ms` : `over ${config.LOAD_SHED_SAMPLE_INTERVAL_MS} ms`;
  await app.register(underPressure as never, {
    maxEventLoopDelay: maxDelayMs,
    sampleInterval: config.LOAD_SHED_SAMPLE_INTERVAL_MS,
    pressureHandler: (
      request: { url: string },
      reply: { status(code: number): { header(name: string, value: number): unknown } },
      _type: string,
      delayMs: number,
    ) => {
      // Returning nothing lets the request through; returning a body sends it with the status set here.
      if (isOpsRequest(request)) return undefined;
      shed.inc();
      reply.status(503).header('Retry-After', SHED_RETRY_AFTER_SECONDS);
      return {
        statusCode: 503,
        error: 'Service Unavailable',
        message:
          `overloaded: the event loop is ${lag(delayMs)} behind (limit ${maxDelayMs} ms); ` +
          `retry in ${SHED_RETRY_AFTER_SECONDS} s`,
      };
    },
  });
}

async function registerRateLimit(app: NestFastifyApplication, config: FeedApiConfig): Promise<void> {
  await app.register(rateLimit as never, {
    global: true,
    max: config.RATE_LIMIT_PER_SECOND,
    timeWindow: 1_000,
    store: BurstSafeLocalStore as never,
    allowList: isOpsRequest,
    keyGenerator: (request: { headers: Record<string, string | string[] | undefined>; ip: string }) => {
      const user = request.headers[USER_HEADER];
      return typeof user === 'string' && user.length > 0 && user.length <= 128
        ? `user:${user}`
        : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request: unknown, context: { max: number; after: string }) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `rate limit: at most ${context.max} requests per second per client; retry in ${context.after}`,
    }),
  });
}
