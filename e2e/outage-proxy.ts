import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a server that a test can take down (connections reset, port refusing) and bring
 * back: to the apps behind it that is the server going away and coming back, while the real one keeps
 * running for the other suites.
 */
export class OutageProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** A proxy on `port` in front of the server at `url` (http://host:port). */
  static for(url: string, port: number): OutageProxy {
    const target = new URL(url);
    return new OutageProxy(port, { host: target.hostname, port: Number(target.port) });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.server = null;
  }
}
