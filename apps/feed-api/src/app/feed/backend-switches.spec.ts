import { BACKEND_SWITCHES_TOPIC, deadLetterTopicOf } from '@crest/event-schemas';
import { type ConsumedMessage, InProcessEventBus } from '@crest/messaging';
import { GuardedBackend, LivestreamIndex, MemoryRetriever } from '@crest/retrieval';

import { BackendSwitchListener } from './backend-switches';

const switchOf = (state: 'on' | 'off', auditId: number) => ({
  backend: 'memory',
  state,
  actor: 'operator:0123456789ab',
  reason: 'drill',
  at: new Date().toISOString(),
  auditId,
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('backend switches in feed-api', () => {
  it('isolates and releases a backend as switched, and a late instance gets the switch in force', async () => {
    const bus = new InProcessEventBus({ defaultPartitions: 1 });
    const memory = new GuardedBackend(new MemoryRetriever(new LivestreamIndex()));
    const logs: string[] = [];
    const logger = { log: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
    const listener = new BackendSwitchListener(bus, { memory }, logger);
    await listener.start();

    await bus.publish([
      { topic: BACKEND_SWITCHES_TOPIC, key: 'memory', value: JSON.stringify(switchOf('off', 1)) },
    ]);
    await until(() => memory.circuit === 'isolated');
    expect(logs.join('\n')).toContain(
      'backend memory switched off by operator:0123456789ab (audit #1): drill',
    );

    const restarted = new GuardedBackend(new MemoryRetriever(new LivestreamIndex()));
    const late = new BackendSwitchListener(bus, { memory: restarted }, logger);
    await late.start();
    await until(() => restarted.circuit === 'isolated');

    await bus.publish([
      { topic: BACKEND_SWITCHES_TOPIC, key: 'memory', value: JSON.stringify(switchOf('on', 2)) },
    ]);
    await until(() => memory.circuit === 'closed' && restarted.circuit === 'closed');
    await listener.stop();
    await late.stop();
    await bus.close();
  });

  it('dead-letters a malformed switch with the reason and skips a backend it lacks', async () => {
    const bus = new InProcessEventBus({ defaultPartitions: 1 });
    const memory = new GuardedBackend(new MemoryRetriever(new LivestreamIndex()));
    const logs: string[] = [];
    const listener = new BackendSwitchListener(
      bus,
      { memory },
      { log: (m) => logs.push(m), warn: (m) => logs.push(m) },
    );
    await listener.start();
    const dead: ConsumedMessage[] = [];
    await bus.subscribe({
      groupId: 'dlq-reader',
      topics: [deadLetterTopicOf(BACKEND_SWITCHES_TOPIC)],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        dead.push(message);
        context.ack();
      },
    });
    await bus.publish([
      { topic: BACKEND_SWITCHES_TOPIC, key: 'memory', value: '{"backend":"memory","state":"maybe"}' },
      {
        topic: BACKEND_SWITCHES_TOPIC,
        key: 'elasticsearch',
        value: JSON.stringify({ ...switchOf('off', 3), backend: 'elasticsearch' }),
      },
    ]);
    await until(() => dead.length === 1 && logs.some((m) => m.includes('elasticsearch skipped')));
    expect(dead[0]!.headers['crest.dlq.reason']).toBe('not a backend switch: state must be one of off, on');
    expect(memory.circuit).toBe('closed');
    await listener.stop();
    await bus.close();
  });
});
