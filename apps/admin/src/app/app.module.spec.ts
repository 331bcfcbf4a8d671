import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestApp } from '@crest/platform/testing';
import { Controller, type DynamicModule, Get, Logger, Module, Post } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { loadAdminConfig } from './admin.config';
import { configureAdminHttp } from './admin-http';
import { AppModule } from './app.module';
import { OperatorOnly } from './auth/admin-auth.guard';
import { AdminSessions } from './auth/admin-credentials';

const VIEWER = 'viewer-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const SECRET = 'session-secret-0123456789abcdef-0123456789';

/** Routes shaped like the operator actions to come, to prove the guard on them. */
@Controller('api/probe')
class ProbeController {
  @Get()
  read() {
    return { read: true };
  }

  @OperatorOnly()
  @Post('act')
  act() {
    return { acted: true };
  }
}

function appWith(env: Record<string, string>): DynamicModule {
  @Module({ imports: [AppModule.forRoot(loadAdminConfig(env))], controllers: [ProbeController] })
  class ProbeModule {}
  return { module: ProbeModule };
}

describe('admin', () => {
  let app: NestFastifyApplication;
  const routes: Array<{ method: string; url: string }> = [];
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    app = await createTestApp(
      appWith({ ADMIN_VIEWER_TOKEN: VIEWER, ADMIN_OPERATOR_TOKEN: OPERATOR, ADMIN_SESSION_SECRET: SECRET }),
      async (nest) => {
        nest
          .getHttpAdapter()
          .getInstance()
          .addHook('onRoute', (route) => {
            for (const method of [route.method].flat())
              if (method !== 'HEAD') routes.push({ method: method.toLowerCase(), url: route.url });
          });
        await configureAdminHttp(nest);
      },
    );
  });
  afterAll(() => app.close());

  const login = async (token: string) => {
    const response = await app.inject({ method: 'POST', url: '/api/login', payload: { token } });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']).split(';')[0]!;
    return { cookie, csrfToken: (response.json() as { csrfToken: string }).csrfToken };
  };

  it('answers the health endpoint without authentication', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', service: 'admin', mode: 'embedded' });
  });

  const PUBLIC_ROUTES = new Set(['get /health', 'post /api/login', 'get /login', 'get /console/:asset']);
  const PAGES = new Set(['/', '/pipeline', '/backends', '/experiments', '/explain', '/dead-letters']);
  const concrete = (url: string) => url.replace(/:(\w+)/g, 'x');

  it('refuses every API route to anonymous callers with 401, saying how to sign in', async () => {
    const apiRoutes = routes.filter(
      (r) => r.url.startsWith('/api/') && !PUBLIC_ROUTES.has(`${r.method} ${r.url}`),
    );
    expect(apiRoutes.length).toBeGreaterThanOrEqual(12);
    for (const route of apiRoutes) {
      const response = await app.inject({
        method: route.method.toUpperCase() as 'GET',
        url: concrete(route.url),
      });
      expect([route.method, route.url, response.statusCode]).toEqual([route.method, route.url, 401]);
      expect(response.json().message).toContain('POST /api/login');
    }
  });

  it('sends anonymous page visits to the login page, and serves a page to a session', async () => {
    for (const page of PAGES) {
      const response = await app.inject({ method: 'GET', url: page });
      expect([page, response.statusCode, response.headers.location]).toEqual([
        page,
        302,
        `/login?next=${encodeURIComponent(page === '/' ? '/pipeline' : page)}`,
      ]);
    }
    const { cookie } = await login(VIEWER);
    const page = await app.inject({ method: 'GET', url: '/dead-letters', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('/console/console.js');
    const forged = await app.inject({ method: 'GET', url: '/pipeline', headers: { cookie: `${cookie}x` } });
    expect(forged.statusCode).toBe(302);
  });

  it('serves the login page and the console assets without a session, and nothing else', async () => {
    expect((await app.inject({ method: 'GET', url: '/login' })).body).toContain('login-form');
    const script = await app.inject({ method: 'GET', url: '/console/console.js' });
    expect([script.statusCode, script.headers['content-type']]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
    expect((await app.inject({ method: 'GET', url: '/console/uplot.js' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/console/..%2Fadmin.config.ts' })).statusCode).toBe(404);
  });

  it('refuses a viewer every operator action (each state-changing route but sign-in/out) with 403', async () => {
    const actions = routes.filter(
      (r) =>
        r.method === 'post' && !['/api/login', '/api/logout'].includes(r.url) && r.url.startsWith('/api/'),
    );
    expect(actions.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/api/backends/:backend/switch', '/api/dead-letters/replay']),
    );
    for (const route of actions) {
      const response = await app.inject({
        method: 'POST',
        url: concrete(route.url),
        headers: bearer(VIEWER),
        payload: {},
      });
      expect([route.url, response.statusCode, response.json().message]).toEqual([
        route.url,
        403,
        'this action needs the operator role',
      ]);
    }
  });

  it('refuses a wrong or malformed bearer token', async () => {
    for (const authorization of ['Bearer nope', 'Basic abc', `Bearer ${VIEWER}x`]) {
      const response = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization } });
      expect(response.statusCode).toBe(401);
    }
  });

  it('tells a viewer from an operator by token, with an actor id that is not the token', async () => {
    const viewer = (await app.inject({ method: 'GET', url: '/api/me', headers: bearer(VIEWER) })).json();
    const operator = (await app.inject({ method: 'GET', url: '/api/me', headers: bearer(OPERATOR) })).json();
    expect(viewer).toMatchObject({ role: 'viewer', authenticatedBy: 'bearer' });
    expect(operator).toMatchObject({ role: 'operator', authenticatedBy: 'bearer' });
    expect(viewer.actor).toMatch(/^viewer:[0-9a-f]{12}$/);
    expect(JSON.stringify([viewer, operator])).not.toContain(VIEWER.slice(0, 12));
  });

  it('lets a viewer read but not act (403), and an operator do both', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/probe', headers: bearer(VIEWER) })).statusCode).toBe(
      200,
    );
    const refused = await app.inject({ method: 'POST', url: '/api/probe/act', headers: bearer(VIEWER) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toBe('this action needs the operator role');
    const done = await app.inject({ method: 'POST', url: '/api/probe/act', headers: bearer(OPERATOR) });
    expect(done.json()).toEqual({ acted: true });
  });

  it('signs in with a token: an HttpOnly, SameSite=Strict session cookie and a CSRF token', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/login', payload: { token: OPERATOR } });
    expect(response.statusCode).toBe(200);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^crest_admin_session=/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(response.json()).toMatchObject({ role: 'operator', csrfHeader: 'x-csrf-token' });
    expect(setCookie).not.toContain(OPERATOR);
  });

  it('refuses a login without a known token', async () => {
    const missing = await app.inject({ method: 'POST', url: '/api/login', payload: {} });
    expect(missing.statusCode).toBe(400);
    const unknown = await app.inject({ method: 'POST', url: '/api/login', payload: { token: 'guess' } });
    expect(unknown.statusCode).toBe(401);
  });

  it('needs the session’s CSRF token for a state-changing request on the cookie', async () => {
    const { cookie, csrfToken } = await login(OPERATOR);
    const me = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ role: 'operator', authenticatedBy: 'session', csrfToken });

    const withoutToken = await app.inject({ method: 'POST', url: '/api/probe/act', headers: { cookie } });
    expect(withoutToken.statusCode).toBe(403);
    expect(withoutToken.json().message).toContain('x-csrf-token');
    const other = await login(OPERATOR);
    const foreignToken = await app.inject({
      method: 'POST',
      url: '/api/probe/act',
      headers: { cookie, 'x-csrf-token': other.csrfToken },
    });
    expect(foreignToken.statusCode).toBe(403);
    const accepted = await app.inject({
      method: 'POST',
      url: '/api/probe/act',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(accepted.json()).toEqual({ acted: true });
  });

  it('refuses a tampered session: a viewer cannot make itself an operator', async () => {
    const { cookie } = await login(VIEWER);
    const [name, value] = cookie.split('=') as [string, string];
    const [body, signature] = value.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...payload, role: 'operator' })).toString('base64url');
    const response = await app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { cookie: `${name}=${forged}.${signature}` },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().message).toContain('invalid or expired');
  });

  it('signs out: the cookie is cleared', async () => {
    const { cookie, csrfToken } = await login(VIEWER);
    const response = await app.inject({
      method: 'POST',
      url: '/api/logout',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(response.statusCode).toBe(200);
    expect(String(response.headers['set-cookie'])).toMatch(/crest_admin_session=;.*Max-Age=0/);
  });

  it('documents every API route in its OpenAPI document, for signed-in users', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json', headers: bearer(VIEWER) });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toMatch(/^3\./);
    const apiRoutes = routes.filter((route) => route.url.startsWith('/api/'));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(6);
    for (const route of apiRoutes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect([route.method, path, document.paths[path]?.[route.method]]).toEqual([
        route.method,
        path,
        expect.anything(),
      ]);
    }
  });

  it('checks a kill switch request and names what is missing for it to work', async () => {
    const post = (url: string, payload: unknown, token = OPERATOR) =>
      app.inject({ method: 'POST', url, payload: payload as object, headers: bearer(token) });
    const viewer = await post('/api/backends/memory/switch', { state: 'off', reason: 'drill' }, VIEWER);
    expect(viewer.statusCode).toBe(403);
    const unknown = await post('/api/backends/redis/switch', { state: 'off', reason: 'drill' });
    expect([unknown.statusCode, unknown.json().message]).toEqual([
      400,
      'backend must be one of memory, elasticsearch, rockset, sql',
    ]);
    expect((await post('/api/backends/memory/switch', { state: 'maybe', reason: 'x' })).json().message).toBe(
      'state must be one of off, on',
    );
    expect((await post('/api/backends/memory/switch', { state: 'off' })).json().message).toBe(
      'reason must say why, in 1 to 500 characters',
    );
    const noKafka = await post('/api/backends/memory/switch', { state: 'off', reason: 'drill' });
    expect([noKafka.statusCode, noKafka.json().message]).toEqual([
      503,
      'the kill switch needs KAFKA_BROKERS: every feed-api instance reads the switches from Kafka',
    ]);
  });

  it('refuses operator actions unaudited: the audit log needs ADMIN_DATABASE_URL', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/audit', headers: bearer(VIEWER) });
    expect(response.statusCode).toBe(503);
    expect(response.json().message).toContain('ADMIN_DATABASE_URL');
  });
});

describe('admin sessions', () => {
  const sessions = new AdminSessions(SECRET, 60_000);

  it('expire', () => {
    const { cookie } = sessions.issue({ role: 'viewer', actor: 'viewer:x' }, 1_000);
    expect(sessions.verify(cookie, 60_999)?.principal).toEqual({ role: 'viewer', actor: 'viewer:x' });
    expect(sessions.verify(cookie, 61_000)).toBeNull();
  });

  it('refuse another secret’s cookies and malformed ones', () => {
    const { cookie } = new AdminSessions(`${SECRET}-other`, 60_000).issue({ role: 'operator', actor: 'o' });
    expect(sessions.verify(cookie)).toBeNull();
    for (const junk of ['', '.', 'abc', 'abc.def', `${Buffer.from('[1').toString('base64url')}.x`])
      expect(sessions.verify(junk)).toBeNull();
  });
});

describe('admin config', () => {
  it('defaults to port 3003 and refuses a bad one by name', () => {
    expect(loadAdminConfig({ ADMIN_VIEWER_TOKEN: VIEWER, ADMIN_OPERATOR_TOKEN: OPERATOR }).PORT).toBe(3003);
    expect(() => loadAdminConfig({ PORT: '70000', LOG_LEVEL: 'chatty' })).toThrow(
      'Invalid configuration for admin:\n' +
        '  - LOG_LEVEL: LOG_LEVEL must be one of: fatal, error, warn, log, debug, verbose (got "chatty")\n' +
        '  - PORT: PORT must not be greater than 65535 (got "70000")',
    );
  });

  it('refuses short, lone or equal tokens and a short session secret', () => {
    expect(() => loadAdminConfig({ ADMIN_VIEWER_TOKEN: 'short', ADMIN_OPERATOR_TOKEN: OPERATOR })).toThrow(
      'ADMIN_VIEWER_TOKEN must be at least 24 characters',
    );
    expect(() => loadAdminConfig({ ADMIN_VIEWER_TOKEN: VIEWER })).toThrow(
      'set both ADMIN_VIEWER_TOKEN and ADMIN_OPERATOR_TOKEN, or neither',
    );
    expect(() => loadAdminConfig({ ADMIN_VIEWER_TOKEN: VIEWER, ADMIN_OPERATOR_TOKEN: VIEWER })).toThrow(
      'ADMIN_OPERATOR_TOKEN must differ from ADMIN_VIEWER_TOKEN',
    );
    expect(() => loadAdminConfig({ ADMIN_SESSION_SECRET: 'short' })).toThrow(
      'ADMIN_SESSION_SECRET must be at least 32 characters',
    );
  });

  it('generates tokens when none are set: written owner-only, working, never logged', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'crest-admin-')), 'tokens.json');
    const logged: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    const generated = await createTestApp(appWith({ ADMIN_TOKENS_FILE: file }), configureAdminHttp);
    try {
      const tokens = JSON.parse(readFileSync(file, 'utf8')) as { viewer: string; operator: string };
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const me = await generated.inject({
        method: 'GET',
        url: '/api/me',
        headers: { authorization: `Bearer ${tokens.operator}` },
      });
      expect(me.json()).toMatchObject({ role: 'operator' });
      expect(logged.some((line) => line.includes(file))).toBe(true);
      expect(logged.join('\n')).not.toContain(tokens.viewer);
      expect(logged.join('\n')).not.toContain(tokens.operator);
    } finally {
      spy.mockRestore();
      await generated.close();
    }
  });
});
