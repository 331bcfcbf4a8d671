import rateLimit from '@fastify/rate-limit';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { USER_HEADER } from './feed/feed.resolver';
import { type FeedApiConfig } from './feed-api.config';

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
    cache: 100_000,
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
