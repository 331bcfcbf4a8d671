// Checks the real servers are there before any integration suite runs, and fails loudly if not.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const elasticsearch = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
  const database = process.env.PULL_MODEL_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const problems = [];
  const { Client } = require('pg');
  const pg = new Client({ connectionString: database, connectionTimeoutMillis: 5_000 });
  try {
    await pg.connect();
    const { rows } = await pg.query('SHOW server_version_num');
    if (Number(rows[0].server_version_num) < 140000)
      problems.push(`PostgreSQL at ${database}: version ${rows[0].server_version_num}, 14 or newer needed`);
  } catch (error) {
    problems.push(`PostgreSQL at ${database}: ${error.code ?? error.message}`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  try {
    execFileSync(process.execPath, [join(__dirname, '../infra/kafka-ready.mjs'), brokers, '15'], {
      stdio: 'pipe',
    });
  } catch (error) {
    problems.push(`Kafka at ${brokers}: ${String(error.stderr ?? error.message).trim()}`);
  }
  try {
    const response = await fetch(`${elasticsearch}/_cluster/health`);
    const health = await response.json();
    if (!['green', 'yellow'].includes(health.status))
      problems.push(`Elasticsearch at ${elasticsearch}: status ${health.status}`);
  } catch (error) {
    problems.push(`Elasticsearch at ${elasticsearch}: ${error.cause?.code ?? error.message}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `Integration tests need real Kafka, Elasticsearch and PostgreSQL, and they are not reachable:\n  - ${problems.join('\n  - ')}\n` +
        'Start them with `tools/infra/infra.sh start` (or `npm run test:integration`, which does it for you), ' +
        'or point KAFKA_BROKERS / ELASTICSEARCH_URL / PULL_MODEL_DATABASE_URL at running servers (PostgreSQL 14+).',
    );
  }
  process.env.KAFKA_BROKERS = brokers;
  process.env.ELASTICSEARCH_URL = elasticsearch;
  process.env.PULL_MODEL_DATABASE_URL = database;
};
