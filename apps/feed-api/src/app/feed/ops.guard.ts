import { createHash, timingSafeEqual } from 'node:crypto';

import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { type FastifyRequest } from 'fastify';

import { FEED_API_CONFIG } from '../embedded/embedded-marketplace.service';
import { type FeedApiConfig } from '../feed-api.config';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** SHA-256 first: timingSafeEqual needs equal lengths, and comparing digests leaks neither value nor length. */
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The operators' routes: with FEED_API_OPS_TOKEN set, `Authorization: Bearer <token>` (401 otherwise);
 * unset, callers on this host only (403 otherwise). The address is the socket's, never a forwarded header:
 * a proxy on this host makes every caller loopback, so such a deployment must set the token.
 */
@Injectable()
export class OpsGuard implements CanActivate {
  private readonly token: Buffer | null;

  constructor(@Inject(FEED_API_CONFIG) config: FeedApiConfig) {
    this.token = config.FEED_API_OPS_TOKEN ? digest(config.FEED_API_OPS_TOKEN) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.token) {
      const header = request.headers.authorization;
      const presented = typeof header === 'string' ? /^Bearer (\S+)$/i.exec(header)?.[1] : undefined;
      if (presented === undefined || !timingSafeEqual(digest(presented), this.token))
        throw new UnauthorizedException('send Authorization: Bearer <FEED_API_OPS_TOKEN>');
      return true;
    }
    const address = request.raw.socket.remoteAddress ?? '';
    if (!LOOPBACK.has(address))
      throw new ForbiddenException(
        `/internal/* answers only loopback callers while FEED_API_OPS_TOKEN is unset (you are ${address || 'unknown'}); set FEED_API_OPS_TOKEN to call it from elsewhere with a bearer token`,
      );
    return true;
  }
}
