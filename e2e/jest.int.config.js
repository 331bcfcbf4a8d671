// End-to-end suites that need the real servers (tools/infra): the built apps as their own processes.
module.exports = {
  displayName: 'e2e:integration',
  preset: '../jest.int.preset.js',
  coverageDirectory: '../coverage/e2e',
};
