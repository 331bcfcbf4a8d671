import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';

import { type AdminConfig } from '../admin.config';
import { ADMIN_CONFIG } from '../admin.tokens';
import { type AuthenticatedRequest, CSRF_HEADER, Public, SESSION_COOKIE } from './admin-auth.guard';
import { AdminCredentials, AdminSessions } from './admin-credentials';

class LoginBody {
  @ApiProperty({ description: 'a viewer or operator token' })
  token!: string;
}

/** Sign in with a token (the login page posts it), see who you are, sign out. */
@ApiTags('session')
@Controller('api')
export class AuthController {
  constructor(
    @Inject(AdminCredentials) private readonly credentials: AdminCredentials,
    @Inject(AdminSessions) private readonly sessions: AdminSessions,
    @Inject(ADMIN_CONFIG) private readonly config: AdminConfig,
  ) {}

  /** `{ token }` → a session cookie (HttpOnly, SameSite=Strict) and the CSRF token for its writes. */
  @ApiOperation({ summary: 'Sign in with a token: sets the session cookie, answers the CSRF token' })
  @ApiBody({ type: LoginBody })
  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const token = (body as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 512)
      throw new BadRequestException('send {"token": "<viewer or operator token>"}');
    const principal = this.credentials.authenticate(token);
    if (!principal) throw new UnauthorizedException('unknown token');
    const session = this.sessions.issue(principal);
    void reply.setCookie(SESSION_COOKIE, session.cookie, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      // Over plain HTTP only on loopback (local development); anywhere else the browser sends it on HTTPS only.
      secure: this.config.HOST !== '127.0.0.1' && this.config.HOST !== 'localhost',
      expires: session.expiresAt,
    });
    return { ...principal, csrfToken: session.csrfToken, csrfHeader: CSRF_HEADER };
  }

  @ApiOperation({ summary: 'Sign out: clears the session cookie' })
  @Post('logout')
  @HttpCode(200)
  logout(@Res({ passthrough: true }) reply: FastifyReply) {
    void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/' });
    return { signedOut: true };
  }

  @ApiOperation({ summary: 'Who you are: role, actor id and, on a session, its CSRF token' })
  @Get('me')
  me(@Req() request: AuthenticatedRequest) {
    return {
      ...request.principal!,
      authenticatedBy: request.authenticatedBy,
      ...(request.csrfToken ? { csrfToken: request.csrfToken, csrfHeader: CSRF_HEADER } : {}),
    };
  }
}
