import { type ExperimentsOverview } from '@crest/experiments';
import { type HomeFeedExplanation } from '@crest/feed';
import { BadRequestException, Controller, Get, Query, UseGuards } from '@nestjs/common';

import { FeedService } from './feed.service';
import { parseTargeting, type RawTargeting } from './feed-targeting';
import { OpsGuard } from './ops.guard';

/**
 * Operators' JSON routes for the admin console (Explain and Experiments pages), behind OpsGuard. Not part of
 * the public API: they cost far more per request than homeFeed.
 */
@Controller('internal')
@UseGuards(OpsGuard)
export class OpsController {
  constructor(private readonly feed: FeedService) {}

  /**
   * `?userId=<id>&force=<experimentKey>:<variationIndex>`: the user's home feed with every candidate
   * explained; `force` may repeat or be comma-separated, and must name an experiment and variation in force.
   * `country`, `platform` and `appVersion` target it as homeFeed's `x-crest-*` headers do (same checks), so
   * an experiment targeted at them is explained as those viewers get it.
   */
  @Get('explain')
  explain(
    @Query('userId') userId: unknown,
    @Query('force') force: unknown,
    @Query('country') country: unknown,
    @Query('platform') platform: unknown,
    @Query('appVersion') appVersion: unknown,
  ): Promise<HomeFeedExplanation> {
    if (typeof userId !== 'string' || userId.length < 1 || userId.length > 128)
      throw new BadRequestException(
        `userId is required, once, 1 to 128 characters (got ${describe(userId)})`,
      );
    const raw = { country, platform, appVersion };
    const repeated = Object.entries(raw).filter(
      ([, value]) => value !== undefined && typeof value !== 'string',
    );
    if (repeated.length > 0)
      throw new BadRequestException(`${repeated.map(([name]) => name).join(', ')}: give each at most once`);
    const { targeting, problems } = parseTargeting(raw as RawTargeting, (field) => field);
    if (problems.length > 0) throw new BadRequestException(problems.join('; '));
    const forced = parseForcedVariations(force);
    this.checkForcedVariations(forced);
    return this.feed.explain(userId, forced, targeting);
  }

  @Get('experiments')
  experiments(): ExperimentsOverview {
    return this.feed.experimentsOverview();
  }

  /** GrowthBook ignores a key or index it does not know; an operator would read that as "no effect". */
  private checkForcedVariations(forced: Record<string, number>): void {
    const variations = new Map<string, number>();
    for (const feature of this.feed.experimentsOverview().features)
      for (const rule of feature.rules)
        if (rule.experimentKey) variations.set(rule.experimentKey, rule.variations?.length ?? 0);
    const problems = Object.entries(forced).flatMap(([key, index]) => {
      const count = variations.get(key);
      if (count === undefined)
        return [
          `force: no experiment "${key}" in force (experiments: ${[...variations.keys()].join(', ') || 'none'})`,
        ];
      return index < count ? [] : [`force: ${key} has variations 0 to ${count - 1} (got ${index})`];
    });
    if (problems.length > 0) throw new BadRequestException(problems.join('; '));
  }
}

/**
 * `force` query values (`key:index`, repeated or comma-separated) as GrowthBook's forcedVariations. Throws
 * BadRequestException naming the first malformed entry.
 */
export function parseForcedVariations(force: unknown): Record<string, number> {
  if (force === undefined) return {};
  const values = Array.isArray(force) ? (force as unknown[]) : [force];
  const forced: Record<string, number> = {};
  for (const value of values) {
    if (typeof value !== 'string')
      throw new BadRequestException(
        `force must be <experimentKey>:<variationIndex> (got ${describe(value)})`,
      );
    for (const entry of value.split(',')) {
      const match = /^\s*(\S.*?):(\d{1,6})\s*$/.exec(entry);
      if (!match)
        throw new BadRequestException(
          `force must be <experimentKey>:<variationIndex>, the index a non-negative integer (got "${entry}")`,
        );
      forced[match[1]!] = Number(match[2]);
    }
  }
  return forced;
}

const describe = (value: unknown) =>
  value === undefined ? 'none' : Array.isArray(value) ? `${value.length} values` : JSON.stringify(value);
