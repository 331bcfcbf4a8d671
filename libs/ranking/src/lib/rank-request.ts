import { type RankRequest, type RankResponse } from '../generated/crest/ranking/v1/ranking';
import { type ModelRegistry } from './models/model-registry';

export const MAX_CANDIDATES = 2_000;

/** A malformed RankRequest; `problems` names every one (gRPC INVALID_ARGUMENT). */
export class RankRequestError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid RankRequest: ${problems.join('; ')}`);
    this.name = 'RankRequestError';
  }
}

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
  if (candidates.length > MAX_CANDIDATES)
    problems.push(`at most ${MAX_CANDIDATES} candidates per request (got ${candidates.length})`);
  const seen = new Set<string>();
  candidates.forEach((candidate, i) => {
    if (!candidate.livestreamId) problems.push(`candidates[${i}].livestreamId is required`);
    else if (seen.has(candidate.livestreamId))
      problems.push(`candidates[${i}].livestreamId "${candidate.livestreamId}" appears twice`);
    seen.add(candidate.livestreamId);
    if (!Number.isFinite(candidate.retrievalScore))
      problems.push(`candidates[${i}].retrievalScore must be finite`);
    if (!candidate.stream) problems.push(`candidates[${i}].stream is required`);
  });
  if (!Number.isFinite(request.nowMs) || request.nowMs < 0)
    problems.push('nowMs must be epoch ms (or 0 for now)');
  for (const [name, weight] of Object.entries(request.weightOverrides ?? {}))
    if (!Number.isFinite(weight)) problems.push(`weightOverrides.${name} must be a finite number`);
  return problems;
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
  const candidates = model.rank(request.user!, request.candidates, {
    now: request.nowMs || clock(),
    weightOverrides: request.weightOverrides,
    diversity: request.diversity,
    explain: request.explain,
  });
  return { candidates, modelId: model.id, modelVersion: model.version };
}
