import { type ExperimentAssignment, type FeedConfigChoice, type HomeFeedConfig } from '@crest/experiments';

import {
  type CandidateExplain,
  type CarouselExplain,
  type CarouselResult,
  type CarouselStatus,
  type FeedUser,
} from './feed-context';
import { type HomeFeed } from './home-feed-composer';

/** One carousel of an explained home feed, shown or left out. */
export interface CarouselExplanation {
  id: string;
  title: string;
  /** `ok` for a shown carousel; a left-out one says why (`gated`, `too-few`, `failed`) in `detail`. */
  status: CarouselStatus;
  detail?: string;
  /** In the feed as served. */
  shown: boolean;
  servedBy: CarouselResult['servedBy'];
  /** Candidates each filter removed, by filter (and `placed-higher` for the mixer's de-duplication). */
  filtered: Record<string, number>;
  timings: CarouselResult['timings'];
  rankingFallback: string | null;
  model: CarouselExplain['model'];
  /** Every candidate retrieval returned: ranked ones in ranked order, then those the filters removed. */
  candidates: CandidateExplain[];
}

/** Why a user's home feed is what it is: `GET /internal/explain` on feed-api. */
export interface HomeFeedExplanation {
  userId: string;
  user: {
    newUser: boolean;
    followedSellers: string[];
    categoryAffinities: Record<string, number>;
    hasEmbedding: boolean;
  };
  experiments: {
    /** Where the feed config came from: a GrowthBook value for this user, or the built-in default. */
    configSource: FeedConfigChoice['source'];
    assignments: ExperimentAssignment[];
  };
  totalMs: number;
  /** Every carousel of the config, in config order. */
  carousels: CarouselExplanation[];
}

/** A feed composed with `explain: true`, as the explain endpoint answers it (carousels in config order). */
export function explainHomeFeed(input: {
  user: FeedUser;
  config: HomeFeedConfig;
  configSource: FeedConfigChoice['source'];
  assignments: ExperimentAssignment[];
  feed: HomeFeed;
}): HomeFeedExplanation {
  const { user, config, feed } = input;
  const shown = new Map(feed.carousels.map((c) => [c.id, c]));
  const omitted = new Map(feed.omitted.map((c) => [c.id, c]));
  return {
    userId: user.userId,
    user: {
      newUser: user.newUser,
      followedSellers: [...user.followedSellers],
      categoryAffinities: { ...user.categoryAffinities },
      hasEmbedding: (user.embedding?.length ?? 0) > 0,
    },
    experiments: { configSource: input.configSource, assignments: input.assignments },
    totalMs: feed.totalMs,
    carousels: config.carousels.flatMap((carousel): CarouselExplanation[] => {
      const result = shown.get(carousel.id) ?? omitted.get(carousel.id);
      if (!result) return [];
      const explanation: CarouselExplanation = {
        id: carousel.id,
        title: carousel.title,
        status: result.status,
        shown: shown.has(carousel.id),
        servedBy: result.servedBy,
        filtered: result.filtered,
        timings: result.timings,
        rankingFallback: result.explain?.rankingFallback ?? null,
        model: result.explain?.model ?? null,
        candidates: result.explain?.candidates ?? [],
      };
      if (result.detail) explanation.detail = result.detail;
      return [explanation];
    }),
  };
}
