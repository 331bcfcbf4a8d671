import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { type AdminConfig } from '../admin.config';

export const ADMIN_ROLES = ['viewer', 'operator'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Who made a request: the role, and an actor id for the audit log (never the token itself). */
export interface Principal {
  role: AdminRole;
  /** `<role>:<first 12 hex of the token's SHA-256>`, so two operators' tokens read apart in the audit log. */
  actor: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The viewer and operator tokens, from the config or generated once per start and written, readable by the
 * owner only, to ADMIN_TOKENS_FILE: a fresh clone gets working credentials and none are ever logged.
 */
export class AdminCredentials {
  private readonly tokens: Array<{ role: AdminRole; digest: Buffer; actor: string }>;

  private constructor(
    tokens: Record<AdminRole, string>,
    /** Set when the tokens were generated: where they were written. */
    readonly generatedFile: string | null,
  ) {
    this.tokens = ADMIN_ROLES.map((role) => ({
      role,
      digest: digest(tokens[role]),
      actor: `${role}:${digest(tokens[role]).toString('hex').slice(0, 12)}`,
    }));
  }

  static fromConfig(config: AdminConfig): AdminCredentials {
    if (config.ADMIN_VIEWER_TOKEN && config.ADMIN_OPERATOR_TOKEN)
      return new AdminCredentials(
        { viewer: config.ADMIN_VIEWER_TOKEN, operator: config.ADMIN_OPERATOR_TOKEN },
        null,
      );
    const generated = {
      viewer: randomBytes(24).toString('base64url'),
      operator: randomBytes(24).toString('base64url'),
    };
    mkdirSync(dirname(config.ADMIN_TOKENS_FILE), { recursive: true });
    writeFileSync(config.ADMIN_TOKENS_FILE, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
    return new AdminCredentials(generated, config.ADMIN_TOKENS_FILE);
  }

  /** The principal a token stands for, or null. Compares digests in constant time. */
  authenticate(token: string): Principal | null {
    const given = digest(token);
    let found: Principal | null = null;
    for (const candidate of this.tokens)
      if (timingSafeEqual(given, candidate.digest)) found = { role: candidate.role, actor: candidate.actor };
    return found;
  }
}

/**
 * Session cookies and CSRF tokens, both HMACs under ADMIN_SESSION_SECRET. A session is
 * `<base64url JSON>.<signature>`; its CSRF token is bound to the session's nonce, so a token lifted from one
 * session is useless in another.
 */
export class AdminSessions {
  constructor(
    private readonly secret: string,
    private readonly lifetimeMs: number,
  ) {}

  issue(principal: Principal, now = Date.now()): { cookie: string; csrfToken: string; expiresAt: Date } {
    const payload = {
      ...principal,
      nonce: randomBytes(12).toString('base64url'),
      exp: now + this.lifetimeMs,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return {
      cookie: `${body}.${this.sign(`session.${body}`)}`,
      csrfToken: this.sign(`csrf.${payload.nonce}`),
      expiresAt: new Date(payload.exp),
    };
  }

  /** The session's principal and its CSRF token, or null when forged, malformed or expired. */
  verify(cookie: string, now = Date.now()): { principal: Principal; csrfToken: string } | null {
    const dot = cookie.lastIndexOf('.');
    if (dot <= 0) return null;
    const body = cookie.slice(0, dot);
    if (!this.equal(cookie.slice(dot + 1), this.sign(`session.${body}`))) return null;
    let payload: { role?: unknown; actor?: unknown; nonce?: unknown; exp?: unknown };
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof payload;
    } catch {
      return null;
    }
    const { role, actor, nonce, exp } = payload;
    if (!ADMIN_ROLES.includes(role as AdminRole) || typeof actor !== 'string' || typeof nonce !== 'string')
      return null;
    if (typeof exp !== 'number' || exp <= now) return null;
    return { principal: { role: role as AdminRole, actor }, csrfToken: this.sign(`csrf.${nonce}`) };
  }

  equal(a: string, b: string): boolean {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  }

  private sign(value: string): string {
    return createHmac('sha256', this.secret).update(value).digest('base64url');
  }
}
