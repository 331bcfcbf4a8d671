import {
  type Candidate,
  type CandidateColumns,
  type DiversityOptions,
  type RankedColumns,
  type ScoredCandidate,
  type UserContext,
} from '../../generated/crest/ranking/v1/ranking';
import { scoredCandidatesOf, toCandidateColumns } from '../candidate-columns';
import { type FeatureDefinition, featureInputOf, FEATURES_BY_NAME } from '../features/feature-catalogue';
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

  /** Ranks one message per candidate (tests, explain tools): the columns path with rows in and out. */
  rank(user: UserContext, candidates: readonly Candidate[], options: RankOptions): ScoredCandidate[] {
    const columns = toCandidateColumns(candidates, user.embedding.length);
    return scoredCandidatesOf(this.rankColumns(user, columns, options), columns.livestreamIds);
  }

  /** Ranks candidates given as columns (what the ranking-service receives); the answer is in ranked order. */
  rankColumns(user: UserContext, columns: CandidateColumns, options: RankOptions): RankedColumns {
    const weights = this.weightsWith(options.weightOverrides);
    const n = columns.livestreamIds.length;
    const features = this.features;
    const explain = options.explain === true;
    const contributionNames = explain ? ['bias', ...features.map((f) => f.definition.name)] : [];
    if (n === 0)
      return { order: [], scores: [], probabilities: [], demoted: [], contributionNames, contributions: [] };
    const missing: string[] = [];
    // One reused input and typed arrays: a Rank call scores hundreds of candidates, and per-candidate
    // objects were a good part of its time and garbage.
    const input = featureInputOf(user, columns, options.now);
    const scores = new Float64Array(n);
    const width = contributionNames.length;
    const contributionsByCandidate = explain ? new Float64Array(n * width) : undefined;
    for (let index = 0; index < n; index++) {
      input.index = index;
      let linear = this.bias;
      if (contributionsByCandidate) contributionsByCandidate[index * width] = this.bias;
      for (let f = 0; f < features.length; f++) {
        const { definition, transform } = features[f]!;
        let raw = definition.read(input);
        if (raw === undefined || !Number.isFinite(raw)) {
          if (definition.onMissing === 'reject')
            missing.push(`candidates[${index}] (${columns.livestreamIds[index]}) lacks ${definition.name}`);
          raw = definition.default;
        }
        const contribution = weights[f]! * transform(raw);
        linear += contribution;
        if (contributionsByCandidate) contributionsByCandidate[index * width + 1 + f] = contribution;
      }
      scores[index] = linear;
    }
    if (missing.length > 0) throw new RankInputError(missing);
    const ids = columns.livestreamIds;
    const retrieval = columns.retrievalScores;
    const byScore = Array.from({ length: n }, (_, i) => i);
    byScore.sort(
      (a, b) =>
        scores[b]! - scores[a]! ||
        retrieval[b]! - retrieval[a]! ||
        (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0),
    );
    const { order, demoted } = diversify(byScore, columns, input.categoryStarts, {
      ...this.diversity,
      ...nonZero(options.diversity),
    });
    const logistic = this.kind === 'logistic';
    const ranked: RankedColumns = {
      order,
      scores: new Array<number>(n),
      probabilities: new Array<number>(n),
      demoted,
      contributionNames,
      contributions: explain ? new Array<number>(n * width) : [],
    };
    for (let rank = 0; rank < n; rank++) {
      const index = order[rank]!;
      const score = scores[index]!;
      ranked.scores[rank] = score;
      ranked.probabilities[rank] = logistic ? sigmoid(score) : score;
      if (contributionsByCandidate)
        for (let f = 0; f < width; f++)
          ranked.contributions[rank * width + f] = contributionsByCandidate[index * width + f]!;
    }
    return ranked;
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

/**
 * Keeps the order, moving each candidate past a seller's or a category's cap below the candidates within the
 * caps (in order); `demoted` marks the moved ones by rank.
 */
function diversify(
  byScore: number[],
  columns: CandidateColumns,
  starts: Int32Array,
  caps: Required<DiversityOptions>,
): { order: number[]; demoted: boolean[] } {
  if (!caps.maxPerSeller && !caps.maxPerCategory)
    return { order: byScore, demoted: new Array<boolean>(byScore.length).fill(false) };
  const perSeller = new Map<string, number>();
  const perCategory = new Map<string, number>();
  const kept: number[] = [];
  const moved: number[] = [];
  for (const index of byScore) {
    const seller = columns.sellerIds[index]!;
    const sellerCount = perSeller.get(seller) ?? 0;
    let over = caps.maxPerSeller > 0 && sellerCount >= caps.maxPerSeller;
    const from = starts[index]!;
    const to = starts[index + 1]!;
    for (let c = from; !over && caps.maxPerCategory > 0 && c < to; c++)
      over = (perCategory.get(columns.categoryIds[c]!) ?? 0) >= caps.maxPerCategory;
    if (over) {
      moved.push(index);
      continue;
    }
    perSeller.set(seller, sellerCount + 1);
    for (let c = from; c < to; c++)
      perCategory.set(columns.categoryIds[c]!, (perCategory.get(columns.categoryIds[c]!) ?? 0) + 1);
    kept.push(index);
  }
  const demoted = new Array<boolean>(byScore.length).fill(false, 0, kept.length).fill(true, kept.length);
  return { order: kept.concat(moved), demoted };
}
