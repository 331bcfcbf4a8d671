import { parseBackendSwitch } from './backend-switch';

const valid = {
  backend: 'memory',
  state: 'off',
  actor: 'operator:0123456789ab',
  reason: 'replica lagging',
  at: '2026-12-01T12:00:00.000Z',
  auditId: 7,
};

describe('backend switches', () => {
  it('parse a valid switch', () => {
    expect(parseBackendSwitch(JSON.stringify(valid))).toEqual(valid);
    expect(parseBackendSwitch(Buffer.from(JSON.stringify({ ...valid, state: 'on' }))).state).toBe('on');
  });

  it.each([
    ['{', 'the value is not JSON'],
    ['[]', 'the value is not an object'],
    [JSON.stringify({ ...valid, backend: 'Memory; DROP' }), 'backend must be a backend name'],
    [JSON.stringify({ ...valid, state: 'maybe' }), 'state must be one of off, on'],
    [JSON.stringify({ ...valid, actor: '' }), 'actor is missing'],
    [
      JSON.stringify({ ...valid, reason: 'x'.repeat(501) }),
      'reason must be a string of at most 500 characters',
    ],
    [JSON.stringify({ ...valid, at: 'yesterday' }), 'at must be an ISO time'],
    [JSON.stringify({ ...valid, auditId: 0 }), 'auditId must be the audit entry id'],
  ])('refuse %s: %s', (value, problem) => {
    expect(() => parseBackendSwitch(value)).toThrow(`not a backend switch: ${problem}`);
  });
});
