import '@fastify/cookie';

import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type FastifyRequest } from 'fastify';

import { AdminCredentials, type AdminRole, AdminSessions, type Principal } from './admin-credentials';

export const SESSION_COOKIE = 'crest_admin_session';
export const CSRF_HEADER = 'x-csrf-token';

const PUBLIC = 'crest:admin:public';
const REQUIRED_ROLE = 'crest:admin:role';

/** No authentication (the health check, the login itself). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Operator actions: a viewer is refused with 403. */
export const OperatorOnly = () => SetMetadata(REQUIRED_ROLE, 'operator' satisfies AdminRole);

export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
  /** How the request proved who it is: a bearer token needs no CSRF token, a session cookie does. */
  authenticatedBy?: 'bearer' | 'session';
  csrfToken?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every route needs a viewer or operator, by `Authorization: Bearer <token>` (API clients) or the session
 * cookie set by POST /api/login (the pages). A state-changing request on a session must carry the session's
 * CSRF token in `x-csrf-token`: the cookie goes with any request the browser makes, the header only with
 * the admin's own pages. Bearer requests carry no ambient credential, so they need none.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AdminCredentials) private readonly credentials: AdminCredentials,
    @Inject(AdminSessions) private readonly sessions: AdminSessions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // /health comes from @crest/platform, which knows nothing of admin's decorators.
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets) || request.url === '/health') return true;
    this.authenticate(request);
    const required = this.reflector.getAllAndOverride<AdminRole | undefined>(REQUIRED_ROLE, targets);
    if (required === 'operator' && request.principal!.role !== 'operator')
      throw new ForbiddenException('this action needs the operator role');
    if (request.authenticatedBy === 'session' && !SAFE_METHODS.has(request.method)) {
      const given = request.headers[CSRF_HEADER];
      if (typeof given !== 'string' || !this.sessions.equal(given, request.csrfToken!))
        throw new ForbiddenException(`missing or wrong ${CSRF_HEADER} header (GET /api/me returns it)`);
    }
    return true;
  }

  private authenticate(request: AuthenticatedRequest): void {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer (\S+)$/.exec(authorization);
      const principal = match ? this.credentials.authenticate(match[1]!) : null;
      if (!principal) throw new UnauthorizedException('invalid bearer token');
      request.principal = principal;
      request.authenticatedBy = 'bearer';
      return;
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie === undefined)
      throw new UnauthorizedException('sign in: POST /api/login, or send Authorization: Bearer <token>');
    const session = this.sessions.verify(cookie);
    if (!session) throw new UnauthorizedException('the session is invalid or expired: sign in again');
    request.principal = session.principal;
    request.authenticatedBy = 'session';
    request.csrfToken = session.csrfToken;
  }
}
