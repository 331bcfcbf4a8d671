module.exports = {
  displayName: 'feed',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/feed',
};
