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

export interface FeedCursorOptions {
  /** How long a cursor pages; after that the client starts again from the top. Default 1 h. */
  ttlMs?: number;
  clock?: () => number;
}

/** The signed envelope: the state, whose it is (a keyed digest of the viewer id, not the id) and until when. */
interface SignedCursor extends FeedCursorState {
  viewer: string;
  expiresAt: number;
}

/**
 * Opaque cursors: base64url JSON plus an HMAC-SHA256 over it, so a client cannot forge or edit one. Each is
 * bound to the viewer it was issued to and expires, so a cursor replayed by someone else (a leaked or
 * shared link) or long after its session is refused rather than paging someone else's served list.
 */
export class FeedCursors {
  private readonly ttlMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly secret: string,
    options: FeedCursorOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.clock = options.clock ?? Date.now;
  }

  encode(state: FeedCursorState, viewer: string): string {
    const signed: SignedCursor = {
      ...state,
      viewer: this.viewerDigest(viewer),
      expiresAt: this.clock() + this.ttlMs,
    };
    const payload = Buffer.from(JSON.stringify(signed)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  decode(cursor: string, scope: string, viewer: string): FeedCursorState {
    const [payload, signature, extra] = cursor.split('.');
    if (!payload || !signature || extra !== undefined) throw new InvalidCursorError('malformed');
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new InvalidCursorError('signature does not match (tampered, or from another deployment)');
    let signed: SignedCursor;
    try {
      signed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SignedCursor;
    } catch {
      throw new InvalidCursorError('unreadable');
    }
    if (signed.viewer !== this.viewerDigest(viewer))
      throw new InvalidCursorError('it was issued to another viewer');
    if (!(signed.expiresAt > this.clock()))
      throw new InvalidCursorError('it has expired; start again without `after`');
    if (signed.scope !== scope) throw new InvalidCursorError(`it pages "${signed.scope}", not "${scope}"`);
    return { scope: signed.scope, carousels: signed.carousels, served: signed.served };
  }

  private viewerDigest(viewer: string): string {
    return createHmac('sha256', this.secret).update(`viewer:${viewer}`).digest('base64url').slice(0, 22);
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
