import { assignCoPartitioned } from './co-partitioned-assigner';

const sixPartitions = () => [0, 1, 2, 3, 4, 5];
const topics = ['marketplace.livestream.v1', 'marketplace.engagement.v1', 'marketplace.commerce.v1'];

describe('assignCoPartitioned', () => {
  it('gives every member the same partition numbers of every topic', () => {
    const members = ['m-c', 'm-a', 'm-d', 'm-b'].map((memberId) => ({ memberId, topics }));

    const assignment = assignCoPartitioned(members, sixPartitions);

    const expected = { 'm-a': [0, 4], 'm-b': [1, 5], 'm-c': [2], 'm-d': [3] };
    for (const [member, partitions] of Object.entries(expected)) {
      expect(assignment.get(member)).toEqual(Object.fromEntries(topics.map((t) => [t, partitions])));
    }
  });

  it('splits a topic only among the members subscribed to it, and leaves a member without work empty', () => {
    const assignment = assignCoPartitioned(
      [
        { memberId: 'a', topics: ['t1'] },
        { memberId: 'b', topics: ['t1', 't2'] },
        { memberId: 'c', topics: ['t2'] },
      ],
      (topic) => (topic === 't1' ? [0, 1, 2] : [0]),
    );

    expect(assignment.get('a')).toEqual({ t1: [0, 2] });
    expect(assignment.get('b')).toEqual({ t1: [1], t2: [0] });
    expect(assignment.get('c')).toEqual({});
  });
});
