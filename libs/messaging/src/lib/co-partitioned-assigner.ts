import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * Which member owns which partitions: partition `p` of every topic goes to the same member (the `p mod n`-th
 * of the members subscribed to it, sorted by id). Keyed topics that share a partition count are then
 * co-partitioned, as Kafka Streams requires: a stream's status, engagement and commerce events (all keyed by
 * stream id) reach one member, which alone writes that stream's doc. Kafka's round-robin assignor instead
 * spreads `topic:partition` pairs, so with more than a couple of members one stream's topics land on
 * different members that each write a partial doc.
 */
export function assignCoPartitioned(
  members: ReadonlyArray<{ memberId: string; topics: readonly string[] }>,
  partitionsOf: (topic: string) => number[],
): Map<string, Record<string, number[]>> {
  const assignment = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const owners = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.memberId)
      .sort();
    for (const partition of partitionsOf(topic)) {
      const owned = assignment.get(owners[partition % owners.length]!)!;
      (owned[topic] ??= []).push(partition);
    }
  }
  return assignment;
}

/** `assignCoPartitioned` as a kafkajs partition assigner. */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'CrestCoPartitionedAssigner',
  version: 0,
  async assign({ members, topics }) {
    const subscribed = members.map(({ memberId, memberMetadata }) => ({
      memberId,
      topics: (AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? topics).filter((t) =>
        topics.includes(t),
      ),
    }));
    const assignment = assignCoPartitioned(subscribed, (topic) =>
      cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId),
    );
    return [...assignment].map(([memberId, owned]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: owned,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'CrestCoPartitionedAssigner',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
