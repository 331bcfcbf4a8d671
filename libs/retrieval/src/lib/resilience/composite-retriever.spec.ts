import { setTimeout as sleep } from 'node:timers/promises';

import { LivestreamIndex } from '../memory/livestream-index';
import { MemoryRetriever } from '../memory/memory.retriever';
import { RetrievalRequestError } from '../retrieval-request';
import { CONTRACT_DOCS, retrievalRequestFixture } from '../retriever.contract';
import {
  CompositeRetriever,
  type CompositeRetrieverOptions,
  RetrievalUnavailableError,
} from './composite-retriever';
import { FaultyRetriever } from './faulty-retriever';
import { GuardedBackend, type GuardedBackendOptions } from './guarded-backend';
import { RetrievalMetrics } from './retrieval-metrics';

const REQUEST = retrievalRequestFixture({ strategy: 'trending', limit: 3 });
const TOP_TRENDING = ['s7', 's3', 's5'];

describe('CompositeRetriever', () => {
  let memory: MemoryRetriever;
  let metrics: RetrievalMetrics;
  let primary: FaultyRetriever;
  let fallback: FaultyRetriever;

  beforeAll(async () => {
    const index = new LivestreamIndex();
    await index.write({ upserts: CONTRACT_DOCS, deletions: [] });
    memory = new MemoryRetriever(index);
  });
  beforeEach(() => {
    metrics = new RetrievalMetrics();
    primary = new FaultyRetriever(memory, 'memory');
    fallback = new FaultyRetriever(memory, 'elasticsearch');
  });

  const guard = (retriever: FaultyRetriever, options: GuardedBackendOptions = {}) =>
    new GuardedBackend(retriever, { metrics, ...options });
  const composite = (options: Partial<CompositeRetrieverOptions> = {}) =>
    new CompositeRetriever({
      callSite: 'home/trending',
      primary: guard(primary),
      fallback: guard(fallback),
      budgetMs: 40,
      metrics,
      ...options,
    });
  const ids = (result: { candidates: { livestreamId: string }[] }) =>
    result.candidates.map((c) => c.livestreamId);
  const metricValue = async (name: string, labels: Record<string, string>) => {
    const metric = await metrics.registry.getSingleMetric(name)!.get();
    return metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  };

  it('answers from the primary when it is healthy, asking nobody else', async () => {
    const result = await composite().retrieve(REQUEST);

    expect(result).toMatchObject({ backend: 'memory', reason: 'primary', strategy: 'trending' });
    expect(ids(result)).toEqual(TOP_TRENDING);
    expect(result.timings.attempts).toEqual([
      { backend: 'memory', role: 'primary', outcome: 'ok', ms: expect.any(Number) },
    ]);
    expect(fallback.calls).toBe(0);
    expect(await metricValue('crest_retrieval_served_total', { backend: 'memory', reason: 'primary' })).toBe(
      1,
    );
  });

  it('falls back when the primary fails, with the same candidates and the error in the attempts', async () => {
    primary.fault = { kind: 'fail', message: 'connection refused' };

    const result = await composite().retrieve(REQUEST);

    expect(result).toMatchObject({ backend: 'elasticsearch', reason: 'fallback-error' });
    expect(ids(result)).toEqual(TOP_TRENDING);
    expect(result.timings.attempts.map((a) => [a.role, a.backend, a.outcome, a.error])).toEqual([
      ['primary', 'memory', 'error', 'Error: connection refused'],
      ['fallback', 'elasticsearch', 'ok', undefined],
    ]);
    expect(
      await metricValue('crest_retrieval_fallbacks_total', {
        call_site: 'home/trending',
        from: 'memory',
        to: 'elasticsearch',
        reason: 'fallback-error',
      }),
    ).toBe(1);
    expect(await metricValue('crest_retrieval_backend_errors_total', { backend: 'memory' })).toBe(1);
  });

  it('cancels a hanging primary at its timeout and answers from the fallback within the budget', async () => {
    primary.fault = { kind: 'hang' };

    const result = await composite({ budgetMs: 1000, primaryTimeoutMs: 20 }).retrieve(REQUEST);

    expect(result).toMatchObject({ backend: 'elasticsearch', reason: 'fallback-timeout' });
    expect(result.timings.attempts.map((a) => [a.role, a.outcome])).toEqual([
      ['primary', 'timeout'],
      ['fallback', 'ok'],
    ]);
    expect(result.timings.attempts[0]!.ms).toBeGreaterThanOrEqual(19);
    expect(primary.cancelled).toBe(1);
    expect(await metricValue('crest_retrieval_backend_timeouts_total', { backend: 'memory' })).toBe(1);
  });

  it('fails with every attempt named when no backend answers', async () => {
    primary.fault = { kind: 'fail', message: 'down' };
    fallback.fault = { kind: 'hang' };

    const error = await composite({ budgetMs: 200, primaryTimeoutMs: 10 })
      .retrieve(REQUEST)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetrievalUnavailableError);
    expect((error as RetrievalUnavailableError).attempts.map((a) => [a.role, a.backend, a.outcome])).toEqual([
      ['primary', 'memory', 'error'],
      ['fallback', 'elasticsearch', 'timeout'],
    ]);
    expect((error as Error).message).toMatch(
      /^No retrieval backend answered for home\/trending: primary memory error \(Error: down\); fallback elasticsearch timeout/,
    );
    expect(fallback.cancelled).toBe(1);
    expect(await metricValue('crest_retrieval_unavailable_total', { call_site: 'home/trending' })).toBe(1);
  });

  it('fails when there is no fallback and the primary fails', async () => {
    primary.fault = { kind: 'fail' };
    await expect(composite({ fallback: undefined }).retrieve(REQUEST)).rejects.toThrow(
      RetrievalUnavailableError,
    );
  });

  describe('circuit breaker', () => {
    it('opens after consecutive failures, skips the primary while open, and closes after a good trial', async () => {
      const sut = composite({ primary: guard(primary, { consecutiveFailures: 3, halfOpenAfterMs: 50 }) });
      primary.fault = { kind: 'fail' };
      for (let i = 0; i < 3; i++) expect((await sut.retrieve(REQUEST)).reason).toBe('fallback-error');
      expect(await metricValue('crest_retrieval_circuit_state', { backend: 'memory' })).toBe(2);

      const whileOpen = await sut.retrieve(REQUEST);
      expect(whileOpen).toMatchObject({ backend: 'elasticsearch', reason: 'fallback-circuit-open' });
      expect(whileOpen.timings.attempts[0]).toMatchObject({ backend: 'memory', outcome: 'circuit-open' });
      expect(primary.calls).toBe(3);

      primary.fault = { kind: 'none' };
      await sleep(60);
      const trial = await sut.retrieve(REQUEST);
      expect(trial).toMatchObject({ backend: 'memory', reason: 'primary' });
      expect(await metricValue('crest_retrieval_circuit_state', { backend: 'memory' })).toBe(0);
    });

    it('counts timeouts as failures', async () => {
      const sut = composite({
        primary: guard(primary, { consecutiveFailures: 2 }),
        // Room for the fallback even when a loaded machine fires the 5 ms timer late.
        budgetMs: 1000,
        primaryTimeoutMs: 5,
      });
      primary.fault = { kind: 'hang' };
      await sut.retrieve(REQUEST);
      await sut.retrieve(REQUEST);

      expect((await sut.retrieve(REQUEST)).reason).toBe('fallback-circuit-open');
      expect(primary.calls).toBe(2);
    });

    it('does not count bad requests against the backend, nor fall back for them', async () => {
      const sut = composite({ primary: guard(primary, { consecutiveFailures: 2 }) });
      for (let i = 0; i < 3; i++)
        await expect(sut.retrieve({ ...REQUEST, limit: 0 })).rejects.toThrow(RetrievalRequestError);

      expect(fallback.calls).toBe(0);
      expect((await sut.retrieve(REQUEST)).reason).toBe('primary');
    });

    it('is held open by isolate (the kill switch) until released', async () => {
      const guarded = guard(primary);
      const sut = composite({ primary: guarded });

      guarded.isolate();
      expect(guarded.circuit).toBe('isolated');
      expect((await sut.retrieve(REQUEST)).reason).toBe('fallback-circuit-open');
      expect(primary.calls).toBe(0);
      expect(await metricValue('crest_retrieval_circuit_state', { backend: 'memory' })).toBe(3);

      guarded.release();
      expect((await sut.retrieve(REQUEST)).reason).toBe('primary');
      expect(await metricValue('crest_retrieval_circuit_state', { backend: 'memory' })).toBe(0);
    });
  });

  describe('hedging', () => {
    it('sends a second request after the threshold and takes it when it answers first, cancelling the primary', async () => {
      primary.fault = { kind: 'slow', ms: 300 };

      const result = await composite({
        budgetMs: 600,
        primaryTimeoutMs: 500,
        hedge: { afterMs: 5 },
      }).retrieve(REQUEST);

      expect(result).toMatchObject({ backend: 'elasticsearch', reason: 'hedge' });
      expect(ids(result)).toEqual(TOP_TRENDING);
      expect(result.timings.attempts.map((a) => [a.role, a.outcome])).toEqual([
        ['primary', 'cancelled'],
        ['hedge', 'ok'],
      ]);
      expect(primary.cancelled).toBe(1);
      expect(
        await metricValue('crest_retrieval_hedges_total', { backend: 'elasticsearch', result: 'won' }),
      ).toBe(1);
    });

    it('keeps the primary when it answers first and cancels the hedge', async () => {
      primary.fault = { kind: 'slow', ms: 15 };
      fallback.fault = { kind: 'hang' };

      const result = await composite({ budgetMs: 60, primaryTimeoutMs: 50, hedge: { afterMs: 5 } }).retrieve(
        REQUEST,
      );

      expect(result).toMatchObject({ backend: 'memory', reason: 'primary' });
      expect(result.timings.attempts.map((a) => [a.role, a.outcome])).toEqual([
        ['primary', 'ok'],
        ['hedge', 'cancelled'],
      ]);
      expect(fallback.cancelled).toBe(1);
      expect(
        await metricValue('crest_retrieval_hedges_total', { backend: 'elasticsearch', result: 'lost' }),
      ).toBe(1);
    });

    it('sends no hedge when the primary answers before the threshold', async () => {
      const result = await composite({ hedge: { afterMs: 15 } }).retrieve(REQUEST);

      expect(result.reason).toBe('primary');
      expect(result.timings.attempts).toHaveLength(1);
      expect(fallback.calls).toBe(0);
    });

    it('uses the hedge as the fallback when the primary fails after the hedge was sent', async () => {
      primary.fault = { kind: 'hang' };
      fallback.fault = { kind: 'slow', ms: 20 };

      const result = await composite({ budgetMs: 300, primaryTimeoutMs: 10, hedge: { afterMs: 5 } }).retrieve(
        REQUEST,
      );

      expect(result).toMatchObject({ backend: 'elasticsearch', reason: 'fallback-timeout' });
      expect(fallback.calls).toBe(1);
    });

    it('can hedge to a second replica of the primary and still fall back', async () => {
      const replica = new FaultyRetriever(memory, 'memory-replica');
      primary.fault = { kind: 'fail' };
      replica.fault = { kind: 'fail' };

      const result = await composite({ hedge: { afterMs: 5, backend: guard(replica) } }).retrieve(REQUEST);

      expect(result).toMatchObject({ backend: 'elasticsearch', reason: 'fallback-error' });
    });
  });

  it('stops every backend call when the caller aborts', async () => {
    primary.fault = { kind: 'hang' };
    fallback.fault = { kind: 'hang' };
    const caller = new AbortController();
    const pending = composite({ budgetMs: 1000, primaryTimeoutMs: 900, hedge: { afterMs: 5 } }).retrieve(
      REQUEST,
      { signal: caller.signal },
    );
    await sleep(20);
    caller.abort();

    await expect(pending).rejects.toThrow(/aborted/i);
    expect(primary.cancelled).toBe(1);
    expect(fallback.cancelled).toBe(1);
  });

  it('refuses a hedge with nowhere to send it', () => {
    expect(() => composite({ fallback: undefined, hedge: { afterMs: 5 } })).toThrow(
      'home/trending: a hedge needs a backend (or a fallback) to send it to',
    );
  });
});
