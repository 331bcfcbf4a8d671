module.exports = {
  displayName: 'feed-api',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/feed-api',
};
