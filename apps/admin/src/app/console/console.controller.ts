import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Controller, Get, Inject, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';

import { type AuthenticatedRequest, Public, SESSION_COOKIE } from '../auth/admin-auth.guard';
import { AdminSessions } from '../auth/admin-credentials';

/** The console's pages: one shell, each page drawn by console.js from the JSON API. */
export const CONSOLE_PAGES = ['pipeline', 'backends', 'experiments', 'explain', 'dead-letters'] as const;

// The built app (dist/apps/admin/main.js) has the assets beside it; under jest this file runs from src/app/console.
const ASSETS_DIR = [
  join(__dirname, 'assets', 'console'),
  join(__dirname, '..', '..', 'assets', 'console'),
].find((dir) => existsSync(join(dir, 'console.html')));

/**
 * uPlot's files are copied beside the pages by the build (apps/admin/webpack.config.js); run from source
 * (jest) they are read from node_modules. The lazy require.resolve matters: webpack turns it into a module id.
 */
const ASSETS: Record<string, { file: string; type: string; fromSource?: () => string }> = {
  'console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  'console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  'uplot.js': {
    file: 'uPlot.iife.min.js',
    type: 'text/javascript; charset=utf-8',
    fromSource: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
  },
  'uplot.css': {
    file: 'uPlot.min.css',
    type: 'text/css; charset=utf-8',
    fromSource: () => require.resolve('uplot/dist/uPlot.min.css'),
  },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * Pages need a session: without one the browser is sent to /login. The scripts and styles are public (they
 * hold no data); every piece of data comes from the /api routes behind the guard.
 */
@ApiExcludeController()
@Controller()
export class ConsoleController {
  private readonly cache = new Map<string, Buffer>();

  constructor(@Inject(AdminSessions) private readonly sessions: AdminSessions) {}

  @Public()
  @Get('login')
  login(@Res() reply: FastifyReply) {
    this.send(reply, 'login.html', 'text/html; charset=utf-8');
  }

  @Public()
  @Get()
  home(@Req() request: AuthenticatedRequest, @Res() reply: FastifyReply) {
    this.page(request, reply, CONSOLE_PAGES[0]);
  }

  @Public()
  @Get(CONSOLE_PAGES.map((page) => page))
  named(@Req() request: AuthenticatedRequest, @Res() reply: FastifyReply) {
    this.page(request, reply, request.url.split('?')[0]!.slice(1));
  }

  @Public()
  @Get('console/:asset')
  asset(@Param('asset') name: string, @Res() reply: FastifyReply) {
    const asset = ASSETS[name];
    if (!asset) throw new NotFoundException();
    const copied = ASSETS_DIR && existsSync(join(ASSETS_DIR, asset.file));
    this.send(reply, copied || !asset.fromSource ? asset.file : asset.fromSource(), asset.type);
  }

  private page(request: AuthenticatedRequest, reply: FastifyReply, page: string) {
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (!cookie || !this.sessions.verify(cookie)) {
      void reply.redirect(`/login?next=${encodeURIComponent(`/${page}`)}`, 302);
      return;
    }
    this.send(reply, 'console.html', 'text/html; charset=utf-8');
  }

  private send(reply: FastifyReply, file: string, type: string) {
    if (!ASSETS_DIR) throw new NotFoundException('the console assets are missing from this build');
    const path = file.startsWith('/') ? file : join(ASSETS_DIR, file);
    let body = this.cache.get(path);
    if (!body) {
      body = readFileSync(path);
      this.cache.set(path, body);
    }
    void reply.headers({ ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-cache' }).send(body);
  }
}
