import { InProcessEventBus } from '@crest/messaging';
import { eventually } from '@crest/messaging/testing';

import { bidAt, STREAM } from './scenarios/scenario-events';
import { consumeSellerFeatures, parseSellerFeaturesLine, SELLER_FEATURES_TOPIC } from './seller-features';
import { SignalPipeline } from './signal-pipeline';

const SELLER = '0c7b1f3e-2d4a-4f1b-8e6c-5a9d3b2c1e00';
const embedding = Array.from({ length: 16 }, (_, i) => i / 16);

describe('seller features', () => {
  it('accepts a valid line', () => {
    const result = parseSellerFeaturesLine(JSON.stringify({ sellerId: SELLER, score: 0.8, embedding }));
    expect(result.ok && result.record.score).toBe(0.8);
  });

  it.each([
    ['{oops', [expect.stringMatching(/^not JSON: Expected property name/)]],
    ['[1]', ['not a JSON object']],
    [
      JSON.stringify({ sellerId: 'x', score: 2, embedding: [1, 2] }),
      [
        'sellerId must be a UUID',
        'score must not be greater than 1',
        'embedding must have 16 numbers, got 2',
      ],
    ],
    [
      JSON.stringify({ sellerId: SELLER, score: 0.5, embedding, extra: 1 }),
      ['property extra should not exist'],
    ],
  ])('reports every problem of %s', (line, reasons) => {
    expect(parseSellerFeaturesLine(line)).toEqual({ ok: false, reasons });
  });

  it('enriches the docs of the seller’s streams from the compacted topic', async () => {
    const bus = new InProcessEventBus();
    const pipeline = new SignalPipeline();
    pipeline.ingest([bidAt(10)]);
    pipeline.takeChanges();
    await consumeSellerFeatures(bus, pipeline, 'test');
    await bus.publish([
      {
        topic: SELLER_FEATURES_TOPIC,
        key: SELLER,
        value: JSON.stringify({ sellerId: SELLER, score: 0.9, embedding }),
      },
    ]);
    await eventually(() => pipeline.doc(STREAM)?.seller.score === 0.9, 'the seller score on the doc');
    expect(pipeline.takeChanges().upserts.map((d) => d.livestreamId)).toEqual([STREAM]);
    await bus.close();
  });
});
