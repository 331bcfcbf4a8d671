import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assertFixedPortUsable, ephemeralPortRange } from './fixed-port';

describe('assertFixedPortUsable', () => {
  it('refuses a port an outgoing connection may hold, and says why', () => {
    expect(() => assertFixedPortUsable(39_732, [32_768, 60_999])).toThrow(
      'port 39732 is in the ephemeral range 32768-60999',
    );
    expect(() => assertFixedPortUsable(32_768, [32_768, 60_999])).toThrow('ephemeral range');
  });

  it('takes a port outside the range, or any port where the range is unknown', () => {
    expect(assertFixedPortUsable(29_732, [32_768, 60_999])).toBe(29_732);
    expect(assertFixedPortUsable(61_000, [32_768, 60_999])).toBe(61_000);
    expect(assertFixedPortUsable(39_732, null)).toBe(39_732);
  });

  it('refuses what is not a TCP port', () => {
    expect(() => assertFixedPortUsable(0, null)).toThrow('0 is not a TCP port');
    expect(() => assertFixedPortUsable(70_000, null)).toThrow('not a TCP port');
  });
});

describe('ephemeralPortRange', () => {
  it('reads the kernel setting, and is null where there is none', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ports-')), 'ip_local_port_range');
    writeFileSync(file, '32768\t60999\n');
    expect(ephemeralPortRange(file)).toEqual([32_768, 60_999]);
    expect(ephemeralPortRange(join(tmpdir(), 'no-such-file'))).toBeNull();
  });
});
