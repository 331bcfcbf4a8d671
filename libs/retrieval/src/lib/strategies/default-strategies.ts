import { categoryAffinityStrategy } from './category-affinity.strategy';
import { followingStrategy } from './following.strategy';
import { newUserHotStrategy } from './new-user-hot.strategy';
import { type AnyStrategy, StrategyRegistry } from './retrieval-strategy';
import { similarSellersStrategy } from './similar-sellers.strategy';
import { trendingStrategy } from './trending.strategy';

/** The strategies Crest ships. */
export const DEFAULT_STRATEGIES: readonly AnyStrategy[] = [
  followingStrategy,
  categoryAffinityStrategy,
  trendingStrategy,
  newUserHotStrategy,
  similarSellersStrategy,
];

export function defaultStrategyRegistry(): StrategyRegistry {
  return new StrategyRegistry(DEFAULT_STRATEGIES);
}
