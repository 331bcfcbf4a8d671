module.exports = {
  displayName: 'signals',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/signals',
};
