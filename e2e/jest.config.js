// End-to-end suites: each starts the built apps as their own processes and talks to them over HTTP.
module.exports = {
  displayName: 'e2e',
  preset: '../jest.preset.js',
  testMatch: ['**/?(*.)+(e2e-spec).ts'],
  testTimeout: 120_000,
  coverageDirectory: '../coverage/e2e',
};
