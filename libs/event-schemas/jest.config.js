module.exports = {
  displayName: 'event-schemas',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/event-schemas',
};
