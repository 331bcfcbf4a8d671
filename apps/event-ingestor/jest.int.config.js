module.exports = {
  displayName: 'event-ingestor:integration',
  preset: '../../jest.int.preset.js',
  coverageDirectory: '../../coverage/apps/event-ingestor',
};
