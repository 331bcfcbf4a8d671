import {
  type Candidate,
  type DiversityOptions,
  type ScoredCandidate,
  type UserContext,
} from '../../generated/crest/ranking/v1/ranking';
import { type FeatureDefinition, type FeatureInput, FEATURES_BY_NAME } from '../features/feature-catalogue';
import { compileTransforms } from '../features/transforms';
import { type ModelConfig, modelConfigProblems } from './model-config';

/** The model config is wrong: every problem is listed. */
export class ModelConfigError extends Error {
  constructor(
    readonly modelId: string,
    readonly problems: string[],
  ) {
    super(`Model ${modelId} is invalid: ${problems.join('; ')}`);
    this.name = 'ModelConfigError';
  }
}

/** The request cannot be ranked as given (unknown override, a required feature missing). */
export class RankInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'RankInputError';
  }
}

export interface RankOptions {
  now: number;
  /** Feature -> weight, replacing the model's (an experiment's parameters). */
  weightOverrides?: Readonly<Record<string, number>>;
  /** Replaces the model's caps. */
  diversity?: DiversityOptions;
  explain?: boolean;
}

interface CompiledFeature {
  definition: FeatureDefinition;
  weight: number;
  transform: (value: number) => number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
// Shared by every candidate when explain is off: an empty map costs nothing to send.
const NO_CONTRIBUTIONS: Record<string, number> = Object.freeze({}) as Record<string, number>;

/**
 * A compiled model: pure and deterministic (same input, same order). Candidates are ordered by score, then
 * retrieval score, then livestream id; the diversity caps then move a seller's or category's surplus below
 * everything within the caps, in order.
 */
export class RankingModel {
  readonly id: string;
  readonly version: number;
  readonly kind: ModelConfig['kind'];
  private readonly bias: number;
  private readonly features: CompiledFeature[];
  private readonly diversity: Required<DiversityOptions>;

  constructor(readonly config: ModelConfig) {
    const schemaProblems = modelConfigProblems(config);
    const id = typeof config?.id === 'string' ? config.id : '?';
    if (schemaProblems.length > 0) throw new ModelConfigError(id, schemaProblems);
    const problems: string[] = [];
    this.features = Object.entries(config.features).flatMap(([name, spec]) => {
      const definition = FEATURES_BY_NAME.get(name);
      if (!definition) {
        problems.push(`features.${name}: not in the feature catalogue`);
        return [];
      }
      return [
        {
          definition,
          weight: spec.weight,
          transform: compileTransforms(spec.transforms ?? [], `features.${name}`, problems),
        },
      ];
    });
    if (problems.length > 0) throw new ModelConfigError(config.id, problems);
    this.id = config.id;
    this.version = config.version;
    this.kind = config.kind;
    this.bias = config.bias;
    this.diversity = {
      maxPerSeller: config.diversity?.maxPerSeller ?? 0,
      maxPerCategory: config.diversity?.maxPerCategory ?? 0,
    };
  }

  rank(user: UserContext, candidates: readonly Candidate[], options: RankOptions): ScoredCandidate[] {
    const weights = this.weightsWith(options.weightOverrides);
    if (candidates.length === 0) return [];
    const followed = new Set(user.followedSellers);
    let userNorm = 0;
    for (const x of user.embedding) userNorm += x * x;
    userNorm = Math.sqrt(userNorm);
    const missing: string[] = [];
    const features = this.features;
    const explain = options.explain === true;
    // One reused input and scores in a typed array: a Rank call scores hundreds of candidates, and
    // per-candidate objects were a good part of its time and garbage.
    const input: FeatureInput = { user, candidate: candidates[0]!, now: options.now, followed, userNorm };
    const scores = new Float64Array(candidates.length);
    const contributionsOf: Array<Record<string, number>> = [];
    for (let index = 0; index < candidates.length; index++) {
      const candidate = candidates[index]!;
      input.candidate = candidate;
      let linear = this.bias;
      const contributions: Record<string, number> = explain ? { bias: this.bias } : NO_CONTRIBUTIONS;
      for (let f = 0; f < features.length; f++) {
        const { definition, transform } = features[f]!;
        let raw = definition.read(input);
        if (raw === undefined || !Number.isFinite(raw)) {
          if (definition.onMissing === 'reject')
            missing.push(`candidates[${index}] (${candidate.livestreamId}) lacks ${definition.name}`);
          raw = definition.default;
        }
        const contribution = weights[f]! * transform(raw);
        linear += contribution;
        if (explain) contributions[definition.name] = contribution;
      }
      scores[index] = linear;
      if (explain) contributionsOf.push(contributions);
    }
    if (missing.length > 0) throw new RankInputError(missing);
    const order = Array.from({ length: candidates.length }, (_, i) => i);
    order.sort((a, b) => {
      const ca = candidates[a]!;
      const cb = candidates[b]!;
      return (
        scores[b]! - scores[a]! ||
        cb.retrievalScore - ca.retrievalScore ||
        (ca.livestreamId < cb.livestreamId ? -1 : ca.livestreamId > cb.livestreamId ? 1 : 0)
      );
    });
    const logistic = this.kind === 'logistic';
    const scored = order.map((i) => ({
      result: {
        livestreamId: candidates[i]!.livestreamId,
        score: scores[i]!,
        probability: logistic ? sigmoid(scores[i]!) : scores[i]!,
        contributions: explain ? contributionsOf[i]! : NO_CONTRIBUTIONS,
        demoted: false,
      } satisfies ScoredCandidate,
      candidate: candidates[i]!,
    }));
    return diversify(scored, { ...this.diversity, ...nonZero(options.diversity) });
  }

  private weightsWith(overrides: Readonly<Record<string, number>> | undefined): number[] {
    const weights = this.features.map((feature) => feature.weight);
    if (!overrides) return weights;
    const problems: string[] = [];
    for (const [name, weight] of Object.entries(overrides)) {
      const index = this.features.findIndex((feature) => feature.definition.name === name);
      if (index === -1)
        problems.push(
          `weight override for "${name}": model ${this.id}@${this.version} has no such feature (it has: ${this.features
            .map((f) => f.definition.name)
            .join(', ')})`,
        );
      else if (!Number.isFinite(weight))
        problems.push(`weight override for "${name}" must be a finite number`);
      else weights[index] = weight;
    }
    if (problems.length > 0) throw new RankInputError(problems);
    return weights;
  }
}

function nonZero(diversity: DiversityOptions | undefined): Partial<Required<DiversityOptions>> {
  const out: Partial<Required<DiversityOptions>> = {};
  if (diversity?.maxPerSeller) out.maxPerSeller = diversity.maxPerSeller;
  if (diversity?.maxPerCategory) out.maxPerCategory = diversity.maxPerCategory;
  return out;
}

/** Keeps the order, moving each item past a seller's or a category's cap below the items within the caps. */
function diversify(
  scored: Array<{ result: ScoredCandidate; candidate: Candidate }>,
  caps: Required<DiversityOptions>,
): ScoredCandidate[] {
  if (!caps.maxPerSeller && !caps.maxPerCategory) return scored.map((s) => s.result);
  const perSeller = new Map<string, number>();
  const perCategory = new Map<string, number>();
  const kept: ScoredCandidate[] = [];
  const demoted: ScoredCandidate[] = [];
  for (const { result, candidate } of scored) {
    const sellerCount = perSeller.get(candidate.sellerId) ?? 0;
    const overSeller = caps.maxPerSeller > 0 && sellerCount >= caps.maxPerSeller;
    const overCategory =
      caps.maxPerCategory > 0 &&
      candidate.categoryIds.some((c) => (perCategory.get(c) ?? 0) >= caps.maxPerCategory);
    if (overSeller || overCategory) {
      demoted.push({ ...result, demoted: true });
      continue;
    }
    perSeller.set(candidate.sellerId, sellerCount + 1);
    for (const category of candidate.categoryIds)
      perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
    kept.push(result);
  }
  return kept.concat(demoted);
}
