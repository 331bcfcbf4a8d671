import { type Candidate, type RetrievalRequest, type RetrievalResult } from './retrieval-request';
import {
  type AnyStrategy,
  type ResolvedRetrieval,
  type StrategyRegistry,
} from './strategies/retrieval-strategy';

/**
 * What every backend adapter does around its own query: check the request against the registry (the same
 * errors everywhere), answer "no candidates" when the strategy does not apply, time the call.
 */
export async function retrieveWithStrategy(
  backend: string,
  registry: StrategyRegistry,
  request: RetrievalRequest,
  run: (strategy: AnyStrategy, retrieval: ResolvedRetrieval) => Candidate[] | Promise<Candidate[]>,
): Promise<RetrievalResult> {
  const started = performance.now();
  const { strategy, retrieval } = registry.resolve(request);
  const candidates = strategy.applies && !strategy.applies(request) ? [] : await run(strategy, retrieval);
  const ms = performance.now() - started;
  return {
    strategy: strategy.name,
    backend,
    reason: 'primary',
    candidates,
    timings: { totalMs: ms, attempts: [{ backend, role: 'primary', outcome: 'ok', ms }] },
  };
}
