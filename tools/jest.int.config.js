module.exports = {
  displayName: 'tools:integration',
  preset: '../jest.int.preset.js',
  coverageDirectory: '../coverage/tools',
};
