import { type CandidateColumns, type UserContext } from '../../generated/crest/ranking/v1/ranking';
import { categoryStarts } from '../candidate-columns';

/** Where a feature's value comes from. */
export type FeatureSource = 'stream' | 'seller' | 'user' | 'user-stream';

/**
 * What happens when a feature's inputs are missing for a candidate: use the feature's default, or refuse
 * the request (INVALID_ARGUMENT) because ranking without it would be meaningless.
 */
export type FailurePolicy = 'default' | 'reject';

/** What a feature reads: the user, one candidate (`index` into the columns), and the time ranked at. */
export interface FeatureInput {
  user: UserContext;
  columns: CandidateColumns;
  index: number;
  /** Where each candidate's categories start in `columns.categoryIds` (built once per request). */
  categoryStarts: Int32Array;
  now: number;
  /** The user's followed sellers as a set (built once per request). */
  followed: ReadonlySet<string>;
  /**
   * The user's embedding as float32, what the contract carries (`repeated float`), so ranking in process
   * and over gRPC see the same numbers; with its norm (0 when none), computed once per request.
   */
  userEmbedding: Float32Array;
  userNorm: number;
}

/** The input of a request's features, at candidate 0; move `index` to read another candidate. */
export function featureInputOf(user: UserContext, columns: CandidateColumns, now: number): FeatureInput {
  const userEmbedding = Float32Array.from(user.embedding);
  let squares = 0;
  for (const x of userEmbedding) squares += x * x;
  return {
    user,
    columns,
    index: 0,
    categoryStarts: categoryStarts(columns),
    now,
    followed: new Set(user.followedSellers),
    userEmbedding,
    userNorm: Math.sqrt(squares),
  };
}

export interface FeatureDefinition {
  name: string;
  source: FeatureSource;
  type: 'number' | 'boolean';
  default: number;
  onMissing: FailurePolicy;
  description: string;
  /** The raw value (booleans as 0/1); undefined or NaN when its inputs are missing. */
  read(input: FeatureInput): number | undefined;
}

const SECOND = 1_000;
/** The user's embedding against the candidate's seller embedding row (NaN where it has none). */
function embeddingSimilarity(i: FeatureInput): number | undefined {
  const a = i.userEmbedding;
  const dims = i.columns.sellerEmbeddingDims;
  if (a.length === 0 || a.length !== dims || i.userNorm === 0) return undefined;
  const b = i.columns.sellerEmbeddings;
  const offset = i.index * dims;
  let dot = 0;
  let bb = 0;
  for (let d = 0; d < dims; d++) {
    const x = b[offset + d]!;
    dot += a[d]! * x;
    bb += x * x;
  }
  return bb === 0 || Number.isNaN(bb) ? undefined : dot / (i.userNorm * Math.sqrt(bb));
}

/** A time in the future (auction or giveaway end) against now; NaN (none) is never ahead. */
const endsAhead = (endsAt: number, now: number) => endsAt > now;

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
    read: (i) => i.columns.momentum[i.index],
  },
  {
    name: 'hotness',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'reject',
    description: 'Weighted engagement of the last minute × clipped momentum',
    read: (i) => i.columns.hotness[i.index],
  },
  {
    name: 'currentViewers',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Viewers in the stream now',
    read: (i) => i.columns.currentViewers[i.index],
  },
  {
    name: 'bidsPerMinute',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Bids in the last minute',
    read: (i) => i.columns.bidsPerMinute[i.index],
  },
  {
    name: 'chatsPerMinute',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Chat messages in the last minute',
    read: (i) => i.columns.chatsPerMinute[i.index],
  },
  {
    name: 'engagedUsers5m',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Distinct users who engaged in the last 5 minutes',
    read: (i) => i.columns.engagedUsers5m[i.index],
  },
  {
    name: 'streamAgeSeconds',
    source: 'stream',
    type: 'number',
    default: 0,
    onMissing: 'default',
    description: 'Seconds since the stream went live',
    read: (i) => {
      const started = i.columns.startedAtMs[i.index]!;
      return Number.isNaN(started) ? undefined : Math.max(0, (i.now - started) / SECOND);
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
      return endsAhead(i.columns.auctionEndsAtMs[i.index]!, i.now) ? 1 : 0;
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
      const endsAt = i.columns.auctionEndsAtMs[i.index]!;
      return endsAhead(endsAt, i.now) ? (endsAt - i.now) / SECOND : 0;
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
      return endsAhead(i.columns.giveawayEndsAtMs[i.index]!, i.now) ? 1 : 0;
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
      const last = i.columns.lastEventAtMs[i.index]!;
      return Number.isNaN(last) ? undefined : Math.max(0, (i.now - last) / SECOND);
    },
  },
  {
    name: 'sellerScore',
    source: 'seller',
    type: 'number',
    default: 0.5,
    onMissing: 'default',
    description: 'The seller’s batch quality score in [0, 1]',
    read: (i) => i.columns.sellerScores[i.index],
  },
  {
    name: 'followsSeller',
    source: 'user-stream',
    type: 'boolean',
    default: 0,
    onMissing: 'default',
    description: 'The user follows the stream’s seller',
    read: (i) => (i.followed.has(i.columns.sellerIds[i.index]!) ? 1 : 0),
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
      const end = i.categoryStarts[i.index + 1]!;
      for (let c = i.categoryStarts[i.index]!; c < end; c++)
        best = Math.max(best, i.user.categoryAffinities[i.columns.categoryIds[c]!] ?? 0);
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
    read: embeddingSimilarity,
  },
];

export const FEATURES_BY_NAME: ReadonlyMap<string, FeatureDefinition> = new Map(
  FEATURE_CATALOGUE.map((feature) => [feature.name, feature]),
);
