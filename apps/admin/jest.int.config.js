module.exports = {
  displayName: 'admin:integration',
  preset: '../../jest.int.preset.js',
  coverageDirectory: '../../coverage/apps/admin',
};
