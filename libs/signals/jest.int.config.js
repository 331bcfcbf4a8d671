module.exports = {
  displayName: 'signals:integration',
  preset: '../../jest.int.preset.js',
  coverageDirectory: '../../coverage/libs/signals',
};
