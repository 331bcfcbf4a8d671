import Ajv from 'ajv';

/** Retrieval backends a carousel can name. */
export const RETRIEVAL_BACKENDS = ['memory', 'elasticsearch', 'rockset', 'sql'] as const;
export type RetrievalBackendName = (typeof RETRIEVAL_BACKENDS)[number];

/** One carousel of the home feed: where its candidates come from, how they are ranked, how many show. */
export interface CarouselConfig {
  id: string;
  title: string;
  layout: 'row' | 'grid' | 'hero';
  /** Who sees it: everyone, only users with history, or only new users. */
  audience: 'all' | 'returning' | 'new';
  retrieval: {
    /** A strategy name of the retrieval registry, e.g. `trending`. */
    strategy: string;
    params?: Record<string, number | boolean>;
    primary: RetrievalBackendName;
    fallback?: RetrievalBackendName;
    budgetMs: number;
    hedgeAfterMs?: number;
    /** Candidates asked of retrieval (before filters and ranking). */
    limit: number;
    /** The Query Lambda version the sql and rockset backends run; absent: the `live` tag. */
    lambdaVersion?: number;
  };
  ranking: {
    model: string;
    /** 0 or absent: the latest version. */
    version?: number;
    /** Feature -> weight overrides (an experiment's parameters). */
    weights?: Record<string, number>;
    /** Diversity caps within the carousel; 0 or absent keeps the model's own cap. */
    maxPerSeller?: number;
    maxPerCategory?: number;
  };
  /** Items shown per page, and the fewest for the carousel to show at all. */
  size: { page: number; min: number };
}

/** The JSON value of the GrowthBook feature `home-feed-config`. */
export interface HomeFeedConfig {
  /** The whole homeFeed request's budget; carousels run in parallel inside it. */
  requestBudgetMs: number;
  /** Carousels in display order (a carousel with too few items is dropped, the rest keep their order). */
  carousels: CarouselConfig[];
}

export const HOME_FEED_CONFIG_FEATURE = 'home-feed-config';

const identifier = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' };

export const HOME_FEED_CONFIG_SCHEMA = {
  type: 'object',
  required: ['requestBudgetMs', 'carousels'],
  additionalProperties: false,
  properties: {
    requestBudgetMs: { type: 'number', exclusiveMinimum: 0, maximum: 10_000 },
    carousels: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        required: ['id', 'title', 'layout', 'audience', 'retrieval', 'ranking', 'size'],
        additionalProperties: false,
        properties: {
          id: identifier,
          title: { type: 'string', minLength: 1, maxLength: 80 },
          layout: { enum: ['row', 'grid', 'hero'] },
          audience: { enum: ['all', 'returning', 'new'] },
          retrieval: {
            type: 'object',
            required: ['strategy', 'primary', 'budgetMs', 'limit'],
            additionalProperties: false,
            properties: {
              strategy: identifier,
              params: { type: 'object', additionalProperties: { type: ['number', 'boolean'] } },
              primary: { enum: RETRIEVAL_BACKENDS },
              fallback: { enum: RETRIEVAL_BACKENDS },
              budgetMs: { type: 'number', exclusiveMinimum: 0, maximum: 10_000 },
              hedgeAfterMs: { type: 'number', exclusiveMinimum: 0 },
              limit: { type: 'integer', minimum: 1, maximum: 1_000 },
              lambdaVersion: { type: 'integer', minimum: 1 },
            },
          },
          ranking: {
            type: 'object',
            required: ['model'],
            additionalProperties: false,
            properties: {
              model: identifier,
              version: { type: 'integer', minimum: 0 },
              weights: { type: 'object', additionalProperties: { type: 'number' } },
              maxPerSeller: { type: 'integer', minimum: 0 },
              maxPerCategory: { type: 'integer', minimum: 0 },
            },
          },
          size: {
            type: 'object',
            required: ['page', 'min'],
            additionalProperties: false,
            properties: {
              page: { type: 'integer', minimum: 1, maximum: 100 },
              min: { type: 'integer', minimum: 0, maximum: 100 },
            },
          },
        },
      },
    },
  },
} as const;

const validateSchema = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(HOME_FEED_CONFIG_SCHEMA);

/** Every problem of a `home-feed-config` value: schema errors, then cross-field rules. Empty when valid. */
export function homeFeedConfigProblems(value: unknown): string[] {
  if (!validateSchema(value))
    return (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  const config = value as HomeFeedConfig;
  const problems: string[] = [];
  const ids = new Set<string>();
  config.carousels.forEach((carousel, i) => {
    const at = `/carousels/${i}`;
    if (ids.has(carousel.id)) problems.push(`${at}/id "${carousel.id}" is used twice`);
    ids.add(carousel.id);
    if (carousel.retrieval.fallback === carousel.retrieval.primary)
      problems.push(`${at}/retrieval/fallback must differ from primary`);
    if (carousel.retrieval.budgetMs > config.requestBudgetMs)
      problems.push(
        `${at}/retrieval/budgetMs ${carousel.retrieval.budgetMs} exceeds requestBudgetMs ${config.requestBudgetMs}`,
      );
    if (carousel.size.min > carousel.size.page) problems.push(`${at}/size/min must be <= size/page`);
    if (carousel.retrieval.limit < carousel.size.page)
      problems.push(`${at}/retrieval/limit must be >= size/page`);
  });
  return problems;
}

/** The config that serves when GrowthBook has none (or only invalid ones): embedded mode's default. */
export const DEFAULT_HOME_FEED_CONFIG: HomeFeedConfig = {
  requestBudgetMs: 50,
  carousels: [
    {
      id: 'following',
      title: 'Live from sellers you follow',
      layout: 'row',
      audience: 'returning',
      retrieval: {
        strategy: 'following',
        primary: 'memory',
        fallback: 'elasticsearch',
        budgetMs: 30,
        limit: 100,
      },
      ranking: { model: 'home', maxPerSeller: 2 },
      size: { page: 10, min: 1 },
    },
    {
      id: 'new-user-hot',
      title: 'Hot right now',
      layout: 'hero',
      audience: 'new',
      retrieval: {
        strategy: 'new-user-hot',
        primary: 'memory',
        fallback: 'elasticsearch',
        budgetMs: 30,
        limit: 100,
      },
      ranking: { model: 'new-user' },
      size: { page: 10, min: 3 },
    },
    {
      id: 'for-you',
      title: 'In your categories',
      layout: 'row',
      audience: 'returning',
      retrieval: {
        strategy: 'category-affinity',
        primary: 'memory',
        fallback: 'elasticsearch',
        budgetMs: 30,
        limit: 200,
      },
      ranking: { model: 'home', maxPerSeller: 2 },
      size: { page: 10, min: 3 },
    },
    {
      id: 'similar-sellers',
      title: 'Sellers like the ones you love',
      layout: 'row',
      audience: 'returning',
      retrieval: {
        strategy: 'similar-sellers',
        primary: 'memory',
        fallback: 'elasticsearch',
        budgetMs: 30,
        limit: 200,
      },
      ranking: { model: 'home', maxPerSeller: 1 },
      size: { page: 10, min: 3 },
    },
    {
      id: 'trending',
      title: 'Trending',
      layout: 'grid',
      audience: 'all',
      retrieval: {
        strategy: 'trending',
        primary: 'memory',
        fallback: 'elasticsearch',
        budgetMs: 30,
        limit: 200,
      },
      ranking: { model: 'home', maxPerSeller: 2 },
      size: { page: 20, min: 3 },
    },
  ],
};
