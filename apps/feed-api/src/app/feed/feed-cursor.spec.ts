import { FeedCursors, type FeedCursorState } from './feed-cursor';

const STATE: FeedCursorState = { scope: 'home', carousels: ['following'], served: ['s1', 's2'] };

describe('FeedCursors', () => {
  let now = 1_000_000;
  const cursors = new FeedCursors('a-secret-of-sixteen+', { ttlMs: 60_000, clock: () => now });

  it('gives back the state it signed, for the viewer it was issued to', () => {
    expect(cursors.decode(cursors.encode(STATE, 'u1'), 'home', 'u1')).toEqual(STATE);
  });

  it('refuses another viewer, another list, another deployment and an expired cursor, saying which', () => {
    const cursor = cursors.encode(STATE, 'u1');
    expect(() => cursors.decode(cursor, 'home', 'u2')).toThrow(
      'invalid cursor: it was issued to another viewer',
    );
    expect(() => cursors.decode(cursor, 'trending', 'u1')).toThrow(
      'invalid cursor: it pages "home", not "trending"',
    );
    expect(() => new FeedCursors('another-secret-of-16').decode(cursor, 'home', 'u1')).toThrow(
      'invalid cursor: signature does not match (tampered, or from another deployment)',
    );
    now += 59_999;
    expect(cursors.decode(cursor, 'home', 'u1')).toEqual(STATE);
    now += 1;
    expect(() => cursors.decode(cursor, 'home', 'u1')).toThrow(
      'invalid cursor: it has expired; start again without `after`',
    );
  });

  it('refuses malformed and unreadable cursors', () => {
    expect(() => cursors.decode('no-dot', 'home', 'u1')).toThrow('invalid cursor: malformed');
    expect(() => cursors.decode('a.b.c', 'home', 'u1')).toThrow('invalid cursor: malformed');
    expect(() => cursors.decode('', 'home', 'u1')).toThrow('invalid cursor: malformed');
  });
});
