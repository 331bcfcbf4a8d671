import rateLimit from '@fastify/rate-limit';
// The plugin's own in-memory store, wrapped below; it ships no typings of its own.
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as LocalStoreCtor;
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { USER_HEADER } from './feed/feed.resolver';
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

/**
 * HTTP-level protection registered before the routes: a per-client rate limit on everything but health
 * and metrics (the viewer's user id header when present, else the address), answered with 429 and
 * Retry-After. The in-memory store is per instance: behind N instances a client gets up to N times the rate.
 */
export async function configureFeedApiHttp(
  app: NestFastifyApplication,
  config: FeedApiConfig,
): Promise<void> {
  if (config.RATE_LIMIT_PER_SECOND === 0) return;
  await app.register(rateLimit as never, {
    global: true,
    max: config.RATE_LIMIT_PER_SECOND,
    timeWindow: 1_000,
    store: BurstSafeLocalStore as never,
    allowList: (request: { url: string }) => request.url === '/health' || request.url === '/metrics',
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
