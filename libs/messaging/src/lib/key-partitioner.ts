import { Partitioners } from 'kafkajs';

/**
 * Kafka's default partitioner (murmur2 of the key; round-robin without a key), as a function of the key and
 * the partition count. Both adapters use it, so a key lands on the same partition in-process and on Kafka.
 */
export function createKeyPartitioner(): (topic: string, key: string | null, partitions: number) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const metadata = new Map<
    number,
    Array<{
      partitionId: number;
      leader: number;
      partitionErrorCode: number;
      replicas: number[];
      isr: number[];
    }>
  >();
  return (topic, key, partitions) => {
    let partitionMetadata = metadata.get(partitions);
    if (!partitionMetadata) {
      partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      metadata.set(partitions, partitionMetadata);
    }
    return partitioner({ topic, partitionMetadata, message: { key, value: null } });
  };
}
