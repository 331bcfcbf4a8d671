module.exports = {
  displayName: 'admin',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/admin',
};
