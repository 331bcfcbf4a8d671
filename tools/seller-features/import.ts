/**
 * Imports seller batch features (scores and embeddings) from a JSON-lines file into the compacted topic
 * the ingestors read. Every line is validated; bad lines are reported with their number and reasons and
 * skipped, good ones are published keyed by seller id (the newest per seller wins after compaction).
 *
 *   npx tsx tools/seller-features/import.ts --file sellers.jsonl [--brokers 127.0.0.1:9092] [--dims 16] [--dry-run]
 *
 * Exit codes: 0 all lines imported, 1 some lines were bad (the good ones were imported), 2 bad usage.
 * Line format: see SellerFeaturesRecord in libs/signals (sellerId uuid, score 0..1, embedding of --dims numbers).
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { KafkaEventBus, type OutgoingMessage } from '@crest/messaging';
import { DEFAULT_EMBEDDING_DIMS, parseSellerFeaturesLine, SELLER_FEATURES_TOPIC } from '@crest/signals';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        file: { type: 'string' },
        brokers: { type: 'string', default: process.env['KAFKA_BROKERS'] },
        dims: { type: 'string', default: String(DEFAULT_EMBEDDING_DIMS) },
        'dry-run': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const problems: string[] = [];
  if (!values.file) problems.push('--file is required');
  else if (!existsSync(values.file)) problems.push(`--file ${values.file} does not exist`);
  const dims = Number(values.dims);
  if (!Number.isInteger(dims) || dims < 1 || dims > 4096)
    problems.push(`--dims must be an integer from 1 to 4096, got "${values.dims}"`);
  if (!values['dry-run'] && !values.brokers)
    problems.push('--brokers (or KAFKA_BROKERS) is required unless --dry-run');
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    return 2;
  }

  const bus = values['dry-run']
    ? undefined
    : new KafkaEventBus({
        brokers: values.brokers!.split(','),
        clientId: 'seller-features-import',
        createTopics: false,
      });
  await bus?.ensureTopics([{ name: SELLER_FEATURES_TOPIC, partitions: 3, compacted: true }]);
  let lineNumber = 0;
  let good = 0;
  let bad = 0;
  let pending: OutgoingMessage[] = [];
  const flush = async () => {
    if (bus && pending.length > 0) await bus.publish(pending);
    pending = [];
  };
  for await (const line of createInterface({ input: createReadStream(values.file!), crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === '') continue;
    const result = parseSellerFeaturesLine(line, dims);
    if (!result.ok) {
      bad++;
      console.error(`line ${lineNumber}: ${result.reasons.join('; ')}`);
      continue;
    }
    good++;
    pending.push({
      topic: SELLER_FEATURES_TOPIC,
      key: result.record.sellerId,
      value: JSON.stringify(result.record),
    });
    if (pending.length >= 1_000) await flush();
  }
  await flush();
  await bus?.close();
  console.log(
    `${good} sellers ${values['dry-run'] ? 'valid (dry run, nothing published)' : `imported into ${SELLER_FEATURES_TOPIC}`}, ${bad} bad lines`,
  );
  return bad > 0 ? 1 : 0;
}

void main().then((code) => process.exit(code));
