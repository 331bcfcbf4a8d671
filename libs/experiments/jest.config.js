module.exports = {
  displayName: 'experiments',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/experiments',
};
