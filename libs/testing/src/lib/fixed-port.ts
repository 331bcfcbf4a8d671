import { existsSync, readFileSync } from 'node:fs';

const LINUX_EPHEMERAL_RANGE = '/proc/sys/net/ipv4/ip_local_port_range';

/** The kernel's range for outgoing connections' local ports, where it has one to read. */
export function ephemeralPortRange(file = LINUX_EPHEMERAL_RANGE): [number, number] | null {
  if (!existsSync(file)) return null;
  const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return Number.isInteger(low) && Number.isInteger(high) ? [low!, high!] : null;
}

/**
 * Throws unless a test or bench may listen on `port` every time. A fixed port inside the ephemeral range
 * is free only until some outgoing connection (a Kafka client, say) is given it as its local port: a CI
 * run failed with EADDRINUSE that way, on 39732 of 32768-60999.
 */
export function assertFixedPortUsable(port: number, range = ephemeralPortRange()): number {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${port} is not a TCP port`);
  if (range && port >= range[0] && port <= range[1])
    throw new Error(
      `port ${port} is in the ephemeral range ${range[0]}-${range[1]}, where an outgoing connection may ` +
        'already hold it: pick a fixed port below or above it',
    );
  return port;
}
