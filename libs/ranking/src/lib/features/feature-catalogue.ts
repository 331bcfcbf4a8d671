import { type Candidate, type UserContext } from '../../generated/crest/ranking/v1/ranking';

/** Where a feature's value comes from. */
export type FeatureSource = 'stream' | 'seller' | 'user' | 'user-stream';

/**
 * What happens when a feature's inputs are missing for a candidate: use the feature's default, or refuse
 * the request (INVALID_ARGUMENT) because ranking without it would be meaningless.
 */
export type FailurePolicy = 'default' | 'reject';

/** What a feature reads: the user, one candidate, and the time the request is ranked at. */
export interface FeatureInput {
  user: UserContext;
  candidate: Candidate;
  now: number;
  /** The user's followed sellers as a set (built once per request). */
  followed: ReadonlySet<string>;
  /** The user's embedding norm (0 when none), computed once per request. */
  userNorm: number;
}

export interface FeatureDefinition {
  name: string;
  source: FeatureSource;
  type: 'number' | 'boolean';
  default: number;
  onMissing: FailurePolicy;
  description: string;
  /** The raw value (booleans as 0/1), or undefined when its inputs are missing. */
  read(input: FeatureInput): number | undefined;
}

const SECOND = 1_000;
const stream = (input: FeatureInput) => input.candidate.stream;

function cosine(a: readonly number[], aNorm: number, b: readonly number[]): number | undefined {
  if (a.length === 0 || a.length !== b.length || aNorm === 0) return undefined;
  let dot = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    bb += b[i]! * b[i]!;
  }
  return bb === 0 ? undefined : dot / (aNorm * Math.sqrt(bb));
}

/**
 * Every feature a model may use. A model's config names features from here and declares how each is
 * transformed and weighted; adding a feature is one entry.
 */
export const FEATURE_CATALOGUE: readonly FeatureDefinition[] = [
  {
    name: 'momentum',
    source: 'stream',
    type: 'number',
    default: 1,
    onMissing: 'reject',
    description: 'Engagement of the last minute against the 5-minute rate (> 1 in a wave)',
    read: (i) => stream(i)?.momentum,
  },
  {
    name: 'hotness',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'reject',
    description: 'Weighted engagement of the last minute × clipped momentum',
    read: (i) => stream(i)?.hotness,
  },
  {
    name: 'currentViewers',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Viewers in the stream now',
    read: (i) => stream(i)?.currentViewers,
  },
  {
    name: 'bidsPerMinute',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Bids in the last minute',
    read: (i) => stream(i)?.bidsPerMinute,
  },
  {
    name: 'chatsPerMinute',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Chat messages in the last minute',
    read: (i) => stream(i)?.chatsPerMinute,
  },
  {
    name: 'engagedUsers5m',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Distinct users who engaged in the last 5 minutes',
    read: (i) => stream(i)?.engagedUsers5m,
  },
  {
    name: 'streamAgeSeconds',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Seconds since the stream went live',
    read: (i) => {
      const started = stream(i)?.startedAtMs;
      return started === undefined ? undefined : Math.max(0, (i.now - started) / SECOND);
    },
  },
  {
    name: 'auctionActive',
    source: 'stream',
    type: 'boolean',
    default: 0,
    onMissing: 'default',
    description: 'An auction is running now',
    read: (i) => {
      const endsAt = stream(i)?.auctionEndsAtMs;
      return endsAt !== undefined && endsAt > i.now ? 1 : 0;
    },
  },
  {
    name: 'auctionSecondsLeft',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Seconds until the running auction ends (0 without one)',
    read: (i) => {
      const endsAt = stream(i)?.auctionEndsAtMs;
      return endsAt !== undefined && endsAt > i.now ? (endsAt - i.now) / SECOND : 0;
    },
  },
  {
    name: 'giveawayActive',
    source: 'stream',
    type: 'boolean',
    default: 0,
    onMissing: 'default',
    description: 'A giveaway is running now',
    read: (i) => {
      const endsAt = stream(i)?.giveawayEndsAtMs;
      return endsAt !== undefined && endsAt > i.now ? 1 : 0;
    },
  },
  {
    name: 'freshnessSeconds',
    source: 'stream',
    type: 'number',
    default: 3_600,
    onMissing: 'default',
    description: 'Seconds since the stream’s last event (how current its signals are)',
    read: (i) => {
      const last = stream(i)?.lastEventAtMs;
      return last === undefined ? undefined : Math.max(0, (i.now - last) / SECOND);
    },
  },
  {
    name: 'sellerScore',
    source: 'seller',
    type: 'number',
    default: 0.5,
    onMissing: 'default',
    description: 'The seller’s batch quality score in [0, 1]',
    read: (i) => i.candidate.seller?.score,
  },
  {
    name: 'followsSeller',
    source: 'user-stream',
    type: 'boolean',
    default: 0,
    onMissing: 'default',
    description: 'The user follows the stream’s seller',
    read: (i) => (i.followed.has(i.candidate.sellerId) ? 1 : 0),
  },
  {
    name: 'categoryAffinity',
    source: 'user-stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'The user’s strongest affinity among the stream’s categories (0 for none)',
    read: (i) => {
      let best = 0;
      for (const category of i.candidate.categoryIds)
        best = Math.max(best, i.user.categoryAffinities[category] ?? 0);
      return best;
    },
  },
  {
    name: 'embeddingSimilarity',
    source: 'user-stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Cosine similarity of the user’s and the seller’s embeddings',
    read: (i) => cosine(i.user.embedding, i.userNorm, i.candidate.seller?.embedding ?? []),
  },
];

export const FEATURES_BY_NAME: ReadonlyMap<string, FeatureDefinition> = new Map(
  FEATURE_CATALOGUE.map((feature) => [feature.name, feature]),
);
