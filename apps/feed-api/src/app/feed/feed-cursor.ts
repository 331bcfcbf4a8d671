import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a cursor carries: where the reader is, and what the session has been served. */
export interface FeedCursorState {
  /** `home` for homeFeed, else the carousel id it scrolls. */
  scope: string;
  /** Carousel ids already returned (homeFeed pages). */
  carousels: string[];
  /** Livestream ids already served: the next page excludes them, so nothing repeats or is skipped. */
  served: string[];
}

/** A cursor that is not one we issued, or was altered. */
export class InvalidCursorError extends Error {
  constructor(reason: string) {
    super(`invalid cursor: ${reason}`);
    this.name = 'InvalidCursorError';
  }
}

/** Opaque cursors: base64url JSON plus an HMAC-SHA256 over it, so a client cannot forge or edit one. */
export class FeedCursors {
  constructor(private readonly secret: string) {}

  encode(state: FeedCursorState): string {
    const payload = Buffer.from(JSON.stringify(state)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  decode(cursor: string, scope: string): FeedCursorState {
    const [payload, signature, extra] = cursor.split('.');
    if (!payload || !signature || extra !== undefined) throw new InvalidCursorError('malformed');
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new InvalidCursorError('signature does not match (tampered, or from another deployment)');
    let state: FeedCursorState;
    try {
      state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as FeedCursorState;
    } catch {
      throw new InvalidCursorError('unreadable');
    }
    if (state.scope !== scope) throw new InvalidCursorError(`it pages "${state.scope}", not "${scope}"`);
    return state;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
