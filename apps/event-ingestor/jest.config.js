module.exports = {
  displayName: 'event-ingestor',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/event-ingestor',
};
