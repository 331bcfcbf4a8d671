module.exports = {
  displayName: 'messaging:integration',
  preset: '../../jest.int.preset.js',
  coverageDirectory: '../../coverage/libs/messaging',
};
