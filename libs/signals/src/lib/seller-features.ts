import { type EventBus, type Subscription } from '@crest/messaging';
import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsUUID,
  Max,
  Min,
  validateSync,
} from 'class-validator';

import { type SignalPipeline } from './signal-pipeline';

/** Compacted topic of the latest batch features per seller, keyed by seller id. */
export const SELLER_FEATURES_TOPIC = 'discovery.seller-features.v1';
export const DEFAULT_EMBEDDING_DIMS = 16;

/**
 * One line of the seller batch-feature file (JSON lines), e.g.
 * `{"sellerId":"0c7b1f3e-2d4a-4f1b-8e6c-5a9d3b2c1e00","score":0.82,"embedding":[0.1,...],"updatedAt":"2026-11-24T00:00:00Z"}`
 * `score` is a seller quality score in [0, 1]; `embedding` has exactly the configured number of finite numbers.
 */
export class SellerFeaturesRecord {
  @IsUUID()
  sellerId!: string;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  score!: number;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4096)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  embedding!: number[];

  @IsOptional()
  @IsISO8601({ strict: true })
  updatedAt?: string;
}

export type SellerFeaturesLineResult =
  { ok: true; record: SellerFeaturesRecord } | { ok: false; reasons: string[] };

/** Parses and validates one line; every problem is listed. */
export function parseSellerFeaturesLine(
  line: string,
  dims = DEFAULT_EMBEDDING_DIMS,
): SellerFeaturesLineResult {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    return { ok: false, reasons: [`not JSON: ${(error as Error).message}`] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, reasons: ['not a JSON object'] };
  const record = plainToInstance(SellerFeaturesRecord, raw);
  const reasons = validateSync(record, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) =>
    Object.values(e.constraints ?? {}),
  );
  if (Array.isArray(record.embedding) && record.embedding.length !== dims) {
    reasons.push(`embedding must have ${dims} numbers, got ${record.embedding.length}`);
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, record };
}

/**
 * Reads the seller-features topic from the beginning (every instance needs every seller, so each reader
 * has a group of its own) and hands each record to the pipeline, which re-emits that seller's streams.
 */
export function consumeSellerFeatures(
  bus: EventBus,
  pipeline: SignalPipeline,
  instanceId: string,
): Promise<Subscription> {
  return bus.subscribe({
    groupId: `crest.seller-features.${instanceId}`,
    topics: [SELLER_FEATURES_TOPIC],
    fromBeginning: true,
    eachBatch: async (batch, context) => {
      for (const message of batch.messages) {
        if (message.tombstone || !message.key) {
          context.ack(message);
          continue;
        }
        const parsed = parseSellerFeaturesLine(message.value.toString('utf8'));
        if (parsed.ok)
          pipeline.setSellerFeatures(parsed.record.sellerId, {
            score: parsed.record.score,
            embedding: parsed.record.embedding,
          });
        else await context.deadLetter(message, `invalid seller features: ${parsed.reasons.join('; ')}`);
        context.ack(message);
      }
    },
  });
}
