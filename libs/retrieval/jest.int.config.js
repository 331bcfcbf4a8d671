module.exports = {
  displayName: 'retrieval:integration',
  preset: '../../jest.int.preset.js',
  coverageDirectory: '../../coverage/libs/retrieval',
};
