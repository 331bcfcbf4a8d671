module.exports = {
  displayName: 'retrieval',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/retrieval',
};
