import { eventually } from './eventually';

describe('eventually', () => {
  it('returns the first value the probe gives', async () => {
    let calls = 0;
    await expect(
      eventually('the third call', async () => (++calls === 3 ? 'ready' : undefined), 1_000, 1),
    ).resolves.toBe('ready');
    expect(calls).toBe(3);
  });

  it('fails after the timeout, saying what it waited for', async () => {
    await expect(eventually('a value that never comes', async () => undefined, 30, 5)).rejects.toThrow(
      'timed out after 30 ms waiting for a value that never comes',
    );
  });
});
