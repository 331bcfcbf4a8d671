import { type RankRequest, type RankResponse } from '../generated/crest/ranking/v1/ranking';
import { candidateColumnsProblems, scoredCandidatesOf, toCandidateColumns } from './candidate-columns';
import { type ModelRegistry } from './models/model-registry';

export const MAX_CANDIDATES = 2_000;

/** A malformed RankRequest; `problems` names every one (gRPC INVALID_ARGUMENT). */
export class RankRequestError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid RankRequest: ${problems.join('; ')}`);
    this.name = 'RankRequestError';
  }
}

/** The most requests one RankBatch call may carry: bounds the message (~40 KB per 200 candidates). */
export const MAX_RANK_BATCH = 64;

/** Every problem of a request's shape; empty when it can be ranked. */
export function rankRequestProblems(request: RankRequest): string[] {
  const problems: string[] = [];
  if (!request.modelId) problems.push('modelId is required');
  if (!request.user) problems.push('user is required');
  else {
    if (!request.user.userId) problems.push('user.userId is required');
    for (const [category, affinity] of Object.entries(request.user.categoryAffinities ?? {}))
      if (!Number.isFinite(affinity) || affinity <= 0)
        problems.push(`user.categoryAffinities.${category} must be a finite number > 0 (got ${affinity})`);
    if ((request.user.embedding ?? []).some((x) => !Number.isFinite(x)))
      problems.push('user.embedding must hold finite numbers');
  }
  const candidates = request.candidates ?? [];
  const columns = request.columns;
  if (columns && candidates.length > 0) problems.push('send candidates or columns, not both');
  const count = columns ? columns.livestreamIds.length : candidates.length;
  if (count > MAX_CANDIDATES)
    problems.push(`at most ${MAX_CANDIDATES} candidates per request (got ${count})`);
  if (columns) {
    problems.push(...candidateColumnsProblems(columns));
    if (
      columns.sellerEmbeddingDims !== 0 &&
      columns.sellerEmbeddingDims !== (request.user?.embedding.length ?? 0)
    )
      problems.push(
        `columns.sellerEmbeddingDims must be 0 or the user's embedding length ${request.user?.embedding.length ?? 0} (got ${columns.sellerEmbeddingDims})`,
      );
  }
  const ids = columns ? columns.livestreamIds : candidates.map((c) => c.livestreamId);
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (!id) problems.push(`candidates[${i}].livestreamId is required`);
    else if (seen.has(id)) problems.push(`candidates[${i}].livestreamId "${id}" appears twice`);
    seen.add(id);
  });
  const retrievalScores = columns ? columns.retrievalScores : candidates.map((c) => c.retrievalScore);
  retrievalScores.forEach((score, i) => {
    if (!Number.isFinite(score)) problems.push(`candidates[${i}].retrievalScore must be finite`);
  });
  candidates.forEach((candidate, i) => {
    if (!candidate.stream) problems.push(`candidates[${i}].stream is required`);
  });
  if (!Number.isFinite(request.nowMs) || request.nowMs < 0)
    problems.push('nowMs must be epoch ms (or 0 for now)');
  for (const [name, weight] of Object.entries(request.weightOverrides ?? {}))
    if (!Number.isFinite(weight)) problems.push(`weightOverrides.${name} must be a finite number`);
  return problems;
}

/** The request with its candidates as columns: what the gRPC client sends (see CandidateColumns). */
export function withCandidateColumns(request: RankRequest): RankRequest {
  if (request.columns) return request;
  return {
    ...request,
    candidates: [],
    columns: toCandidateColumns(request.candidates, request.user?.embedding.length ?? 0),
  };
}

/**
 * Ranks a request with a model of the registry: what the ranking-service and the in-process ranker both
 * run. Throws RankRequestError, RankInputError (a required feature missing, an unknown weight override) or
 * UnknownModelError, each naming the problem.
 */
export function rankWithRegistry(
  registry: ModelRegistry,
  request: RankRequest,
  clock = Date.now,
): RankResponse {
  const problems = rankRequestProblems(request);
  if (problems.length > 0) throw new RankRequestError(problems);
  const model = registry.resolve(request.modelId, request.modelVersion);
  const user = request.user!;
  const options = {
    now: request.nowMs || clock(),
    weightOverrides: request.weightOverrides,
    diversity: request.diversity,
    explain: request.explain,
  };
  if (request.columns) {
    const ranked = model.rankColumns(user, request.columns, options);
    return { candidates: [], ranked, modelId: model.id, modelVersion: model.version };
  }
  const columns = toCandidateColumns(request.candidates, user.embedding.length);
  const candidates = scoredCandidatesOf(model.rankColumns(user, columns, options), columns.livestreamIds);
  return { candidates, modelId: model.id, modelVersion: model.version };
}
