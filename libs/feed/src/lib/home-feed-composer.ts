import { type CarouselConfig, type HomeFeedConfig } from '@crest/experiments';

import { CarouselPipeline, type CarouselPipelineDeps } from './carousel-pipeline';
import { type CarouselExplain, type CarouselResult, type FeedItem, type FeedRequest } from './feed-context';

/** A carousel as the feed shows it: its page of items, after de-duplication. */
export interface ComposedCarousel extends Omit<CarouselResult, 'items'> {
  items: FeedItem[];
  /** Ranked items beyond this page (not yet shown), for scrolling this carousel further. */
  more: FeedItem[];
}

export interface HomeFeed {
  /** Carousels shown, in config order. */
  carousels: ComposedCarousel[];
  /** Carousels left out (gated, failed, too few items), with why: for explain and metrics. */
  omitted: Array<
    Pick<CarouselResult, 'id' | 'status' | 'detail' | 'filtered' | 'servedBy' | 'timings' | 'explain'>
  >;
  totalMs: number;
}

/**
 * The mixer: runs every carousel's pipeline in parallel inside the request budget, then walks them in
 * config order, placing each item only in the first carousel that has it (de-duplication across carousels),
 * capping each at its page size and dropping a carousel with fewer than its minimum. A carousel that fails
 * or misses the budget is left out; the rest of the feed still answers (fail open per carousel).
 * With `request.explain`, every carousel (shown or omitted) carries its `explain`, completed here: a
 * candidate placed in a higher carousel is `removedBy: 'placed-higher'`, and only page items are `shown`.
 */
export class HomeFeedComposer {
  private pipelines = new WeakMap<CarouselConfig, CarouselPipeline>();

  constructor(private readonly deps: CarouselPipelineDeps) {}

  async compose(config: HomeFeedConfig, request: FeedRequest): Promise<HomeFeed> {
    const started = performance.now();
    const excluded = new Set(request.excludedIds ?? []);
    const budget = new AbortController();
    const timer = setTimeout(
      () => budget.abort(new Error('request budget exhausted')),
      config.requestBudgetMs,
    );
    const onCallerAbort = () => budget.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    let results: CarouselResult[];
    try {
      const scoped: FeedRequest = { ...request, signal: budget.signal };
      results = await Promise.all(
        config.carousels.map((carousel) =>
          withinBudget(
            this.pipeline(carousel).run(scoped, excluded),
            carousel,
            budget.signal,
            request.explain === true,
          ),
        ),
      );
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }

    const placed = new Set<string>();
    const feed: HomeFeed = { carousels: [], omitted: [], totalMs: 0 };
    config.carousels.forEach((carousel, i) => {
      const result = results[i]!;
      if (result.status !== 'ok') {
        feed.omitted.push(summary(result));
        return;
      }
      const fresh = result.items.filter((item) => !placed.has(item.livestreamId));
      const duplicates = result.items.length - fresh.length;
      if (duplicates > 0) result.filtered['placed-higher'] = duplicates;
      if (fresh.length < Math.max(1, carousel.size.min)) {
        if (result.explain) explainPlacement(result.explain, placed, []);
        feed.omitted.push(
          summary({
            ...result,
            status: 'too-few',
            detail: `${fresh.length} items, needs ${carousel.size.min}`,
          }),
        );
        return;
      }
      const items = fresh.slice(0, carousel.size.page);
      if (result.explain) explainPlacement(result.explain, placed, items);
      for (const item of items) placed.add(item.livestreamId);
      feed.carousels.push({ ...result, items, more: fresh.slice(carousel.size.page) });
    });
    feed.totalMs = performance.now() - started;
    return feed;
  }

  private pipeline(carousel: CarouselConfig): CarouselPipeline {
    let pipeline = this.pipelines.get(carousel);
    if (!pipeline) this.pipelines.set(carousel, (pipeline = new CarouselPipeline(carousel, this.deps)));
    return pipeline;
  }
}

function summary(result: CarouselResult): HomeFeed['omitted'][number] {
  const { id, status, detail, filtered, servedBy, timings } = result;
  const omitted: HomeFeed['omitted'][number] = { id, status, detail, filtered, servedBy, timings };
  if (result.explain) omitted.explain = result.explain;
  return omitted;
}

/** Marks what the mixer did to a carousel's ranked candidates: placed higher, or shown on its page. */
function explainPlacement(
  explain: CarouselExplain,
  placedHigher: ReadonlySet<string>,
  page: readonly FeedItem[],
): void {
  const shown = new Set(page.map((item) => item.livestreamId));
  for (const candidate of explain.candidates) {
    if (candidate.rank === null) continue;
    if (placedHigher.has(candidate.livestreamId)) candidate.removedBy = 'placed-higher';
    candidate.shown = shown.has(candidate.livestreamId);
  }
}

/** The pipeline's result, or a `failed` one when the request budget runs out first. */
async function withinBudget(
  run: Promise<CarouselResult>,
  carousel: CarouselConfig,
  budget: AbortSignal,
  explain: boolean,
): Promise<CarouselResult> {
  let onAbort: () => void = () => undefined;
  const late = new Promise<CarouselResult>((resolve) => {
    onAbort = () =>
      resolve({
        id: carousel.id,
        title: carousel.title,
        layout: carousel.layout,
        status: 'failed',
        items: [],
        servedBy: { retrieval: null, retrievalReason: null, ranking: null },
        detail: 'request budget exhausted',
        filtered: {},
        timings: { retrievalMs: 0, rankingMs: 0, totalMs: 0 },
        ...(explain && { explain: { candidates: [], rankingFallback: null, model: null } }),
      });
    if (budget.aborted) onAbort();
    else budget.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([run, late]);
  } finally {
    budget.removeEventListener('abort', onAbort);
  }
}
