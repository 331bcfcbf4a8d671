module.exports = {
  displayName: 'ranking',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/ranking',
};
