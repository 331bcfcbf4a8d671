module.exports = {
  displayName: 'ranking-service',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/ranking-service',
};
