// Readiness of a Kafka broker as Crest needs it: a topic can be created, a message produced, and the same
// message consumed through a consumer group (right after start the group coordinator answers "loading").
// Usage: node kafka-ready.mjs <brokers> [timeoutSeconds]; exit 0 when ready, 1 with the reason otherwise.
import { randomUUID } from 'node:crypto';

import { Kafka, logLevel } from 'kafkajs';

const [brokers = '127.0.0.1:9092', timeoutSeconds = '10'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
const kafka = new Kafka({
  clientId: 'crest-infra-readiness',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
  retry: { retries: 2, initialRetryTime: 200 },
  connectionTimeout: 2000,
});
const topic = 'crest.infra.readiness';
const marker = randomUUID();

async function check() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'readiness', value: marker }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `crest-infra-readiness-${marker}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Promise((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value?.toString() === marker) resolve(true);
      },
    });
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('consumed nothing in time')), Math.max(1000, deadline - Date.now())),
  );
  try {
    await Promise.race([seen, timeout]);
  } finally {
    await consumer.disconnect();
  }
}

let lastError;
while (Date.now() < deadline) {
  try {
    await check();
    process.exit(0);
  } catch (error) {
    lastError = error;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
console.error(`Kafka at ${brokers} not ready: ${lastError?.message ?? 'timed out'}`);
process.exit(1);
