// Integration tier: *.int-spec.ts against real Kafka and Elasticsearch (tools/infra). The global setup
// fails the run, saying why, when a server is not reachable: an integration suite never skips silently.
const unit = require('./jest.preset.js');

module.exports = {
  ...unit,
  testMatch: ['**/?(*.)+(int-spec).ts'],
  testTimeout: 120_000,
  globalSetup: require.resolve('./tools/jest/integration-global-setup.js'),
  reporters: [
    'default',
    [require.resolve('./tools/jest/results-file-reporter.js'), { suffix: 'integration' }],
  ],
};
