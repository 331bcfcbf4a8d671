import { type Candidate, type RankRequest, type UserContext } from '../generated/crest/ranking/v1/ranking';

export const NOW = Date.parse('2026-11-24T12:00:00.000Z');

/** A calm live stream; override what a scenario needs. */
export function candidateFixture(
  livestreamId: string,
  overrides: Partial<Omit<Candidate, 'stream'>> & { stream?: Partial<NonNullable<Candidate['stream']>> } = {},
): Candidate {
  const { stream, ...rest } = overrides;
  return {
    livestreamId,
    sellerId: `seller-of-${livestreamId}`,
    categoryIds: ['sneakers'],
    retrievalScore: 0,
    seller: { score: 0.5, embedding: [] },
    ...rest,
    stream: {
      momentum: 1,
      hotness: 1,
      currentViewers: 10,
      bidsPerMinute: 0,
      chatsPerMinute: 0,
      engagedUsers5m: 0,
      startedAtMs: NOW - 600_000,
      lastEventAtMs: NOW - 1_000,
      auctionEndsAtMs: undefined,
      giveawayEndsAtMs: undefined,
      ...stream,
    },
  };
}

export function userFixture(overrides: Partial<UserContext> = {}): UserContext {
  return {
    userId: 'user-1',
    newUser: false,
    followedSellers: [],
    categoryAffinities: {},
    embedding: [],
    ...overrides,
  };
}

export function rankRequestFixture(overrides: Partial<RankRequest> = {}): RankRequest {
  return {
    user: userFixture(),
    candidates: [],
    modelId: 'home',
    modelVersion: 0,
    weightOverrides: {},
    diversity: undefined,
    nowMs: NOW,
    explain: false,
    ...overrides,
  };
}
