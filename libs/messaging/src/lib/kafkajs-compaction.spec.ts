/**
 * kafkajs 2.2.4 stops for good at a record batch that compaction emptied (tulios/kafkajs#1072): it found
 * no records, fetched the same offset again, forever. The ingestor's rebuild from the compacted state topic
 * stalled on one here ("readRange made no progress"). patches/kafkajs+2.2.4.patch moves past such a batch
 * as the Java client does; these specs decode batches as the broker sends them after compaction.
 */
// kafkajs's protocol internals have no typings.
const Batch = require('kafkajs/src/consumer/batch');
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages');
const Decoder = require('kafkajs/src/protocol/decoder');
const Encoder = require('kafkajs/src/protocol/encoder');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');

interface FetchedBatch {
  messages: Array<{ offset: string; value: Buffer | null }>;
  lastOffset(): string;
  isEmpty(): boolean;
  isEmptyDueToFiltering(): boolean;
}

/** A record batch as stored: `offsets` are the records compaction kept, `lastOffset` the batch's last. */
async function storedBatch(firstOffset: number, lastOffset: number, offsets: number[]): Promise<Buffer> {
  const records = offsets.map((offset) =>
    Record({
      offsetDelta: offset - firstOffset,
      key: Buffer.from(`k${offset}`),
      value: Buffer.from(`v${offset}`),
    }),
  );
  const encoded = await RecordBatch({
    firstOffset: String(firstOffset),
    lastOffsetDelta: lastOffset - firstOffset,
    records,
  });
  return encoded.buffer as Buffer;
}

/** What the consumer makes of a fetch at `fetchedOffset` answered with these stored batches. */
async function fetched(
  fetchedOffset: number,
  batches: Buffer[],
  highWatermark: number,
): Promise<FetchedBatch> {
  const bytes = Buffer.concat(batches);
  const response = new Encoder().writeInt32(bytes.length).writeBuffer(bytes);
  const messages = await decodeMessages(new Decoder(response.buffer));
  return new Batch('discovery.livestream-state.v1', String(fetchedOffset), {
    partition: 4,
    highWatermark: String(highWatermark),
    messages,
    abortedTransactions: [],
  });
}

describe('kafkajs after compaction (patched)', () => {
  it('moves past a batch compaction emptied, to its last offset', async () => {
    const batch = await fetched(0, [await storedBatch(5_924, 10_971, [])], 23_337);

    expect(batch.messages).toEqual([]);
    // What makes the runner resolve the offset and fetch from the next one instead of this one again.
    expect(batch.isEmptyDueToFiltering()).toBe(true);
    expect(batch.lastOffset()).toBe('10971');
  });

  it('hands over the records kept and moves past the compacted tail of their batch', async () => {
    const batch = await fetched(100, [await storedBatch(100, 149, [100, 103, 120])], 500);

    expect(batch.messages.map((m) => [m.offset, m.value?.toString()])).toEqual([
      ['100', 'v100'],
      ['103', 'v103'],
      ['120', 'v120'],
    ]);
    expect(batch.lastOffset()).toBe('149');
  });

  it('reads batches that compaction left whole as before', async () => {
    const batch = await fetched(0, [await storedBatch(0, 2, [0, 1, 2]), await storedBatch(3, 4, [3, 4])], 5);

    expect(batch.messages.map((m) => m.offset)).toEqual(['0', '1', '2', '3', '4']);
    expect(batch.lastOffset()).toBe('4');
    expect(batch.isEmpty()).toBe(false);
  });
});
