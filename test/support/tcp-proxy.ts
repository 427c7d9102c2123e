import { createServer, connect, type Server, type Socket } from 'node:net';

/** How a server that is not taking connections yet treats one: `hold` accepts it and answers only once it is up (a
 *  paused Aurora instance resuming on the connection that woke it), `refuse` closes it at once. */
export type NotYetUp = 'hold' | 'refuse';

/** A loopback TCP proxy that can be switched off, or made to come up only after a while, to make a real server
 *  unreachable (or slow to reach) from the code under test. */
export async function startTcpProxy(target: URL) {
  let up = true;
  let resumesAt = 0;
  let notYetUp: NotYetUp = 'hold';
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const forward = (client: Socket) => {
    if (client.destroyed) return;
    const upstream = connect(Number(target.port), target.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.resume();
  };
  const server: Server = createServer((client) => {
    track(client);
    const wait = resumesAt - Date.now();
    if (!up || (wait > 0 && notYetUp === 'refuse')) return void client.destroy();
    if (wait > 0) {
      client.pause();
      setTimeout(() => forward(client), wait);
    } else forward(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    down() {
      up = false;
      dropAll();
    },
    up() {
      up = true;
    },
    /** Closes every connection and takes new ones only after `ms`, holding or refusing them until then. */
    resumeAfter(ms: number, how: NotYetUp) {
      dropAll();
      notYetUp = how;
      resumesAt = Date.now() + ms;
    },
    close: () => new Promise<void>((resolve) => (dropAll(), server.close(() => resolve()))),
  };
}
